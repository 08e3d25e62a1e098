"""Services: the use cases (import a roster, plan a drive, record a student, sync), usable as a library.

Services orchestrate the domain and the adapters; the CLI and the hub server call them.
"""

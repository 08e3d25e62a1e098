"""The pure domain core: NIK, regions, ages, eligibility, drive definitions, recording lifecycle.

Nothing here does I/O or imports from ``sweet17.adapters``, ``sweet17.services`` or
``sweet17.entrypoints`` (a test enforces this). Messages are English ids marked with ``N_``;
the layers above translate them.
"""

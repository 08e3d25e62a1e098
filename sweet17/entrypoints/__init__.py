"""Entry points: the command line (``cli``) and the office hub server (``hub``).

Thin skins over ``sweet17.services``: parse arguments, call a service, print the result.
"""

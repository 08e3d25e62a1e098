"""The drive's reports: coverage, teams, quality, complaints and IKM satisfaction.

Each report module has a function ``build_<name>(ws, ...)`` returning a plain result object with
``to_dict()`` (the ``--json`` output) that the CLI prints as rich tables, exports to a styled
workbook and draws as charts; ``drive.py`` puts them together in the head-of-office PDF.
"""

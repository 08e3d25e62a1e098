"""Excel workbooks: writers (openpyxl, write-only mode for large files).

Reading rosters is done with python-calamine by the roster importer; this package holds the
writers: ``dapodik_writer`` writes the Dapodik "Daftar Peserta Didik" export layout.
"""

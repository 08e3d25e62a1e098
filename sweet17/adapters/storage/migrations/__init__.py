"""Schema migrations, one module per version: ``mNNNN_name.py`` with VERSION, NAME, upgrade(conn).

Never edit a migration that has shipped: add a new one. Each migration must keep every
existing row (a test builds a database at version 1, fills it, upgrades it to head, and
checks every row).
"""

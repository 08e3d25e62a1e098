"""The registry hub's database: SQLite (embedded, default) or PostgreSQL, through SQLAlchemy Core.

The hub's schema is separate from the laptop's and versioned on its own
(``hub_schema_migrations``, see ``schema.py``). SQL is written once and kept portable
(``ON CONFLICT``, ``RETURNING``, ISO text timestamps); the few type names that differ are
placeholders filled per dialect.
"""

from sweet17.adapters.hubstore.engine import HubStore, open_store, redact_url

__all__ = ["HubStore", "open_store", "redact_url"]

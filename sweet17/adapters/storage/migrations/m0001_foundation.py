"""Version 1: workspace metadata, drives, and the hash-chained audit log."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 1
NAME = "foundation"

SQL = """
CREATE TABLE workspace_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE drive (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    regency_code TEXT NOT NULL,
    path TEXT NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX ix_audit_log_action ON audit_log (action);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

"""Version 6: the laptop's sync state — supervisor decisions, upload progress, the hub's signed
receipts, status history pulled from the hub, USB bundles written, and a log of sync runs."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 6
NAME = "sync"

SQL = """
CREATE TABLE queue_decision (
    id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES recording (id),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    supervisor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL
);
CREATE INDEX ix_queue_decision_recording_id ON queue_decision (recording_id);
CREATE TABLE sync_upload (
    recording_id TEXT PRIMARY KEY REFERENCES recording (id),
    hub_id TEXT NOT NULL,
    confirmed_bytes INTEGER NOT NULL DEFAULT 0,
    sent_bytes INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sync_receipt (
    recording_id TEXT PRIMARY KEY REFERENCES recording (id),
    hub_id TEXT NOT NULL,
    receipt TEXT NOT NULL,
    signature TEXT NOT NULL,
    verified INTEGER NOT NULL,
    problem TEXT NOT NULL DEFAULT '',
    hub_received_at TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('http', 'bundle'))
);
CREATE TABLE sync_status_event (
    id INTEGER PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES recording (id),
    hub_seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    pulled_at TEXT NOT NULL,
    UNIQUE (recording_id, hub_seq)
);
CREATE INDEX ix_sync_status_event_recording_id ON sync_status_event (recording_id);
CREATE TABLE sync_bundle (
    bundle_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    hub_id TEXT NOT NULL,
    written_at TEXT NOT NULL,
    recordings INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    receipts_imported_at TEXT
);
CREATE TABLE sync_bundle_item (
    bundle_id TEXT NOT NULL REFERENCES sync_bundle (bundle_id),
    recording_id TEXT NOT NULL REFERENCES recording (id),
    PRIMARY KEY (bundle_id, recording_id)
);
CREATE TABLE sync_run (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('http', 'bundle', 'receipts')),
    target TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    recordings INTEGER NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0,
    already INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0,
    bytes_sent INTEGER NOT NULL DEFAULT 0,
    statuses INTEGER NOT NULL DEFAULT 0,
    purged INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'running',
    error TEXT NOT NULL DEFAULT ''
);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

"""Version 4: committed recordings and their sealed biometric payloads (the local queue)."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 4
NAME = "recordings"

SQL = """
CREATE TABLE recording (
    id TEXT PRIMARY KEY,
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    student_ref TEXT NOT NULL DEFAULT '',
    nik TEXT NOT NULL DEFAULT '',
    nisn TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    operator TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'captured'
        CHECK (status IN ('captured', 'approved', 'rejected', 'synced', 'acknowledged')),
    captured_at TEXT NOT NULL,
    force_captured INTEGER NOT NULL DEFAULT 0,
    exceptions TEXT NOT NULL DEFAULT '[]',
    retries INTEGER NOT NULL DEFAULT 0,
    quality TEXT NOT NULL DEFAULT '{}',
    manifest TEXT NOT NULL,
    signature TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    payload_size INTEGER NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    rejected_reason TEXT,
    synced_at TEXT,
    receipt TEXT,
    acknowledged_at TEXT,
    hub_status TEXT,
    hub_status_at TEXT,
    purged_at TEXT
);
CREATE INDEX ix_recording_status ON recording (status);
CREATE INDEX ix_recording_school ON recording (drive_slug, school_code);
CREATE INDEX ix_recording_nik ON recording (nik);
CREATE TABLE recording_payload (
    recording_id TEXT PRIMARY KEY REFERENCES recording (id) ON DELETE CASCADE,
    sealed BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL
);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

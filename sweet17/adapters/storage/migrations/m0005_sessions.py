"""Version 5: recording sessions at the school — operators, sessions, the day's list, check-ins,
walk-ins, consents, corrections, and the durable (sealed) capture steps and exceptions."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 5
NAME = "sessions"

SQL = """
CREATE TABLE operator_account (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT 'operator' CHECK (role IN ('operator', 'supervisor')),
    password_hash TEXT NOT NULL DEFAULT '',
    card_uid TEXT UNIQUE,
    pin_hash TEXT NOT NULL DEFAULT '',
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    last_signin_at TEXT
);
CREATE TABLE recording_session (
    id TEXT PRIMARY KEY,
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    day TEXT NOT NULL,
    kit TEXT NOT NULL DEFAULT '',
    operator TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'idle', 'ended')),
    started_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT NOT NULL DEFAULT '',
    devices TEXT NOT NULL DEFAULT '[]',
    rules TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_recording_session_school ON recording_session (drive_slug, school_code, day);
CREATE INDEX ix_recording_session_status ON recording_session (status);
CREATE TABLE day_list (
    id INTEGER PRIMARY KEY,
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    day TEXT NOT NULL,
    student_ref TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    nik TEXT NOT NULL DEFAULT '',
    nisn TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    rombel TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (drive_slug, school_code, day, student_ref)
);
CREATE TABLE checkin (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES recording_session (id),
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    day TEXT NOT NULL,
    student_ref TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'list' CHECK (source IN ('list', 'walk_in')),
    nik TEXT NOT NULL DEFAULT '',
    nisn TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    rombel TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'checked_in' CHECK (status IN ('checked_in', 'consented', 'capturing',
        'review', 'committed', 'cancelled', 'absent')),
    recording_id TEXT NOT NULL UNIQUE,
    operator TEXT NOT NULL,
    checked_in_at TEXT NOT NULL,
    capture_started_at TEXT,
    committed_at TEXT,
    cancel_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_checkin_day ON checkin (drive_slug, school_code, day);
CREATE UNIQUE INDEX ux_checkin_active ON checkin (drive_slug, day, student_ref) WHERE status <> 'cancelled';
CREATE TABLE walk_in (
    checkin_id TEXT PRIMARY KEY REFERENCES checkin (id),
    reason TEXT NOT NULL,
    operator TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE consent (
    id INTEGER PRIMARY KEY,
    checkin_id TEXT NOT NULL UNIQUE REFERENCES checkin (id),
    given_by TEXT NOT NULL CHECK (given_by IN ('student', 'guardian')),
    guardian_name TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL CHECK (method IN ('verbal', 'signed')),
    statement_version TEXT NOT NULL,
    operator TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE correction (
    id INTEGER PRIMARY KEY,
    checkin_id TEXT NOT NULL REFERENCES checkin (id),
    field TEXT NOT NULL CHECK (field IN ('name', 'birth_date', 'sex', 'nik', 'nisn')),
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    reason TEXT NOT NULL,
    operator TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_correction_checkin ON correction (checkin_id);
CREATE TABLE capture_step (
    id INTEGER PRIMARY KEY,
    checkin_id TEXT NOT NULL REFERENCES checkin (id),
    step TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    excepted TEXT NOT NULL DEFAULT '[]',
    qualities TEXT NOT NULL DEFAULT '{}',
    nfiq2 TEXT NOT NULL DEFAULT '{}',
    problems TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    error_detail TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '{}',
    operator TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    forced INTEGER NOT NULL DEFAULT 0,
    force_reason TEXT NOT NULL DEFAULT '',
    supervisor TEXT NOT NULL DEFAULT '',
    forced_at TEXT,
    data BLOB,
    data_sha256 TEXT NOT NULL DEFAULT '',
    UNIQUE (checkin_id, step, attempt)
);
CREATE TABLE capture_exception (
    id INTEGER PRIMARY KEY,
    checkin_id TEXT NOT NULL REFERENCES checkin (id),
    modality TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('missing', 'injured', 'unable')),
    reason TEXT NOT NULL,
    operator TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    proof BLOB,
    proof_format TEXT NOT NULL DEFAULT '',
    proof_aad TEXT NOT NULL DEFAULT '',
    proof_plain_sha256 TEXT NOT NULL DEFAULT '',
    UNIQUE (checkin_id, modality, position)
);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

"""Version 2: school rosters (with import history and findings), the registry extract, matches,
the matches waiting for a person's decision, and those decisions."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 2
NAME = "roster"

SQL = """
CREATE TABLE roster_import (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'roster' CHECK (kind IN ('roster', 'leavers')),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_format TEXT NOT NULL,
    sheet TEXT NOT NULL DEFAULT '',
    school_name TEXT NOT NULL DEFAULT '',
    kecamatan TEXT NOT NULL DEFAULT '',
    downloaded_at TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    students INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    current INTEGER NOT NULL DEFAULT 1,
    replaced_at TEXT
);
CREATE INDEX ix_roster_import_school ON roster_import (drive_slug, school_code, kind, current);
CREATE TABLE roster_student (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id INTEGER NOT NULL REFERENCES roster_import (id),
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    student_key TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    nisn TEXT NOT NULL DEFAULT '',
    nipd TEXT NOT NULL DEFAULT '',
    nik TEXT NOT NULL DEFAULT '',
    nik_status TEXT NOT NULL DEFAULT 'ok',
    no_kk TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    birth_place TEXT NOT NULL DEFAULT '',
    birth_date TEXT NOT NULL DEFAULT '',
    birth_date_source TEXT NOT NULL DEFAULT '',
    rombel TEXT NOT NULL DEFAULT '',
    counted INTEGER NOT NULL DEFAULT 1,
    left_reason TEXT NOT NULL DEFAULT '',
    left_date TEXT NOT NULL DEFAULT '',
    blocking INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_roster_student_school ON roster_student (drive_slug, school_code);
CREATE INDEX ix_roster_student_import ON roster_student (import_id);
CREATE INDEX ix_roster_student_nik ON roster_student (nik);
CREATE INDEX ix_roster_student_nisn ON roster_student (nisn);
CREATE TABLE roster_finding (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES roster_import (id) ON DELETE CASCADE,
    student_id INTEGER,
    row_number INTEGER NOT NULL,
    field TEXT NOT NULL DEFAULT '',
    column_label TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_roster_finding_import ON roster_finding (import_id);
CREATE TABLE registry_extract (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    drive_slug TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_format TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    persons INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    current INTEGER NOT NULL DEFAULT 1,
    replaced_at TEXT
);
CREATE INDEX ix_registry_extract_drive ON registry_extract (drive_slug, current);
CREATE TABLE registry_person (
    id INTEGER PRIMARY KEY,
    extract_id INTEGER NOT NULL REFERENCES registry_extract (id) ON DELETE CASCADE,
    nik TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_registry_person_nik ON registry_person (nik);
CREATE TABLE registry_match (
    student_id INTEGER PRIMARY KEY REFERENCES roster_student (id) ON DELETE CASCADE,
    drive_slug TEXT NOT NULL,
    extract_id INTEGER NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('nik', 'name', 'decision')),
    registry_nik TEXT NOT NULL,
    registry_status TEXT NOT NULL DEFAULT '',
    score REAL NOT NULL DEFAULT 0,
    matched_at TEXT NOT NULL
);
CREATE INDEX ix_registry_match_drive ON registry_match (drive_slug);
CREATE TABLE registry_review (
    student_id INTEGER PRIMARY KEY REFERENCES roster_student (id) ON DELETE CASCADE,
    drive_slug TEXT NOT NULL,
    extract_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    candidates TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE INDEX ix_registry_review_drive ON registry_review (drive_slug);
CREATE TABLE registry_decision (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    student_key TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('match', 'no_match')),
    registry_nik TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    UNIQUE (drive_slug, school_code, student_key)
);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

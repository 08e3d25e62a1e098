"""Version 7: KTPku Datang and the drive's reports — printed cards, card hand-overs, the complaints
register and IKM survey responses, and the imports they came from."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 7
NAME = "delivery"

SQL = """
CREATE TABLE ktpku_import (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('cards', 'ikm', 'complaints')),
    drive_slug TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX ix_ktpku_import_sha256 ON ktpku_import (sha256);
CREATE TABLE printed_card (
    nik TEXT PRIMARY KEY,
    card_serial TEXT NOT NULL DEFAULT '',
    chip_uid TEXT NOT NULL DEFAULT '',
    printed_on TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES ktpku_import (id),
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_printed_card_chip_uid ON printed_card (chip_uid);
CREATE TABLE delivery (
    id TEXT PRIMARY KEY,
    drive_slug TEXT NOT NULL,
    school_code TEXT NOT NULL,
    nik TEXT NOT NULL,
    nisn TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    card_uid TEXT NOT NULL DEFAULT '',
    card_serial TEXT NOT NULL DEFAULT '',
    uid_checked INTEGER NOT NULL DEFAULT 0,
    receiver_name TEXT NOT NULL,
    receiver_relation TEXT NOT NULL
        CHECK (receiver_relation IN ('self', 'parent', 'guardian', 'teacher', 'other')),
    confirmation TEXT NOT NULL CHECK (confirmation IN ('signature', 'fingerprint')),
    confirmation_sha256 TEXT NOT NULL,
    confirmation_quality REAL,
    confirmation_device TEXT NOT NULL DEFAULT '',
    confirmation_sealed BLOB NOT NULL,
    operator TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    synced_at TEXT,
    hub_receipt TEXT
);
CREATE UNIQUE INDEX ux_delivery_card ON delivery (nik, card_uid, card_serial);
CREATE INDEX ix_delivery_nik ON delivery (nik);
CREATE INDEX ix_delivery_synced_at ON delivery (synced_at);
CREATE TABLE complaint (
    id TEXT PRIMARY KEY,
    drive_slug TEXT NOT NULL DEFAULT '',
    received_on TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    school_code TEXT NOT NULL DEFAULT '',
    complainant TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    nik TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    resolved_on TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    import_id INTEGER REFERENCES ktpku_import (id)
);
CREATE INDEX ix_complaint_received_on ON complaint (received_on);
CREATE TABLE survey_response (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES ktpku_import (id),
    source_row INTEGER NOT NULL,
    drive_slug TEXT NOT NULL DEFAULT '',
    responded_on TEXT NOT NULL,
    school_code TEXT NOT NULL DEFAULT '',
    service TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    age INTEGER,
    education TEXT NOT NULL DEFAULT '',
    occupation TEXT NOT NULL DEFAULT '',
    u1 INTEGER CHECK (u1 BETWEEN 1 AND 4),
    u2 INTEGER CHECK (u2 BETWEEN 1 AND 4),
    u3 INTEGER CHECK (u3 BETWEEN 1 AND 4),
    u4 INTEGER CHECK (u4 BETWEEN 1 AND 4),
    u5 INTEGER CHECK (u5 BETWEEN 1 AND 4),
    u6 INTEGER CHECK (u6 BETWEEN 1 AND 4),
    u7 INTEGER CHECK (u7 BETWEEN 1 AND 4),
    u8 INTEGER CHECK (u8 BETWEEN 1 AND 4),
    u9 INTEGER CHECK (u9 BETWEEN 1 AND 4),
    suggestion TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_survey_response_responded_on ON survey_response (responded_on);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

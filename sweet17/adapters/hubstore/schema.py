"""The hub's schema and its own versioned migrations (SQLite and PostgreSQL).

Each migration is hand-written SQL with three placeholders filled per dialect — ``{SERIAL}``
(an auto-numbered primary key), ``{BIGINT}`` and ``{BLOB}`` — and runs in one transaction
(both databases have transactional DDL), recorded in ``hub_schema_migrations``. On PostgreSQL
an advisory lock serialises hub processes that start together. Never edit a shipped migration:
add the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, text

TABLE = "hub_schema_migrations"
LOCK_KEY = 1_717_170_007

TYPES = {
    "sqlite": {"SERIAL": "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT": "INTEGER", "BLOB": "BLOB"},
    "postgresql": {"SERIAL": "BIGSERIAL PRIMARY KEY", "BIGINT": "BIGINT", "BLOB": "BYTEA"},
}

V1 = """
CREATE TABLE hub_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE laptop (
    laptop_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'revoked')),
    enrolled_at TEXT NOT NULL,
    enrolled_via TEXT NOT NULL DEFAULT '',
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT NOT NULL DEFAULT '',
    last_seen_at TEXT
);
CREATE TABLE access_log (
    id {SERIAL},
    at TEXT NOT NULL,
    laptop_id TEXT NOT NULL DEFAULT '',
    remote TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_access_log_laptop ON access_log (laptop_id);
CREATE TABLE request_nonce (
    laptop_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at {BIGINT} NOT NULL,
    PRIMARY KEY (laptop_id, nonce)
);
CREATE INDEX ix_request_nonce_seen ON request_nonce (seen_at);
CREATE TABLE hub_recording (
    recording_id TEXT PRIMARY KEY,
    laptop_id TEXT NOT NULL REFERENCES laptop (laptop_id),
    manifest TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    drive TEXT NOT NULL,
    school_code TEXT NOT NULL,
    nik TEXT NOT NULL,
    name TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    payload_size {BIGINT} NOT NULL,
    received_bytes {BIGINT} NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('receiving', 'complete')),
    status TEXT NOT NULL,
    via TEXT NOT NULL,
    manifest_at TEXT NOT NULL,
    completed_at TEXT,
    verified INTEGER NOT NULL DEFAULT 0,
    problem TEXT NOT NULL DEFAULT '',
    clock_flag TEXT NOT NULL DEFAULT '',
    receipt TEXT,
    receipt_signature TEXT,
    superseded_by TEXT,
    exported_at TEXT,
    export_tcn TEXT
);
CREATE INDEX ix_hub_recording_nik ON hub_recording (nik);
CREATE INDEX ix_hub_recording_laptop ON hub_recording (laptop_id);
CREATE TABLE upload_part (
    recording_id TEXT NOT NULL REFERENCES hub_recording (recording_id) ON DELETE CASCADE,
    start_byte {BIGINT} NOT NULL,
    data {BLOB} NOT NULL,
    PRIMARY KEY (recording_id, start_byte)
);
CREATE TABLE payload (
    recording_id TEXT PRIMARY KEY REFERENCES hub_recording (recording_id),
    sealed {BLOB} NOT NULL
);
CREATE TABLE status_event (
    seq {SERIAL},
    recording_id TEXT NOT NULL REFERENCES hub_recording (recording_id),
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (recording_id, status, at)
);
CREATE INDEX ix_status_event_recording ON status_event (recording_id);
CREATE TABLE nik_claim (
    nik TEXT PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES hub_recording (recording_id)
);
CREATE TABLE nik_flag (
    id {SERIAL},
    nik TEXT NOT NULL,
    recording_id TEXT NOT NULL REFERENCES hub_recording (recording_id),
    other_recording_id TEXT NOT NULL REFERENCES hub_recording (recording_id),
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    kept_recording_id TEXT,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (recording_id, other_recording_id)
);
CREATE INDEX ix_nik_flag_nik ON nik_flag (nik);
CREATE TABLE bundle_import (
    bundle_id TEXT PRIMARY KEY,
    laptop_id TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    recordings INTEGER NOT NULL,
    first_imported_at TEXT NOT NULL,
    last_imported_at TEXT NOT NULL,
    times INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE central_import (
    id {SERIAL},
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    unmatched INTEGER NOT NULL
);
CREATE TABLE export_batch (
    id {SERIAL},
    created_at TEXT NOT NULL,
    path TEXT NOT NULL,
    recordings INTEGER NOT NULL,
    manifest_sha256 TEXT NOT NULL
)
"""

# Statements for one dialect only, run after the migration's SQL.
V1_EXTRA = {
    # Sealed payloads are ciphertext: do not spend CPU trying to compress them (TOAST).
    "postgresql": ["ALTER TABLE payload ALTER COLUMN sealed SET STORAGE EXTERNAL",
                   "ALTER TABLE upload_part ALTER COLUMN data SET STORAGE EXTERNAL"],
}

# Card hand-overs (KTPku Datang) sent by the laptops: the signed record, the sealed confirmation
# and the hub's signed receipt; one row per delivery id.
V2 = """
CREATE TABLE hub_delivery (
    delivery_id TEXT PRIMARY KEY,
    laptop_id TEXT NOT NULL REFERENCES laptop (laptop_id),
    manifest TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    drive TEXT NOT NULL,
    school_code TEXT NOT NULL,
    nik TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    sealed {BLOB} NOT NULL,
    sealed_sha256 TEXT NOT NULL,
    sealed_size {BIGINT} NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    problem TEXT NOT NULL DEFAULT '',
    via TEXT NOT NULL,
    received_at TEXT NOT NULL,
    receipt TEXT NOT NULL,
    receipt_signature TEXT NOT NULL
);
CREATE INDEX ix_hub_delivery_nik ON hub_delivery (nik);
CREATE INDEX ix_hub_delivery_laptop ON hub_delivery (laptop_id)
"""

V2_EXTRA = {
    "postgresql": ["ALTER TABLE hub_delivery ALTER COLUMN sealed SET STORAGE EXTERNAL"],
}

MIGRATIONS: list[tuple[int, str, str, dict[str, list[str]]]] = [
    (1, "intake", V1, V1_EXTRA),
    (2, "deliveries", V2, V2_EXTRA),
]


def head() -> int:
    return MIGRATIONS[-1][0]


def _ensure_table(conn: Connection) -> None:
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {TABLE} (version INTEGER PRIMARY KEY, "
                         "name TEXT NOT NULL, applied_at TEXT NOT NULL)")


def applied(store) -> set[int]:  # type: ignore[no-untyped-def]
    with store.begin() as conn:
        _ensure_table(conn)
        return {r[0] for r in conn.execute(text(f"SELECT version FROM {TABLE}"))}


def current_version(store) -> int:  # type: ignore[no-untyped-def]
    done = applied(store)
    return max(done) if done else 0


def upgrade(store, target: int | None = None) -> list[int]:  # type: ignore[no-untyped-def]
    """Apply the pending migrations (each in its own transaction); returns the versions applied."""
    types = TYPES[store.dialect]
    done_now: list[int] = []
    for version, name, sql, extra in MIGRATIONS:
        if target is not None and version > target:
            break
        with store.begin() as conn:
            if store.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            _ensure_table(conn)
            if conn.execute(text(f"SELECT 1 FROM {TABLE} WHERE version = :v"), {"v": version}).first():
                continue
            for statement in sql.format(**types).split(";\n") + extra.get(store.dialect, []):
                if statement.strip():
                    conn.exec_driver_sql(statement)
            conn.execute(text(f"INSERT INTO {TABLE} (version, name, applied_at) VALUES (:v, :n, :t)"),
                         {"v": version, "n": name, "t": datetime.now(UTC).isoformat(timespec="seconds")})
            done_now.append(version)
    return done_now

"""SQLite engines with the pragmas sweet17 relies on, and transactional DDL.

Every connection runs with ``journal_mode=WAL`` (readers never block the capture writer),
``foreign_keys=ON``, ``synchronous=FULL`` (a committed recording survives a power cut) and a
busy timeout. pysqlite's own transaction handling is switched off and ``BEGIN`` is emitted by
SQLAlchemy, so that schema changes run inside the same transaction as data changes (the
recipe from SQLAlchemy's SQLite dialect documentation).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

BUSY_TIMEOUT_MS = 10_000


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_engine(path: Path | str) -> Engine:
    """Engine for a workspace database file (created if missing)."""
    engine = create_engine(f"sqlite:///{Path(path)}", future=True)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def backup_sqlite(src: Path, dest: Path) -> None:
    """Consistent online copy of a SQLite database (sqlite3's backup API)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)
    b.close()
    a.close()

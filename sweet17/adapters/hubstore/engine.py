"""Engines for the hub database and a thin store object around them."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

SQLITE_BUSY_MS = 15_000


class StoreURLError(ValueError):
    """A database URL that is neither SQLite nor PostgreSQL."""


def redact_url(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _sqlite_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=FULL")     # a receipt is only signed for a payload that is on disk
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.close()


def _sqlite_connect_quick(dbapi_conn: sqlite3.Connection, record: object) -> None:
    _sqlite_connect(dbapi_conn, record)
    dbapi_conn.execute("PRAGMA synchronous=NORMAL")   # WAL: durable at the next full sync or checkpoint


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, quick: bool = False) -> Engine:
    """``sqlite:///PATH`` or a bare path -> SQLite (WAL); ``postgresql://...`` -> PostgreSQL (psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        pg = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", url)
        return create_engine(pg, pool_size=8, max_overflow=8, pool_pre_ping=True, future=True)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
    elif "://" in url:
        raise StoreURLError(url)
    else:
        path = Path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", future=True, connect_args={"check_same_thread": False},
                           pool_size=8, max_overflow=8)
    event.listen(engine, "connect", _sqlite_connect_quick if quick else _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


@dataclass
class HubStore:
    engine: Engine
    url: str
    _quick: Engine | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name      # "sqlite" or "postgresql"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def quick_begin(self) -> Iterator[Connection]:
        """A transaction whose commit does not wait for the disk.

        For writes that may be lost in a power cut without harm — a request nonce, a chunk that is
        not the last (the laptop re-sends from the hub's offset) — never for a receipt. A later
        durable commit flushes everything before it (PostgreSQL WAL, SQLite WAL), so nothing becomes
        durable out of order. PostgreSQL: ``SET LOCAL synchronous_commit TO OFF``; SQLite: a second
        engine whose connections run ``synchronous=NORMAL`` (it cannot change inside a transaction).
        """
        if self.dialect == "postgresql":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn
            return
        if self._quick is None:
            self._quick = make_engine(self.url, quick=True)
        with self._quick.begin() as conn:
            yield conn

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def close(self) -> None:
        self.engine.dispose()
        if self._quick is not None:
            self._quick.dispose()


def open_store(url: str, migrate: bool = True) -> HubStore:
    from sweet17.adapters.hubstore import schema

    store = HubStore(make_engine(url), url)
    if migrate:
        schema.upgrade(store)
    return store

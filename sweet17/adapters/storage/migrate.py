"""A small versioned migration runner for the laptop's SQLite database.

Why not Alembic: the laptop schema is SQLite only, migrations are hand-written SQL (no
autogenerate), and every CLI call opens the database, so the check must cost one query, not
an import of Alembic's script machinery. Migrations are modules ``mNNNN_<name>.py`` in
``sweet17/adapters/storage/migrations`` with ``VERSION``, ``NAME`` and ``upgrade(conn)``;
each runs in its own transaction (SQLite has transactional DDL) and is recorded in
``schema_migrations``. Applied versions are tracked one by one, so the set of applied
migrations, not a single number, is the truth. Before upgrading a database that already holds
data, a consistent copy is saved beside it (``sweet17.db.before-vNNNN``). A test checks that
the migrated schema matches the SQLModel table models.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from sqlalchemy import Connection, Engine, text

from sweet17.adapters.storage import migrations as _pkg

TABLE = "schema_migrations"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: ModuleType

    def upgrade(self, conn: Connection) -> None:
        self.module.upgrade(conn)


def available() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(_pkg.__path__):
        if not info.name.startswith("m"):
            continue
        mod = importlib.import_module(f"{_pkg.__name__}.{info.name}")
        found.append(Migration(int(mod.VERSION), str(mod.NAME), mod))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def head() -> int:
    return available()[-1].version


def _ensure_table(conn: Connection) -> None:
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )


def applied(engine: Engine) -> set[int]:
    with engine.begin() as conn:
        _ensure_table(conn)
        return {row[0] for row in conn.execute(text(f"SELECT version FROM {TABLE}"))}


def current_version(engine: Engine) -> int:
    done = applied(engine)
    return max(done) if done else 0


def pending(engine: Engine, target: int | None = None) -> list[Migration]:
    done = applied(engine)
    return [m for m in available() if m.version not in done and (target is None or m.version <= target)]


def upgrade(engine: Engine, target: int | None = None, backup_dir: Path | None = None,
            db_path: Path | None = None) -> list[Migration]:
    """Apply pending migrations up to ``target`` (default: all). Returns those applied."""
    todo = pending(engine, target)
    if not todo:
        return []
    if backup_dir is not None and db_path is not None and applied(engine):
        from sweet17.adapters.storage.db import backup_sqlite

        backup_sqlite(db_path, backup_dir / f"{db_path.name}.before-v{todo[0].version:04d}")
    for mig in todo:
        with engine.begin() as conn:
            mig.upgrade(conn)
            conn.execute(
                text(f"INSERT INTO {TABLE} (version, name, applied_at) VALUES (:v, :n, :t)"),
                {"v": mig.version, "n": mig.name, "t": datetime.now(UTC).isoformat(timespec="seconds")},
            )
    return todo


def run_script(conn: Connection, sql: str) -> None:
    """Execute a multi-statement SQL script inside the caller's transaction."""
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.exec_driver_sql(statement)

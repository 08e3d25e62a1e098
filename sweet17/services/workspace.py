"""The workspace: one folder holding a laptop's (or an office's) sweet17 data.

::

    <workspace>/
      sweet17.toml      configuration (defaults are embedded; the file only overrides)
      sweet17.db        SQLite database (WAL), migrated on open
      keys/             this laptop's signing key, the hub's public key
      blobs/            sealed biometric payloads
      logs/             logs and crash reports

Found through ``--workspace``, ``SWEET17_WORKSPACE``, or the platform's user data folder.
"""

from __future__ import annotations

import os
import socket
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sweet17.errors import WorkspaceError
from sweet17.i18n import _

CONFIG_NAME = "sweet17.toml"
DB_NAME = "sweet17.db"

DEFAULT_CONFIG: dict[str, Any] = {
    "workspace": {"laptop_name": ""},
    "paths": {"exports": "exports"},
}


def user_workspace() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("sweet17", appauthor=False))


def locate_workspace(explicit: Path | str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("SWEET17_WORKSPACE")
    if env:
        return Path(env).expanduser().resolve()
    return user_workspace()


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Workspace:
    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    _engine: Any = None

    # ------------------------------------------------------------------ layout
    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    @property
    def blobs_dir(self) -> Path:
        return self.path / "blobs"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def exports_dir(self) -> Path:
        p = Path(self.setting("paths.exports", "exports"))
        return p if p.is_absolute() else Path.cwd() / p

    def setting(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.config
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    # ------------------------------------------------------------------ open / create
    @classmethod
    def open(cls, path: Path | str, migrate: bool = True) -> Workspace:
        path = Path(path)
        if not (path / CONFIG_NAME).is_file() or not (path / DB_NAME).is_file():
            raise WorkspaceError(
                _("No sweet17 workspace at {path}. Create one with: sweet17 init {path}").format(path=path),
                path=path,
            )
        ws = cls._load(path)
        if migrate:
            ws.migrate()
        return ws

    @classmethod
    def _load(cls, path: Path) -> Workspace:
        try:
            with (path / CONFIG_NAME).open("rb") as fh:
                config = _merge(DEFAULT_CONFIG, tomllib.load(fh))
        except tomllib.TOMLDecodeError as e:
            raise WorkspaceError(
                _("The configuration {path} is not valid TOML: {detail}").format(path=path / CONFIG_NAME, detail=e),
                path=path / CONFIG_NAME,
            ) from None
        return cls(path=path, config=config)

    @classmethod
    def create(cls, path: Path | str) -> Workspace:
        import tomli_w

        path = Path(path)
        if (path / DB_NAME).exists():
            raise WorkspaceError(_("A workspace already exists at {path}").format(path=path), path=path)
        try:
            for sub in ("", "keys", "blobs", "logs"):
                (path / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(path / "keys", 0o700)
        except OSError as e:
            raise WorkspaceError(_("Cannot create the workspace at {path}: {detail}").format(
                path=path, detail=e.strerror), path=path) from None
        if not (path / CONFIG_NAME).exists():
            config = _merge(DEFAULT_CONFIG, {"workspace": {
                "id": str(uuid.uuid4()), "created": now_utc(), "laptop_name": socket.gethostname()}})
            tmp = path / (CONFIG_NAME + ".tmp")
            tmp.write_text(tomli_w.dumps(config), encoding="utf-8")
            os.replace(tmp, path / CONFIG_NAME)
        ws = cls._load(path)
        ws.migrate()
        for hook in INIT_HOOKS:
            hook(ws)
        ws.set_meta("workspace_id", str(ws.setting("workspace.id")))
        ws.audit("system", "workspace.init", str(path))
        return ws

    # ------------------------------------------------------------------ database
    @property
    def engine(self):  # type: ignore[no-untyped-def]
        if self._engine is None:
            from sweet17.adapters.storage.db import sqlite_engine

            self._engine = sqlite_engine(self.db_path)
        return self._engine

    def migrate(self) -> list[int]:
        from sweet17.adapters.storage import migrate

        done = migrate.upgrade(self.engine, backup_dir=self.path, db_path=self.db_path)
        return [m.version for m in done]

    def schema_version(self) -> int:
        from sweet17.adapters.storage import migrate

        return migrate.current_version(self.engine)

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A SQLModel session in one transaction: committed on success, rolled back on error."""
        from sqlmodel import Session

        with Session(self.engine) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        from sqlalchemy import text

        with self.engine.connect() as c:
            v = c.execute(text("SELECT value FROM workspace_meta WHERE key = :k"), {"k": key}).scalar()
        return default if v is None else v

    def set_meta(self, key: str, value: str, conn: Any = None) -> None:
        from sqlalchemy import text

        sql = text("INSERT INTO workspace_meta (key, value) VALUES (:k, :v) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        if conn is not None:
            conn.execute(sql, {"k": key, "v": value})
        else:
            with self.engine.begin() as c:
                c.execute(sql, {"k": key, "v": value})

    # ------------------------------------------------------------------ audit trail
    def audit(self, actor: str, action: str, obj: str = "", details: dict[str, Any] | None = None,
              conn: Any = None) -> str:
        """Append to the hash-chained audit log (inside ``conn``'s transaction when given)."""
        if conn is None:
            with self.engine.begin() as c:
                return append_audit(c, actor, action, obj, details)
        return append_audit(conn, actor, action, obj, details)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def append_audit(conn: Any, actor: str, action: str, obj: str = "", details: dict[str, Any] | None = None) -> str:
    """Append one audit entry through an open SQLAlchemy connection (in its transaction)."""
    from sqlalchemy import text

    from sweet17.domain.audit import GENESIS, canonical_details, entry_hash

    row = conn.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    ts = now_utc()
    det = canonical_details(details)
    h = entry_hash(prev, ts, actor, action, obj, det)
    conn.execute(
        text("INSERT INTO audit_log (seq, ts, actor, action, object, details, prev_hash, hash) "
             "VALUES (:seq, :ts, :actor, :action, :obj, :det, :prev, :h)"),
        {"seq": seq, "ts": ts, "actor": actor, "action": action, "obj": obj, "det": det, "prev": prev, "h": h},
    )
    return h


def _create_laptop_key(ws: Workspace) -> None:
    from sweet17.services.keys import create_laptop_key

    create_laptop_key(ws)


# Functions run once when a workspace is created.
INIT_HOOKS: list[Any] = [_create_laptop_key]


def init_workspace(path: Path | str) -> Workspace:
    return Workspace.create(path)

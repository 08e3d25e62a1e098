"""The hub's data folder, keys and database, and the ``Hub`` object every hub service works on.

::

    <hub data>/
      hub.toml              hub id, database URL, settings
      keys/hub_sign.pem     Ed25519: signs receipts and status answers
      keys/hub_seal.pem     X25519: opens the sealed biometric payloads (never leaves the hub)
      hub_public.json       the public keys, for laptops (sweet17 keys import-hub FILE)
      hub.db                the SQLite database (unless a PostgreSQL URL is configured)
      exports/              ANSI/NIST-ITL exports

The database URL comes from ``--db``, else ``SWEET17_HUB_DB``, else ``hub.toml``. A database
remembers which hub it belongs to (``hub_meta.hub_id``): pointing a hub at another hub's
database is refused.
"""

from __future__ import annotations

import os
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sweet17.errors import UserError
from sweet17.i18n import _

CONFIG_NAME = "hub.toml"
SIGN_KEY = "keys/hub_sign.pem"
SEAL_KEY = "keys/hub_seal.pem"
PUBLIC_FILE = "hub_public.json"


def now_iso(t: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if t is None else t, UTC).isoformat(timespec="seconds")


def default_hub_dir() -> Path:
    env = os.environ.get("SWEET17_HUB_DATA")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("sweet17-hub", appauthor=False))


@dataclass
class Hub:
    """An opened hub: configuration, keys and database. Services take it as their first argument."""

    data_dir: Path
    hub_id: str
    name: str
    store: Any                      # sweet17.adapters.hubstore.HubStore
    sign_key: Any                   # Ed25519PrivateKey
    seal_key: Any                   # X25519PrivateKey
    settings: dict[str, Any] = field(default_factory=dict)
    clock: Any = time.time          # seconds since the epoch; tests may shift it

    @property
    def sign_public(self) -> bytes:
        from sweet17.adapters import crypto

        return crypto.public_raw(self.sign_key)

    @property
    def seal_public(self) -> bytes:
        from sweet17.adapters import crypto

        return crypto.public_raw(self.seal_key)

    @property
    def max_skew_s(self) -> int:
        from sweet17.services.sync.protocol import DEFAULT_MAX_SKEW_S

        return int(self.settings.get("max_skew_s", DEFAULT_MAX_SKEW_S))

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    def now(self) -> str:
        return now_iso(self.clock())

    def public_keys(self, url: str = ""):  # type: ignore[no-untyped-def]
        from sweet17.services.keys import HubKeys

        return HubKeys(self.seal_public, self.sign_public, url, self.hub_id)

    def hello(self) -> dict[str, Any]:
        from sweet17.adapters import crypto
        from sweet17.services.sync.protocol import PROTOCOL

        return {"protocol": PROTOCOL, "hub_id": self.hub_id, "name": self.name,
                "seal_public": crypto.b64(self.seal_public), "sign_public": crypto.b64(self.sign_public),
                "fingerprint": crypto.fingerprint(self.sign_public), "server_time": self.clock()}

    def close(self) -> None:
        self.store.close()


def _read_config(data_dir: Path) -> dict[str, Any]:
    path = data_dir / CONFIG_NAME
    if not path.is_file():
        raise UserError(_("No hub at {path}. Create one with: sweet17 hub init --data {path}").format(path=data_dir),
                        path=data_dir)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise UserError(_("The configuration {path} is not valid TOML: {detail}").format(path=path, detail=e),
                        path=path) from None


def _db_url(data_dir: Path, config: dict[str, Any], explicit: str | None) -> str:
    url = explicit or os.environ.get("SWEET17_HUB_DB") or config.get("database", {}).get("url") or ""
    return url or f"sqlite:///{data_dir / 'hub.db'}"


def _open_store(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    from sweet17.adapters.hubstore import open_store, redact_url
    from sweet17.adapters.hubstore.engine import StoreURLError

    try:
        return open_store(url)
    except StoreURLError:
        raise UserError(_("Database URL {url}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB").format(
            url=redact_url(url)), field="--db") from None
    except OperationalError as e:
        raise UserError(_("Cannot open the hub database {url}: {detail}").format(
            url=redact_url(url), detail=str(e.orig).strip().splitlines()[0] if e.orig else e), field="--db") from None


def _bind_database(store, hub_id: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from sweet17.adapters.hubstore import redact_url

    with store.begin() as conn:
        conn.execute(text("INSERT INTO hub_meta (key, value) VALUES ('hub_id', :v) ON CONFLICT (key) DO NOTHING"),
                     {"v": hub_id})
        have = conn.execute(text("SELECT value FROM hub_meta WHERE key = 'hub_id'")).scalar()
    if have != hub_id:
        raise UserError(_("The database {url} belongs to another hub ({other}); this hub is {hub}").format(
            url=redact_url(store.url), other=have, hub=hub_id))


def init_hub(data_dir: Path | str, db_url: str | None = None, name: str = "") -> Hub:
    """Create a hub: keys, configuration, database. Refuses to overwrite an existing hub."""
    import tomli_w

    from sweet17.adapters import crypto

    data_dir = Path(data_dir).expanduser().resolve()
    if (data_dir / CONFIG_NAME).exists():
        raise UserError(_("A hub already exists at {path}").format(path=data_dir), path=data_dir)
    try:
        (data_dir / "keys").mkdir(parents=True, exist_ok=True)
        os.chmod(data_dir / "keys", 0o700)
    except OSError as e:
        raise UserError(_("Cannot create the hub at {path}: {detail}").format(path=data_dir, detail=e.strerror),
                        path=data_dir) from None
    hub_id = "hub-" + uuid.uuid4().hex[:12]
    url = _db_url(data_dir, {}, db_url)
    store = _open_store(url)
    _bind_database(store, hub_id)
    if not (data_dir / SIGN_KEY).exists():
        crypto.write_private_key(data_dir / SIGN_KEY, crypto.new_signing_key())
    if not (data_dir / SEAL_KEY).exists():
        crypto.write_private_key(data_dir / SEAL_KEY, crypto.new_sealing_key())
    config: dict[str, Any] = {"hub": {"id": hub_id, "name": name or "sweet17 hub", "created": now_iso()},
                              "auth": {"max_skew_s": 300},
                              "export": {"ori": "SWEET17HUB", "dai": "DUKCAPILPST", "tot": "KTPEL"}}
    # A database URL given on the command line is kept unless it carries a password.
    from sweet17.adapters.hubstore import redact_url

    if db_url and redact_url(db_url) == db_url:
        config["database"] = {"url": db_url}
    tmp = data_dir / (CONFIG_NAME + ".tmp")
    tmp.write_text(tomli_w.dumps(config), encoding="utf-8")
    os.replace(tmp, data_dir / CONFIG_NAME)
    hub = _load(data_dir, store, config)
    pub = data_dir / PUBLIC_FILE
    pub.write_text(hub.public_keys().to_json(), encoding="utf-8")
    return hub


def _load(data_dir: Path, store, config: dict[str, Any]) -> Hub:  # type: ignore[no-untyped-def]
    from sweet17.adapters import crypto

    try:
        sign_key = crypto.read_private_key(data_dir / SIGN_KEY)
        seal_key = crypto.read_private_key(data_dir / SEAL_KEY)
    except (OSError, ValueError, crypto.CryptoError) as e:
        store.close()
        raise UserError(_("The hub's keys in {path} cannot be read: {detail}").format(
            path=data_dir / "keys", detail=e), path=data_dir / "keys") from None
    hub_cfg = config.get("hub", {})
    return Hub(data_dir=data_dir, hub_id=str(hub_cfg["id"]), name=str(hub_cfg.get("name", "")), store=store,
               sign_key=sign_key, seal_key=seal_key,
               settings={**config.get("auth", {}), **config.get("export", {})})


def open_hub(data_dir: Path | str | None = None, db_url: str | None = None) -> Hub:
    data_dir = Path(data_dir).expanduser().resolve() if data_dir else default_hub_dir()
    config = _read_config(data_dir)
    if "id" not in config.get("hub", {}):
        raise UserError(_("{path}: field hub.id is missing").format(path=data_dir / CONFIG_NAME),
                        path=data_dir / CONFIG_NAME, field="hub.id")
    store = _open_store(_db_url(data_dir, config, db_url))
    try:
        _bind_database(store, str(config["hub"]["id"]))
    except UserError:
        store.close()
        raise
    return _load(data_dir, store, config)

"""The laptop's own signing key and the hub's public keys, kept in ``<workspace>/keys``.

* ``laptop_ed25519.pem`` — created at ``sweet17 init``; signs every recording and sync request.
* ``hub.json`` — the hub's public keys (``seal_public``: X25519, biometrics are sealed to it;
  ``sign_public``: Ed25519, receipts are checked with it) and its URL, installed when the laptop
  is enrolled with a hub (or imported from a file at provisioning).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sweet17.adapters import crypto
from sweet17.errors import UserError
from sweet17.i18n import _

LAPTOP_KEY = "laptop_ed25519.pem"
HUB_KEYS = "hub.json"


def create_laptop_key(ws) -> None:  # type: ignore[no-untyped-def]
    path = ws.keys_dir / LAPTOP_KEY
    if not path.exists():
        crypto.write_private_key(path, crypto.new_signing_key())


def laptop_signing_key(ws):  # type: ignore[no-untyped-def]
    path = ws.keys_dir / LAPTOP_KEY
    if not path.exists():
        raise UserError(_("This workspace has no laptop key ({path}); it was not created by sweet17 init")
                        .format(path=path), path=path)
    return crypto.read_private_key(path)


def laptop_public(ws) -> bytes:  # type: ignore[no-untyped-def]
    return crypto.public_raw(laptop_signing_key(ws))


def laptop_id(ws) -> str:  # type: ignore[no-untyped-def]
    """The laptop's identity: its workspace id (the public key's fingerprint identifies it cryptographically)."""
    return str(ws.get_meta("workspace_id") or ws.setting("workspace.id"))


@dataclass(frozen=True)
class HubKeys:
    seal_public: bytes
    sign_public: bytes
    url: str = ""
    hub_id: str = ""

    def to_json(self) -> str:
        return json.dumps({"seal_public": crypto.b64(self.seal_public), "sign_public": crypto.b64(self.sign_public),
                           "url": self.url, "hub_id": self.hub_id}, indent=2)


def hub_keys(ws) -> HubKeys | None:  # type: ignore[no-untyped-def]
    path = ws.keys_dir / HUB_KEYS
    if not path.exists():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return HubKeys(crypto.unb64(d["seal_public"]), crypto.unb64(d["sign_public"]), d.get("url", ""),
                       d.get("hub_id", ""))
    except (ValueError, KeyError) as e:
        raise UserError(_("The hub key file {path} is damaged: {detail}").format(path=path, detail=e),
                        path=path) from None


def require_hub_keys(ws) -> HubKeys:  # type: ignore[no-untyped-def]
    keys = hub_keys(ws)
    if keys is None:
        raise UserError(_("This laptop has no hub key yet, so recordings cannot be sealed. Enrol it with the "
                          "office hub first (sweet17 sync enrol --hub URL, or sweet17 keys import-hub FILE)."))
    return keys


def install_hub_keys(ws, keys: HubKeys) -> Path:  # type: ignore[no-untyped-def]
    path = ws.keys_dir / HUB_KEYS
    tmp = path.with_suffix(".tmp")
    tmp.write_text(keys.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    ws.audit("system", "keys.hub_installed", keys.hub_id or keys.url,
             {"seal": crypto.fingerprint(keys.seal_public), "sign": crypto.fingerprint(keys.sign_public)})
    return path

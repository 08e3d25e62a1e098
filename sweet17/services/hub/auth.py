"""Request authentication at the hub: Ed25519-signed requests, a time window and single-use nonces.

A request is accepted when the laptop is known and approved, its signature over the request
text (method, path, laptop, time, nonce, body hash) verifies with the laptop's registered key,
its time is within ``max_skew_s`` of the hub's clock, and its nonce has not been seen within
twice that window (nonces are kept that long, so a replay is refused inside the window by the
nonce and outside it by the time). Every refusal is written to the access log.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from sweet17.services.hub.config import Hub
from sweet17.services.hub.errors import HubRefusal
from sweet17.services.hub.laptops import get_laptop, log_access
from sweet17.services.sync import protocol as P


def _header(headers: Mapping[str, str], name: str) -> str:
    return headers.get(name) or headers.get(name.lower()) or ""


def check_signature(public: bytes, method: str, target: str, headers: Mapping[str, str], body: bytes) -> None:
    from sweet17.adapters import crypto

    laptop_id = _header(headers, P.HDR_LAPTOP)
    try:
        ts = int(_header(headers, P.HDR_TIME))
        sig = crypto.unb64(_header(headers, P.HDR_SIGNATURE))
        crypto.verify(public, sig, P.request_text(method, target, laptop_id, ts, _header(headers, P.HDR_NONCE),
                                                  body))
    except (ValueError, crypto.CryptoError):
        raise HubRefusal("bad_signature", 401) from None


def authenticate(hub: Hub, method: str, target: str, headers: Mapping[str, str], body: bytes,
                 remote: str = "") -> dict[str, Any]:
    """The approved laptop that signed this request, or ``HubRefusal`` (logged)."""
    from sweet17.adapters import crypto

    laptop_id = _header(headers, P.HDR_LAPTOP)
    nonce = _header(headers, P.HDR_NONCE)
    action = f"{method} {target}"
    if not laptop_id or not nonce or not _header(headers, P.HDR_SIGNATURE) or not _header(headers, P.HDR_TIME):
        log_access(hub, laptop_id, action, "unauthenticated", "", remote)
        raise HubRefusal("unauthenticated", 401)
    if len(nonce) > 64 or len(laptop_id) > 64:
        log_access(hub, laptop_id, action, "bad_request", "header too long", remote)
        raise HubRefusal("bad_request", 400)
    now = hub.clock()
    try:
        with hub.store.quick_begin() as conn:
            laptop = get_laptop(conn, laptop_id)
            if laptop is None:
                raise HubRefusal("unknown_laptop", 401)
            try:
                check_signature(crypto.unb64(laptop["public_key"]), method, target, headers, body)
            except HubRefusal:
                raise HubRefusal("bad_signature", 401) from None
            if laptop["status"] != "approved":
                raise HubRefusal("laptop_revoked" if laptop["status"] == "revoked" else "laptop_pending", 403)
            ts = int(_header(headers, P.HDR_TIME))
            if abs(ts - now) > hub.max_skew_s:
                raise HubRefusal("clock_skew", 401, f"laptop {ts} hub {int(now)}", server_time=now)
            conn.execute(text("INSERT INTO request_nonce (laptop_id, nonce, seen_at) VALUES (:l, :n, :t)"),
                         {"l": laptop_id, "n": nonce, "t": int(now)})
            if not laptop["last_seen_at"] or laptop["last_seen_at"] < hub.now()[:16]:
                conn.execute(text("UPDATE laptop SET last_seen_at = :t WHERE laptop_id = :l"),
                             {"t": hub.now(), "l": laptop_id})
            if random.random() < 0.02:
                conn.execute(text("DELETE FROM request_nonce WHERE seen_at < :old"),
                             {"old": int(now) - 2 * hub.max_skew_s - 60})
    except IntegrityError:
        log_access(hub, laptop_id, action, "replay", nonce, remote)
        raise HubRefusal("replay", 401) from None
    except HubRefusal as r:
        log_access(hub, laptop_id, action, r.code, r.detail, remote)
        raise
    return laptop

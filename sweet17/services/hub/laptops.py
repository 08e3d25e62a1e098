"""Laptops known to the hub: enrolment (pending), approval and revocation by an administrator, access log."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.hub.config import Hub
from sweet17.services.hub.errors import HubRefusal

LAPTOP_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
STATUSES = ("pending", "approved", "revoked")


def log_access(hub: Hub, laptop_id: str, action: str, outcome: str, detail: str = "", remote: str = "",
               conn: Any = None) -> None:
    """Append to the hub's access log (refusals, enrolments, bundle imports, decisions)."""
    sql = text("INSERT INTO access_log (at, laptop_id, remote, action, outcome, detail) "
               "VALUES (:at, :l, :r, :a, :o, :d)")
    params = {"at": hub.now(), "l": laptop_id[:80], "r": remote[:80], "a": action[:200], "o": outcome,
              "d": detail[:500]}
    if conn is not None:
        conn.execute(sql, params)
    else:
        with hub.store.begin() as c:
            c.execute(sql, params)


def get_laptop(conn: Any, laptop_id: str) -> dict[str, Any] | None:
    row = conn.execute(text("SELECT * FROM laptop WHERE laptop_id = :l"), {"l": laptop_id}).mappings().first()
    return dict(row) if row else None


def enrol(hub: Hub, laptop_id: str, public: bytes, name: str = "", via: str = "http", remote: str = "") -> dict:
    """Register a laptop's public key as pending (idempotent for the same key)."""
    from sweet17.adapters import crypto

    if not LAPTOP_ID_RE.match(laptop_id or "") or len(public) != 32:
        raise HubRefusal("bad_request", 400, "laptop id or key malformed")
    key_b64 = crypto.b64(public)
    with hub.store.begin() as conn:
        have = get_laptop(conn, laptop_id)
        if have is None:
            conn.execute(text("INSERT INTO laptop (laptop_id, name, public_key, fingerprint, status, enrolled_at, "
                              "enrolled_via) VALUES (:l, :n, :k, :f, 'pending', :at, :via) "
                              "ON CONFLICT (laptop_id) DO NOTHING"),
                         {"l": laptop_id, "n": name[:100], "k": key_b64, "f": crypto.fingerprint(public),
                          "at": hub.now(), "via": via})
            log_access(hub, laptop_id, "enrol", "pending", name[:100], remote, conn=conn)
            have = get_laptop(conn, laptop_id)
    assert have is not None
    if have["public_key"] != key_b64:
        log_access(hub, laptop_id, "enrol", "key_mismatch", "", remote)
        raise HubRefusal("key_mismatch", 409)
    return _public(have)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {"laptop_id": row["laptop_id"], "name": row["name"], "fingerprint": row["fingerprint"],
            "status": row["status"], "enrolled_at": row["enrolled_at"], "decided_at": row["decided_at"],
            "decided_by": row["decided_by"], "reason": row["reason"], "last_seen_at": row["last_seen_at"]}


def _resolve(conn: Any, ref: str) -> dict[str, Any]:
    """A laptop by its id or a unique prefix of it (at least 4 characters)."""
    row = get_laptop(conn, ref)
    if row:
        return row
    if len(ref) >= 4:
        rows = conn.execute(text("SELECT * FROM laptop WHERE laptop_id LIKE :p"), {"p": ref + "%"}).mappings().all()
        if len(rows) == 1:
            return dict(rows[0])
        if len(rows) > 1:
            raise UserError(_("Laptop {ref}: more than one laptop id starts with this; give more characters").format(
                ref=ref), field="laptop")
    raise UserError(_("Laptop {ref} is not known to this hub (see sweet17 hub laptops list)").format(ref=ref),
                    field="laptop")


def approve(hub: Hub, ref: str, by: str, fingerprint: str | None = None) -> dict[str, Any]:
    with hub.store.begin() as conn:
        row = _resolve(conn, ref)
        if row["status"] == "revoked":
            raise UserError(_("Laptop {id} was revoked and cannot be approved again").format(id=row["laptop_id"]))
        if fingerprint and fingerprint.replace(" ", "").upper() != row["fingerprint"].replace(" ", ""):
            raise UserError(_("Laptop {id}: the key fingerprint is {have}, not {given}; do not approve it").format(
                id=row["laptop_id"], have=row["fingerprint"], given=fingerprint), field="--fingerprint")
        if row["status"] != "approved":
            conn.execute(text("UPDATE laptop SET status = 'approved', decided_at = :at, decided_by = :by "
                              "WHERE laptop_id = :l"), {"at": hub.now(), "by": by, "l": row["laptop_id"]})
            log_access(hub, row["laptop_id"], "approve", "approved", by, conn=conn)
        return _public(get_laptop(conn, row["laptop_id"]) or row)


def revoke(hub: Hub, ref: str, by: str, reason: str) -> dict[str, Any]:
    if not reason.strip():
        raise UserError(_("Give the reason for revoking the laptop (--reason)"), field="--reason")
    with hub.store.begin() as conn:
        row = _resolve(conn, ref)
        conn.execute(text("UPDATE laptop SET status = 'revoked', decided_at = :at, decided_by = :by, reason = :r "
                          "WHERE laptop_id = :l"), {"at": hub.now(), "by": by, "r": reason, "l": row["laptop_id"]})
        log_access(hub, row["laptop_id"], "revoke", "revoked", reason, conn=conn)
        return _public(get_laptop(conn, row["laptop_id"]) or row)


def list_laptops(hub: Hub) -> list[dict[str, Any]]:
    with hub.store.connect() as conn:
        rows = conn.execute(text("SELECT * FROM laptop ORDER BY enrolled_at, laptop_id")).mappings().all()
        counts = dict(conn.execute(text("SELECT laptop_id, COUNT(*) FROM hub_recording WHERE state = 'complete' "
                                        "GROUP BY laptop_id")).all())
        refused = {r[0]: (r[1], r[2]) for r in conn.execute(text(
            "SELECT laptop_id, COUNT(*), MAX(at) FROM access_log WHERE outcome NOT IN "
            "('ok', 'pending', 'approved', 'revoked', 'imported') GROUP BY laptop_id")).all()}
    out = []
    for r in rows:
        d = _public(dict(r))
        d["recordings"] = int(counts.get(r["laptop_id"], 0))
        d["refused_attempts"], d["last_refused_at"] = refused.get(r["laptop_id"], (0, None))
        d["refused_attempts"] = int(d["refused_attempts"])
        out.append(d)
    return out


def access_log(hub: Hub, limit: int = 50, refused_only: bool = False) -> list[dict[str, Any]]:
    where = ("WHERE outcome NOT IN ('ok', 'pending', 'approved', 'revoked', 'imported') " if refused_only else "")
    with hub.store.connect() as conn:
        rows = conn.execute(text(f"SELECT at, laptop_id, remote, action, outcome, detail FROM access_log {where}"
                                 "ORDER BY id DESC LIMIT :n"), {"n": limit}).mappings().all()
    return [dict(r) for r in rows]

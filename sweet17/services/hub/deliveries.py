"""Card hand-overs (KTPku Datang) at the hub: intake of the laptops' signed hand-over records with
their sealed confirmations, signed delivery receipts, and the ``delivered`` status of the NIK.

A hand-over is identified by its delivery id and pinned by its manifest's hash, like a recording:
the same manifest again (a retry after a lost answer, a second sync, the same bundle twice, HTTP
after USB) finds the row the hub already holds and gets the same receipt; a *different* manifest
under a known id is refused (``delivery_conflict``). The hub opens the sealed confirmation with
its key (``aad = "delivery:<id>"``) and checks it against the manifest (``verified``); one it
cannot open is kept and the receipt says why. Each new hand-over adds a ``delivered`` status
event (at the hand-over time) to every complete recording the hub holds for the NIK, and a
recording that arrives later gets it too (``apply_to_recording``). Everything of one hand-over is
one transaction, committed durably before the receipt is answered.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from sqlalchemy import text

from sweet17.services.hub.config import Hub
from sweet17.services.hub.errors import HubRefusal
from sweet17.services.hub.events import add_event
from sweet17.services.hub.laptops import log_access
from sweet17.services.sync import protocol as P

HEX64 = re.compile(r"^[0-9a-f]{64}$")
DID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
NIK_RE = re.compile(r"^\d{16}$")


def parse_delivery(laptop: dict[str, Any], entry: Any, sealed: bytes) -> tuple[P.DeliveryManifest, str, str]:
    """Check one signed hand-over from ``laptop`` and its sealed confirmation; returns (manifest, text, signature)."""
    from sweet17.adapters import crypto

    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in
                                              ("delivery_id", "manifest", "signature")):
        raise HubRefusal("bad_request", 400, "delivery_id, manifest and signature expected")
    did, text_, sig = entry["delivery_id"], entry["manifest"], entry["signature"]
    if not DID_RE.match(did):
        raise HubRefusal("bad_request", 400, "delivery id malformed")
    try:
        m = P.DeliveryManifest.from_canonical(text_.encode("utf-8"))
    except P.ProtocolError as e:
        raise HubRefusal("bad_delivery", 400, str(e)[:200]) from None
    if m.delivery_id != did or m.laptop_id != laptop["laptop_id"]:
        raise HubRefusal("bad_delivery", 400, "the record is for another delivery id or laptop")
    try:
        crypto.verify(crypto.unb64(laptop["public_key"]), crypto.unb64(sig), text_.encode("utf-8"))
    except (ValueError, crypto.CryptoError):
        raise HubRefusal("bad_signature", 400, "hand-over signature") from None
    if not NIK_RE.match(m.nik):
        raise HubRefusal("bad_delivery", 400, "nik")
    if m.receiver_relation not in P.DELIVERY_RELATIONS or m.confirmation not in P.DELIVERY_CONFIRMATIONS:
        raise HubRefusal("bad_delivery", 400, "receiver_relation or confirmation")
    if not m.delivered_at or not HEX64.match(m.sealed_sha256) or m.sealed_size <= 0:
        raise HubRefusal("bad_delivery", 400, "delivered_at, sealed hash or size")
    if m.sealed_size > P.MAX_CONFIRMATION:
        raise HubRefusal("too_large", 413, "confirmation")
    if len(sealed) != m.sealed_size or P.sha256_hex(sealed) != m.sealed_sha256:
        raise HubRefusal("confirmation_hash_mismatch", 422)
    return m, text_, sig


def confirmation_problem(hub: Hub, m: P.DeliveryManifest, sealed: bytes) -> str:
    """'' when the sealed confirmation opens with the hub's key and matches the manifest, else what is wrong."""
    from sweet17.adapters import crypto

    try:
        plain = crypto.unseal(hub.seal_key, sealed, aad=f"delivery:{m.delivery_id}".encode())
    except crypto.CryptoError:
        return "sealed confirmation cannot be opened with this hub's key"
    try:
        d = json.loads(plain)
        data = base64.b64decode(d["data"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return "confirmation does not decode"
    if d.get("delivery_id") != m.delivery_id or d.get("kind") != m.confirmation:
        return "confirmation belongs to another hand-over"
    if P.sha256_hex(data) != m.confirmation_sha256:
        return "confirmation data does not match its hash in the record"
    return ""


def _select(conn: Any, did: str) -> dict[str, Any] | None:
    row = conn.execute(text("SELECT delivery_id, laptop_id, manifest_sha256, nik, delivered_at, verified, problem, "
                            "receipt, receipt_signature FROM hub_delivery WHERE delivery_id = :d"),
                       {"d": did}).mappings().first()
    return dict(row) if row else None


def _answer(row: dict[str, Any], new: bool, recordings: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"delivery_id": row["delivery_id"], "state": "complete", "new": new,
                           "verified": bool(row["verified"]),
                           "receipt": {"receipt": row["receipt"], "signature": row["receipt_signature"]}}
    if recordings is not None:
        out["recordings"] = recordings
    return out


def mark_delivered(conn: Any, nik: str, at: str, delivery_id: str) -> int:
    """Add a ``delivered`` event to every complete recording of ``nik``; returns how many got a new one."""
    rids = conn.execute(text("SELECT recording_id FROM hub_recording WHERE nik = :n AND state = 'complete' "
                             "AND superseded_by IS NULL ORDER BY recording_id"), {"n": nik}).scalars().all()
    return sum(1 for rid in rids if add_event(conn, rid, "delivered", at, "delivery", f"hand-over {delivery_id}"))


def apply_to_recording(conn: Any, recording_id: str, nik: str) -> int:
    """A recording that completes after its card was handed over gets the ``delivered`` event too."""
    if not nik:
        return 0
    rows = conn.execute(text("SELECT delivery_id, delivered_at FROM hub_delivery WHERE nik = :n ORDER BY "
                             "delivered_at, delivery_id"), {"n": nik}).all()
    return sum(1 for did, at in rows
               if add_event(conn, recording_id, "delivered", at, "delivery", f"hand-over {did}"))


def register_delivery(conn: Any, hub: Hub, laptop: dict[str, Any], entry: Any, sealed: bytes,
                      via: str) -> dict[str, Any]:
    """Store one hand-over (or find the one already held) inside ``conn``'s transaction; returns the answer
    ``{delivery_id, state, new, verified, receipt, recordings?}``."""
    m, text_, sig = parse_delivery(laptop, entry, sealed)
    msha = P.sha256_hex(text_.encode("utf-8"))
    have = _select(conn, m.delivery_id)
    if have is not None:
        if have["manifest_sha256"] != msha or have["laptop_id"] != laptop["laptop_id"]:
            raise HubRefusal("delivery_conflict", 409)
        return _answer(have, False)
    now = hub.now()
    problem = confirmation_problem(hub, m, sealed)
    receipt = P.DeliveryReceipt(hub_id=hub.hub_id, laptop_id=laptop["laptop_id"], delivery_id=m.delivery_id,
                                manifest_sha256=msha, sealed_sha256=m.sealed_sha256, sealed_size=m.sealed_size,
                                received_at=now, verified=not problem, problem=problem, via=via)
    signed = P.sign_receipt(hub.sign_key, receipt)
    res = conn.execute(text(
        "INSERT INTO hub_delivery (delivery_id, laptop_id, manifest, manifest_sha256, signature, drive, school_code, "
        "nik, delivered_at, sealed, sealed_sha256, sealed_size, verified, problem, via, received_at, receipt, "
        "receipt_signature) VALUES (:d, :l, :m, :ms, :sig, :drive, :school, :nik, :at, :sealed, :ss, :size, :v, :p, "
        ":via, :now, :rc, :rs) ON CONFLICT (delivery_id) DO NOTHING"),
        {"d": m.delivery_id, "l": laptop["laptop_id"], "m": text_, "ms": msha, "sig": sig, "drive": m.drive,
         "school": m.school_code, "nik": m.nik, "at": m.delivered_at, "sealed": sealed, "ss": m.sealed_sha256,
         "size": m.sealed_size, "v": 0 if problem else 1, "p": problem, "via": via, "now": now,
         "rc": signed.receipt, "rs": signed.signature})
    row = _select(conn, m.delivery_id)
    assert row is not None
    if not res.rowcount:        # another request stored it meanwhile (PostgreSQL waits for it, then lands here)
        if row["manifest_sha256"] != msha or row["laptop_id"] != laptop["laptop_id"]:
            raise HubRefusal("delivery_conflict", 409)
        return _answer(row, False)
    n = mark_delivered(conn, m.nik, m.delivered_at, m.delivery_id)
    return _answer(row, True, n)


def accept_deliveries(hub: Hub, laptop: dict[str, Any], items: list[tuple[Any, bytes]],
                      via: str = "http") -> list[dict[str, Any]]:
    """A batch from one request, in one durable transaction: per delivery its answer or its refusal."""
    if len(items) > P.MAX_DELIVERIES_PER_REQUEST:
        raise HubRefusal("bad_request", 400, "too many deliveries in one request")
    out: list[dict[str, Any]] = []
    with hub.store.begin() as conn:
        for entry, sealed in items:
            did = entry.get("delivery_id") if isinstance(entry, dict) else None
            try:
                with conn.begin_nested():
                    out.append(register_delivery(conn, hub, laptop, entry, sealed, via))
            except HubRefusal as r:
                log_access(hub, laptop["laptop_id"], f"delivery {did}", r.code, r.detail, conn=conn)
                out.append({"delivery_id": did, **r.to_dict()})
    return out


def deliveries_for_nik(conn: Any, nik: str) -> list[dict[str, Any]]:
    """The hand-overs the hub holds for a NIK (for ``hub status``), oldest first."""
    rows = conn.execute(text(
        "SELECT d.delivery_id, d.laptop_id, l.name AS laptop_name, d.manifest, d.delivered_at, d.received_at, "
        "d.verified, d.problem, d.via FROM hub_delivery d JOIN laptop l ON l.laptop_id = d.laptop_id "
        "WHERE d.nik = :n ORDER BY d.delivered_at, d.delivery_id"), {"n": nik}).mappings().all()
    out = []
    for r in rows:
        m = json.loads(r["manifest"])
        out.append({"delivery_id": r["delivery_id"], "laptop_id": r["laptop_id"], "laptop_name": r["laptop_name"],
                    "drive": m["drive"], "school_code": m["school_code"], "name": m["name"],
                    "card_serial": m["card_serial"], "card_uid": m["card_uid"], "uid_checked": m["uid_checked"],
                    "receiver_name": m["receiver_name"], "receiver_relation": m["receiver_relation"],
                    "confirmation": m["confirmation"], "operator": m["operator"], "delivered_at": r["delivered_at"],
                    "received_at": r["received_at"], "verified": bool(r["verified"]), "problem": r["problem"],
                    "via": r["via"]})
    return out

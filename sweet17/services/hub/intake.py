"""Intake: signed manifests, sealed payloads in resumable chunks, verification and signed receipts.

A recording is identified by its id and pinned by its manifest's hash: the same manifest sent
again (a retry, a second sync, the same bundle twice, HTTP after USB) finds the recording the
hub already holds and gets the same receipt back; a *different* manifest under a known id is a
conflict and is refused. Payload bytes are appended only at the offset the hub holds (so a chunk
re-sent after a lost answer is answered with the current offset instead of being stored twice).
When the last byte arrives the payload's SHA-256 must equal the hash the laptop signed; then the
hub opens the sealed box with its own key (``verified``), keeps the payload, flags a NIK it
already holds from another recording, and signs the receipt — all in one transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from sweet17.domain.recording import RecordingManifest
from sweet17.services.hub.config import Hub
from sweet17.services.hub.deliveries import apply_to_recording
from sweet17.services.hub.errors import HubRefusal
from sweet17.services.hub.events import add_event
from sweet17.services.hub.laptops import log_access
from sweet17.services.sync import protocol as P

HEX64 = re.compile(r"^[0-9a-f]{64}$")
RID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")


def parse_manifest(laptop: dict[str, Any], item: Any) -> tuple[RecordingManifest, str, str]:
    """Check one signed manifest from ``laptop``; returns (manifest, manifest text, signature b64)."""
    from sweet17.adapters import crypto

    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in
                                             ("recording_id", "manifest", "signature")):
        raise HubRefusal("bad_request", 400, "recording_id, manifest and signature expected")
    rid, text_, sig = item["recording_id"], item["manifest"], item["signature"]
    if not RID_RE.match(rid):
        raise HubRefusal("bad_request", 400, "recording id malformed")
    try:
        m = RecordingManifest.from_canonical(text_.encode("utf-8"))
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise HubRefusal("bad_manifest", 400, str(e)[:200]) from None
    if m.recording_id != rid or m.laptop_id != laptop["laptop_id"]:
        raise HubRefusal("manifest_mismatch", 400)
    try:
        crypto.verify(crypto.unb64(laptop["public_key"]), crypto.unb64(sig), text_.encode("utf-8"))
    except (ValueError, crypto.CryptoError):
        raise HubRefusal("bad_signature", 400, "manifest signature") from None
    if not HEX64.match(m.payload_sha256 or "") or not isinstance(m.payload_size, int) or m.payload_size <= 0:
        raise HubRefusal("bad_manifest", 400, "payload hash or size")
    if m.payload_size > P.MAX_PAYLOAD:
        raise HubRefusal("too_large", 413)
    return m, text_, sig


def _state(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"recording_id": row["recording_id"], "state": row["state"],
                           "offset": int(row["received_bytes"]), "size": int(row["payload_size"])}
    if row["state"] == "complete":
        out["receipt"] = {"receipt": row["receipt"], "signature": row["receipt_signature"]}
    return out


def _select(conn: Any, hub: Hub, rid: str, lock: bool = False) -> dict[str, Any] | None:
    sql = "SELECT * FROM hub_recording WHERE recording_id = :r"
    if lock and hub.store.dialect == "postgresql":
        sql += " FOR UPDATE"
    row = conn.execute(text(sql), {"r": rid}).mappings().first()
    return dict(row) if row else None


def register_manifest(conn: Any, hub: Hub, laptop: dict[str, Any], item: Any, via: str) -> dict[str, Any]:
    """Store one manifest (or find the one already held) inside ``conn``'s transaction."""
    m, text_, sig = parse_manifest(laptop, item)
    msha = P.sha256_hex(text_.encode("utf-8"))
    conn.execute(text(
        "INSERT INTO hub_recording (recording_id, laptop_id, manifest, manifest_sha256, signature, drive, "
        "school_code, nik, name, captured_at, payload_sha256, payload_size, received_bytes, state, status, via, "
        "manifest_at) VALUES (:r, :l, :m, :ms, :sig, :drive, :school, :nik, :name, :cap, :ps, :size, 0, "
        "'receiving', 'received', :via, :at) ON CONFLICT (recording_id) DO NOTHING"),
        {"r": m.recording_id, "l": laptop["laptop_id"], "m": text_, "ms": msha, "sig": sig, "drive": m.drive,
         "school": m.school_code, "nik": m.nik, "name": m.name, "cap": m.captured_at, "ps": m.payload_sha256,
         "size": m.payload_size, "via": via, "at": hub.now()})
    row = _select(conn, hub, m.recording_id)
    assert row is not None
    if row["manifest_sha256"] != msha or row["laptop_id"] != laptop["laptop_id"]:
        raise HubRefusal("conflict", 409)
    return row


def accept_manifests(hub: Hub, laptop: dict[str, Any], items: Any, via: str = "http") -> list[dict[str, Any]]:
    """Answer per recording: its state at the hub (and receipt when complete) or the refusal."""
    if not isinstance(items, list) or len(items) > P.MAX_MANIFESTS_PER_REQUEST:
        raise HubRefusal("bad_request", 400, "a list of at most 500 manifests expected")
    out: list[dict[str, Any]] = []
    with hub.store.begin() as conn:
        for item in items:
            try:
                with conn.begin_nested():
                    row = register_manifest(conn, hub, laptop, item, via)
                out.append(_state(row))
            except HubRefusal as r:
                rid = item.get("recording_id") if isinstance(item, dict) else None
                log_access(hub, laptop["laptop_id"], f"manifest {rid}", r.code, r.detail, conn=conn)
                out.append({"recording_id": rid, **r.to_dict()})
    return out


def recording_state(hub: Hub, laptop: dict[str, Any], rid: str) -> dict[str, Any]:
    with hub.store.connect() as conn:
        row = _select(conn, hub, rid)
    if row is None or row["laptop_id"] != laptop["laptop_id"]:
        raise HubRefusal("unknown_recording", 404)
    return _state(row)


def put_chunk(hub: Hub, laptop: dict[str, Any], rid: str, offset: int, data: bytes) -> dict[str, Any]:
    """Append ``data`` at ``offset``; completes the recording (and answers its receipt) on the last byte."""
    if len(data) > P.MAX_CHUNK:
        raise HubRefusal("too_large", 413)
    mismatch = False
    with hub.store.connect() as conn:          # a middle chunk need not wait for the disk (see quick_begin)
        peek = conn.execute(text("SELECT payload_size FROM hub_recording WHERE recording_id = :r"),
                            {"r": rid}).scalar()
    last = peek is None or offset + len(data) >= int(peek)
    with (hub.store.begin() if last else hub.store.quick_begin()) as conn:
        row = _select(conn, hub, rid, lock=True)
        if row is None or row["laptop_id"] != laptop["laptop_id"]:
            raise HubRefusal("unknown_recording", 404)
        if row["state"] == "complete":
            return _state(row)
        have = int(row["received_bytes"])
        if offset != have or not data:
            raise HubRefusal("offset_mismatch", 409, offset=have)
        if have + len(data) > int(row["payload_size"]):
            raise HubRefusal("too_large", 413, "chunk goes past the payload size in the manifest")
        upd = conn.execute(text("UPDATE hub_recording SET received_bytes = :n WHERE recording_id = :r "
                                "AND received_bytes = :o"), {"n": have + len(data), "r": rid, "o": have})
        if upd.rowcount != 1:      # another request moved it meanwhile (SQLite serialises; belt and braces)
            raise HubRefusal("offset_mismatch", 409, offset=have)
        row["received_bytes"] = have + len(data)
        whole = have == 0 and row["received_bytes"] == int(row["payload_size"])
        if not whole:              # a payload in one chunk goes straight to the payload table
            conn.execute(text("INSERT INTO upload_part (recording_id, start_byte, data) VALUES (:r, :o, :d)"),
                         {"r": rid, "o": have, "d": data})
        if row["received_bytes"] == int(row["payload_size"]):
            if whole:
                sealed = bytes(data)
            else:
                parts = conn.execute(text("SELECT data FROM upload_part WHERE recording_id = :r "
                                          "ORDER BY start_byte"), {"r": rid}).scalars().all()
                sealed = b"".join(bytes(p) for p in parts)
            if P.sha256_hex(sealed) != row["payload_sha256"]:
                # Keep nothing of it: the laptop sends the payload again from the start.
                conn.execute(text("DELETE FROM upload_part WHERE recording_id = :r"), {"r": rid})
                conn.execute(text("UPDATE hub_recording SET received_bytes = 0 WHERE recording_id = :r"), {"r": rid})
                log_access(hub, laptop["laptop_id"], f"payload {rid}", "payload_hash_mismatch", conn=conn)
                mismatch = True
            else:
                if not last:                       # cannot happen (sizes are fixed), but never sign a
                    raise HubRefusal("offset_mismatch", 409, offset=have)   # receipt on a quick commit
                row = complete(conn, hub, row, sealed)
    if mismatch:
        raise HubRefusal("payload_hash_mismatch", 422, offset=0)
    return _state(row)


def check_plaintext(hub: Hub, rid: str, sealed: bytes) -> str:
    """Open the sealed box (and the blobs inside) with the hub's key; '' when all reads, else the problem."""
    from sweet17.services.hub.payloads import payload_problem

    return payload_problem(hub.seal_key, rid, sealed)


def complete(conn: Any, hub: Hub, row: dict[str, Any], sealed: bytes) -> dict[str, Any]:
    """Finish a recording whose whole payload (hash already checked) is ``sealed``."""
    rid = row["recording_id"]
    now = hub.now()
    problem = check_plaintext(hub, rid, sealed)
    verified = not problem
    clock_flag = _clock_flag(row["captured_at"], hub)
    conn.execute(text("INSERT INTO payload (recording_id, sealed) VALUES (:r, :s) ON CONFLICT (recording_id) "
                      "DO NOTHING"), {"r": rid, "s": sealed})
    conn.execute(text("DELETE FROM upload_part WHERE recording_id = :r"), {"r": rid})
    receipt = P.Receipt(hub_id=hub.hub_id, laptop_id=row["laptop_id"], recording_id=rid,
                        manifest_sha256=row["manifest_sha256"], payload_sha256=row["payload_sha256"],
                        payload_size=int(row["payload_size"]), received_at=now, verified=verified,
                        problem=problem, via=row["via"])
    signed = P.sign_receipt(hub.sign_key, receipt)
    conn.execute(text("UPDATE hub_recording SET state = 'complete', received_bytes = payload_size, "
                      "completed_at = :at, verified = :v, problem = :p, clock_flag = :cf, receipt = :rc, "
                      "receipt_signature = :rs WHERE recording_id = :r"),
                 {"at": now, "v": 1 if verified else 0, "p": problem, "cf": clock_flag, "rc": signed.receipt,
                  "rs": signed.signature, "r": rid})
    add_event(conn, rid, "received", now, row["via"])
    if verified:
        add_event(conn, rid, "verified", now, "intake")
        _flag_duplicate_nik(conn, rid, row["nik"], now)
    apply_to_recording(conn, rid, row["nik"])      # the card was handed over before the recording arrived
    fresh = _select(conn, hub, rid)
    assert fresh is not None
    return fresh


def _clock_flag(captured_at: str, hub: Hub) -> str:
    """Mark a recording stamped in the hub's future (an offline laptop with a wrong clock)."""
    try:
        cap = datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
        now = datetime.fromisoformat(hub.now())
    except ValueError:
        return "captured_at unreadable"
    if cap.tzinfo is None:
        return "captured_at without time zone"
    if cap > now + timedelta(seconds=hub.max_skew_s):
        return "captured_at is later than the hub received it"
    return ""


def _flag_duplicate_nik(conn: Any, rid: str, nik: str, now: str) -> None:
    if not nik:
        return
    conn.execute(text("INSERT INTO nik_claim (nik, recording_id) VALUES (:n, :r) ON CONFLICT (nik) DO NOTHING"),
                 {"n": nik, "r": rid})
    holder = conn.execute(text("SELECT recording_id FROM nik_claim WHERE nik = :n"), {"n": nik}).scalar()
    if holder and holder != rid:
        conn.execute(text("INSERT INTO nik_flag (nik, recording_id, other_recording_id, created_at) "
                          "VALUES (:n, :r, :o, :at) ON CONFLICT (recording_id, other_recording_id) DO NOTHING"),
                     {"n": nik, "r": rid, "o": holder, "at": now})
        add_event(conn, rid, "duplicate", now, "intake", f"same NIK as {holder}")


def store_whole(conn: Any, hub: Hub, row: dict[str, Any], sealed: bytes) -> dict[str, Any]:
    """Bundle intake: the whole payload at once (replacing any partial HTTP upload)."""
    if row["state"] == "complete":
        return row
    if len(sealed) != int(row["payload_size"]) or P.sha256_hex(sealed) != row["payload_sha256"]:
        raise HubRefusal("payload_hash_mismatch", 422)
    conn.execute(text("DELETE FROM upload_part WHERE recording_id = :r"), {"r": row["recording_id"]})
    return complete(conn, hub, row, sealed)

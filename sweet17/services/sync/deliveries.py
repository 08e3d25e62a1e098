"""Card hand-overs (``sweet17 deliver``) on their way to the hub, over HTTP or in a USB bundle.

Each hand-over travels as a ``protocol.DeliveryManifest`` signed with the laptop's key (rebuilt
from the ``delivery`` row, so the same hand-over always gives the same bytes and the same
signature) plus the receiver's confirmation exactly as it was sealed to the hub's key at the desk.
The hub answers a signed ``DeliveryReceipt``; it is checked against the hub's key and the local
hand-over (id, manifest hash, sealed hash) before the hand-over is marked synced
(``services.delivery.mark_deliveries_synced``). A hand-over without a valid receipt stays pending
and is sent again next time; the hub never keeps it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sweet17.services.sync import protocol as P


@dataclass(frozen=True)
class OutgoingDelivery:
    id: str
    nik: str
    manifest: str           # canonical JSON text of the DeliveryManifest
    signature: str          # base64 Ed25519 by the laptop
    sealed: bytes

    def entry(self) -> dict[str, str]:
        return {"delivery_id": self.id, "manifest": self.manifest, "signature": self.signature}

    def bundle_entry(self) -> dict[str, Any]:
        return {**self.entry(), "sealed_sha256": P.sha256_hex(self.sealed), "sealed_size": len(self.sealed)}


def manifest_for(d: dict[str, Any], laptop_id: str) -> P.DeliveryManifest:
    """The signed record of one hand-over (a row of ``pending_deliveries`` / ``deliveries_by_id``)."""
    sealed = d["confirmation_sealed"]
    q = d["confirmation_quality"]
    return P.DeliveryManifest(
        delivery_id=d["id"], laptop_id=laptop_id, drive=d["drive"] or "", school_code=d["school_code"] or "",
        nik=d["nik"], nisn=d["nisn"] or "", name=d["name"] or "", card_uid=d["card_uid"] or "",
        card_serial=d["card_serial"] or "", uid_checked=bool(d["uid_checked"]), receiver_name=d["receiver_name"],
        receiver_relation=d["receiver_relation"], confirmation=d["confirmation"],
        confirmation_sha256=d["confirmation_sha256"], confirmation_quality=None if q is None else float(q),
        confirmation_device=d["confirmation_device"] or "", operator=d["operator"] or "",
        delivered_at=d["delivered_at"], sealed_sha256=P.sha256_hex(sealed), sealed_size=len(sealed))


def _outgoing(rows: list[dict[str, Any]], laptop_id: str, sign) -> list[OutgoingDelivery]:  # type: ignore[no-untyped-def]
    from sweet17.adapters import crypto

    out = []
    for d in rows:
        text = manifest_for(d, laptop_id).canonical()
        out.append(OutgoingDelivery(d["id"], d["nik"], text.decode("utf-8"), crypto.b64(sign(text)),
                                    d["confirmation_sealed"]))
    return out


def outgoing_deliveries(ws) -> list[OutgoingDelivery]:  # type: ignore[no-untyped-def]
    """Every hand-over the hub has not acknowledged yet, signed, oldest first."""
    from sweet17.services.delivery import pending_deliveries
    from sweet17.services.keys import laptop_id
    from sweet17.services.sync.laptop import _signer

    rows = pending_deliveries(ws)
    return _outgoing(rows, laptop_id(ws), _signer(ws)) if rows else []


def local_deliveries(conn, ids: list[str], laptop_id: str, sign) -> dict[str, OutgoingDelivery]:  # type: ignore[no-untyped-def]
    """The hand-overs with these ids (synced or not) as they were sent, to check receipts against (inside
    ``conn``'s transaction: ``laptop_id`` and ``sign`` are read before it)."""
    from sweet17.services.delivery import deliveries_by_id

    rows = list(deliveries_by_id(conn, ids).values())
    return {o.id: o for o in _outgoing(rows, laptop_id, sign)}


def check_receipt(keys, signed: Any, me: str, local: dict[str, OutgoingDelivery]) -> tuple[P.DeliveryReceipt, str]:  # type: ignore[no-untyped-def]
    """Verify a signed delivery receipt against the hub's key and the local hand-over; returns the receipt and
    the text to store. ``ProtocolError`` says what does not match."""
    sr = P.SignedReceipt.from_dict(signed)
    rc = sr.open_delivery(keys.sign_public)
    if keys.hub_id and rc.hub_id != keys.hub_id:
        raise P.ProtocolError(f"delivery receipt from hub {rc.hub_id}, this laptop is enrolled with {keys.hub_id}")
    if rc.laptop_id != me:
        raise P.ProtocolError("delivery receipt is for another laptop")
    out = local.get(rc.delivery_id)
    if out is None:
        raise P.ProtocolError(f"receipt for unknown hand-over {rc.delivery_id}")
    if (rc.manifest_sha256 != P.sha256_hex(out.manifest.encode("utf-8"))
            or rc.sealed_sha256 != P.sha256_hex(out.sealed) or rc.sealed_size != len(out.sealed)):
        raise P.ProtocolError(f"receipt for hand-over {rc.delivery_id} does not match the local record")
    return rc, json.dumps(sr.to_dict(), sort_keys=True)


def batches(items: list[OutgoingDelivery]) -> list[list[OutgoingDelivery]]:
    """Groups that fit one request (``MAX_DELIVERIES_PER_REQUEST`` and about ``DELIVERY_BATCH_BYTES``)."""
    out: list[list[OutgoingDelivery]] = []
    cur: list[OutgoingDelivery] = []
    size = 0
    for o in items:
        if cur and (len(cur) >= P.MAX_DELIVERIES_PER_REQUEST or size + len(o.sealed) > P.DELIVERY_BATCH_BYTES):
            out.append(cur)
            cur, size = [], 0
        cur.append(o)
        size += len(o.sealed)
    if cur:
        out.append(cur)
    return out


def send_deliveries(ws, client, keys, res) -> None:  # type: ignore[no-untyped-def]
    """Send every pending hand-over over HTTP and store the receipts that verify (``res``: the run's
    ``SyncResult``). Refusals are listed in ``res.refused`` with ``kind`` ``delivery``."""
    from sweet17.i18n import _
    from sweet17.services.delivery import mark_deliveries_synced
    from sweet17.services.sync.client import refusal_message

    items = outgoing_deliveries(ws)
    res.deliveries += len(items)
    for group in batches(items):
        answers = client.deliveries(P.pack_deliveries([(o.entry(), o.sealed) for o in group]))
        by_id = {a.get("delivery_id"): a for a in answers if isinstance(a, dict)}
        local = {o.id: o for o in group}
        receipts: dict[str, str] = {}
        for o in group:
            a = by_id.get(o.id) or {"error": "bad_request", "detail": "no answer"}
            if "error" in a:
                res.refused.append({"id": o.id, "kind": "delivery", "error": str(a.get("error")),
                                    "detail": refusal_message(str(a.get("error")), str(a.get("detail", "")))})
                continue
            try:
                _rc, stored = check_receipt(keys, a.get("receipt") or {}, client.laptop_id, local)
            except P.ProtocolError as e:
                res.refused.append({"id": o.id, "kind": "delivery", "error": "bad_receipt",
                                    "detail": _("the hub's receipt does not verify: {detail}").format(detail=e)})
                continue
            receipts[o.id] = stored
            if a.get("new"):
                res.deliveries_sent += 1
            else:
                res.deliveries_already += 1
        if receipts:
            mark_deliveries_synced(ws, receipts)

"""The sync wire protocol shared by the laptop and the hub (``sweet17-sync/1``).

Requests
    Every request from a laptop is signed with the laptop's Ed25519 key. The signed text is::

        sweet17-sync/1 \\n METHOD \\n PATH?QUERY \\n LAPTOP-ID \\n UNIX-TIME \\n NONCE \\n SHA256(BODY)

    and travels in four headers (``X-S17-Laptop``, ``X-S17-Time``, ``X-S17-Nonce``,
    ``X-S17-Signature``). The hub refuses a request whose time is further than its window from
    the hub's clock (``clock_skew``, with the hub's time so an offline laptop with a wrong clock
    can correct its offset and sign again) or whose nonce it has already seen (``replay``).
    Because the body's hash is signed, a chunk altered on the way is refused.

Uploads
    ``POST /v1/manifests`` (JSON: the signed manifests of a batch) answers, per recording, the
    number of payload bytes the hub already holds; then ``PUT /v1/recordings/{id}/payload?offset=N``
    sends the sealed payload as raw bytes (``application/octet-stream``, never base64) in chunks
    from that offset. The last chunk's answer carries the hub's signed receipt.

Receipts and statuses
    A receipt is canonical JSON signed by the hub's Ed25519 key; the laptop checks it against
    the hub key it was enrolled with and against its own recording (id, manifest hash, payload
    hash) before it counts the recording as delivered. Status answers (``POST /v1/status``) are
    signed as a whole (``X-S17-Hub-Signature`` over the body).

Card hand-overs (KTPku Datang)
    ``POST /v1/deliveries`` carries a batch of hand-overs in one binary body (``pack_deliveries``):
    a line of canonical JSON listing each delivery's signed manifest (``DeliveryManifest``, which
    pins the sealed confirmation's hash and size) and size, then the sealed confirmations as raw
    bytes one after the other. The hub answers per delivery with its signed delivery receipt
    (``DeliveryReceipt``); the same manifest again gets the same receipt, a different manifest
    under a known delivery id is a ``conflict``.

Bundles (USB)
    A zip file (stored, not compressed: payloads are ciphertext) with ``bundle.json`` (header and
    the signed manifests, pinning each payload's hash), ``bundle.sig`` (the laptop's signature of
    ``bundle.json``), ``payloads/<recording id>.bin`` and ``deliveries/<delivery id>.bin`` (the
    sealed hand-over confirmations). The hub answers with a receipts file (``sweet17.receipts``)
    holding the same signed receipts as over HTTP, and signed statuses.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from sweet17.i18n import N_

PROTOCOL = "sweet17-sync/1"

HDR_LAPTOP = "X-S17-Laptop"
HDR_TIME = "X-S17-Time"
HDR_NONCE = "X-S17-Nonce"
HDR_SIGNATURE = "X-S17-Signature"
HDR_HUB_SIGNATURE = "X-S17-Hub-Signature"

DEFAULT_MAX_SKEW_S = 300          # a request's time may differ this much from the hub's clock
DEFAULT_CHUNK = 512 * 1024        # bytes per payload chunk (most recordings travel in one)
MAX_CHUNK = 4 * 1024 * 1024       # the hub refuses larger chunks
MAX_PAYLOAD = 64 * 1024 * 1024    # and larger payloads
MAX_MANIFESTS_PER_REQUEST = 500

MAX_DELIVERIES_PER_REQUEST = 200
DELIVERY_BATCH_BYTES = 2 * 1024 * 1024   # the laptop packs at most this much sealed data per request
MAX_CONFIRMATION = 3 * 1024 * 1024      # a sealed hand-over confirmation (a signature image or thumbprint)
DELIVERIES_CONTENT_TYPE = "application/x-sweet17-deliveries"

BUNDLE_KIND = "sweet17.bundle"
RECEIPTS_KIND = "sweet17.receipts"
RECEIPT_KIND = "sweet17.receipt"
STATUS_KIND = "sweet17.status"
ENROL_KIND = "sweet17.enrol"
DELIVERY_KIND = "sweet17.delivery"
DELIVERY_RECEIPT_KIND = "sweet17.delivery_receipt"

# ---------------------------------------------------------------------------- hub statuses

# What the hub reports about a recording, in the order they normally happen.
HUB_STATUSES = ("received", "verified", "duplicate", "sent", "recorded", "printed", "delivered")
HUB_STATUS_LABELS = {
    "received": N_("received by the hub"),
    "verified": N_("verified by the hub"),
    "duplicate": N_("NIK recorded twice, to be resolved"),
    "sent": N_("sent on to the central system"),
    "recorded": N_("recorded at the central system"),
    "printed": N_("card printed"),
    "delivered": N_("card delivered"),
}
# A recording is acknowledged on the laptop once the hub reports one of these.
ACK_STATUSES = frozenset({"verified", "duplicate", "sent", "recorded", "printed", "delivered"})
# No further status is expected after these; the laptop stops asking.
FINAL_STATUSES = frozenset({"delivered"})

# ---------------------------------------------------------------------------- refusals

# Error codes the hub answers with, and the message each one means on the laptop.
ERRORS: dict[str, str] = {
    "unauthenticated": N_("the request carries no valid laptop signature"),
    "unknown_laptop": N_("the hub does not know this laptop; enrol it first (sweet17 sync enrol --hub URL)"),
    "laptop_pending": N_("the office has not approved this laptop yet (sweet17 hub laptops approve on the hub)"),
    "laptop_revoked": N_("the office has revoked this laptop's key; ask the hub administrator"),
    "key_mismatch": N_("the hub knows this laptop with another key"),
    "bad_signature": N_("a signature does not verify"),
    "clock_skew": N_("the laptop's clock is too far from the hub's clock"),
    "replay": N_("the hub has already seen this request (replayed)"),
    "bad_request": N_("the hub could not read the request"),
    "bad_manifest": N_("the recording's manifest cannot be read"),
    "manifest_mismatch": N_("the manifest does not belong to this recording or laptop"),
    "conflict": N_("the hub holds a different recording under the same id"),
    "unknown_recording": N_("the hub has no manifest for this recording"),
    "offset_mismatch": N_("the hub holds a different number of bytes for this recording"),
    "too_large": N_("the payload or chunk is larger than the hub accepts"),
    "payload_hash_mismatch": N_("the payload received does not match the hash in the signed manifest"),
    "bad_delivery": N_("the card hand-over record cannot be read or does not belong to this laptop"),
    "delivery_conflict": N_("the hub holds a different card hand-over under the same id"),
    "confirmation_hash_mismatch": N_("the receiver's confirmation does not match the hash in the signed hand-over"),
}


class ProtocolError(ValueError):
    """A message from the other side that does not follow the protocol or does not verify."""


# ---------------------------------------------------------------------------- helpers

def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_nonce() -> str:
    return os.urandom(16).hex()


def request_text(method: str, target: str, laptop_id: str, ts: int, nonce: str, body: bytes) -> bytes:
    """The bytes a laptop signs for one request (``target`` = path plus ``?query`` if any)."""
    return "\n".join([PROTOCOL, method.upper(), target, laptop_id, str(int(ts)), nonce,
                      sha256_hex(body)]).encode("utf-8")


def signed_headers(sign, laptop_id: str, method: str, target: str, body: bytes,  # type: ignore[no-untyped-def]
                   now: float | None = None) -> dict[str, str]:
    """Headers for a signed request; ``sign(bytes) -> bytes`` is the laptop key's signer."""
    import base64

    ts = int(time.time() if now is None else now)
    nonce = new_nonce()
    sig = sign(request_text(method, target, laptop_id, ts, nonce, body))
    return {HDR_LAPTOP: laptop_id, HDR_TIME: str(ts), HDR_NONCE: nonce,
            HDR_SIGNATURE: base64.b64encode(sig).decode("ascii")}


# ---------------------------------------------------------------------------- receipts

@dataclass(frozen=True)
class Receipt:
    """The hub's signed statement that it holds a recording's manifest and sealed payload."""

    hub_id: str
    laptop_id: str
    recording_id: str
    manifest_sha256: str
    payload_sha256: str
    payload_size: int
    received_at: str            # hub time, ISO UTC
    verified: bool              # the hub opened the sealed box and its content decoded
    problem: str = ""           # why not verified
    via: str = "http"           # "http" or "bundle": how the hub first received it
    kind: str = RECEIPT_KIND
    v: int = 1

    def canonical(self) -> bytes:
        return canonical_json(asdict(self))

    @classmethod
    def from_canonical(cls, data: bytes) -> Receipt:
        try:
            d = json.loads(data)
            if d.get("kind") != RECEIPT_KIND or d.get("v") != 1:
                raise ProtocolError("not a sweet17 receipt")
            r = cls(**d)
        except (ValueError, TypeError) as e:
            raise ProtocolError(f"receipt cannot be read: {e}") from None
        if r.canonical() != data:
            raise ProtocolError("receipt is not in canonical form")
        return r


@dataclass(frozen=True)
class SignedReceipt:
    receipt: str        # canonical JSON text
    signature: str      # base64 Ed25519 by the hub's signing key

    def to_dict(self) -> dict[str, str]:
        return {"receipt": self.receipt, "signature": self.signature}

    @classmethod
    def from_dict(cls, d: Any) -> SignedReceipt:
        if not isinstance(d, dict) or not isinstance(d.get("receipt"), str) or not isinstance(d.get("signature"), str):
            raise ProtocolError("signed receipt expected")
        return cls(d["receipt"], d["signature"])

    def verified_bytes(self, hub_sign_public: bytes) -> bytes:
        """The receipt's bytes once the hub's signature verifies, or ``ProtocolError``."""
        from sweet17.adapters import crypto

        data = self.receipt.encode("utf-8")
        try:
            crypto.verify(hub_sign_public, crypto.unb64(self.signature), data)
        except (crypto.CryptoError, ValueError):
            raise ProtocolError("receipt signature does not verify with the hub's key") from None
        return data

    def open(self, hub_sign_public: bytes) -> Receipt:
        """Verify the hub's signature and return the receipt, or raise ``ProtocolError``."""
        return Receipt.from_canonical(self.verified_bytes(hub_sign_public))

    def open_delivery(self, hub_sign_public: bytes) -> DeliveryReceipt:
        """Verify the hub's signature and return the delivery receipt, or raise ``ProtocolError``."""
        return DeliveryReceipt.from_canonical(self.verified_bytes(hub_sign_public))


def sign_receipt(key, receipt: Receipt | DeliveryReceipt) -> SignedReceipt:  # type: ignore[no-untyped-def]
    from sweet17.adapters import crypto

    data = receipt.canonical()
    return SignedReceipt(data.decode("utf-8"), crypto.b64(crypto.sign(key, data)))


# ---------------------------------------------------------------------------- card hand-overs

DELIVERY_RELATIONS = ("self", "parent", "guardian", "teacher", "other")
DELIVERY_CONFIRMATIONS = ("signature", "fingerprint")
_DELIVERY_TYPES: dict[str, tuple[type, ...]] = {
    "delivery_id": (str,), "laptop_id": (str,), "drive": (str,), "school_code": (str,), "nik": (str,),
    "nisn": (str,), "name": (str,), "card_uid": (str,), "card_serial": (str,), "uid_checked": (bool,),
    "receiver_name": (str,), "receiver_relation": (str,), "confirmation": (str,), "confirmation_sha256": (str,),
    "confirmation_quality": (int, float, type(None)), "confirmation_device": (str,), "operator": (str,),
    "delivered_at": (str,), "sealed_sha256": (str,), "sealed_size": (int,), "kind": (str,), "v": (int,),
}


@dataclass(frozen=True)
class DeliveryManifest:
    """The laptop's signed statement of one card hand-over (``sweet17 deliver``).

    ``sealed_sha256``/``sealed_size`` pin the receiver's confirmation (signature image or
    thumbprint) sealed to the hub's key with ``aad = "delivery:<id>"``; ``confirmation_sha256`` is
    the hash of the confirmation's data inside the seal, which the hub checks once it opens it.
    """

    delivery_id: str
    laptop_id: str
    drive: str
    school_code: str
    nik: str
    nisn: str
    name: str
    card_uid: str
    card_serial: str
    uid_checked: bool
    receiver_name: str
    receiver_relation: str
    confirmation: str
    confirmation_sha256: str
    confirmation_quality: float | None
    confirmation_device: str
    operator: str
    delivered_at: str           # laptop time, ISO with offset
    sealed_sha256: str
    sealed_size: int
    kind: str = DELIVERY_KIND
    v: int = 1

    def canonical(self) -> bytes:
        return canonical_json(asdict(self))

    @classmethod
    def from_canonical(cls, data: bytes) -> DeliveryManifest:
        try:
            d = json.loads(data)
            if not isinstance(d, dict) or d.get("kind") != DELIVERY_KIND or d.get("v") != 1:
                raise ProtocolError("not a sweet17 delivery manifest")
            for key, types in _DELIVERY_TYPES.items():
                if key not in d or not isinstance(d[key], types) or (bool not in types and isinstance(d[key], bool)):
                    raise ProtocolError(f"field {key} missing or of the wrong type")
            m = cls(**d)
        except (ValueError, TypeError) as e:
            raise ProtocolError(f"delivery manifest cannot be read: {e}") from None
        if m.canonical() != data:
            raise ProtocolError("delivery manifest is not in canonical form")
        return m


@dataclass(frozen=True)
class DeliveryReceipt:
    """The hub's signed statement that it holds a hand-over and its sealed confirmation."""

    hub_id: str
    laptop_id: str
    delivery_id: str
    manifest_sha256: str
    sealed_sha256: str
    sealed_size: int
    received_at: str            # hub time, ISO UTC
    verified: bool              # the hub opened the confirmation and its hash matches the manifest
    problem: str = ""
    via: str = "http"
    kind: str = DELIVERY_RECEIPT_KIND
    v: int = 1

    def canonical(self) -> bytes:
        return canonical_json(asdict(self))

    @classmethod
    def from_canonical(cls, data: bytes) -> DeliveryReceipt:
        try:
            d = json.loads(data)
            if d.get("kind") != DELIVERY_RECEIPT_KIND or d.get("v") != 1:
                raise ProtocolError("not a sweet17 delivery receipt")
            r = cls(**d)
        except (ValueError, TypeError, AttributeError) as e:
            raise ProtocolError(f"delivery receipt cannot be read: {e}") from None
        if r.canonical() != data:
            raise ProtocolError("delivery receipt is not in canonical form")
        return r


def pack_deliveries(items: list[tuple[dict[str, Any], bytes]]) -> bytes:
    """One request body: a line of canonical JSON (``{"deliveries": [{delivery_id, manifest, signature,
    size}]}``), a newline, then each sealed confirmation's raw bytes in the same order."""
    head = canonical_json({"deliveries": [{**entry, "size": len(sealed)} for entry, sealed in items]})
    return head + b"\n" + b"".join(sealed for _entry, sealed in items)


def unpack_deliveries(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """The (entry, sealed bytes) pairs of a ``pack_deliveries`` body, or ``ProtocolError``.

    Canonical JSON never holds a raw newline, so the first one ends the header."""
    head, sep, rest = body.partition(b"\n")
    if not sep:
        raise ProtocolError("no header line")
    try:
        d = json.loads(head)
    except ValueError:
        raise ProtocolError("header line is not JSON") from None
    entries = d.get("deliveries") if isinstance(d, dict) else None
    if not isinstance(entries, list) or len(entries) > MAX_DELIVERIES_PER_REQUEST:
        raise ProtocolError(f"a list of at most {MAX_DELIVERIES_PER_REQUEST} deliveries expected")
    out: list[tuple[dict[str, Any], bytes]] = []
    at = 0
    for e in entries:
        size = e.get("size") if isinstance(e, dict) else None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 or at + size > len(rest):
            raise ProtocolError("a delivery's size is missing or goes past the body")
        out.append(({k: v for k, v in e.items() if k != "size"}, rest[at:at + size]))
        at += size
    if at != len(rest):
        raise ProtocolError(f"{len(rest) - at} bytes after the last delivery")
    return out


# ---------------------------------------------------------------------------- statuses

@dataclass(frozen=True)
class StatusEvent:
    seq: int
    status: str
    at: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_status_document(body: bytes, hub_sign_public: bytes, signature_b64: str, *, hub_id: str,
                          laptop_id: str) -> dict[str, list[StatusEvent]]:
    """Verify a signed status answer (HTTP body or receipts file part) and return events per recording."""
    from sweet17.adapters import crypto

    try:
        crypto.verify(hub_sign_public, crypto.unb64(signature_b64 or ""), body)
    except (crypto.CryptoError, ValueError):
        raise ProtocolError("status answer signature does not verify with the hub's key") from None
    try:
        d = json.loads(body)
        if d.get("kind") != STATUS_KIND:
            raise ProtocolError("not a status document")
        if d.get("hub_id") != hub_id or d.get("laptop_id") != laptop_id:
            raise ProtocolError("status document is for another hub or laptop")
        out: dict[str, list[StatusEvent]] = {}
        for rid, events in d["statuses"].items():
            out[rid] = [StatusEvent(int(e["seq"]), str(e["status"]), str(e["at"]), str(e.get("detail", "")))
                        for e in events]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ProtocolError(f"status document cannot be read: {e}") from None
    for events in out.values():
        for e in events:
            if e.status not in HUB_STATUSES:
                raise ProtocolError(f"unknown hub status {e.status!r}")
    return out

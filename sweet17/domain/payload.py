"""The biometric payload: the plaintext inside a recording's sealed box (pure, versioned).

A committed recording's biometrics travel as one sealed box (``adapters.crypto.seal`` to the
hub's X25519 key, ``aad = recording_id``). What is inside the box is this container::

    MAGIC        8 bytes   b"S17PAYLD"
    VERSION      2 bytes   unsigned big-endian (1)
    HEADER_LEN   4 bytes   unsigned big-endian
    HEADER_SHA   32 bytes  SHA-256 of HEADER
    HEADER       HEADER_LEN bytes of UTF-8 JSON (sorted keys, no spaces)
    BLOBS        the blob bytes, one after the other, in the order of ``header["blobs"]``

Nothing may follow the last blob. The header (version 1)::

    {
      "format": "sweet17-payload", "version": 1, "kind": "recording",
      "recording_id": "...", "created_at": "2026-11-23T02:15:00+00:00",
      "subject": {                      # who was recorded, as verified at the desk
        "student_ref": "...", "nik": "...", "nisn": "...", "name": "...", "birth_date": "YYYY-MM-DD",
        "sex": "L"|"P", "school_code": "...", "drive": "...", "walk_in_reason": "",
        "corrections": [{"field", "old", "new", "reason", "operator", "at"}]
      },
      "records": [                      # one per biometric, in capture order
        {"modality": "Face"|"Finger"|"Iris"|"Signature",
         "sub_type": "Left IndexFinger" | "Left" (iris) | "" (face, signature),
         "data_format": "ISO19794-4:2011" | "ISO19794-6:2011" | "ISO19794-5:2011" | "image/jpeg" | "image/png" | ...,
         "quality": 87.0 | null,        # device score 0-100
         "nfiq2": 64 | null,            # NIST NFIQ 2 re-score (fingers)
         "device": {...},               # DeviceInfo.to_dict(): driver, device_id, make, model, serial, ...
         "hash": "...",                 # SBI chain hash, if any
         "timestamp": "...", "transaction_id": "...",
         "step": "left_slap", "attempt": 2, "force_captured": false,
         "extra": {...},                # device-specific facts (e.g. measured background colour)
         "blob": 0}                     # index into "blobs"
      ],
      "exceptions": [                   # missing / injured positions, each with its proof photo
        {"modality": "Finger", "position": "Left LittleFinger", "kind": "missing"|"injured"|"unable",
         "reason": "...", "marked_by": "...", "marked_at": "...",
         "proof_blob": 3 | null, "proof_format": "image/jpeg"}
      ],
      "force_captures": [{"step": "thumbs", "reason": "...", "supervisor": "...", "at": "..."}],
      "blobs": [                        # where each blob lies in BLOBS
        {"offset": 0, "length": 1234, "sha256": "<hex of the stored bytes>",
         "encoding": "raw"|"sealed", "aad": "<sealed only>", "plain_sha256": "<hex of the plaintext>"}
      ]
    }

Blob encodings: ``raw`` holds the record bytes themselves. ``sealed`` holds a sweet17 sealed box
of them (same hub key) whose associated data is ``aad`` (UTF-8): capture steps are sealed the
moment they are captured, so the laptop never keeps biometrics it could read back, and the
committed payload carries those boxes unchanged. To read a payload at the hub::

    plain = crypto.unseal(hub_private, sealed_box, aad=recording_id.encode())
    p = payload.decode(plain).opened(lambda b: crypto.unseal(hub_private, b.data, b.aad.encode()))
    for r in p.records: image_bytes = p.blob(r.blob)

``decode`` checks the magic, the version, every offset, length and SHA-256; ``opened`` checks each
plaintext against ``plain_sha256``. The same container (``kind: "step"``) holds one capture
attempt's records while a capture is in progress.

Readers must refuse versions they do not know (``PayloadFormatError``); version 1 readers ignore
header keys they do not know.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

MAGIC = b"S17PAYLD"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
FORMAT = "sweet17-payload"
_PREFIX = struct.Struct(">8sHI32s")
MAX_HEADER = 16 * 1024 * 1024


class PayloadFormatError(ValueError):
    """Bytes that are not a valid payload of a known version."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    data: bytes
    encoding: str = "raw"          # "raw" | "sealed"
    aad: str = ""                  # associated data of a sealed blob
    plain_sha256: str = ""         # SHA-256 of the plaintext (of ``data`` when raw)

    @classmethod
    def raw(cls, data: bytes) -> Blob:
        return cls(bytes(data), "raw", "", sha256_hex(data))


@dataclass(frozen=True)
class PayloadRecord:
    modality: str
    sub_type: str
    data_format: str
    blob: int
    quality: float | None = None
    nfiq2: int | None = None
    device: Mapping[str, Any] = field(default_factory=dict)
    hash: str = ""
    timestamp: str = ""
    transaction_id: str = ""
    step: str = ""
    attempt: int = 0
    force_captured: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"modality": self.modality, "sub_type": self.sub_type, "data_format": self.data_format,
                "blob": self.blob, "quality": self.quality, "nfiq2": self.nfiq2, "device": dict(self.device),
                "hash": self.hash, "timestamp": self.timestamp, "transaction_id": self.transaction_id,
                "step": self.step, "attempt": self.attempt, "force_captured": self.force_captured,
                "extra": dict(self.extra)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PayloadRecord:
        q = d.get("quality")
        n = d.get("nfiq2")
        return cls(modality=str(d["modality"]), sub_type=str(d.get("sub_type", "")),
                   data_format=str(d.get("data_format", "")), blob=int(d["blob"]),
                   quality=None if q is None else float(q), nfiq2=None if n is None else int(n),
                   device=dict(d.get("device") or {}), hash=str(d.get("hash", "")),
                   timestamp=str(d.get("timestamp", "")), transaction_id=str(d.get("transaction_id", "")),
                   step=str(d.get("step", "")), attempt=int(d.get("attempt", 0)),
                   force_captured=bool(d.get("force_captured", False)), extra=dict(d.get("extra") or {}))


@dataclass(frozen=True)
class PayloadException:
    modality: str
    position: str
    kind: str
    reason: str
    marked_by: str = ""
    marked_at: str = ""
    proof_blob: int | None = None
    proof_format: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"modality": self.modality, "position": self.position, "kind": self.kind, "reason": self.reason,
                "marked_by": self.marked_by, "marked_at": self.marked_at, "proof_blob": self.proof_blob,
                "proof_format": self.proof_format}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PayloadException:
        pb = d.get("proof_blob")
        return cls(modality=str(d["modality"]), position=str(d.get("position", "")), kind=str(d["kind"]),
                   reason=str(d.get("reason", "")), marked_by=str(d.get("marked_by", "")),
                   marked_at=str(d.get("marked_at", "")), proof_blob=None if pb is None else int(pb),
                   proof_format=str(d.get("proof_format", "")))


@dataclass(frozen=True)
class Payload:
    recording_id: str
    created_at: str = ""
    subject: Mapping[str, Any] = field(default_factory=dict)
    records: tuple[PayloadRecord, ...] = ()
    exceptions: tuple[PayloadException, ...] = ()
    force_captures: tuple[Mapping[str, Any], ...] = ()
    blobs: tuple[Blob, ...] = ()
    kind: str = "recording"          # "recording" | "step"
    version: int = VERSION

    def blob(self, index: int) -> bytes:
        return self.blobs[index].data

    def opened(self, unseal: Callable[[Blob], bytes]) -> Payload:
        """The same payload with every sealed blob opened (``unseal(blob) -> plaintext``) and checked."""
        out = []
        for i, b in enumerate(self.blobs):
            if b.encoding == "raw":
                out.append(b)
                continue
            plain = unseal(b)
            if b.plain_sha256 and sha256_hex(plain) != b.plain_sha256:
                raise PayloadFormatError(f"blob {i}: plaintext hash does not match")
            out.append(Blob(plain, "raw", "", sha256_hex(plain)))
        return replace(self, blobs=tuple(out))

    def header(self, offsets: list[tuple[int, int]]) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": self.version, "kind": self.kind, "recording_id": self.recording_id,
            "created_at": self.created_at, "subject": dict(self.subject),
            "records": [r.to_dict() for r in self.records],
            "exceptions": [e.to_dict() for e in self.exceptions],
            "force_captures": [dict(f) for f in self.force_captures],
            "blobs": [{"offset": off, "length": ln, "sha256": sha256_hex(b.data), "encoding": b.encoding,
                       "aad": b.aad, "plain_sha256": b.plain_sha256}
                      for (off, ln), b in zip(offsets, self.blobs, strict=True)],
        }


def _check_refs(p: Payload) -> None:
    n = len(p.blobs)
    for i, r in enumerate(p.records):
        if not 0 <= r.blob < n:
            raise PayloadFormatError(f"record {i} points to blob {r.blob}, there are {n}")
    for i, e in enumerate(p.exceptions):
        if e.proof_blob is not None and not 0 <= e.proof_blob < n:
            raise PayloadFormatError(f"exception {i} points to blob {e.proof_blob}, there are {n}")
    for i, b in enumerate(p.blobs):
        if b.encoding not in ("raw", "sealed"):
            raise PayloadFormatError(f"blob {i}: unknown encoding {b.encoding!r}")


def encode(p: Payload) -> bytes:
    """The payload's bytes (deterministic for equal payloads)."""
    if p.version not in SUPPORTED_VERSIONS:
        raise PayloadFormatError(f"cannot write payload version {p.version}")
    _check_refs(p)
    offsets, pos = [], 0
    for b in p.blobs:
        offsets.append((pos, len(b.data)))
        pos += len(b.data)
    header = json.dumps(p.header(offsets), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                        allow_nan=False).encode("utf-8")
    return b"".join([_PREFIX.pack(MAGIC, p.version, len(header), hashlib.sha256(header).digest()), header,
                     *(b.data for b in p.blobs)])


def decode(data: bytes) -> Payload:
    """Parse and check payload bytes; ``PayloadFormatError`` names what is wrong."""
    data = bytes(data)
    if len(data) < _PREFIX.size:
        raise PayloadFormatError("too short to be a payload")
    magic, version, hlen, hsha = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise PayloadFormatError("not a sweet17 payload (bad magic)")
    if version not in SUPPORTED_VERSIONS:
        raise PayloadFormatError(f"unsupported payload version {version}")
    if hlen > MAX_HEADER or _PREFIX.size + hlen > len(data):
        raise PayloadFormatError("header length out of range")
    raw_header = data[_PREFIX.size:_PREFIX.size + hlen]
    if hashlib.sha256(raw_header).digest() != hsha:
        raise PayloadFormatError("header hash does not match (damaged)")
    try:
        h = json.loads(raw_header.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise PayloadFormatError(f"header is not JSON: {e}") from None
    if not isinstance(h, dict) or h.get("format") != FORMAT or h.get("version") != version:
        raise PayloadFormatError("header does not describe a payload of this version")
    body = memoryview(data)[_PREFIX.size + hlen:]
    blobs, expect = [], 0
    try:
        for i, bd in enumerate(h.get("blobs", [])):
            off, ln = int(bd["offset"]), int(bd["length"])
            if off != expect or ln < 0 or off + ln > len(body):
                raise PayloadFormatError(f"blob {i} lies outside the payload or out of order")
            chunk = bytes(body[off:off + ln])
            if sha256_hex(chunk) != bd["sha256"]:
                raise PayloadFormatError(f"blob {i}: hash does not match (damaged)")
            blobs.append(Blob(chunk, str(bd.get("encoding", "raw")), str(bd.get("aad", "")),
                              str(bd.get("plain_sha256", ""))))
            expect = off + ln
        if expect != len(body):
            raise PayloadFormatError("bytes after the last blob")
        p = Payload(
            recording_id=str(h["recording_id"]), created_at=str(h.get("created_at", "")),
            subject=dict(h.get("subject") or {}),
            records=tuple(PayloadRecord.from_dict(r) for r in h.get("records", [])),
            exceptions=tuple(PayloadException.from_dict(e) for e in h.get("exceptions", [])),
            force_captures=tuple(dict(f) for f in h.get("force_captures", [])),
            blobs=tuple(blobs), kind=str(h.get("kind", "recording")), version=version,
        )
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, PayloadFormatError):
            raise
        raise PayloadFormatError(f"header field missing or wrong: {e}") from None
    _check_refs(p)
    return p


def summary(p: Payload) -> dict[str, Any]:
    """Counts per modality (what a reviewer or an export manifest shows), without any biometric bytes."""
    out: dict[str, Any] = {}
    for r in p.records:
        m = out.setdefault(r.modality, {"count": 0, "positions": []})
        m["count"] += 1
        m["positions"].append(r.sub_type)
    out["exceptions"] = [f"{e.modality}:{e.position}" if e.position else e.modality for e in p.exceptions]
    return out

"""Sealing biometrics for the local queue, and opening them again at the hub.

Capture attempts are stored as step containers (``domain.payload``, kind "step") whose blobs are
sealed boxes to the hub's X25519 key; exception proof photos are sealed boxes too. At commit the
recording's payload gathers those boxes unchanged into one container (kind "recording") and seals
the whole container again, with ``aad = recording_id``. The laptop never stores a biometric it
could read back.

At the office, ``open_payload(sealed, hub_private, recording_id)`` returns the payload with every
blob opened and checked (the hub's export to ANSI/NIST-ITL reads ``records`` and ``blob(i)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sweet17.adapters import crypto
from sweet17.domain import payload as pl


def jsonable(value: Any) -> Any:
    """Device facts as plain JSON values (numpy numbers and the like become numbers or text)."""
    return json.loads(json.dumps(value, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


def seal_blob(hub_seal_public: bytes, data: bytes, aad: str) -> pl.Blob:
    return pl.Blob(crypto.seal(hub_seal_public, data, aad=aad.encode("utf-8")), "sealed", aad, pl.sha256_hex(data))


def step_container(hub_seal_public: bytes, recording_id: str, step: str, attempt: int,
                   records: Iterable[Any], tx_id: str = "") -> bytes:
    """One attempt's records (``BiometricRecord`` objects), each image sealed, as container bytes."""
    out_records, blobs = [], []
    for i, r in enumerate(records):
        aad = f"{recording_id}/{step}/{attempt}/{i}"
        blobs.append(seal_blob(hub_seal_public, bytes(r.data), aad))
        dev = r.device.to_dict() if r.device is not None else {}
        out_records.append(pl.PayloadRecord(
            modality=str(r.modality), sub_type=str(r.sub_type or ""), data_format=str(r.data_format or ""),
            blob=i, quality=None if r.quality is None else float(r.quality),
            nfiq2=None if r.nfiq2 is None else int(r.nfiq2), device=jsonable(dev), hash=str(r.hash or ""),
            timestamp=str(r.timestamp or ""), transaction_id=str(r.transaction_id or tx_id), step=step,
            attempt=attempt, extra=jsonable(dict(r.extra or {})),
        ))
    return pl.encode(pl.Payload(recording_id=recording_id, kind="step", records=tuple(out_records),
                                blobs=tuple(blobs)))


def open_payload(sealed: bytes, hub_private: Any, recording_id: str) -> pl.Payload:
    """Open a recording's sealed payload with the hub's X25519 private key (every blob opened)."""
    plain = crypto.unseal(hub_private, sealed, aad=recording_id.encode("utf-8"))
    p = pl.decode(plain)
    if p.recording_id != recording_id:
        raise pl.PayloadFormatError("payload belongs to another recording")
    return p.opened(lambda b: crypto.unseal(hub_private, b.data, aad=b.aad.encode("utf-8")))

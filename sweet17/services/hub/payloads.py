"""Opening a recording's sealed payload at the hub (the only place that holds the private key).

The sealed box (``aad`` = recording id) holds a ``sweet17.domain.payload`` container whose blobs
may themselves be sealed boxes (capture steps sealed as they happened); ``open_payload`` opens
both levels and checks every hash, so a payload that opens here is complete and readable.
"""

from __future__ import annotations

from typing import Any


class PayloadProblem(ValueError):
    """The payload cannot be opened or read; the message says why (English, for the hub's records)."""


def open_payload(seal_key: Any, recording_id: str, sealed: bytes):  # type: ignore[no-untyped-def]
    """The decoded payload with every blob opened, or ``PayloadProblem``."""
    from sweet17.adapters import crypto
    from sweet17.domain import payload as pl

    try:
        plaintext = crypto.unseal(seal_key, sealed, aad=recording_id.encode("utf-8"))
    except crypto.CryptoError:
        raise PayloadProblem("sealed box cannot be opened with this hub's key") from None
    try:
        p = pl.decode(plaintext)
    except pl.PayloadFormatError as e:
        raise PayloadProblem(f"payload does not decode: {e}") from None
    if p.kind != "recording" or p.recording_id != recording_id:
        raise PayloadProblem("payload belongs to another recording")

    def unseal_blob(b):  # type: ignore[no-untyped-def]
        try:
            return crypto.unseal(seal_key, b.data, aad=b.aad.encode("utf-8"))
        except crypto.CryptoError:
            raise PayloadProblem("an inner sealed blob cannot be opened with this hub's key") from None

    try:
        return p.opened(unseal_blob)
    except pl.PayloadFormatError as e:
        raise PayloadProblem(f"payload blob damaged: {e}") from None


def payload_problem(seal_key: Any, recording_id: str, sealed: bytes) -> str:
    """'' when the payload opens and reads completely, else what is wrong."""
    try:
        open_payload(seal_key, recording_id, sealed)
    except PayloadProblem as e:
        return str(e)
    return ""

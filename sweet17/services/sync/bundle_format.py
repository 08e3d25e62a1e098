"""The USB bundle and receipts files (see ``protocol``): writing, reading and structural checks.

Signatures are checked by the side that knows the key: the hub checks a bundle against the
laptop key it registered, the laptop checks receipts against the hub key it was enrolled with.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweet17.services.sync import protocol as P

HEADER = "bundle.json"
SIGNATURE = "bundle.sig"
PAYLOAD_DIR = "payloads/"
DELIVERY_DIR = "deliveries/"
_PAYLOAD_NAME = re.compile(r"^payloads/[A-Za-z0-9][A-Za-z0-9._:-]{0,79}\.bin$")
_DELIVERY_NAME = re.compile(r"^deliveries/[A-Za-z0-9][A-Za-z0-9._:-]{0,79}\.bin$")


class BundleError(ValueError):
    """A bundle or receipts file that is damaged, altered or not of this kind (English detail)."""


@dataclass
class Bundle:
    path: Path
    header: dict[str, Any]
    header_bytes: bytes
    signature: str
    _zip: zipfile.ZipFile

    @property
    def bundle_id(self) -> str:
        return str(self.header["bundle_id"])

    @property
    def laptop_id(self) -> str:
        return str(self.header["laptop_id"])

    @property
    def recordings(self) -> list[dict[str, Any]]:
        return list(self.header["recordings"])

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Card hand-overs (``delivery_id``, ``manifest``, ``signature``, ``sealed_sha256``, ``sealed_size``)."""
        return list(self.header.get("deliveries", []))

    def payload(self, recording_id: str) -> bytes:
        return self._zip.read(f"{PAYLOAD_DIR}{recording_id}.bin")

    def confirmation(self, delivery_id: str) -> bytes:
        """A hand-over's sealed confirmation."""
        return self._zip.read(f"{DELIVERY_DIR}{delivery_id}.bin")

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_bundle(path: Path, header: dict[str, Any], sign, payloads, confirmations=()) -> int:  # type: ignore[no-untyped-def]
    """Write atomically (temp file, fsync, rename); ``payloads`` yields (recording id, sealed bytes),
    ``confirmations`` (delivery id, sealed confirmation).

    Returns the file size. ``sign(bytes) -> bytes`` signs the header.
    """
    import base64

    header_bytes = P.canonical_json(header)
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr(HEADER, header_bytes)
            z.writestr(SIGNATURE, base64.b64encode(sign(header_bytes)))
            for rid, sealed in payloads:
                z.writestr(f"{PAYLOAD_DIR}{rid}.bin", sealed)
            for did, sealed in confirmations:
                z.writestr(f"{DELIVERY_DIR}{did}.bin", sealed)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path.stat().st_size


def read_bundle(path: Path) -> Bundle:
    """Open a bundle and check its structure (not its signatures)."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise BundleError(f"not a sweet17 bundle: {e}") from None
    try:
        names = set(z.namelist())
        if HEADER not in names or SIGNATURE not in names:
            raise BundleError("bundle.json or bundle.sig missing")
        header_bytes = z.read(HEADER)
        signature = z.read(SIGNATURE).decode("ascii").strip()
        header = json.loads(header_bytes)
        if not isinstance(header, dict) or header.get("kind") != P.BUNDLE_KIND or header.get("v") != 1:
            raise BundleError("bundle.json is not a sweet17 bundle header")
        for key in ("bundle_id", "laptop_id", "laptop_public", "hub_id", "created_at", "recordings"):
            if key not in header:
                raise BundleError(f"bundle.json has no {key}")
        want = set()
        for r in header["recordings"]:
            if not isinstance(r, dict) or not isinstance(r.get("recording_id"), str):
                raise BundleError("a recording entry is malformed")
            name = f"{PAYLOAD_DIR}{r['recording_id']}.bin"
            if not _PAYLOAD_NAME.match(name):
                raise BundleError(f"recording id {r['recording_id']!r} malformed")
            info = z.getinfo(name) if name in names else None
            if info is None:
                raise BundleError(f"payload of {r['recording_id']} missing")
            if info.file_size != r.get("payload_size") or info.file_size > P.MAX_PAYLOAD:
                raise BundleError(f"payload of {r['recording_id']} has {info.file_size} bytes, "
                                  f"the header says {r.get('payload_size')}")
            want.add(name)
        deliveries = header.get("deliveries", [])
        if not isinstance(deliveries, list):
            raise BundleError("deliveries must be a list")
        for d in deliveries:
            if not isinstance(d, dict) or not isinstance(d.get("delivery_id"), str):
                raise BundleError("a delivery entry is malformed")
            name = f"{DELIVERY_DIR}{d['delivery_id']}.bin"
            if not _DELIVERY_NAME.match(name):
                raise BundleError(f"delivery id {d['delivery_id']!r} malformed")
            if name not in names or name in want:
                raise BundleError(f"confirmation of hand-over {d['delivery_id']} missing or listed twice")
            size = z.getinfo(name).file_size
            if size != d.get("sealed_size") or size > P.MAX_CONFIRMATION:
                raise BundleError(f"confirmation of hand-over {d['delivery_id']} has {size} bytes, "
                                  f"the header says {d.get('sealed_size')}")
            want.add(name)
        extra = names - want - {HEADER, SIGNATURE}
        if extra:
            raise BundleError(f"unexpected files in the bundle: {sorted(extra)[:3]}")
    except (ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        z.close()
        if isinstance(e, BundleError):
            raise
        raise BundleError(f"bundle cannot be read: {e}") from None
    return Bundle(path, header, header_bytes, signature, z)


def write_receipts(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_receipts(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise BundleError(f"receipts file cannot be read: {e}") from None
    if not isinstance(doc, dict) or doc.get("kind") != P.RECEIPTS_KIND or doc.get("v") != 1:
        raise BundleError("not a sweet17 receipts file")
    for key in ("hub_id", "laptop_id", "bundle_id", "receipts"):
        if key not in doc:
            raise BundleError(f"receipts file has no {key}")
    if not isinstance(doc["receipts"], list) or not isinstance(doc.get("delivery_receipts", []), list):
        raise BundleError("receipts must be a list")
    return doc

"""Committed recordings for sync and hub tests, made exactly as the recording session makes them.

Real ISO/IEC 19794 records (synthetic images), a ``domain.payload`` container whose blobs are
sealed boxes to the hub key, the container sealed again with ``aad = recording_id``, a manifest
signed with the laptop's Ed25519 key, and the two rows ``recording`` + ``recording_payload``
written in one transaction. Only synthetic people: names from a fixed list, NIKs built from a
Balangan region code, a birth date and a serial.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import text

from sweet17.adapters import crypto
from sweet17.domain import payload as pl
from sweet17.domain.recording import RecordingManifest
from sweet17.services import keys as keysvc

FIRST = ["Ahmad", "Siti", "Muhammad", "Nur", "Rizky", "Dewi", "Fajar", "Putri", "Aditya", "Aulia", "Bima", "Citra"]
LAST = ["Saputra", "Rahmawati", "Hidayat", "Lestari", "Pratama", "Wulandari", "Ramadhan", "Anggraini"]
FINGERS = ("Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger",
           "Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger",
           "Left Thumb", "Right Thumb")


def synthetic_nik(i: int, birth: date = date(2009, 8, 17), female: bool = False) -> str:
    day = birth.day + (40 if female else 0)
    return f"631101{day:02d}{birth.month:02d}{birth.year % 100:02d}{(i % 9999) + 1:04d}"


def synthetic_name(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"


@lru_cache(maxsize=1)
def biometric_blobs() -> dict[str, tuple[str, bytes]]:
    """(data format, ISO record) per position; built once (encoding images costs tens of ms)."""
    import numpy as np
    from PIL import Image

    from sweet17.adapters.biometrics import iso19794 as iso

    out: dict[str, tuple[str, bytes]] = {}
    yy, xx = np.mgrid[0:360, 0:256]
    for n, pos in enumerate(FINGERS):
        cx, cy = 128 + 7 * n, 180 - 5 * n
        r = np.sqrt((xx - cx) ** 2 + ((yy - cy) * 0.8) ** 2)
        ridges = 128 + 100 * np.sin(r / 4.5 + n)
        mask = ((xx - 128) / 120) ** 2 + ((yy - 180) / 170) ** 2 < 1
        img = Image.fromarray(np.where(mask, ridges, 235).astype("uint8"), "L")
        comp = "wsq" if "Thumb" in pos else "png"
        out[pos] = (iso.FINGER_FORMAT, iso.build_finger(img, position=pos, compression=comp, quality=70 + n))
    yy, xx = np.mgrid[0:480, 0:640]
    for eye in ("Left", "Right"):
        r = np.sqrt((xx - 320) ** 2 + (yy - 240) ** 2)
        iris = np.where(r < 60, 20, np.where(r < 200, 90 + 40 * np.sin(np.arctan2(yy - 240, xx - 320) * 24), 200))
        img = Image.fromarray(iris.astype("uint8"), "L")
        out[f"Iris {eye}"] = (iso.IRIS_FORMAT, iso.build_iris(img, eye=eye, compression="png", quality=80,
                                                              iris_diameter=400))
    yy, xx = np.mgrid[0:640, 0:480]
    face = np.zeros((640, 480, 3), dtype="uint8")
    face[...] = (200, 40, 40)                       # red background (birth year rule)
    head = ((xx - 240) / 130) ** 2 + ((yy - 300) / 170) ** 2 < 1
    face[head] = (205, 160, 130)
    out["Face"] = (iso.FACE_FORMAT, iso.build_face(Image.fromarray(face, "RGB"), compression="jpeg", quality=85))
    sig = Image.fromarray(np.where(np.abs(np.sin(xx[:120, :400] / 20) * 40 + 60 - yy[:120, :400]) < 3, 0, 255)
                          .astype("uint8"), "L")
    import io

    buf = io.BytesIO()
    sig.save(buf, "PNG")
    out["Signature"] = ("image/png", buf.getvalue())
    return out


def make_recording(ws, *, i: int = 0, nik: str | None = None, name: str | None = None, school: str = "SMAN1PRG",
                   drive: str = "balangan-2026", status: str = "captured", force_captured: bool = False,
                   exceptions: tuple[str, ...] = (), retries: int = 0, captured_at: datetime | None = None,
                   rid: str | None = None, student_ref: str | None = None, seal_public: bytes | None = None,
                   approved_by: str = "spv.rahmah") -> str:
    """Insert one committed recording (status ``captured`` unless told) and return its id."""
    rid = rid or str(uuid.uuid4())
    hub = keysvc.require_hub_keys(ws)
    seal_to = seal_public or hub.seal_public
    female = i % 2 == 1
    nik = nik if nik is not None else synthetic_nik(i, female=female)
    name = name or synthetic_name(i)
    when = (captured_at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    blobs, records, modalities = [], [], {}
    missing = {e.split(":", 1)[1] for e in exceptions if e.startswith("Finger:")}
    for pos, (fmt, data) in biometric_blobs().items():
        if pos in missing:
            continue
        modality = "Finger" if pos in FINGERS else "Iris" if pos.startswith("Iris") else pos
        sub = pos.split(" ", 1)[1] if modality == "Iris" else ("" if modality in ("Face", "Signature") else pos)
        aad = f"{rid}/{modality.lower()}/1/{len(blobs)}"
        blobs.append(pl.Blob(crypto.seal(seal_to, data, aad=aad.encode()), "sealed", aad, pl.sha256_hex(data)))
        records.append(pl.PayloadRecord(modality=modality, sub_type=sub, data_format=fmt, blob=len(blobs) - 1,
                                        quality=75.0, nfiq2=60 if modality == "Finger" else None,
                                        device={"driver": "sbi", "make": "Simulator", "serial": "SIM-0001"},
                                        step=modality.lower(), attempt=1, force_captured=force_captured,
                                        timestamp=when))
        m = modalities.setdefault(modality, {"count": 0, "quality": {}, "nfiq2": {}, "exceptions": {},
                                             "forced": force_captured})
        m["count"] += 1
        m["quality"][sub or modality] = 75.0
    pexc = []
    for e in exceptions:
        mod, _, position = e.partition(":")
        proof = biometric_blobs()["Face"][1][:2000]
        aad = f"{rid}/proof/{len(blobs)}"
        blobs.append(pl.Blob(crypto.seal(seal_to, proof, aad=aad.encode()), "sealed", aad, pl.sha256_hex(proof)))
        pexc.append(pl.PayloadException(mod, position, "missing", "amputated (synthetic)", "op.budi", when,
                                        len(blobs) - 1, "image/jpeg"))
        modalities.setdefault(mod, {"count": 0, "quality": {}, "nfiq2": {}, "exceptions": {},
                                    "forced": False})["exceptions"][position or mod] = "missing"
    birth = date(2009, 8, 17)
    subject = {"student_ref": student_ref or f"S{i:05d}", "nik": nik, "nisn": f"{9000000000 + i:010d}", "name": name,
               "birth_date": birth.isoformat(), "sex": "P" if female else "L", "school_code": school, "drive": drive,
               "walk_in_reason": "", "corrections": []}
    forces = ({"step": "thumbs", "reason": "scanner dirty", "supervisor": "spv.rahmah", "at": when},) \
        if force_captured else ()
    plain = pl.encode(pl.Payload(recording_id=rid, created_at=when, subject=subject, records=tuple(records),
                                 exceptions=tuple(pexc), force_captures=forces, blobs=tuple(blobs)))
    sealed = crypto.seal(seal_to, plain, aad=rid.encode())
    sha, size = crypto.sha256_hex(sealed), len(sealed)
    manifest = RecordingManifest(
        recording_id=rid, laptop_id=keysvc.laptop_id(ws), drive=drive, school_code=school, nik=nik,
        nisn=subject["nisn"], name=name, birth_date=subject["birth_date"], sex=subject["sex"], captured_at=when,
        operator="op.budi", session_id="sess-" + rid[:8], payload_sha256=sha, payload_size=size,
        modalities=modalities, force_captured=force_captured, exceptions=tuple(sorted(exceptions)))
    canonical = manifest.canonical()
    signature = crypto.b64(crypto.sign(keysvc.laptop_signing_key(ws), canonical))
    approved = status in ("approved", "synced", "acknowledged")
    with ws.engine.begin() as c:
        c.execute(text(
            "INSERT INTO recording (id, drive_slug, school_code, student_ref, nik, nisn, name, birth_date, sex, "
            "session_id, operator, status, captured_at, force_captured, exceptions, retries, quality, manifest, "
            "signature, payload_sha256, payload_size, approved_by, approved_at) VALUES (:id, :d, :s, :ref, :nik, "
            ":nisn, :name, :bd, :sex, :sid, 'op.budi', :st, :t, :fc, :ex, :rt, '{}', :man, :sig, :sha, :size, "
            ":ab, :at)"),
            {"id": rid, "d": drive, "s": school, "ref": subject["student_ref"], "nik": nik, "nisn": subject["nisn"],
             "name": name, "bd": subject["birth_date"], "sex": subject["sex"], "sid": "sess-" + rid[:8],
             "st": status, "t": when, "fc": int(force_captured), "ex": json.dumps(sorted(exceptions)), "rt": retries,
             "man": canonical.decode(), "sig": signature, "sha": sha, "size": size,
             "ab": approved_by if approved else None, "at": when if approved else None})
        c.execute(text("INSERT INTO recording_payload (recording_id, sealed, sha256, size) VALUES (:i, :b, :h, :n)"),
                  {"i": rid, "b": sealed, "h": sha, "n": size})
        ws.audit("op.budi", "recording.commit", rid, {"payload_sha256": sha, "size": size}, conn=c)
    return rid


def make_many(ws, n: int, start: int = 0, **kw) -> list[str]:
    base = kw.pop("captured_at", None) or datetime.now(UTC) - timedelta(hours=2)
    return [make_recording(ws, i=start + k, captured_at=base + timedelta(seconds=k), **kw) for k in range(n)]

"""Export to the central system: one ANSI/NIST-ITL 1-2011 transaction per recording, plus a signed manifest.

Records in each transaction (``nistitl`` builds and parses them; it validates nothing, so
``validate_transaction`` checks the mandatory fields of every record itself, on the bytes parsed
back, before a file is written):

* Type-1 transaction information: VER ``0500``, CNT, TOT, DAT, DAI, ORI, TCN, NSR/NTR ``00.00``,
  DOM ``SWEET17`` / ``1.0``, GMT.
* Type-2 user-defined descriptive text (domain SWEET17 1.0): 2.002 IDC 0, 2.003 NIK, 2.004 NISN,
  2.018 NAM, 2.022 DOB (YYYYMMDD), 2.024 SEX (L/P), 2.030 school code, 2.031 drive, 2.032 recording
  id, 2.033 capture time (UTC), 2.034 laptop id.
* Type-10 face: IMT FACE, SRC, PHD, HLL, VLL, SLC 0, THPS/TVPS 1, CGA (JPEGB, PNG, JP2, JP2L, NONE),
  CSP (SRGB, GRAY), SAP 13 (ISO/IEC 19794-5 full frontal), POS F, DATA.
* Type-14 fingerprints, one per finger: IMP 0 (plain live-scan), SRC, FCD, HLL, VLL, SLC 1,
  THPS/TVPS (ppi), CGA WSQ20 (images not in WSQ are re-encoded), BPX 8, FGP, DATA; the first Type-14
  record carries 14.018 AMP for fingers marked missing (XX) or injured/unable (UP).
* Type-17 iris: ELR (1 right, 2 left), SRC, ICD, HLL, VLL, SLC 0, THPS/TVPS 1, CGA, BPX 8, CSP GRAY,
  DATA.

Only verified recordings that are not superseded and have no open duplicate-NIK flag are exported.
Files are written into a temporary folder that is renamed into place; then, in one transaction,
the recordings are marked ``sent``.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.services.hub.config import Hub
from sweet17.services.hub.events import add_event

VERSION = "0500"
DOMAIN = ("SWEET17", "1.0")
FACE_CGA = {"jpeg": "JPEGB", "png": "PNG", "jp2": "JP2", "jp2-lossless": "JP2L", "raw": "NONE",
            "rgb-jpeg": "JPEGB", "rgb-png": "PNG", "rgb-jp2-lossless": "JP2L", "rgb-raw": "NONE"}
IRIS_CGA = {"png": "PNG", "jp2-lossless": "JP2L", "jp2": "JP2", "jpeg": "JPEGB", "raw": "NONE"}
CGA_VALUES = {"NONE", "WSQ20", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG"}
CSP_VALUES = {"GRAY", "RGB", "SRGB", "YCC", "SYCC", "UNK"}
EYE = {"Right": "1", "Left": "2"}
AMP_CODES = {"missing": "XX", "injured": "UP", "unable": "UP"}
# Fields every record type must carry (ANSI/NIST-ITL 1-2011, the parts sweet17 writes).
MANDATORY = {
    1: (1, 2, 3, 4, 5, 7, 8, 9, 11, 12),
    2: (1, 2),
    10: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999),
    14: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999),
    17: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999),
}


class ExportProblem(ValueError):
    pass


def ascii_text(s: str, limit: int = 100) -> str:
    """Latin letters only (accents dropped), no separators: safe inside a NIST text field."""
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\x00-\x1f]", " ", s).strip()[:limit]


def _yyyymmdd(iso: str) -> str:
    return iso[:10].replace("-", "")


def _settings(hub: Hub) -> dict[str, str]:
    return {"ori": str(hub.settings.get("ori", "SWEET17HUB")), "dai": str(hub.settings.get("dai", "DUKCAPILPST")),
            "tot": str(hub.settings.get("tot", "KTPEL"))}


# ---------------------------------------------------------------------------- build

def build_transaction(hub: Hub, row: dict[str, Any], payload: Any, tcn: str, now: datetime) -> bytes:
    """The transaction bytes for one recording (``payload``: the opened ``domain.payload.Payload``)."""
    import nistitl as n

    from sweet17.adapters.biometrics import iso19794 as iso

    cfg = _settings(hub)
    subject = dict(payload.subject)
    msg = n.Message()
    r1 = msg[0]
    r1.VER = VERSION
    r1.TOT = cfg["tot"]
    r1.DAT = now.strftime("%Y%m%d")
    r1.DAI = cfg["dai"]
    r1.ORI = cfg["ori"]
    r1.TCN = tcn
    r1 += n.Field(1, 13, [list(DOMAIN)])
    r1 += n.Field(1, 14, now.strftime("%Y%m%d%H%M%SZ"))
    r2 = n.AsciiRecord(2)
    r2.IDC = 0
    for tag, value in ((3, subject.get("nik", row["nik"])), (4, subject.get("nisn", "")),
                       (18, ascii_text(subject.get("name", row["name"]))),
                       (22, _yyyymmdd(str(subject.get("birth_date", "")))), (24, subject.get("sex", "")),
                       (30, ascii_text(row["school_code"], 30)), (31, ascii_text(row["drive"], 60)),
                       (32, row["recording_id"]), (33, row["captured_at"]), (34, row["laptop_id"])):
        if value:
            r2 += n.Field(2, tag, str(value))
    msg += r2
    idc = 1
    captured = _yyyymmdd(row["captured_at"])
    amp: list[list[str]] = []
    for e in payload.exceptions:
        if e.modality == "Finger" and e.position in iso.FINGER_POSITIONS:
            amp.append([str(iso.FINGER_POSITIONS[e.position]), AMP_CODES.get(e.kind, "UP")])
    first14 = True
    for rec in payload.records:
        data = payload.blob(rec.blob)
        if rec.modality == "Face":
            img = iso.parse(data) if rec.data_format.startswith("ISO19794-5") else None
            if img is None:
                raise ExportProblem(f"face record in format {rec.data_format!r} cannot be exported")
            if img.compression not in FACE_CGA:
                raise ExportProblem(f"face image compression {img.compression!r} has no NIST code")
            r = n.AsciiRecord(10)
            r.IDC = idc
            for tag, v in ((3, "FACE"), (4, cfg["ori"]), (5, captured), (6, img.width), (7, img.height), (8, "0"),
                           (9, "1"), (10, "1"), (11, FACE_CGA[img.compression]),
                           (12, "SRGB" if img.bit_depth == 24 or img.compression.startswith("rgb") or
                            _is_colour(img) else "GRAY"), (13, "13"), (20, "F")):
                r += n.Field(10, tag, str(v))
            r.DATA = img.image_data
        elif rec.modality == "Finger":
            img = iso.parse(data)
            wsq = img.image_data if img.compression == "wsq" else iso.encode_image(img.to_image().convert("L"), "wsq")
            ppi = img.ppi or 500
            vppi = int(img.extra.get("vertical_ppi") or ppi)
            r = n.AsciiRecord(14)
            r.IDC = idc
            for tag, v in ((3, "0"), (4, cfg["ori"]), (5, captured), (6, img.width), (7, img.height), (8, "1"),
                           (9, ppi), (10, vppi), (11, "WSQ20"), (12, "8"), (13, img.position)):
                r += n.Field(14, tag, str(v))
            if first14 and amp:
                r += n.Field(14, 18, amp)
            first14 = False
            r.DATA = wsq
        elif rec.modality == "Iris":
            img = iso.parse(data)
            if img.compression not in IRIS_CGA:
                raise ExportProblem(f"iris image compression {img.compression!r} has no NIST code")
            r = n.AsciiRecord(17)
            r.IDC = idc
            for tag, v in ((3, EYE.get(img.sub_type or rec.sub_type, "0")), (4, cfg["ori"]), (5, captured),
                           (6, img.width), (7, img.height), (8, "0"), (9, "1"), (10, "1"),
                           (11, IRIS_CGA[img.compression]), (12, "8"), (13, "GRAY")):
                r += n.Field(17, tag, str(v))
            r.DATA = img.image_data
        else:
            continue                          # signatures are not part of the central transaction
        msg += r
        idc += 1
    return msg.NIST


def _is_colour(img: Any) -> bool:
    try:
        return img.to_image().mode in ("RGB", "RGBA", "YCbCr")
    except Exception:  # an image we cannot decode is caught by validation
        return False


# ---------------------------------------------------------------------------- validate

def _value(rec: Any, tag: int) -> Any:
    f = rec[tag]
    return None if f is None else f.value


def _int_in(v: Any, lo: int, hi: int) -> bool:
    try:
        return lo <= int(str(v)) <= hi
    except ValueError:
        return False


def _date_ok(v: Any) -> bool:
    try:
        datetime.strptime(str(v), "%Y%m%d")
        return True
    except ValueError:
        return False


def validate_transaction(data: bytes) -> list[str]:
    """Problems with the mandatory fields of a transaction (empty when it is complete), read from its bytes."""
    import struct

    import nistitl as n

    msg = n.Message()
    try:
        msg.parse(data)
    except (n.NistException, ValueError, IndexError, KeyError, struct.error) as e:   # nistitl's parser raises all
        return [f"does not parse: {e}"]
    problems: list[str] = []
    idcs: set[int] = set()
    counts = {t: 0 for t in MANDATORY}
    for rec in msg:
        t = rec.type
        if t not in MANDATORY:
            problems.append(f"record type {t} is not expected")
            continue
        counts[t] += 1
        for tag in MANDATORY[t]:
            v = _value(rec, tag)
            if v is None or v == "" or v == b"" or v == []:
                problems.append(f"Type-{t} field {t}.{tag:03d} missing or empty")
        if t == 1:
            if _value(rec, 2) != VERSION:
                problems.append(f"1.002 VER must be {VERSION}")
            if not _date_ok(_value(rec, 5)):
                problems.append("1.005 DAT is not a date YYYYMMDD")
            for tag in (11, 12):
                if not re.match(r"^\d{2}\.\d{2}$", str(_value(rec, tag) or "")):
                    problems.append(f"1.{tag:03d} must be NN.NN")
            continue
        idc = _value(rec, 2)
        if t != 2:
            if not _int_in(idc, 0, 99) or int(idc) in idcs:
                problems.append(f"Type-{t} IDC {idc} missing or repeated")
            else:
                idcs.add(int(idc))
            for tag in (6, 7):
                if not _int_in(_value(rec, tag), 10, 99999):
                    problems.append(f"{t}.{tag:03d} image size out of range")
            if str(_value(rec, 8)) not in ("0", "1", "2"):
                problems.append(f"{t}.008 SLC must be 0, 1 or 2")
            if str(_value(rec, 11)) not in CGA_VALUES:
                problems.append(f"{t}.011 CGA {_value(rec, 11)!r} unknown")
            if not _date_ok(_value(rec, 5)):
                problems.append(f"{t}.005 capture date is not YYYYMMDD")
        if t == 2:
            nik = _value(rec, 3)
            if nik is not None and not re.match(r"^\d{16}$", str(nik)):
                problems.append("2.003 NIK must be 16 digits")
        elif t == 10:
            if _value(rec, 3) != "FACE":
                problems.append("10.003 IMT must be FACE")
            if str(_value(rec, 12)) not in CSP_VALUES:
                problems.append("10.012 CSP unknown")
            if not _int_in(_value(rec, 13), 0, 99):
                problems.append("10.013 SAP must be a number")
        elif t == 14:
            if str(_value(rec, 11)) != "WSQ20":
                problems.append("14.011 CGA must be WSQ20")
            if not bytes(_value(rec, 999) or b"").startswith(b"\xff\xa0"):
                problems.append("14.999 is not a WSQ image")
            if not _int_in(_value(rec, 13), 0, 15):
                problems.append("14.013 FGP must be a finger position 0-15")
            if str(_value(rec, 3)) not in ("0", "1", "2", "3", "8", "20", "21", "22", "23", "24", "25", "26", "27",
                                           "28", "29"):
                problems.append("14.003 IMP unknown")
            if str(_value(rec, 12)) != "8":
                problems.append("14.012 BPX must be 8")
            if str(_value(rec, 8)) == "1" and not _int_in(_value(rec, 9), 490, 2000):
                problems.append("14.009 THPS must be the scan resolution in ppi")
        elif t == 17:
            if str(_value(rec, 3)) not in ("0", "1", "2"):
                problems.append("17.003 ELR must be 0, 1 or 2")
            if str(_value(rec, 13)) not in CSP_VALUES:
                problems.append("17.013 CSP unknown")
    if counts[1] != 1 or counts[2] != 1:
        problems.append("a transaction needs one Type-1 and one Type-2 record")
    if counts[10] + counts[14] + counts[17] == 0:
        problems.append("no biometric record")
    return problems


# ---------------------------------------------------------------------------- export

def export_nist(hub: Hub, out: Path | str | None = None, *, again: bool = False,
                now: datetime | None = None) -> dict[str, Any]:
    from sweet17.services.hub.payloads import PayloadProblem, open_payload
    from sweet17.services.sync import protocol as P

    now = now or datetime.fromtimestamp(hub.clock(), UTC)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    folder = Path(out) if out else hub.exports_dir / f"nist-{stamp}"
    if folder.exists() and any(folder.iterdir()):
        from sweet17.errors import UserError
        from sweet17.i18n import _

        raise UserError(_("The export folder {path} is not empty").format(path=folder), path=folder)
    where = "" if again else "AND r.exported_at IS NULL "
    with hub.store.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(
            "SELECT r.* FROM hub_recording r WHERE r.state = 'complete' AND r.superseded_by IS NULL "
            f"{where}ORDER BY r.completed_at, r.recording_id")).mappings().all()]
        flagged = set(conn.execute(text("SELECT recording_id FROM nik_flag WHERE resolved_at IS NULL UNION "
                                        "SELECT other_recording_id FROM nik_flag WHERE resolved_at IS NULL")).scalars())
    skipped: list[dict[str, str]] = []
    files: list[dict[str, Any]] = []
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    os.chmod(tmp, 0o700)                   # readable biometrics: the owner only
    try:
        for seq, row in enumerate(rows, start=1):
            rid = row["recording_id"]
            if rid in flagged:
                skipped.append({"recording_id": rid, "reason": "NIK recorded twice: resolve it first"})
                continue
            if not row["verified"]:
                skipped.append({"recording_id": rid, "reason": f"not verified: {row['problem']}"})
                continue
            with hub.store.connect() as conn:
                sealed = conn.execute(text("SELECT sealed FROM payload WHERE recording_id = :r"), {"r": rid}).scalar()
            try:
                payload = open_payload(hub.seal_key, rid, bytes(sealed))
                tcn = f"{hub.hub_id}-{stamp}-{seq:05d}"
                data = build_transaction(hub, row, payload, tcn, now)
            except (PayloadProblem, ExportProblem, ValueError) as e:
                skipped.append({"recording_id": rid, "reason": str(e)})
                continue
            problems = validate_transaction(data)
            if problems:
                skipped.append({"recording_id": rid, "reason": "; ".join(problems[:5])})
                continue
            name = f"{tcn}.an2"
            fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            files.append({"file": name, "tcn": tcn, "recording_id": rid, "nik": row["nik"],
                          "sha256": P.sha256_hex(data), "bytes": len(data),
                          "records": _summary(payload)})
        manifest = {"kind": "sweet17.nist-export", "v": 1, "hub_id": hub.hub_id, "created_at": now.isoformat(
            timespec="seconds"), "standard": "ANSI/NIST-ITL 1-2011", "version": VERSION, "ori": _settings(hub)["ori"],
            "transactions": files}
        body = P.canonical_json(manifest)
        from sweet17.adapters import crypto

        (tmp / "manifest.json").write_bytes(body)
        (tmp / "manifest.sig").write_text(crypto.b64(crypto.sign(hub.sign_key, body)), encoding="ascii")
        for p in tmp.iterdir():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
        if folder.exists():
            folder.rmdir()
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    at = now.isoformat(timespec="seconds")
    with hub.store.begin() as conn:
        for f in files:
            conn.execute(text("UPDATE hub_recording SET exported_at = :at, export_tcn = :t WHERE recording_id = :r"),
                         {"at": at, "t": f["tcn"], "r": f["recording_id"]})
            add_event(conn, f["recording_id"], "sent", at, "export", f["tcn"])
        conn.execute(text("INSERT INTO export_batch (created_at, path, recordings, manifest_sha256) VALUES "
                          "(:at, :p, :n, :h)"), {"at": at, "p": str(folder), "n": len(files), "h": P.sha256_hex(body)})
    return {"folder": str(folder), "exported": len(files), "skipped": skipped, "transactions": files,
            "date": date.today().isoformat()}


def _summary(payload: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in payload.records:
        if r.modality in ("Face", "Finger", "Iris"):
            out[r.modality] = out.get(r.modality, 0) + 1
    return out

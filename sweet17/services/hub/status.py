"""Statuses at the hub: serving them to laptops (signed), the office's view by NIK, the central
system's lists, and duplicate NIKs waiting for a person to resolve them."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.errors import UserError, ValidationError
from sweet17.i18n import _
from sweet17.services.hub.config import Hub
from sweet17.services.hub.deliveries import deliveries_for_nik
from sweet17.services.hub.events import add_event, events_for
from sweet17.services.sync import protocol as P

NIK_RE = re.compile(r"^\d{16}$")

# Values of the central system's lists (English and the Indonesian words its exports use).
CENTRAL_STATUSES = {
    "recorded": "recorded", "terekam": "recorded", "rekam": "recorded", "sudah rekam": "recorded",
    "duplicate": "duplicate", "ganda": "duplicate", "duplikat": "duplicate", "data ganda": "duplicate",
    "printed": "printed", "tercetak": "printed", "cetak": "printed", "sudah cetak": "printed",
    "delivered": "delivered", "diserahkan": "delivered", "diterima": "delivered",
}
NIK_HEADERS = {"nik"}
STATUS_HEADERS = {"status", "keterangan", "ket"}
DATE_HEADERS = {"tanggal", "date", "tgl", "tanggal status"}


# ---------------------------------------------------------------------------- laptops

def status_document(hub: Hub, laptop_id: str, recording_ids: list[str]) -> tuple[bytes, str]:
    """The signed status answer for one laptop's recordings (others' recordings are left out)."""
    from sweet17.adapters import crypto

    ids = [r for r in dict.fromkeys(recording_ids) if isinstance(r, str)]
    with hub.store.connect() as conn:
        mine = set()
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ", ".join(f":r{j}" for j in range(len(part)))
            mine |= set(conn.execute(text(f"SELECT recording_id FROM hub_recording WHERE laptop_id = :l AND "
                                          f"state = 'complete' AND recording_id IN ({marks})"),
                                     {"l": laptop_id, **{f"r{j}": r for j, r in enumerate(part)}}).scalars())
        events = events_for(conn, [r for r in ids if r in mine])
    body = P.canonical_json({"kind": P.STATUS_KIND, "hub_id": hub.hub_id, "laptop_id": laptop_id,
                             "at": hub.now(), "statuses": events})
    return body, crypto.b64(crypto.sign(hub.sign_key, body))


# ---------------------------------------------------------------------------- office view

def check_nik(nik: str, field: str = "NIK") -> str:
    nik = nik.strip()
    if not NIK_RE.match(nik):
        raise UserError(_("{field} '{value}' is not a NIK (16 digits)").format(field=field, value=nik), field=field)
    return nik


def status_for_nik(hub: Hub, nik: str) -> dict[str, Any]:
    nik = check_nik(nik)
    with hub.store.connect() as conn:
        rows = conn.execute(text(
            "SELECT r.recording_id, r.laptop_id, l.name AS laptop_name, r.drive, r.school_code, r.name, "
            "r.captured_at, r.state, r.status, r.verified, r.problem, r.clock_flag, r.received_bytes, "
            "r.payload_size, r.completed_at, r.superseded_by, r.exported_at, r.export_tcn, r.via "
            "FROM hub_recording r JOIN laptop l ON l.laptop_id = r.laptop_id WHERE r.nik = :n "
            "ORDER BY r.captured_at, r.recording_id"), {"n": nik}).mappings().all()
        recs = [dict(r) for r in rows]
        evs = events_for(conn, [r["recording_id"] for r in recs])
        flags = conn.execute(text("SELECT recording_id, other_recording_id, created_at, resolved_at, resolved_by, "
                                  "kept_recording_id, note FROM nik_flag WHERE nik = :n ORDER BY id"),
                             {"n": nik}).mappings().all()
        handed = deliveries_for_nik(conn, nik)
    for r in recs:
        r["verified"] = bool(r["verified"])
        r["events"] = evs[r["recording_id"]]
    return {"nik": nik, "recordings": recs, "duplicate_flags": [dict(f) for f in flags], "deliveries": handed}


# ---------------------------------------------------------------------------- duplicates

def list_duplicates(hub: Hub, include_resolved: bool = False) -> list[dict[str, Any]]:
    where = "" if include_resolved else "WHERE f.resolved_at IS NULL "
    with hub.store.connect() as conn:
        rows = conn.execute(text(
            "SELECT f.id, f.nik, f.recording_id, f.other_recording_id, f.created_at, f.resolved_at, f.resolved_by, "
            "f.kept_recording_id, f.note, a.name AS name, a.school_code AS school_code, a.laptop_id AS laptop_id, "
            "b.school_code AS other_school_code, b.laptop_id AS other_laptop_id "
            "FROM nik_flag f JOIN hub_recording a ON a.recording_id = f.recording_id "
            f"JOIN hub_recording b ON b.recording_id = f.other_recording_id {where}ORDER BY f.id")).mappings().all()
    return [dict(r) for r in rows]


def resolve_duplicate(hub: Hub, nik: str, keep: str, by: str, note: str = "") -> dict[str, Any]:
    """Keep one recording of a NIK recorded twice; the others are superseded (never exported)."""
    nik = check_nik(nik)
    with hub.store.begin() as conn:
        flags = conn.execute(text("SELECT id, recording_id, other_recording_id FROM nik_flag WHERE nik = :n AND "
                                  "resolved_at IS NULL"), {"n": nik}).all()
        if not flags:
            raise UserError(_("NIK {nik} has no open duplicate flag").format(nik=nik), field="NIK")
        ids = {f[1] for f in flags} | {f[2] for f in flags}
        if keep not in ids:
            raise UserError(_("Recording {id} is not one of the recordings of NIK {nik}: {ids}").format(
                id=keep, nik=nik, ids=", ".join(sorted(ids))), field="--keep")
        now = hub.now()
        for rid in ids - {keep}:
            conn.execute(text("UPDATE hub_recording SET superseded_by = :k WHERE recording_id = :r"),
                         {"k": keep, "r": rid})
        conn.execute(text("UPDATE hub_recording SET superseded_by = NULL WHERE recording_id = :r"), {"r": keep})
        conn.execute(text("UPDATE nik_claim SET recording_id = :k WHERE nik = :n"), {"k": keep, "n": nik})
        conn.execute(text("UPDATE nik_flag SET resolved_at = :at, resolved_by = :by, kept_recording_id = :k, "
                          "note = :note WHERE nik = :n AND resolved_at IS NULL"),
                     {"at": now, "by": by, "k": keep, "note": note, "n": nik})
        status = conn.execute(text("SELECT status FROM hub_recording WHERE recording_id = :r"), {"r": keep}).scalar()
        if status == "duplicate":
            add_event(conn, keep, "verified", now, "duplicate-review", f"kept by {by}")
            conn.execute(text("UPDATE hub_recording SET status = 'verified' WHERE recording_id = :r"), {"r": keep})
    return {"nik": nik, "kept": keep, "superseded": sorted(ids - {keep}), "resolved_by": by}


# ---------------------------------------------------------------------------- central system lists

def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _read_rows(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = raw.decode("cp1252")
        sample = content[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [list(r) for r in csv.reader(content.splitlines(), dialect)]
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_path(str(path))
            return [list(r) for r in wb.get_sheet_by_index(0).to_python(skip_empty_area=False)]
        except (CalamineError, ValueError, OSError) as e:
            raise ValidationError(_("{path} cannot be read as a workbook: {detail}").format(path=path, detail=e),
                                  path=path) from None
    raise ValidationError(_("{path}: use a .csv or .xlsx file").format(path=path), path=path)


def _parse_date(v: Any, path: Path, row: int) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    s = _cell(v)
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            pass
    raise ValidationError(_("{path}, row {row}: '{value}' is not a date (YYYY-MM-DD or DD-MM-YYYY)").format(
        path=path, row=row, value=s), path=path, row=row, field="tanggal")


def read_central_file(path: Path, default_status: str | None = None,
                      default_date: str | None = None) -> list[tuple[int, str, str, str]]:
    """Rows (row number, NIK, status, date) of a central-system list; ``ValidationError`` names the row."""
    if not path.is_file():
        raise UserError(_("File {path} not found").format(path=path), path=path)
    rows = _read_rows(path)
    header_at = next((i for i, r in enumerate(rows) if any(_cell(c) for c in r)), None)
    if header_at is None:
        raise ValidationError(_("{path} is empty").format(path=path), path=path)
    header = [_cell(c).lower() for c in rows[header_at]]
    col_nik = next((i for i, h in enumerate(header) if h in NIK_HEADERS), None)
    col_status = next((i for i, h in enumerate(header) if h in STATUS_HEADERS), None)
    col_date = next((i for i, h in enumerate(header) if h in DATE_HEADERS), None)
    if col_nik is None:
        raise ValidationError(_("{path}, row {row}: no NIK column in the header").format(path=path, row=header_at + 1),
                              path=path, row=header_at + 1, field="NIK")
    if col_status is None and default_status is None:
        raise ValidationError(_("{path}: no Status column; give the list's status with --status").format(path=path),
                              path=path, field="status")
    out = []
    for i, r in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(_cell(c) for c in r):
            continue

        def at(col: int | None, r: list[Any] = r) -> Any:
            return r[col] if col is not None and col < len(r) else None

        nik_raw = at(col_nik)
        if isinstance(nik_raw, float | int) and not isinstance(nik_raw, bool):
            raise ValidationError(_("{path}, row {row}: the NIK is stored as a number, so Excel may have changed "
                                    "its last digits; format the NIK column as text").format(path=path, row=i),
                                  path=path, row=i, field="NIK")
        nik = _cell(nik_raw).replace(" ", "").lstrip("'")
        if not NIK_RE.match(nik):
            raise ValidationError(_("{path}, row {row}: NIK '{value}' is not 16 digits").format(
                path=path, row=i, value=nik), path=path, row=i, field="NIK")
        if col_status is not None and _cell(at(col_status)):
            word = _cell(at(col_status)).lower()
            status = CENTRAL_STATUSES.get(word)
            if status is None:
                raise ValidationError(_("{path}, row {row}: status '{value}' is unknown (use recorded, duplicate, "
                                        "printed or delivered)").format(path=path, row=i, value=_cell(at(col_status))),
                                      path=path, row=i, field="status")
        elif default_status is not None:
            status = default_status
        else:
            raise ValidationError(_("{path}, row {row}: the status is empty").format(path=path, row=i),
                                  path=path, row=i, field="status")
        if col_date is not None and _cell(at(col_date)):
            day = _parse_date(at(col_date), path, i)
        elif default_date:
            day = default_date
        else:
            raise ValidationError(_("{path}, row {row}: the date is empty").format(path=path, row=i),
                                  path=path, row=i, field="tanggal")
        out.append((i, nik, status, day))
    return out


def import_central(hub: Hub, path: Path | str, status: str | None = None, on: str | None = None) -> dict[str, Any]:
    """Apply a central-system list (NIK, status, date) to the hub's recordings, in one transaction.

    Idempotent: a status already recorded for a recording on the same date is not added again.
    NIKs the hub holds no recording for are reported (``unmatched``), not applied.
    """
    path = Path(path)
    if status is not None and status not in ("recorded", "duplicate", "printed", "delivered"):
        word = CENTRAL_STATUSES.get(status.lower())
        if word is None:
            raise UserError(_("Option --status: use recorded, duplicate, printed or delivered"), field="--status")
        status = word
    if on is not None:
        try:
            on = date.fromisoformat(on).isoformat()
        except ValueError:
            raise UserError(_("Option {field}: '{value}' is not a date (use YYYY-MM-DD)").format(
                field="--date", value=on), field="--date") from None
    rows = read_central_file(path, status, on)
    applied = already = 0
    unmatched: list[int] = []
    by_status: dict[str, int] = {}
    with hub.store.begin() as conn:
        for row_no, nik, st, day in rows:
            rids = conn.execute(text("SELECT recording_id FROM hub_recording WHERE nik = :n AND state = 'complete' "
                                     "AND superseded_by IS NULL"), {"n": nik}).scalars().all()
            if not rids:
                unmatched.append(row_no)
                continue
            for rid in rids:
                if add_event(conn, rid, st, day, "central", path.name):
                    applied += 1
                    by_status[st] = by_status.get(st, 0) + 1
                else:
                    already += 1
        conn.execute(text("INSERT INTO central_import (file_name, file_sha256, imported_at, row_count, applied, "
                          "unmatched) VALUES (:f, :h, :at, :n, :a, :u)"),
                     {"f": path.name, "h": P.sha256_hex(path.read_bytes()), "at": hub.now(), "n": len(rows),
                      "a": applied, "u": len(unmatched)})
    return {"file": str(path), "rows": len(rows), "applied": applied, "already": already,
            "unmatched": len(unmatched), "unmatched_rows": unmatched, "by_status": by_status}

"""End of day: per school and operator — recorded, absent, retries, force-captures, exceptions,
average capture time — and the coordinator's workbook (``exports/session-summary-<date>.xlsx``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.i18n import _


@dataclass
class SummaryRow:
    school_code: str
    operator: str
    recorded: int = 0
    absent: int = 0
    walk_ins: int = 0
    cancelled: int = 0
    retries: int = 0
    force_captures: int = 0
    exceptions: int = 0
    capture_seconds_total: float = 0.0

    @property
    def avg_capture_seconds(self) -> float | None:
        return round(self.capture_seconds_total / self.recorded, 1) if self.recorded else None

    def to_dict(self) -> dict[str, Any]:
        return {"school_code": self.school_code, "operator": self.operator, "recorded": self.recorded,
                "absent": self.absent, "walk_ins": self.walk_ins, "cancelled": self.cancelled,
                "retries": self.retries, "force_captures": self.force_captures, "exceptions": self.exceptions,
                "avg_capture_seconds": self.avg_capture_seconds}


def _seconds(a: str | None, b: str | None) -> float:
    from sweet17.services.session.service import parse_ts

    if not a or not b:
        return 0.0
    return max(0.0, (parse_ts(b) - parse_ts(a)).total_seconds())


def day_summary(ws, day: date, *, school: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The summary of one day (every school recorded that day, or one)."""
    params: dict[str, Any] = {"day": day.isoformat()}
    where = "c.day = :day"
    if school:
        where += " AND c.school_code = :school"
        params["school"] = school
    with ws.engine.connect() as c:
        rows = c.execute(text(
            "SELECT c.school_code, c.status, c.source, c.operator, r.operator, r.retries, r.force_captured, "
            "r.exceptions, c.capture_started_at, c.committed_at, c.name, c.nisn, c.rombel, c.student_ref, c.drive_slug "
            f"FROM checkin c LEFT JOIN recording r ON r.id = c.recording_id WHERE {where} "
            "ORDER BY c.school_code, c.rombel, c.name"), params).all()
        listed = c.execute(text(
            "SELECT school_code, student_ref, name, nisn, rombel, drive_slug FROM day_list WHERE day = :day"
            + (" AND school_code = :school" if school else "") + " ORDER BY school_code, rombel, name"),
            params).all()
    table: dict[tuple[str, str], SummaryRow] = {}
    students: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, set[str]] = {}
    for (sc, status, source, ck_op, rec_op, retries, forced, exceptions, started, committed, name, nisn, rombel,
         ref, _drive) in rows:
        op = rec_op or ck_op
        row = table.setdefault((sc, op), SummaryRow(sc, op))
        if status == "committed":
            row.recorded += 1
            row.retries += int(retries or 0)
            row.force_captures += int(bool(forced))
            exc = json.loads(exceptions or "[]")
            row.exceptions += int(bool(exc))
            row.walk_ins += int(source == "walk_in")
            row.capture_seconds_total += _seconds(started, committed)
        elif status == "absent":
            row.absent += 1
        elif status == "cancelled":
            row.cancelled += 1
        if status != "cancelled" or ref not in seen.get(sc, set()):
            seen.setdefault(sc, set()).add(ref)
            students.setdefault(sc, []).append({
                "name": name, "nisn": nisn, "rombel": rombel, "status": status, "source": source, "operator": op,
                "capture_seconds": round(_seconds(started, committed), 1) if status == "committed" else None,
                "force_captured": bool(forced), "exceptions": json.loads(exceptions or "[]")})
    called: dict[str, int] = {}
    for sc, ref, name, nisn, rombel, _drive in listed:
        called[sc] = called.get(sc, 0) + 1
        if ref not in seen.get(sc, set()):
            students.setdefault(sc, []).append({"name": name, "nisn": nisn, "rombel": rombel, "status": "waiting",
                                                "source": "list", "operator": "", "capture_seconds": None,
                                                "force_captured": False, "exceptions": []})
    schools = []
    for sc in sorted(set(called) | {k[0] for k in table}):
        rs = [r for k, r in table.items() if k[0] == sc]
        recorded = sum(r.recorded for r in rs)
        schools.append({"school_code": sc, "called": called.get(sc, 0), "recorded": recorded,
                        "absent": sum(r.absent for r in rs), "walk_ins": sum(r.walk_ins for r in rs),
                        "remaining": max(0, called.get(sc, 0) - len([s for s in students.get(sc, [])
                                                                      if s["source"] == "list" and
                                                                      s["status"] in ("committed", "absent")]))})
    out_rows = sorted(table.values(), key=lambda r: (r.school_code, r.operator))
    return {"date": day.isoformat(), "schools": schools, "rows": [r.to_dict() for r in out_rows],
            "students": {sc: lst for sc, lst in sorted(students.items())}}


def export_summary(ws, summary: dict[str, Any], *, actor: str = "system", out_dir: Path | None = None) -> Path:  # type: ignore[no-untyped-def]
    """Write the coordinator's workbook (summary sheet + one sheet per school). No NIKs in it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from sweet17.domain.session import STATUS_LABELS, CheckinStatus

    status_text = {"waiting": _("not yet"), **{s.value: _(STATUS_LABELS[s]) for s in CheckinStatus}}
    out_dir = Path(out_dir or ws.exports_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"session-summary-{summary['date']}.xlsx"
    wb = Workbook()
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E78")
    warn_fill = PatternFill("solid", fgColor="FCE4D6")

    def header(ws_, titles: list[str]) -> None:
        ws_.append(titles)
        for i, _t in enumerate(titles, 1):
            cell = ws_.cell(row=ws_.max_row, column=i)
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws_.freeze_panes = f"A{ws_.max_row + 1}"

    def widths(ws_, values: list[int]) -> None:
        for i, w in enumerate(values, 1):
            ws_.column_dimensions[get_column_letter(i)].width = w

    sh = wb.active
    sh.title = _("Summary")[:31]
    sh.append([_("Recording summary for {date}").format(date=summary["date"])])
    sh["A1"].font = Font(bold=True, size=14)
    sh.append([])
    header(sh, [_("School"), _("Operator"), _("Recorded"), _("Absent"), _("Walk-ins"), _("Cancelled"),
                _("Retries"), _("Force-captures"), _("With exceptions"), _("Average capture time (s)")])
    first = sh.max_row + 1
    for r in summary["rows"]:
        sh.append([r["school_code"], r["operator"], r["recorded"], r["absent"], r["walk_ins"], r["cancelled"],
                   r["retries"], r["force_captures"], r["exceptions"], r["avg_capture_seconds"]])
        if r["force_captures"]:
            sh.cell(row=sh.max_row, column=8).fill = warn_fill
    if summary["rows"]:
        sh.auto_filter.ref = f"A{first - 1}:J{sh.max_row}"
    sh.append([])
    sh.append([_("School"), _("Called"), _("Recorded"), _("Absent"), _("Walk-ins"), _("Remaining")])
    for i in range(1, 7):
        sh.cell(row=sh.max_row, column=i).font = Font(bold=True)
    for s in summary["schools"]:
        sh.append([s["school_code"], s["called"], s["recorded"], s["absent"], s["walk_ins"], s["remaining"]])
    widths(sh, [14, 16, 11, 10, 11, 11, 10, 14, 16, 18])
    for sc, lst in summary["students"].items():
        sheet = wb.create_sheet(title=str(sc)[:31])
        header(sheet, [_("No"), _("Name"), _("NISN"), _("Class"), _("Status"), _("Walk-in"), _("Operator"),
                       _("Capture time (s)"), _("Force-captured"), _("Exceptions")])
        for i, st in enumerate(lst, 1):
            sheet.append([i, st["name"], st["nisn"], st["rombel"], status_text.get(st["status"], st["status"]),
                          _("yes") if st["source"] == "walk_in" else "", st["operator"], st["capture_seconds"],
                          _("yes") if st["force_captured"] else "", ", ".join(st["exceptions"])])
            if st["status"] != "committed":
                sheet.cell(row=sheet.max_row, column=5).fill = warn_fill
        if lst:
            sheet.auto_filter.ref = f"A1:J{sheet.max_row}"
        widths(sheet, [5, 32, 13, 12, 14, 9, 12, 14, 13, 30])
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    os.replace(tmp, path)
    ws.audit(actor, "session.export", str(path.name), {"date": summary["date"], "schools": len(summary["schools"])})
    return path

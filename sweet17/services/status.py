"""``sweet17 status NIK|NISN``: where one student is in the drive, end to end, with dates.

    from sweet17.services.status import student_status
    results = student_status(ws, loaded_drive, "6311065708080012")
    results[0].lifecycle.current          # Stage.PRINTED, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sweet17.domain.lifecycle import NEXT_STEP, STAGE_LABELS, Lifecycle
from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.reports.students import StudentFacts, drive_students, find_student


@dataclass
class StudentStatus:
    facts: StudentFacts
    lifecycle: Lifecycle
    school_name: str

    def to_dict(self) -> dict[str, Any]:
        f, lc = self.facts, self.lifecycle
        return {
            "name": f.name, "nik": f.nik, "nisn": f.nisn, "school_code": f.school_code, "school": self.school_name,
            "birth_date": f.birth_date.isoformat() if f.birth_date else None, "on_roster": f.on_roster,
            "current": str(lc.current), "current_label": _(STAGE_LABELS[lc.current]),
            "next_step": _(NEXT_STEP[lc.current]),
            "eligible_from": f.eligible_from.isoformat() if f.eligible_from else None,
            "card_serial": f.card_serial or None,
            "main_line": [{"stage": str(s), "label": _(STAGE_LABELS[s]), "reached": e is not None,
                           "at": e.at.isoformat() if e is not None and e.at else None} for s, e in lc.main_line],
            "events": [{**e.to_dict(), "label": _(STAGE_LABELS[e.stage])} for e in lc.events],
        }


def normalise_query(query: str) -> str:
    q = "".join(ch for ch in str(query) if not ch.isspace() and ch not in ".-")
    if not q.isdigit() or len(q) not in (10, 16):
        raise UserError(_("'{value}' is neither a NIK (16 digits) nor a NISN (10 digits)").format(value=query),
                        field="NIK|NISN")
    return q


def student_status(ws, loaded, query: str, as_of: date | None = None) -> list[StudentStatus]:  # type: ignore[no-untyped-def]
    """The status of the student(s) with this NIK or NISN in the drive; ``UserError`` when there is none."""
    q = normalise_query(query)
    drive = loaded.drive
    found = find_student(drive_students(ws, drive.slug, drive.min_age, as_of), q)
    if not found:
        kind = "NIK" if len(q) == 16 else "NISN"
        raise UserError(_("No student with {kind} {value} in drive {drive}").format(kind=kind, value=q,
                                                                                    drive=drive.slug))
    names = {s.code: s.name for s in drive.schools}
    return [StudentStatus(f, f.lifecycle(), names.get(f.school_code, f.school_code)) for f in found]


"""Who needs recording: students on the current rosters with no recording yet, by age on a date.

Interfaces other parts use::

    from sweet17.services.eligibility import StudentDue, students_due, call_list
    due = students_due(ws, "balangan-2026")                 # the planner's demand
    called = call_list(ws, "balangan-2026", "sman1-paringin", date(2026, 1, 19))   # a visit's list

A student is *recorded* when matched to the registry extract (``registry_match``) or recorded
locally (table ``recording`` with status captured, approved, synced or acknowledged; linked by
``student_ref`` = ``roster:<student id>`` as sessions write it, or by NIK or NISN). Foreign students (a KITAS number instead of
a NIK) and students on the school's leavers' list are not due. ``blocking`` means a data problem
(an error finding, e.g. no usable NIK) must be solved before or at the visit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import text

from sweet17.domain import eligibility as el
from sweet17.domain.findings import Severity
from sweet17.i18n import _

LOCAL_RECORDED = ("captured", "approved", "synced", "acknowledged")


@dataclass(frozen=True)
class StudentDue:
    """A roster student with no recording yet."""

    student_id: int
    school_code: str
    name: str
    nisn: str
    nik: str
    birth_date: date | None
    sex: str
    rombel: str
    turns_min_age_on: date | None
    blocking: bool

    def to_dict(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "school": self.school_code, "name": self.name, "nisn": self.nisn,
                "birth_date": self.birth_date, "sex": self.sex, "rombel": self.rombel,
                "turns_min_age_on": self.turns_min_age_on, "blocking": self.blocking}


class _Student(NamedTuple):
    """A student as the counts need it; ``row`` is kept to make the ``StudentDue`` when it is listed."""

    row: tuple[Any, ...]          # id, school, name, nisn, nik, birth date (ISO), sex, rombel
    birth: date | None
    blocking: bool
    recorded: bool
    foreign: bool
    review: bool

    def due(self, min_age: int, turns: dict[date, date] | None = None) -> StudentDue:
        sid, school, name, nisn, nik, _bd, sex, rombel = self.row
        birth = self.birth
        turn = turns.get(birth) if turns is not None and birth is not None else None
        return StudentDue(student_id=sid, school_code=school, name=name, nisn=nisn, nik=nik, birth_date=birth,
                          sex=sex, rombel=rombel, turns_min_age_on=turn or el.turns_age_on(birth, min_age),
                          blocking=self.blocking)


def _students(ws, drive_slug: str, school: str | None = None, *, ordered: bool = True) -> list[_Student]:  # type: ignore[no-untyped-def]
    from sweet17.services.roster import cross_school, leaver_keys, shared_across_schools

    sql = ("SELECT s.id, s.school_code, s.name, s.nisn, s.nik, s.birth_date, s.sex, s.rombel, s.blocking, "
           "s.nik_status, s.row_number, s.name_key FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
           "WHERE s.drive_slug = ? AND i.current = 1 AND i.kind = 'roster' AND s.counted = 1")
    params: tuple[Any, ...] = (drive_slug,)
    if school:
        sql += " AND s.school_code = ?"
        params += (school,)
    with ws.engine.connect() as conn:
        cur = conn.connection.driver_connection.cursor()
        try:
            rows = cur.execute(sql + (" ORDER BY s.school_code, s.row_number" if ordered else ""), params).fetchall()
            matched = {r[0] for r in cur.execute("SELECT student_id FROM registry_match WHERE drive_slug = ?",
                                                 (drive_slug,))}
            review = {r[0] for r in cur.execute("SELECT student_id FROM registry_review WHERE drive_slug = ?",
                                                (drive_slug,))}
            refs: set[str] = set()
            niks: set[str] = set()
            nisns: set[str] = set()
            for ref, nik, nisn in cur.execute(
                    "SELECT student_ref, nik, nisn FROM recording WHERE drive_slug = ? AND status IN ({})".format(
                        ",".join("?" * len(LOCAL_RECORDED))), (drive_slug, *LOCAL_RECORDED)):
                if ref:  # sessions write "roster:<student id>" (walk-ins "walkin:..."); older rows the bare id
                    ref = str(ref)
                    refs.add(ref[len("roster:"):] if ref.startswith("roster:") else ref)
                if nik:
                    niks.add(nik)
                if nisn:
                    nisns.add(nisn)
        finally:
            cur.close()
        leavers = leaver_keys(conn, drive_slug)
        # students at other schools: all of the drive's are needed, those read above are when no school is asked
        # (only the rows sharing a NIK or NISN with another school's matter)
        if school:
            cross = cross_school(conn, drive_slug)
        else:
            shared_niks, shared_nisns = shared_across_schools(rows, 1, 4, 3)
            cross = cross_school(conn, drive_slug, [
                (r[0], r[1], r[10], r[4], r[3], r[11]) for r in rows
                if (r[4] and r[4] in shared_niks) or (r[3] and r[3] in shared_nisns)]) \
                if shared_niks or shared_nisns else {}
    crossed = {sid for sid, fs in cross.items() if any(f.severity == Severity.ERROR for f in fs)}
    births: dict[str, date] = {}         # (a few thousand distinct birth dates)
    out: list[_Student] = []
    add = out.append
    new = tuple.__new__
    local = bool(refs or niks or nisns)
    for sid, code, name, nisn, nik, bd, sex, rombel, blocking, nik_status, _row, _key in rows:
        if leavers and ((code, "nisn:" + nisn) in leavers or (nik and (code, "nik:" + nik) in leavers)):
            continue
        recorded = sid in matched or (local and ((bool(refs) and str(sid) in refs) or (bool(nik) and nik in niks)
                                                 or (bool(nisn) and nisn in nisns)))
        if bd:
            birth = births.get(bd)
            if birth is None:
                birth = births[bd] = date.fromisoformat(bd)
        else:
            birth = None
        add(new(_Student, ((sid, code, name, nisn, nik, bd, sex, rombel), birth,
                           bool(blocking) or sid in crossed, recorded, nik_status == "kitas", sid in review)))
    return out


def students_due(ws, drive_slug: str, *, min_age: int = 16) -> list[StudentDue]:  # type: ignore[no-untyped-def]
    """Every student on the current rosters of the drive with no recording in the registry extract and no
    local recording (any age; ``turns_min_age_on`` tells when they reach ``min_age``)."""
    return [s.due(min_age) for s in _students(ws, drive_slug) if not s.recorded and not s.foreign]


def call_list(ws, drive_slug: str, school_code: str, on: date, *, min_age: int = 16) -> list[StudentDue]:  # type: ignore[no-untyped-def]
    """The students of ``students_due`` at the school who are ``min_age`` or older on ``on``, by Rombel and name."""
    due = [s.due(min_age) for s in _students(ws, drive_slug, school_code) if not s.recorded and not s.foreign]
    out = [d for d in due if d.turns_min_age_on is not None and d.turns_min_age_on <= on]
    out.sort(key=lambda d: (d.rombel, d.name.lower(), d.student_id))
    return out


# ---------------------------------------------------------------- the eligibility report


@dataclass
class SchoolEligibility:
    code: str
    name: str
    kecamatan: str
    as_of: date
    as_of_source: str                        # option | plan | today
    counts: el.Counts
    call: list[StudentDue] = field(default_factory=list)
    soon: list[StudentDue] = field(default_factory=list)

    def to_dict(self, with_students: bool = False) -> dict[str, Any]:
        d = {"school": self.code, "name": self.name, "kecamatan": self.kecamatan, "as_of": self.as_of,
             "as_of_source": self.as_of_source, **{k: v for k, v in self.counts.to_dict().items() if k != "as_of"}}
        if with_students:
            d["call"] = [s.to_dict() for s in self.call]
            d["soon_students"] = [s.to_dict() for s in self.soon]
        return d


@dataclass
class EligibilityReport:
    drive: str
    min_age: int
    within_days: int
    schools: list[SchoolEligibility]

    def by_kecamatan(self) -> dict[str, el.Counts]:
        out: dict[str, el.Counts] = {}
        for s in self.schools:
            out.setdefault(s.kecamatan, el.Counts()).add(s.counts)
        return dict(sorted(out.items()))

    def total(self) -> el.Counts:
        t = el.Counts()
        for s in self.schools:
            t.add(s.counts)
        return t

    def to_dict(self, with_students: bool = False) -> dict[str, Any]:
        return {"drive": self.drive, "min_age": self.min_age, "within_days": self.within_days,
                "schools": [s.to_dict(with_students) for s in self.schools],
                "kecamatan": [{"kecamatan": k, **c.to_dict()} for k, c in self.by_kecamatan().items()],
                "total": self.total().to_dict()}


def _planned_dates(ws, drive_slug: str) -> dict[str, date]:  # type: ignore[no-untyped-def]
    try:
        from sweet17.services.planning import planned_visit_dates
    except ModuleNotFoundError as e:   # the planner is not installed in this build
        if e.name and e.name.startswith("sweet17.services.planning"):
            return {}
        raise
    return planned_visit_dates(ws, drive_slug)


def eligibility(ws, *, as_of: date | None = None, min_age: int | None = None, school: str | None = None,  # type: ignore[no-untyped-def]
                within_days: int = 0, drive_path: Path | None = None, today: date | None = None) -> EligibilityReport:
    """Counts and lists per school. The date per school: ``as_of``, else its planned visit date, else today."""
    from sweet17.errors import UserError
    from sweet17.services.drives import current_drive

    drive = current_drive(ws, drive_path).drive
    min_age = drive.min_age if min_age is None else min_age
    if min_age < 0 or within_days < 0:
        raise UserError(_("--min-age and --within-days must not be negative"))
    codes = [s.code for s in drive.schools]
    if school and school not in codes:
        raise UserError(_("School {code} is not in the drive {drive} (schools: {codes})").format(
            code=school, drive=drive.slug, codes=", ".join(codes)))
    planned = {} if as_of else _planned_dates(ws, drive.slug)
    today = today or date.today()
    students = _students(ws, drive.slug, school, ordered=False)     # (every list below is sorted)
    turns: dict[date, date] = {}         # birth date -> the day of reaching min_age
    by_school: dict[str, list[_Student]] = {}
    for s in students:
        by_school.setdefault(s.row[1], []).append(s)
    out: list[SchoolEligibility] = []
    for sch in drive.schools:
        if school and sch.code != school:
            continue
        on, src = (as_of, "option") if as_of else ((planned[sch.code], "plan") if sch.code in planned
                                                   else (today, "today"))
        items = by_school.get(sch.code, [])
        citizens = [s for s in items if not s.foreign]
        counts, called, sweep = el.tally(((s.birth, s.recorded, s.blocking, s.review, s) for s in citizens), on,
                                         min_age, within_days, turns)
        counts.students += len(items) - len(citizens)
        counts.foreign = len(items) - len(citizens)
        call = [s.due(min_age, turns) for s in called]
        soon = [s.due(min_age, turns) for s in sweep]
        call.sort(key=lambda d: (d.rombel, d.name.lower(), d.student_id))
        soon.sort(key=lambda d: (d.turns_min_age_on or date.max, d.rombel, d.name.lower(), d.student_id))
        out.append(SchoolEligibility(sch.code, sch.name, sch.kecamatan, on, src, counts, call, soon))
    return EligibilityReport(drive=drive.slug, min_age=min_age, within_days=within_days, schools=out)


def blocking_notes(ws, student_ids: list[int], translate: Callable[[str], str] = _) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """student id -> the error findings blocking recording, as one line."""
    import json

    notes: dict[int, list[str]] = {}
    wanted = set(student_ids)
    if not wanted:
        return {}
    with ws.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT f.student_id, f.message, f.params FROM roster_finding f JOIN roster_import i ON i.id = f.import_id "
            "WHERE i.current = 1 AND f.severity = 'error' AND f.student_id IS NOT NULL ORDER BY f.id")).all()
    for sid, msg, params in rows:
        if sid in wanted:
            notes.setdefault(sid, []).append(translate(msg).format(**json.loads(params or "{}")))
    return {k: "; ".join(v) for k, v in notes.items()}


def export_eligibility(ws, report: EligibilityReport, *, out_dir: Path | None = None) -> Path:  # type: ignore[no-untyped-def]
    """A styled workbook: a summary sheet, one per kecamatan, one sheet per school with its call list."""
    from sweet17.adapters.xlsx.styled import Column, StyledWorkbook
    from sweet17.domain.ages import age_on
    from sweet17.services.roster import current_actor

    wb = StyledWorkbook()
    count_cols = [Column(_("Students"), kind="int"), Column(_("Recorded"), kind="int"),
                  Column(_("To record"), kind="int"), Column(_("Blocked by a data problem"), kind="int", width=14),
                  Column(_("Next sweep"), kind="int"), Column(_("Age unknown"), kind="int"),
                  Column(_("Match to review"), kind="int"), Column(_("Foreign (KITAS)"), kind="int")]

    def cvals(c: el.Counts) -> list[int]:
        return [c.students, c.recorded, c.eligible, c.blocked, c.soon, c.unknown_age, c.review, c.foreign]

    summary_rows = [[s.code, s.name, s.kecamatan, s.as_of, *cvals(s.counts)] for s in report.schools]
    total = report.total()
    summary_rows.append([_("Total"), "", "", None, *cvals(total)])
    wb.add_table(_("Summary"), [Column(_("Code"), width=20), Column(_("School"), width=30),
                                Column(_("Kecamatan"), width=18), Column(_("Date"), kind="date", width=12),
                                *count_cols], summary_rows,
                 severities=[("warning" if s.counts.blocked else None) for s in report.schools] + ["ok"],
                 title=_("Students to record, drive {drive} (age {age} or older on the date)").format(
                     drive=report.drive, age=report.min_age))
    kec = report.by_kecamatan()
    wb.add_table(_("Per kecamatan"), [Column(_("Kecamatan"), width=20), *count_cols],
                 [[k, *cvals(c)] for k, c in kec.items()])
    ids = [d.student_id for s in report.schools for d in s.call if d.blocking]
    notes = blocking_notes(ws, ids)
    for s in report.schools:
        rows = []
        sev = []
        for n, d in enumerate(s.call, 1):
            age = age_on(d.birth_date, s.as_of) if d.birth_date else None
            rows.append([n, d.rombel, d.name, d.nisn, d.sex, d.birth_date, age, notes.get(d.student_id, "")])
            sev.append("error" if d.blocking else None)
        wb.add_table(s.code, [Column(_("No"), kind="int", width=6), Column(_("Class (Rombel)"), width=14),
                              Column(_("Name"), width=32), Column(_("NISN"), width=13), Column(_("Sex"), width=5),
                              Column(_("Birth date"), kind="date", width=12), Column(_("Age"), kind="int", width=6),
                              Column(_("Problem to solve before recording"), width=50, wrap=True)],
                     rows, severities=sev,
                     title=_("{school}: students to call on {date}").format(school=s.name,
                                                                            date=s.as_of.strftime("%d/%m/%Y")))
    if report.within_days:
        soon_rows = [[s.code, d.rombel, d.name, d.nisn, d.birth_date, d.turns_min_age_on]
                     for s in report.schools for d in s.soon]
        wb.add_table(_("Next sweep"), [Column(_("School"), width=20), Column(_("Class (Rombel)"), width=14),
                                       Column(_("Name"), width=32), Column(_("NISN"), width=13),
                                       Column(_("Birth date"), kind="date", width=12),
                                       Column(_("Reaches the age on"), kind="date", width=14)], soon_rows,
                     title=_("Reaching age {age} within {days} days after the visit").format(
                         age=report.min_age, days=report.within_days))
    dates = sorted({s.as_of for s in report.schools})
    stamp = dates[0].isoformat() if len(dates) == 1 else "visits"
    path = (out_dir or ws.exports_dir) / f"eligible-{report.drive}-{stamp}.xlsx"
    wb.save(path)
    ws.audit(current_actor(), "eligible.export", report.drive, {"file": path.name,
                                                                "students": sum(len(s.call) for s in report.schools)})
    return path

"""The day's list: the students called for one school on one date, and finding a student in it.

The list is taken once per school and day from the eligibility service (issue 3:
``eligibility.call_list(ws, drive_slug, school_code, on)``, which follows the visit plan) and kept
in ``day_list``, so that it stays the same all day (a student who is recorded does not vanish from
it, and a re-imported roster does not change the counts mid-day). Walk-ins are not on it; they are
check-ins with a reason.

Search: a 16-digit query is a NIK, a 10-digit one a NISN (exact); anything else is a name, matched
with rapidfuzz on normalised names (case, spaces, accents and punctuation ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text

from sweet17.domain.session import normalise_name
from sweet17.errors import UserError
from sweet17.i18n import _


@dataclass(frozen=True)
class ListedStudent:
    student_ref: str
    name: str
    nik: str = ""
    nisn: str = ""
    birth_date: str = ""
    sex: str = ""
    rombel: str = ""
    note: str = ""
    position: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"student_ref": self.student_ref, "name": self.name, "nik": self.nik, "nisn": self.nisn,
                "birth_date": self.birth_date, "sex": self.sex, "rombel": self.rombel, "note": self.note}


def _get(obj: Any, *names: str, default: Any = "") -> Any:
    for n in names:
        if isinstance(obj, dict):
            if n in obj and obj[n] not in (None, ""):
                return obj[n]
        else:
            v = getattr(obj, n, None)
            if v not in (None, ""):
                return v
    return default


def as_listed(obj: Any, position: int = 0) -> ListedStudent:
    """A ``StudentDue`` (or a dict with the same fields) as a day-list entry."""
    bd = _get(obj, "birth_date", "tanggal_lahir")
    if isinstance(bd, date):
        bd = bd.isoformat()
    nik = str(_get(obj, "nik"))
    nisn = str(_get(obj, "nisn"))
    roster_id = _get(obj, "student_id", default=None)
    if roster_id is not None:                       # eligibility.StudentDue: the roster row's id
        ref = f"roster:{roster_id}"
    else:
        ref = str(_get(obj, "student_ref", "ref", "id", "key",
                       default=f"nisn:{nisn}" if nisn else (f"nik:{nik}" if nik else "")))
    name = str(_get(obj, "name", "nama"))
    if not ref or not name:
        raise ValueError("a listed student needs a reference and a name")
    return ListedStudent(student_ref=ref, name=name, nik=nik, nisn=nisn, birth_date=str(bd or ""),
                         sex=str(_get(obj, "sex", "jk")), rombel=str(_get(obj, "rombel", "class_name", "kelas")),
                         note="blocking" if _get(obj, "blocking", default=False) is True else str(_get(obj, "note")),
                         position=position)


def snapshot_day_list(ws, drive_slug: str, school_code: str, day: date, students: Iterable[Any],  # type: ignore[no-untyped-def]
                      conn: Any = None) -> int:
    """Store the day's list (idempotent: students already listed are kept as they are). Returns the count added."""
    rows = [as_listed(s, i) for i, s in enumerate(students)]

    def _do(c: Any) -> int:
        added = 0
        for r in rows:
            added += c.execute(text(
                "INSERT INTO day_list (drive_slug, school_code, day, student_ref, position, nik, nisn, name, "
                "birth_date, sex, rombel, note) VALUES (:d, :s, :day, :ref, :pos, :nik, :nisn, :name, :bd, :sex, "
                ":rombel, :note) ON CONFLICT (drive_slug, school_code, day, student_ref) DO NOTHING"),
                {"d": drive_slug, "s": school_code, "day": day.isoformat(), "ref": r.student_ref, "pos": r.position,
                 "nik": r.nik, "nisn": r.nisn, "name": r.name, "bd": r.birth_date, "sex": r.sex, "rombel": r.rombel,
                 "note": r.note}).rowcount
        return added

    if conn is not None:
        return _do(conn)
    with ws.engine.begin() as c:
        return _do(c)


def has_day_list(ws, drive_slug: str, school_code: str, day: date) -> bool:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        return bool(c.execute(text("SELECT 1 FROM day_list WHERE drive_slug = :d AND school_code = :s AND day = :day "
                                   "LIMIT 1"), {"d": drive_slug, "s": school_code, "day": day.isoformat()}).first())


def fetch_call_list(ws, drive_slug: str, school_code: str, day: date, min_age: int = 16) -> list[Any]:  # type: ignore[no-untyped-def]
    """The eligibility service's call list for the school and date (``UserError`` when it cannot give one)."""
    try:
        from sweet17.services.eligibility import call_list
    except ImportError:
        raise UserError(_("The day's list cannot be made: this installation has no eligibility service. "
                          "Import the rosters first (sweet17 roster import).")) from None
    students = list(call_list(ws, drive_slug, school_code, day, min_age=min_age))
    if not students:
        raise UserError(_("Nobody is called at school {school} on {day}: no imported roster lists a student aged "
                          "{age} or more without a recording. Check the roster (sweet17 roster import) and the "
                          "date.").format(school=school_code, day=day.isoformat(), age=min_age))
    return students


def day_list(ws, drive_slug: str, school_code: str, day: date) -> list[ListedStudent]:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        rows = c.execute(text(
            "SELECT student_ref, name, nik, nisn, birth_date, sex, rombel, note, position FROM day_list "
            "WHERE drive_slug = :d AND school_code = :s AND day = :day ORDER BY rombel, name, position"),
            {"d": drive_slug, "s": school_code, "day": day.isoformat()}).all()
    return [ListedStudent(*r) for r in rows]


@dataclass(frozen=True)
class Match:
    student: ListedStudent
    score: float          # 100 for exact NIK/NISN matches
    by: str               # "nik", "nisn", "name", "ref"

    def to_dict(self) -> dict[str, Any]:
        return {**self.student.to_dict(), "score": round(self.score, 1), "by": self.by}


NAME_CUTOFF = 60.0


def search(students: list[ListedStudent], query: str, limit: int = 8) -> list[Match]:
    """Find students by NIK (16 digits), NISN (10 digits), reference, or name (fuzzy)."""
    q = str(query).strip()
    digits = re.sub(r"[\s.\-]", "", q)
    if digits.isdigit() and len(digits) == 16:
        return [Match(s, 100.0, "nik") for s in students if s.nik == digits][:limit]
    if digits.isdigit() and 7 <= len(digits) <= 10:   # Excel drops the leading zeros of NISNs
        d10 = digits.zfill(10)
        return [Match(s, 100.0, "nisn") for s in students if s.nisn.zfill(10) == d10][:limit]
    exact = [Match(s, 100.0, "ref") for s in students if s.student_ref == q]
    if exact:
        return exact
    nq = normalise_name(q)
    if len(nq) < 2:
        return []
    from rapidfuzz import fuzz, process, utils

    names = [normalise_name(s.name) for s in students]
    found = process.extract(nq, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit,
                            score_cutoff=NAME_CUTOFF)
    # Exact token containment first (typing "RAHMAT" should list every Rahmat), then by score.
    out = [Match(students[i], float(score), "name") for _name, score, i in found]
    out.sort(key=lambda m: (-m.score, m.student.name))
    return out


def unambiguous(matches: list[Match], margin: float = 5.0, minimum: float = 88.0) -> Match | None:
    """The single clear match (exact, or a name score well above the next one), else None."""
    if not matches:
        return None
    if matches[0].by in ("nik", "nisn", "ref"):
        return matches[0] if len(matches) == 1 else None
    if matches[0].score < minimum:
        return None
    if len(matches) > 1 and matches[0].score - matches[1].score < margin:
        return None
    return matches[0]

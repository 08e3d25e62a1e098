"""The registry extract (residents Dukcapil has already recorded) and matching students to it.

::

    from sweet17.services.registry import import_extract, rematch, review_cases, decide
    rep = import_extract(ws, Path("registry/rekam-ktp-el-2026.csv"))
    rep.persons, rep.skipped          # rows stored, rows left out with the reason and row numbers
    cases = review_cases(ws, "balangan-2026")   # possible matches a person must decide
    decide(ws, "balangan-2026", cases[0].student_id, choice=1)

The extract is CSV or a workbook; SIAK's own field names (NIK, NO_KK, NAMA_LGKP, JENIS_KLMIN as
1/2 or L/P, TMPT_LHR, TGL_LHR as DD-MM-YYYY, STATUS) are recognised, as are plain Indonesian or
English headers; anything else takes a column map. Rows are streamed (a province's extract has
millions) and stored in one transaction; the previous extract stays in the history (file, hash,
who, when) and its rows are replaced. Matching (``sweet17.domain.matching``) runs after each
extract or roster import; ambiguous cases are stored for review and never decided here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.adapters.readers import ReadError, open_workbook
from sweet17.domain import matching as mt
from sweet17.domain import roster as dom
from sweet17.errors import UserError
from sweet17.i18n import N_, _

REGISTRY_FIELDS = ("nik", "no_kk", "name", "sex", "birth_place", "birth_date", "status")
REGISTRY_REQUIRED = ("nik", "name", "birth_date", "sex")
_REG_ALIASES = {a: f for f, aliases in dom.FIELD_ALIASES.items() if f in REGISTRY_FIELDS for a in aliases}
SKIP_REASONS = {
    "nik_number": N_("NIK stored as a number (digits lost)"),
    "nik_invalid": N_("NIK not 16 digits"),
    "nik_missing": N_("NIK empty"),
}
_SEX_FAST = {"1": "L", "2": "P", "L": "L", "P": "P", "l": "L", "p": "P"}
BATCH = 50_000


# ---------------------------------------------------------------- import


@dataclass
class ExtractReport:
    file: Path
    extract_id: int
    replaced_extract_id: int | None
    file_format: str
    rows: int                                   # data rows read (blank rows not counted)
    persons: int                                # rows stored
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_rows: dict[str, list[int]] = field(default_factory=dict)   # first row numbers per reason
    bad_birth_dates: int = 0
    match: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.file), "extract_id": self.extract_id,
                "replaced_extract_id": self.replaced_extract_id, "format": self.file_format, "rows": self.rows,
                "persons": self.persons, "skipped": self.skipped, "skipped_rows": self.skipped_rows,
                "bad_birth_dates": self.bad_birth_dates,
                "match": self.match.to_dict() if self.match is not None else None}


_VALID_MD = frozenset(f"{m:02d}-{d:02d}" for m in range(1, 13)
                      for d in range(1, (31 if m in (1, 3, 5, 7, 8, 10, 12) else 30 if m != 2 else 29) + 1))


def _fast_birth(v: Any) -> str:
    """ISO text of a birth date cell ('' when unreadable); DD-MM-YYYY and YYYY-MM-DD checked without parsing."""
    if v.__class__ is str and len(v) == 10:
        sep = v[2]
        if (sep == "-" or sep == "/" or sep == ".") and v[5] == sep:
            y = v[6:]
            md = f"{v[3:5]}-{v[:2]}"
            if y.isdigit() and md in _VALID_MD:
                if md == "02-29" and not (int(y) % 4 == 0 and (int(y) % 100 != 0 or int(y) % 400 == 0)):
                    return ""
                return f"{y}-{md}"
            return ""
        if v[4] == "-" and v[7] == "-" and v[:4].isdigit() and f"{v[5:7]}-{v[8:]}" in _VALID_MD:
            md = v[5:]
            y = int(v[:4])
            if md == "02-29" and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
                return ""
            return v
    d = dom.parse_date(v).value
    return d.isoformat() if d else ""


def _header(book, column_map) -> tuple[str, int, dict[str, int], Iterator[list[Any]]]:  # type: ignore[no-untyped-def]
    """(sheet, header row index, field -> column, iterator over the rows after the header)."""
    for sheet in book.sheet_names:
        it = book.iter_rows(sheet)
        head: list[list[Any]] = []
        for row in it:
            head.append(row)
            if len(head) >= dom.HEADER_SCAN_ROWS:
                break
        if column_map is not None:
            lay = dom.layout_from_map(head, column_map.columns, header_row=column_map.header_row)
            if isinstance(lay, str):
                raise ReadError("map", N_("{path}: no column '{column}' (named in the map) in the first {n} rows"),
                                column=lay, n=dom.HEADER_SCAN_ROWS)
        else:
            lay = dom.detect_layout(head, aliases=_REG_ALIASES, required=("nik", "name"), min_fields=3)
            if lay is None:
                continue
            missing = [f for f in REGISTRY_REQUIRED if f not in lay.columns]
            if missing:
                raise ReadError("header", N_("{path}: the registry extract has no column for {fields}; give a "
                                             "column map with --map"), fields=", ".join(missing))

        def rest(head=head, it=it, start=lay.data_start):  # type: ignore[no-untyped-def]
            yield from head[start:]
            yield from it
        return sheet, lay.data_start, lay.columns, rest()
    raise ReadError("header", N_("{path}: no header with NIK, name, birth date and sex (SIAK names such as NIK, "
                                 "NAMA_LGKP, TGL_LHR, JENIS_KLMIN are recognised) in the first {n} rows"),
                    n=dom.HEADER_SCAN_ROWS)


def import_extract(ws, path: Path | str | None = None, *, map_path: Path | None = None,  # type: ignore[no-untyped-def]
                   drive_path: Path | None = None, actor: str | None = None,
                   progress: Callable[[int], None] | None = None, match: bool = True) -> ExtractReport:
    """Import the registry extract for the current drive (default file: the drive's ``registry_extract``)."""
    from sweet17.services.drives import current_drive
    from sweet17.services.roster import current_actor, file_sha256
    from sweet17.services.workspace import now_utc

    loaded = current_drive(ws, drive_path)
    drive = loaded.drive
    if path is None:
        if not drive.registry_extract:
            raise UserError(_("Give the registry extract file: the drive file names none (registry_extract)"))
        path = loaded.resolve(drive.registry_extract)
    path = Path(path)
    column_map = None
    if map_path is not None:
        from sweet17.adapters.readers.columnmap import load_column_map

        try:
            column_map = load_column_map(map_path, list(REGISTRY_FIELDS), required=REGISTRY_REQUIRED)
        except ReadError as e:
            raise UserError(_(e.message).format(path=map_path, **e.params), path=map_path) from None
    actor = actor or current_actor()
    try:
        book = open_workbook(path)
        try:
            sheet, start, cols, rows = _header(book, column_map)
            i_nik, i_name, i_bd, i_sex = cols["nik"], cols["name"], cols["birth_date"], cols["sex"]
            i_status = cols.get("status")
            width = max(cols.values()) + 1
            skipped: Counter[str] = Counter()
            skipped_rows: dict[str, list[int]] = {}
            bad_bd = 0
            n_rows = 0
            now = now_utc()
            sha = file_sha256(path)
            with ws.engine.begin() as conn:
                old = conn.execute(text("SELECT id FROM registry_extract WHERE drive_slug = :d AND current = 1"),
                                   {"d": drive.slug}).scalar()
                # millions of rows: build the NIK index once at the end rather than row by row (same transaction)
                conn.exec_driver_sql("DROP INDEX IF EXISTS ix_registry_person_nik")
                if old is not None:
                    conn.execute(text("DELETE FROM registry_person WHERE extract_id = :e"), {"e": old})
                    conn.execute(text("UPDATE registry_extract SET current = 0, replaced_at = :t WHERE id = :e"),
                                 {"t": now, "e": old})
                eid = conn.execute(text(
                    "INSERT INTO registry_extract (drive_slug, file_name, file_sha256, file_format, imported_at, "
                    "imported_by, current) VALUES (:d, :f, :h, :k, :t, :a, 1) RETURNING id"),
                    {"d": drive.slug, "f": str(path), "h": sha, "k": book.kind, "t": now, "a": actor}).scalar_one()
                cur = conn.connection.driver_connection.cursor()
                sql = ("INSERT INTO registry_person (extract_id, nik, name, birth_date, sex, status) "
                       "VALUES (?, ?, ?, ?, ?, ?)")
                batch: list[tuple[Any, ...]] = []
                persons = 0
                for r, row in enumerate(rows, start + 1):
                    if len(row) < width:
                        row = list(row) + [""] * (width - len(row))
                    nik = row[i_nik]
                    name = row[i_name]
                    if nik.__class__ is str:
                        nik = nik.strip()
                        if len(nik) != 16 or not nik.isdigit():
                            if not nik and not (name.strip() if name.__class__ is str else name):
                                continue   # blank row
                            nik = dom.nikcore.clean(nik)
                            if not nik:
                                reason = "nik_missing"
                            elif len(nik) != 16 or not nik.isdigit():
                                reason = "nik_invalid"
                            else:
                                reason = ""
                            if reason:
                                n_rows += 1
                                skipped[reason] += 1
                                lst = skipped_rows.setdefault(reason, [])
                                if len(lst) < 10:
                                    lst.append(r)
                                continue
                    elif nik is None or nik == "":
                        if name in ("", None):
                            continue
                        n_rows += 1
                        skipped["nik_missing"] += 1
                        lst = skipped_rows.setdefault("nik_missing", [])
                        if len(lst) < 10:
                            lst.append(r)
                        continue
                    else:
                        n_rows += 1
                        reason = "nik_number" if isinstance(nik, int | float) else "nik_invalid"
                        skipped[reason] += 1
                        lst = skipped_rows.setdefault(reason, [])
                        if len(lst) < 10:
                            lst.append(r)
                        continue
                    n_rows += 1
                    bd = _fast_birth(row[i_bd])
                    if not bd:
                        bad_bd += 1
                    sx = row[i_sex]
                    sex = _SEX_FAST.get(sx) if sx.__class__ is str else None
                    if sex is None:
                        sex = dom.parse_sex(sx) or ""
                    status = row[i_status] if i_status is not None else "recorded"
                    batch.append((eid, nik, name.strip() if name.__class__ is str else dom.cell_text(name), bd, sex,
                                  status.strip() if status.__class__ is str else dom.cell_text(status)))
                    if len(batch) >= BATCH:
                        cur.executemany(sql, batch)
                        persons += len(batch)
                        batch.clear()
                        if progress:
                            progress(persons)
                if batch:
                    cur.executemany(sql, batch)
                    persons += len(batch)
                cur.execute("CREATE INDEX ix_registry_person_nik ON registry_person (nik)")
                cur.close()
                if persons == 0:
                    raise UserError(_("{path}: no row with a usable NIK; nothing was imported").format(path=path),
                                    path=path)
                conn.execute(text("UPDATE registry_extract SET rows = :r, persons = :p, skipped = :s WHERE id = :e"),
                             {"r": n_rows, "p": persons, "s": sum(skipped.values()), "e": eid})
                ws.audit(actor, "registry.import", drive.slug,
                         {"file": path.name, "sha256": sha, "extract_id": eid, "persons": persons,
                          "skipped": dict(skipped), "replaced_extract_id": old}, conn=conn)
        finally:
            book.close()
    except ReadError as e:
        raise UserError(_(e.message).format(path=path, **e.params), path=path) from None
    rep = ExtractReport(file=path, extract_id=eid, replaced_extract_id=old, file_format=book.kind, rows=n_rows,
                        persons=persons, skipped=dict(skipped), skipped_rows=skipped_rows, bad_birth_dates=bad_bd)
    if match:
        rep.match = rematch(ws, drive.slug)
    return rep


# ---------------------------------------------------------------- matching


@dataclass
class MatchSummary:
    extract_id: int | None
    students: int = 0
    by_nik: int = 0
    by_name: int = 0
    by_decision: int = 0
    review: int = 0
    not_found: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"extract_id": self.extract_id, "students": self.students, "matched_by_nik": self.by_nik,
                "matched_by_name": self.by_name, "matched_by_decision": self.by_decision, "review": self.review,
                "not_found": self.not_found}


def current_extract(conn, drive_slug: str) -> int | None:  # type: ignore[no-untyped-def]
    return conn.execute(text("SELECT id FROM registry_extract WHERE drive_slug = :d AND current = 1"),
                        {"d": drive_slug}).scalar()


def _person(nik: str, name: str, bd: str, sex: str, status: str) -> mt.RegistryPerson:
    return mt.RegistryPerson(nik=nik, name=name, name_key=dom.name_key(name),
                             birth_date=date.fromisoformat(bd) if bd else None, sex=sex, status=status)


_STATUS_RANK = ("printed", "cetak", "ktp", "rekam", "record")


def _better(a: mt.RegistryPerson, b: mt.RegistryPerson) -> mt.RegistryPerson:
    """Of two rows with one NIK, the one further along (printed before recorded)."""
    def rank(p: mt.RegistryPerson) -> int:
        s = p.status.lower()
        return next((i for i, k in enumerate(_STATUS_RANK) if k in s), len(_STATUS_RANK))
    return a if rank(a) <= rank(b) else b


def rematch(ws, drive_slug: str, *, schools: list[str] | None = None) -> MatchSummary:  # type: ignore[no-untyped-def]
    """Match the current students of ``schools`` (default: all) with the drive's current extract."""
    from sweet17.services.workspace import now_utc

    now = now_utc()
    with ws.engine.begin() as conn:
        eid = current_extract(conn, drive_slug)
        scope = ("SELECT s.id FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
                 "WHERE s.drive_slug = :d AND i.current = 1 AND i.kind = 'roster' AND s.counted = 1")
        params: dict[str, Any] = {"d": drive_slug}
        if schools:
            scope += " AND s.school_code IN ({})".format(",".join(f":s{i}" for i in range(len(schools))))
            params.update({f"s{i}": s for i, s in enumerate(schools)})
        conn.execute(text(f"DELETE FROM registry_match WHERE drive_slug = :d AND student_id IN ({scope})"), params)
        conn.execute(text(f"DELETE FROM registry_review WHERE drive_slug = :d AND student_id IN ({scope})"), params)
        if eid is None:
            return MatchSummary(extract_id=None)
        students = conn.execute(text(
            scope.replace("SELECT s.id", "SELECT s.id, s.school_code, s.student_key, s.nik, s.name_key, "
                          "s.birth_date, s.sex")), params).all()
        dbapi = conn.connection.driver_connection
        cur = dbapi.cursor()
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS _want (v TEXT PRIMARY KEY)")
        cur.execute("DELETE FROM _want")
        cur.executemany("INSERT OR IGNORE INTO _want (v) VALUES (?)", [(s.nik,) for s in students if s.nik])
        by_nik: dict[str, mt.RegistryPerson] = {}
        for row in cur.execute("SELECT p.nik, p.name, p.birth_date, p.sex, p.status FROM registry_person p "
                               "JOIN _want w ON w.v = p.nik WHERE p.extract_id = ?", (eid,)):
            p = _person(*row)
            by_nik[p.nik] = _better(by_nik[p.nik], p) if p.nik in by_nik else p
        # candidates for students without a usable NIK: same birth date
        cur.execute("DELETE FROM _want")
        fallback_dates = {s.birth_date for s in students if not s.nik and s.birth_date}
        cur.executemany("INSERT OR IGNORE INTO _want (v) VALUES (?)", [(d,) for d in fallback_dates])
        persons: list[mt.RegistryPerson] = []
        if fallback_dates:
            for row in cur.execute("SELECT p.nik, p.name, p.birth_date, p.sex, p.status FROM registry_person p "
                                   "WHERE p.extract_id = ? AND p.birth_date IN (SELECT v FROM _want)", (eid,)):
                persons.append(_person(*row))
        cur.execute("DELETE FROM _want")
        # decisions apply to the person they name, so those persons must be known too
        dec_rows = conn.execute(text("SELECT school_code, student_key, decision, registry_nik FROM registry_decision "
                                     "WHERE drive_slug = :d"), {"d": drive_slug}).all()
        ids = {(s.school_code, s.student_key): s.id for s in students}
        decisions: dict[int, mt.Decision] = {}
        for school, key, kind, nik in dec_rows:
            sid = ids.get((school, key))
            if sid is not None:
                decisions[sid] = mt.Decision(kind, nik)
                if kind == "match" and nik and nik not in by_nik:
                    row = cur.execute("SELECT nik, name, birth_date, sex, status FROM registry_person "
                                      "WHERE extract_id = ? AND nik = ?", (eid, nik)).fetchone()
                    if row:
                        by_nik[nik] = _person(*row)
        blocks = mt.blocks_by_birth(persons)
        outcomes = mt.match_students(
            (mt.StudentForMatch(s.id, s.nik, s.name_key, date.fromisoformat(s.birth_date) if s.birth_date else None,
                                s.sex) for s in students),
            by_nik, blocks, decisions=decisions)
        summary = MatchSummary(extract_id=eid, students=len(students))
        matches, reviews = [], []
        for o in outcomes:
            if o.review:
                summary.review += 1
                reviews.append((o.student_id, drive_slug, eid, o.review, json.dumps(
                    [{"nik": c.person.nik, "name": c.person.name,
                      "birth_date": c.person.birth_date.isoformat() if c.person.birth_date else "",
                      "sex": c.person.sex, "status": c.person.status, "score": round(c.score, 1)}
                     for c in o.candidates], ensure_ascii=False), now))
            elif o.person is not None:
                matches.append((o.student_id, drive_slug, eid, o.method, o.person.nik, o.person.status,
                                round(o.score, 1), now))
                if o.method == "nik":
                    summary.by_nik += 1
                elif o.method == "name":
                    summary.by_name += 1
                else:
                    summary.by_decision += 1
            else:
                summary.not_found += 1
        cur.executemany("INSERT INTO registry_match (student_id, drive_slug, extract_id, method, registry_nik, "
                        "registry_status, score, matched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", matches)
        cur.executemany("INSERT INTO registry_review (student_id, drive_slug, extract_id, reason, candidates, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)", reviews)
        cur.close()
    return summary


# ---------------------------------------------------------------- review


REVIEW_LABELS = {
    "several": N_("several people on the registry extract are close"),
    "close": N_("a similar name, but not similar enough to be sure"),
    "nik_name_differs": N_("the NIK is on the extract under a different name"),
    "shared_person": N_("the same person on the extract fits two students"),
}


@dataclass(frozen=True)
class ReviewCase:
    student_id: int
    school_code: str
    row: int
    name: str
    nisn: str
    birth_date: str
    sex: str
    nik_status: str
    reason: str
    candidates: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "school": self.school_code, "row": self.row, "name": self.name,
                "nisn": self.nisn, "birth_date": self.birth_date or None, "sex": self.sex or None,
                "nik_status": self.nik_status, "reason": self.reason,
                "candidates": [{"number": i, **c} for i, c in enumerate(self.candidates, 1)]}


def review_cases(ws, drive_slug: str, school: str | None = None) -> list[ReviewCase]:  # type: ignore[no-untyped-def]
    sql = ("SELECT s.id, s.school_code, s.row_number, s.name, s.nisn, s.birth_date, s.sex, s.nik_status, r.reason, "
           "r.candidates FROM registry_review r JOIN roster_student s ON s.id = r.student_id WHERE r.drive_slug = :d")
    params: dict[str, Any] = {"d": drive_slug}
    if school:
        sql += " AND s.school_code = :s"
        params["s"] = school
    with ws.engine.connect() as conn:
        rows = conn.execute(text(sql + " ORDER BY s.school_code, s.row_number"), params).all()
    return [ReviewCase(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9])) for r in rows]


def decide(ws, drive_slug: str, student_id: int, choice: int, *, actor: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Record a person's decision for a student: ``choice`` is the candidate number of its review case
    (1, 2, ...) or 0 for "none of them: not recorded". Returns 'match' or 'no_match'.

    The decision is kept by the student's identity (school + NISN/NIK/name and birth date), so it
    survives a re-import of the roster, and the school is matched again at once.
    """
    from sweet17.services.roster import current_actor
    from sweet17.services.workspace import now_utc

    actor = actor or current_actor()
    with ws.engine.connect() as conn:
        st = conn.execute(text(
            "SELECT s.school_code, s.student_key FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
            "WHERE s.id = :i AND s.drive_slug = :d AND i.current = 1"), {"i": student_id, "d": drive_slug}).first()
        rv = conn.execute(text("SELECT candidates FROM registry_review WHERE student_id = :i"),
                          {"i": student_id}).scalar()
    if st is None:
        raise UserError(_("No student {id} on the current rosters of {drive}").format(id=student_id, drive=drive_slug))
    cands = json.loads(rv) if rv else []
    if choice < 0 or choice > len(cands):
        if not cands:
            raise UserError(_("Student {id} has no candidates to choose from; use 0 for \"not recorded\"").format(
                id=student_id))
        raise UserError(_("Student {id}: choose a candidate number from 1 to {n}, or 0 for none").format(
            id=student_id, n=len(cands)))
    kind = "match" if choice else "no_match"
    nik = cands[choice - 1]["nik"] if choice else ""
    with ws.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO registry_decision (drive_slug, school_code, student_key, decision, registry_nik, decided_by, "
            "decided_at) VALUES (:d, :s, :k, :dec, :n, :by, :at) ON CONFLICT (drive_slug, school_code, student_key) "
            "DO UPDATE SET decision = excluded.decision, registry_nik = excluded.registry_nik, "
            "decided_by = excluded.decided_by, decided_at = excluded.decided_at"),
            {"d": drive_slug, "s": st[0], "k": st[1], "dec": kind, "n": nik, "by": actor, "at": now_utc()})
        ws.audit(actor, "registry.decision", f"{drive_slug}/{st[0]}/{student_id}",
                 {"decision": kind, "candidate": choice}, conn=conn)
    rematch(ws, drive_slug, schools=[st[0]])
    return kind

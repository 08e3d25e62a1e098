"""Rosters: import school exports, keep their history, report data problems to the schools.

::

    from sweet17.services.roster import import_rosters, list_problems
    report = import_rosters(ws, [Path("drives/balangan-2026/rosters")])
    report.failed            # files that could not be imported (each with one clear reason)
    problems = list_problems(ws, "balangan-2026", school="sman1-paringin")

Each file is read (python-calamine, or the CSV / SpreadsheetML readers), its header found by
name, every row normalised and checked (``sweet17.domain.roster``), and the school's roster
replaced in one transaction: the previous import stays in ``roster_import`` (who, when, file
hash) with ``current = 0``. A file that cannot be read stores nothing and does not stop the
others. Students keep their id across re-imports (same NISN, else NIK, else name and birth date),
so references held elsewhere (recordings, plans) stay valid. After the imports, the imported
schools are matched against the current registry extract (``sweet17.services.registry``).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.adapters.readers import EXTENSIONS, ReadError, open_workbook
from sweet17.domain import roster as dom
from sweet17.domain.drive import Drive
from sweet17.domain.findings import Finding, Severity
from sweet17.errors import UserError
from sweet17.i18n import N_, _

FORMATS = ("auto", "dapodik", "csv", "mapped")
DAPODIK_REQUIRED = ("name", "nisn", "sex", "birth_date", "nik")
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def current_actor() -> str:
    """Who is running the command: ``SWEET17_OPERATOR`` or the login name."""
    try:
        return os.environ.get("SWEET17_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- reading one file


@dataclass
class RosterSource:
    """A roster file read and laid out: the grid of its roster sheet and where things are in it."""

    path: Path
    kind: str                   # file kind: xlsx | xls | ods | xml2003 | csv
    sheet: str
    grid: list[list[Any]]
    layout: dom.Layout


def _translate_read_error(e: ReadError, path: Path) -> UserError:
    return UserError(_(e.message).format(path=path, **e.params), path=path)


def read_roster_source(path: Path, fmt: str = "auto", column_map: Any = None) -> RosterSource:
    """Open a roster file and find its roster sheet and header. Raises UserError naming the file."""
    if fmt not in FORMATS:
        raise UserError(_("Unknown format {fmt} (use one of: {known})").format(fmt=fmt, known=", ".join(FORMATS)))
    if fmt == "mapped" and column_map is None:
        raise UserError(_("--format mapped needs --map MAP.toml"))
    try:
        book = open_workbook(path, force_csv=(fmt == "csv"))
    except ReadError as e:
        raise _translate_read_error(e, path) from None
    try:
        names = book.sheet_names
        if column_map is not None and column_map.sheet:
            if column_map.sheet not in names:
                raise UserError(_("{path}: no sheet named '{sheet}' (the map's sheet.name); sheets: {sheets}").format(
                    path=path, sheet=column_map.sheet, sheets=", ".join(names)), path=path)
            names = [column_map.sheet]
        else:
            names = sorted(names, key=lambda n: (not n.lower().startswith("daftar peserta didik"), names.index(n)))
        empty = True
        missing_header = ""
        for name in names:
            try:
                grid = book.grid(name)
            except ReadError as e:
                raise _translate_read_error(e, path) from None
            if any(any(v not in ("", None) for v in row) for row in grid):
                empty = False
            else:
                continue
            if column_map is not None:
                lay = dom.layout_from_map(grid, column_map.columns, header_row=column_map.header_row)
                if isinstance(lay, str):
                    missing_header = lay
                    continue
            else:
                lay = dom.detect_layout(grid)
                if lay is None:
                    continue
                if fmt == "dapodik":
                    missing = [f for f in DAPODIK_REQUIRED if f not in lay.columns]
                    if missing:
                        raise UserError(_("{path}: not a Dapodik roster: no column for {fields}").format(
                            path=path, fields=", ".join(_(FIELD_LABELS[f]) for f in missing)), path=path)
            return RosterSource(path=path, kind=book.kind, sheet=name, grid=grid, layout=lay)
    finally:
        book.close()
    if empty:
        raise UserError(_("{path}: the file is empty").format(path=path), path=path)
    if column_map is not None:
        raise UserError(_("{path}: no column '{column}' (named in {map}) in the first {n} rows").format(
            path=path, column=missing_header, map=column_map.path, n=dom.HEADER_SCAN_ROWS), path=path)
    raise UserError(_("{path}: no recognisable roster header (looked for Nama, NISN, NIK, JK, Tanggal Lahir in the "
                      "first {n} rows); for other lists give --map MAP.toml").format(path=path,
                                                                                     n=dom.HEADER_SCAN_ROWS),
                    path=path)


FIELD_LABELS = {
    "no": N_("No"), "name": N_("Name"), "nipd": N_("NIPD"), "sex": N_("Sex (JK)"), "nisn": N_("NISN"),
    "birth_place": N_("Birth place"), "birth_date": N_("Birth date"), "nik": N_("NIK"), "no_kk": N_("No KK"),
    "rombel": N_("Class (Rombel)"), "kelurahan": N_("Kelurahan"), "kecamatan": N_("Kecamatan"),
    "left_reason": N_("Reason for leaving"), "left_date": N_("Date of leaving"), "status": N_("Status"),
}


# ---------------------------------------------------------------- which school


@functools.lru_cache(maxsize=4096)
def _school_key(name: str) -> str:
    s = " ".join(name.upper().replace(".", " ").split())
    for short, long in (("SMAN ", "SMA NEGERI "), ("SMKN ", "SMK NEGERI "), ("MAN ", "MA NEGERI "),
                        ("SMAS ", "SMA SWASTA "), ("SMKS ", "SMK SWASTA "), ("MAS ", "MA SWASTA ")):
        if s.startswith(short):
            s = long + s[len(short):]
    return s


def resolve_school(drive: Drive, source: RosterSource, explicit: str | None) -> tuple[str, str]:
    """(school code, note) for a roster: ``--school``, else its title row's school name, else its file name."""
    codes = {s.code for s in drive.schools}
    if explicit:
        if explicit not in codes:
            raise UserError(_("{path}: school {code} is not in the drive {drive} (schools: {codes})").format(
                path=source.path, code=explicit, drive=drive.slug, codes=", ".join(sorted(codes))), path=source.path)
        return explicit, ""
    title = source.layout.school_name
    if title:
        want = _school_key(title)
        hits = [s for s in drive.schools if _school_key(s.name) == want]
        if len(hits) > 1 and source.layout.kecamatan:
            hits = [s for s in hits if dom.normalise_place(s.kecamatan) == source.layout.kecamatan] or hits
        if len(hits) == 1:
            return hits[0].code, ""
        if not hits:
            from rapidfuzz import fuzz, process

            best = process.extract(want, {s.code: _school_key(s.name) for s in drive.schools},
                                   scorer=fuzz.ratio, score_cutoff=92, limit=2)
            if len(best) == 1:
                return str(best[0][2]), ""
    stem = source.path.stem.lower()
    for s in drive.schools:
        if s.code.lower() == stem or (source.layout.leavers and stem in (f"{s.code.lower()}-keluar",
                                                                         f"{s.code.lower()}_keluar")):
            return s.code, ""
    for s in drive.schools:
        if s.roster and Path(s.roster).name.lower() == source.path.name.lower():
            return s.code, ""
    if title:
        raise UserError(_("{path}: the school '{name}' in the title row is not one of the drive's schools; give "
                          "--school CODE if it is").format(path=source.path, name=title), path=source.path)
    raise UserError(_("{path}: cannot tell which school this roster belongs to; give --school CODE").format(
        path=source.path), path=source.path)


# ---------------------------------------------------------------- parsing the rows


_MOJIBAKE_CELL = ("â€", "Ã", "Â")


def _mojibake_findings(grid: list[list[Any]], layout: dom.Layout, start: int) -> dict[int, list[tuple[str, str, Finding]]]:
    """Cells with mojibake ('â€“' for '–') in any column: (column label, value, finding) per row number.

    Every marker is a non-ASCII character, which marshal writes as UTF-8 starting with byte C3: a row whose
    marshalled bytes hold no C3 byte has no marker (one C-level call per row instead of a look at each cell;
    rows marshal cannot write, e.g. with date cells, are looked at cell by cell).
    """
    import marshal

    out: dict[int, list[tuple[str, str, Finding]]] = {}
    dumps = marshal.dumps
    for r in range(start, len(grid)):
        row = grid[r]
        try:
            if b"\xc3" not in dumps(row):
                continue
        except ValueError:
            pass
        for c, v in enumerate(row):
            if v.__class__ is str and not v.isascii() and any(m in v for m in _MOJIBAKE_CELL):
                fixed = dom.repair_mojibake(v)
                if fixed != v:
                    label = layout.headers[c] if c < len(layout.headers) and layout.headers[c] else dom.column_letter(c)
                    out.setdefault(r + 1, []).append((label, v, Finding(
                        code="roster.mojibake", severity=Severity.INFO,
                        message=N_("Garbled characters in this cell (a file saved with the wrong encoding); "
                                   "read as '{fixed}'"), params={"fixed": fixed}, field="")))
    return out


def _json_params(params: dict[str, Any]) -> str:
    return json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()},
                      ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass
class PreparedRoster:
    """A roster file read, checked and reduced to the rows to store (small and picklable: no grid).

    ``students``: (row, student_key, name, name_key, nisn, nipd, nik, nik_status, no_kk, sex, birth_place,
    birth_date, birth_date_source, rombel, counted, left_reason, left_date, blocking) per student row;
    ``findings``: (row, field, column label, value, code, severity, message, params JSON).
    """

    path: Path
    file_format: str
    sheet: str
    school_code: str
    note: str
    leavers: bool
    school_name: str
    kecamatan: str
    downloaded: str
    header_row: int
    rows: int
    students: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]
    errors: int = 0
    warnings: int = 0
    infos: int = 0

    @property
    def counted(self) -> int:
        return sum(1 for s in self.students if s[14])


def prepare_roster(path: Path, drive: Drive, *, fmt: str, column_map: Any, school: str | None,
                   as_of: date) -> PreparedRoster:
    """Read a roster file, find its school, normalise and check every row (no database). UserError on failure."""
    source = read_roster_source(path, fmt, column_map)
    code, note = resolve_school(drive, source, school)
    lay = source.layout
    grid = source.grid
    parse = dom.RowParser(lay, as_of=as_of, drive_regency=drive.regency_code)
    records: list[dom.RosterRecord] = []
    add = records.append
    for r in range(lay.data_start, len(grid)):
        rec = parse(grid[r], r + 1)
        if rec is not None:
            add(rec)
    if not records:
        raise UserError(_("{path}: the header was found on row {row} but no student rows follow it").format(
            path=path, row=lay.header_row + 1), path=path)
    dom.within_school_checks(records)
    students = []
    findings = []
    labels = lay.labels
    sev: Counter[str] = Counter()
    error = Severity.ERROR
    for rec in records:
        bd = rec.birth_date
        fs = rec.findings
        ld = rec.left_date
        students.append((rec.row, rec.key, rec.name, rec.name_key, rec.nisn, rec.nipd, rec.nik, rec.nik_status,
                         rec.no_kk, rec.sex, rec.birth_place, bd.isoformat() if bd else "", rec.birth_date_source,
                         rec.rombel, 1 if rec.counted else 0, rec.left_reason, ld.isoformat() if ld else "",
                         1 if fs and any(f.severity == error for f in fs) else 0))
        if fs:
            raw = rec.raw
            for f in fs:
                sev[f.severity] += 1
                findings.append((rec.row, f.field, labels.get(f.field, ""), raw.get(f.field, ""), f.code,
                                 str(f.severity), f.message, _json_params(f.params) if f.params else "{}"))
    for row_no, items in _mojibake_findings(grid, lay, lay.data_start).items():
        for label, value, f in items:
            sev[f.severity] += 1
            findings.append((row_no, f.field, label, value, f.code, str(f.severity), f.message, _json_params(f.params)))
    return PreparedRoster(
        path=path, file_format=source.kind, sheet=source.sheet, school_code=code, note=note, leavers=lay.leavers,
        school_name=lay.school_name, kecamatan=lay.kecamatan, downloaded=lay.downloaded, header_row=lay.header_row,
        rows=len(grid) - lay.data_start, students=students, findings=findings,
        errors=sev.get(Severity.ERROR, 0), warnings=sev.get(Severity.WARNING, 0), infos=sev.get(Severity.INFO, 0))


def _prepare(path: Path, drive: Drive, fmt: str, column_map: Any, school: str | None,
             as_of: date) -> tuple[PreparedRoster | None, str, str]:
    """``prepare_roster`` and the file's SHA-256: (prepared, sha256, '') or (None, '', the error message)."""
    try:
        return prepare_roster(path, drive, fmt=fmt, column_map=column_map, school=school, as_of=as_of), \
            file_sha256(path), ""
    except UserError as e:
        return None, "", str(e)


_WORKER_JOB: tuple[Any, ...] = ()


def _worker_init(drive: Drive, fmt: str, column_map: Any, school: str | None, as_of: date, lang: str) -> None:
    """A worker process's setup: the import's parameters (sent once, not with every file), the user's language,
    and Ctrl-C left to the main process (which stops the workers)."""
    import signal

    from sweet17.i18n import set_language

    global _WORKER_JOB
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_language(lang)
    _WORKER_JOB = (drive, fmt, column_map, school, as_of)


def _worker_prepare(path: Path) -> tuple[PreparedRoster | None, str, str]:
    return _prepare(path, *_WORKER_JOB)


# ---------------------------------------------------------------- storing


@dataclass
class FileResult:
    """The outcome of one file of ``roster import``."""

    path: Path
    ok: bool
    error: str = ""
    school_code: str = ""
    school_name: str = ""
    kind: str = ""                # roster | leavers
    file_format: str = ""
    sheet: str = ""
    import_id: int | None = None
    replaced_import_id: int | None = None
    rows: int = 0
    students: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "ok": self.ok, "error": self.error or None, "school": self.school_code or None,
                "school_name": self.school_name or None, "kind": self.kind or None, "format": self.file_format or None,
                "sheet": self.sheet or None, "import_id": self.import_id, "replaced_import_id": self.replaced_import_id,
                "rows": self.rows, "students": self.students, "errors": self.errors, "warnings": self.warnings,
                "infos": self.infos, "note": self.note or None}


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    match: Any = None                      # sweet17.services.registry.MatchSummary, when an extract exists

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if not f.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "imported": sum(1 for f in self.files if f.ok),
                "failed": len(self.failed), "match": self.match.to_dict() if self.match is not None else None}


_STUDENT_COLS = ("id", "import_id", "drive_slug", "school_code", "row_number", "student_key", "name", "name_key",
                 "nisn", "nipd", "nik", "nik_status", "no_kk", "sex", "birth_place", "birth_date", "birth_date_source",
                 "rombel", "counted", "left_reason", "left_date", "blocking")


def store_roster(ws, drive_slug: str, prep: PreparedRoster, *, sha256: str, actor: str,  # type: ignore[no-untyped-def]
                 now: str, conn: Any = None) -> tuple[int, int | None]:
    """Replace the school's current roster (or leavers' list) with ``prep`` in one transaction (on ``conn`` when
    given, a connection outside any transaction).

    Returns (new import id, replaced import id or None)."""
    if conn is None:
        with ws.engine.connect() as c:
            return store_roster(ws, drive_slug, prep, sha256=sha256, actor=actor, now=now, conn=c)
    with conn.begin_nested() if conn.in_transaction() else conn.begin():
        return _store(ws, conn, drive_slug, prep, sha256, actor, now)


def _store(ws, conn, drive_slug: str, prep: PreparedRoster, sha256: str, actor: str,  # type: ignore[no-untyped-def]
           now: str) -> tuple[int, int | None]:
    kind = "leavers" if prep.leavers else "roster"
    school_code = prep.school_code
    if True:
        cur = conn.connection.driver_connection.cursor()
        try:
            old = cur.execute("SELECT id FROM roster_import WHERE drive_slug = ? AND school_code = ? AND kind = ? "
                              "AND current = 1", (drive_slug, school_code, kind)).fetchone()
            old = old[0] if old else None
            keep_ids: dict[str, int] = {}
            if old is not None:
                keep_ids = {k: i for i, k in cur.execute(
                    "SELECT id, student_key FROM roster_student WHERE import_id = ?", (old,)).fetchall()}
                cur.execute("DELETE FROM roster_finding WHERE import_id = ?", (old,))
                cur.execute("DELETE FROM roster_student WHERE import_id = ?", (old,))
                cur.execute("UPDATE roster_import SET current = 0, replaced_at = ? WHERE id = ?", (now, old))
            new_id = cur.execute(
                "INSERT INTO roster_import (drive_slug, school_code, kind, file_name, file_sha256, file_format, sheet, "
                "school_name, kecamatan, downloaded_at, imported_at, imported_by, rows, students, errors, warnings, "
                "current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id",
                (drive_slug, school_code, kind, str(prep.path), sha256, prep.file_format, prep.sheet,
                 prep.school_name, prep.kecamatan, prep.downloaded, now, actor, prep.rows, prep.counted, prep.errors,
                 prep.warnings)).fetchone()[0]
            used: set[int] = set()
            rows = []
            head = (new_id, drive_slug, school_code)
            for st in prep.students:
                sid = keep_ids.get(st[1]) if keep_ids else None   # the same student keeps the id (never reused)
                if sid is not None:
                    if sid in used:
                        sid = None
                    else:
                        used.add(sid)
                rows.append((sid, *head, *st))
            cur.executemany(f"INSERT INTO roster_student ({', '.join(_STUDENT_COLS)}) "
                            f"VALUES ({', '.join('?' * len(_STUDENT_COLS))})", rows)
            if prep.findings:
                ids = dict(cur.execute("SELECT row_number, id FROM roster_student WHERE import_id = ?",
                                       (new_id,)).fetchall())
                cur.executemany("INSERT INTO roster_finding (import_id, student_id, row_number, field, column_label, "
                                "value, code, severity, message, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [(new_id, ids.get(f[0]), *f) for f in prep.findings])
        finally:
            cur.close()
        ws.audit(actor, "roster.import", f"{drive_slug}/{school_code}",
                 {"file": prep.path.name, "sha256": sha256, "kind": kind, "students": prep.counted,
                  "import_id": new_id, "replaced_import_id": old}, conn=conn)
    return new_id, old


# ---------------------------------------------------------------- bulk writes


class BulkWrites:
    """Settings for a connection that writes an import of many rows, and the checkpoint after it.

    SQLite copies its write-ahead log into the database file ("checkpoint") whenever a commit leaves the log
    over 1000 pages: a province's import then copies hundreds of megabytes, many times over, inside its
    commits. A bulk import switches that off on its connection (``wal_autocheckpoint=0``) and, once
    committed, runs one checkpoint in a thread — SQLite works without Python's lock, so the caller's next step
    (matching) runs meanwhile on the other core — and ``finish()`` waits for it, so the work stays within the
    command. Committed data is safe either way: the log is the database until it is copied.
    """

    def __init__(self, ws, dbapi: Any) -> None:  # type: ignore[no-untyped-def]
        self.db_path = ws.db_path
        self.dbapi = dbapi
        self._thread: Any = None
        self._restore = dbapi.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        dbapi.execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint_in_background(self) -> None:
        """Restore the connection's settings and start copying the log into the database."""
        import threading

        self.dbapi.execute(f"PRAGMA wal_autocheckpoint={int(self._restore)}")
        self._thread = threading.Thread(target=self._checkpoint, name="sweet17-checkpoint", daemon=True)
        self._thread.start()

    def _checkpoint(self) -> None:
        import sqlite3

        try:
            con = sqlite3.connect(self.db_path, timeout=10)
            try:
                con.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                con.close()
        except sqlite3.Error:      # housekeeping only: the next commit's checkpoint does it otherwise
            pass

    def finish(self) -> None:
        if self._thread is None:
            self.dbapi.execute(f"PRAGMA wal_autocheckpoint={int(self._restore)}")
        else:
            self._thread.join()
            self._thread = None


# ---------------------------------------------------------------- the use case

#: Reading and checking a roster on one core takes about this long per byte of xlsx (calamine's parse is most of
#: it); CSV and Excel 2003 XML are in the same range.
SECONDS_PER_BYTE = 1 / 5_000_000
#: What starting one worker process costs: a fork (Linux) almost nothing, a fresh interpreter (spawn: macOS,
#: Windows) about half a second of a core.
START_COST_S = {"fork": 0.02, "forkserver": 0.5, "spawn": 0.5}
#: Worker processes are started only when the estimated work is at least this many times their start cost.
START_COST_FACTOR = 10
MIN_PARALLEL_WORK_S = 0.25
MAX_WORKERS = 4
#: Files queued ahead for each worker, so that it never waits while this process is busy storing or reading.
QUEUED_PER_WORKER = 3


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def start_method() -> str:
    """How worker processes start: ``fork`` on Linux (no new interpreter; workers never touch the parent's
    database connections and leave with ``os._exit``), else ``spawn``. ``SWEET17_MP_START`` overrides."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    wanted = os.environ.get("SWEET17_MP_START", "")
    if wanted in methods:
        return wanted
    return "fork" if sys.platform.startswith("linux") and "fork" in methods else "spawn"


def plan_workers(files: Sequence[Path], method: str, cpus: int | None = None) -> int:
    """How many worker processes should read and check ``files`` besides the main process (0: none).

    The main process reads and checks files too whenever it has nothing to store, so with N usable CPUs at most
    N - 1 workers are started, and only when the estimated work (from the files' sizes) is worth their start.
    """
    cpus = usable_cpus() if cpus is None else cpus
    if cpus < 2 or len(files) < 2:
        return 0
    size = 0
    for p in files:
        try:
            size += p.stat().st_size
        except OSError:
            pass
    work = size * SECONDS_PER_BYTE
    if work < max(MIN_PARALLEL_WORK_S, START_COST_FACTOR * START_COST_S.get(method, 0.5)):
        return 0
    return max(0, min(cpus - 1, MAX_WORKERS, len(files) - 1))


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders replaced by their spreadsheet and CSV files (sorted, not recursive)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in EXTENSIONS
                              and not f.name.startswith(("~$", "."))))
        else:
            out.append(p)
    return out


Prepared = tuple[PreparedRoster | None, str, str]


def _prepared_stream(files: list[Path], drive: Drive, fmt: str, column_map: Any, school: str | None, as_of: date,
                     workers: int, method: str = "spawn") -> Iterator[Prepared]:
    """(prepared, sha256, error) per file, in file order.

    With ``workers`` > 0, worker processes take files from the front of the list (a few queued ahead each)
    and so does this process whenever the next file to hand over is not ready yet (the first file not handed
    out yet: what it reads is stored soon after, not all at the end when the workers have nothing left to do):
    the work is shared to the end, and a slow start of the workers costs nothing. A worker that dies (killed, out
    of memory) only costs time: its files are read here. An unexpected error in a worker is raised here, as
    without workers.
    """
    job = (drive, fmt, column_map, school, as_of)
    if workers <= 0:
        for path in files:
            yield _prepare(path, *job)
        return
    import gc
    import multiprocessing
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from sweet17.i18n import current_language

    pending = deque(range(len(files)))
    inflight: dict[int, Future[Prepared]] = {}
    ready: dict[int, Prepared] = {}
    pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context(method), initializer=_worker_init,
        initargs=(*job, current_language()))

    def top_up() -> None:
        while pool is not None and pending and len(inflight) < QUEUED_PER_WORKER * workers:
            i = pending.popleft()
            inflight[i] = pool.submit(_worker_prepare, files[i])

    def collect(i: int) -> None:
        nonlocal pool
        fut = inflight.pop(i, None)
        if fut is None:           # (put back for this process by a broken pool just before)
            return
        try:
            ready[i] = fut.result()
        except BrokenProcessPool:        # a worker died: read its files and the queued ones here
            pending.extendleft(sorted(inflight, reverse=True))
            pending.appendleft(i)
            inflight.clear()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
        top_up()

    try:
        frozen = method == "fork"
        if frozen:   # nothing inherited by a forked worker is ever collected (and finalised) there
            gc.freeze()
        try:
            top_up()     # the workers start here
        finally:
            if frozen:
                gc.unfreeze()
        for k in range(len(files)):
            while k not in ready:
                for i in [i for i, f in inflight.items() if f.done()]:
                    collect(i)
                if k in ready:
                    break
                if k not in inflight:                 # not given to a worker: read it here
                    pending.remove(k)
                    ready[k] = _prepare(files[k], *job)
                elif pending:                         # the worker is still at it: take the next file not handed out
                    j = pending.popleft()
                    ready[j] = _prepare(files[j], *job)
                else:
                    wait(list(inflight.values()), return_when=FIRST_COMPLETED)
            yield ready.pop(k)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def import_rosters(ws, paths: Sequence[Path] | None = None, *, school: str | None = None, fmt: str = "auto",  # type: ignore[no-untyped-def]
                   map_path: Path | None = None, drive_path: Path | None = None, actor: str | None = None,
                   today: date | None = None, progress: Callable[[Path, int, int], None] | None = None,
                   match: bool = True, workers: int | None = None) -> ImportReport:
    """Import roster files (or folders of them) into the current drive. See the module docstring.

    With no ``paths``, the roster file of each school listed in the drive file is imported.
    ``workers``: processes reading and checking files besides this one (default: ``plan_workers``).
    Each school is stored in its own transaction; the last one of the call is made durable on disk (SQLite
    ``synchronous=FULL``), which also makes the earlier ones of the call durable: they are committed with
    ``synchronous=NORMAL``, atomic but not flushed one by one.
    """
    from sweet17.services.drives import current_drive
    from sweet17.services.workspace import now_utc

    loaded = current_drive(ws, drive_path)
    drive = loaded.drive
    if fmt not in FORMATS:
        raise UserError(_("Unknown format {fmt} (use one of: {known})").format(fmt=fmt, known=", ".join(FORMATS)))
    column_map = None
    if map_path is not None:
        from sweet17.adapters.readers.columnmap import load_column_map

        try:
            column_map = load_column_map(map_path, list(dom.FIELD_ALIASES), required=("name",))
        except ReadError as e:
            raise _translate_read_error(e, Path(map_path)) from None
    elif fmt == "mapped":
        raise UserError(_("--format mapped needs --map MAP.toml"))
    if not paths:
        files = [loaded.resolve(s.roster) for s in drive.schools if s.roster]
        if not files:
            raise UserError(_("Give roster files or folders: the drive file lists no roster for its schools"))
    else:
        files = expand_paths(paths)
        if not files:
            raise UserError(_("No spreadsheet or CSV files in {paths}").format(paths=", ".join(map(str, paths))))
    actor = actor or current_actor()
    as_of = today or date.today()
    method = start_method()
    workers = plan_workers(files, method) if workers is None else max(0, min(workers, len(files)))
    report = ImportReport()
    touched: set[str] = set()
    stream = _prepared_stream(files, drive, fmt, column_map, school, as_of, workers, method)
    with ws.engine.connect() as conn:
        dbapi = conn.connection.driver_connection
        batch = len(files) > 1
        bulk = BulkWrites(ws, dbapi) if batch else None
        if batch:
            dbapi.execute("PRAGMA synchronous=NORMAL")
        try:
            for n, (path, (prep, sha, error)) in enumerate(zip(files, stream, strict=True), 1):
                if progress:
                    progress(path, n, len(files))
                res = FileResult(path=path, ok=False)
                if prep is None:
                    res.error = error
                    report.files.append(res)
                    continue
                try:
                    import_id, old = store_roster(ws, drive.slug, prep, sha256=sha, actor=actor, now=now_utc(),
                                                  conn=conn)
                except UserError as e:
                    res.error = str(e)
                    report.files.append(res)
                    continue
                res.ok = True
                res.school_code, res.school_name = prep.school_code, drive.school(prep.school_code).name
                res.kind = "leavers" if prep.leavers else "roster"
                res.file_format, res.sheet, res.note = prep.file_format, prep.sheet, prep.note
                res.import_id, res.replaced_import_id = import_id, old
                res.rows, res.students = len(prep.students), prep.counted
                res.errors, res.warnings, res.infos = prep.errors, prep.warnings, prep.infos
                report.files.append(res)
                touched.add(prep.school_code)
        finally:
            if batch:
                dbapi.execute("PRAGMA synchronous=FULL")
        if batch:
            # one record of the whole call (which files failed and why), committed durably: with it every
            # school stored above is on disk too
            with conn.begin():
                ws.audit(actor, "roster.import.batch", drive.slug,
                         {"files": len(files), "imported": len(report.files) - len(report.failed),
                          "failed": [{"file": f.path.name, "error": f.error} for f in report.failed],
                          "workers": workers}, conn=conn)
        if bulk is not None:
            bulk.checkpoint_in_background()
    try:
        if match and touched:
            from sweet17.services.registry import rematch

            report.match = rematch(ws, drive.slug, schools=sorted(touched))
    finally:
        if bulk is not None:
            bulk.finish()
    return report


# ---------------------------------------------------------------- reading back


def current_students(conn, drive_slug: str, school: str | None = None) -> list[Any]:  # type: ignore[no-untyped-def]
    """Rows of ``roster_student`` on the current rosters of the drive (counted rows only)."""
    sql = ("SELECT s.* FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
           "WHERE s.drive_slug = :d AND i.current = 1 AND i.kind = 'roster' AND s.counted = 1")
    params: dict[str, Any] = {"d": drive_slug}
    if school:
        sql += " AND s.school_code = :s"
        params["s"] = school
    return conn.execute(text(sql + " ORDER BY s.school_code, s.row_number"), params).all()


def leaver_keys(conn, drive_slug: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(school, NISN or NIK) of the students on the schools' current leavers' lists."""
    rows = conn.execute(text(
        "SELECT s.school_code, s.nisn, s.nik FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
        "WHERE s.drive_slug = :d AND i.current = 1 AND i.kind = 'leavers'"), {"d": drive_slug}).all()
    out: set[tuple[str, str]] = set()
    for school, nisn, nik in rows:
        if nisn:
            out.add((school, "nisn:" + nisn))
        if nik:
            out.add((school, "nik:" + nik))
    return out


_CURRENT = ("FROM roster_student s JOIN roster_import i ON i.id = s.import_id WHERE s.drive_slug = :d "
            "AND i.current = 1 AND i.kind = 'roster' AND s.counted = 1")


def shared_across_schools(rows: Sequence[Sequence[Any]], i_school: int, i_nik: int,
                          i_nisn: int) -> tuple[set[str], set[str]]:
    """(NIKs, NISNs) that rows of more than one school hold (each column read at the index given)."""
    nik_at: dict[str, str] = {}
    nisn_at: dict[str, str] = {}
    niks: set[str] = set()
    nisns: set[str] = set()
    for r in rows:
        school, nik, nisn = r[i_school], r[i_nik], r[i_nisn]
        if nik and nik_at.setdefault(nik, school) != school:
            niks.add(nik)
        if nisn and nisn_at.setdefault(nisn, school) != school:
            nisns.add(nisn)
    return niks, nisns


def cross_school(conn, drive_slug: str,  # type: ignore[no-untyped-def]
                 students: Iterable[tuple[int, str, int, str, str, str]] | None = None) -> dict[int, list[Finding]]:
    """Findings for students listed at more than one school (``sweet17.domain.roster.cross_school_findings``).

    Only the students sharing a NIK or NISN with a student of another school are looked at: found in SQL, or,
    when the caller has read them already, among ``students`` (id, school, row, NIK, NISN, name key of every
    counted student on the current rosters)."""
    if students is not None:
        students = list(students)
        niks, nisns = shared_across_schools(students, 1, 3, 4)
        if not niks and not nisns:
            return {}
        return dom.cross_school_findings(dom.RosterEntry(*r) for r in students
                                         if (r[3] and r[3] in niks) or (r[4] and r[4] in nisns))
    rows = conn.execute(text(
        f"SELECT s.id, s.school_code, s.row_number, s.nik, s.nisn, s.name_key {_CURRENT} AND ("
        f"(s.nik != '' AND s.nik IN (SELECT s.nik {_CURRENT} AND s.nik != '' GROUP BY s.nik "
        f"HAVING COUNT(DISTINCT s.school_code) > 1)) OR "
        f"(s.nisn != '' AND s.nisn IN (SELECT s.nisn {_CURRENT} AND s.nisn != '' GROUP BY s.nisn "
        f"HAVING COUNT(DISTINCT s.school_code) > 1))) ORDER BY s.id"), {"d": drive_slug}).all()
    return dom.cross_school_findings(dom.RosterEntry(*r) for r in rows)


@dataclass(frozen=True)
class Problem:
    """One data problem, as a school operator needs it to act."""

    school_code: str
    file: str
    row: int
    nisn: str
    name: str
    column: str
    value: str
    severity: str
    code: str
    problem: str
    advice: str
    student_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"school": self.school_code, "file": self.file, "row": self.row, "nisn": self.nisn, "name": self.name,
                "column": self.column, "value": self.value, "severity": self.severity, "code": self.code,
                "problem": self.problem, "advice": self.advice, "student_id": self.student_id}


def list_problems(ws, drive_slug: str, *, school: str | None = None, min_severity: str = "warning",  # type: ignore[no-untyped-def]
                  translate: Callable[[str], str] = _) -> list[Problem]:
    """Problems of the current rosters (and leavers' lists): row findings plus duplicates across schools.

    Sorted by school, severity (errors first) and row. ``min_severity``: error | warning | info.
    """
    limit = SEVERITY_ORDER[min_severity]
    with ws.engine.connect() as conn:
        sql = ("SELECT i.school_code, i.file_name, f.row_number, s.nisn, s.name, f.column_label, f.value, f.severity, "
               "f.code, f.message, f.params, f.student_id, f.field FROM roster_finding f "
               "JOIN roster_import i ON i.id = f.import_id LEFT JOIN roster_student s ON s.id = f.student_id "
               "WHERE i.drive_slug = :d AND i.current = 1 AND i.kind = 'roster'")
        params: dict[str, Any] = {"d": drive_slug}
        if school:
            sql += " AND i.school_code = :s"
            params["s"] = school
        rows = conn.execute(text(sql), params).all()
        cross = cross_school(conn, drive_slug)
        info = {}
        if cross:
            for sid, code, fname, row_no, nisn, name, nik in conn.execute(text(
                    "SELECT s.id, s.school_code, i.file_name, s.row_number, s.nisn, s.name, s.nik "
                    "FROM roster_student s JOIN roster_import i ON i.id = s.import_id WHERE s.id IN ({})".format(
                        ",".join(str(int(k)) for k in cross)))).all():
                info[sid] = (code, fname, row_no, nisn, name, nik)
    out: list[Problem] = []
    for (code, fname, row_no, nisn, name, label, value, sev, fcode, msg, params_json, sid, _field) in rows:
        if SEVERITY_ORDER.get(sev, 2) > limit:
            continue
        p = json.loads(params_json or "{}")
        out.append(Problem(code, fname, row_no, nisn or "", name or "", label, value, sev, fcode,
                           translate(msg).format(**p), translate(dom.ADVICE.get(fcode, "")) if fcode in dom.ADVICE
                           else "", sid))
    for sid, findings in cross.items():
        code, fname, row_no, nisn, name, nik = info[sid]
        if school and code != school:
            continue
        for f in findings:
            if SEVERITY_ORDER[str(f.severity)] > limit:
                continue
            value = nik if f.field == "nik" else nisn
            label = translate(FIELD_LABELS.get(f.field, f.field))
            out.append(Problem(code, fname, row_no, nisn, name, label, value, str(f.severity), f.code,
                               f.render(translate), translate(dom.ADVICE.get(f.code, "")), sid))
    out.sort(key=lambda p: (p.school_code, SEVERITY_ORDER.get(p.severity, 2), p.row, p.code))
    return out


def import_history(ws, drive_slug: str, school: str | None = None, *, all_imports: bool = False) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    sql = ("SELECT id, school_code, kind, file_name, file_sha256, file_format, sheet, school_name, downloaded_at, "
           "imported_at, imported_by, rows, students, errors, warnings, current, replaced_at FROM roster_import "
           "WHERE drive_slug = :d")
    params: dict[str, Any] = {"d": drive_slug}
    if school:
        sql += " AND school_code = :s"
        params["s"] = school
    if not all_imports:
        sql += " AND current = 1"
    with ws.engine.connect() as conn:
        rows = conn.execute(text(sql + " ORDER BY school_code, kind, id"), params).mappings().all()
    return [{**dict(r), "current": bool(r["current"])} for r in rows]


def export_problems(ws, drive_slug: str, problems: list[Problem], *, out_dir: Path | None = None,  # type: ignore[no-untyped-def]
                    school_names: dict[str, str] | None = None) -> list[Path]:
    """One styled workbook per school in ``exports/`` that the school operator can act on."""
    from sweet17.adapters.xlsx.styled import Column, StyledWorkbook
    from sweet17.domain.findings import SEVERITY_LABELS

    out_dir = out_dir or ws.exports_dir
    by_school: dict[str, list[Problem]] = {}
    for p in problems:
        by_school.setdefault(p.school_code, []).append(p)
    written = []
    for code, items in sorted(by_school.items()):
        wb = StyledWorkbook()
        cols = [Column(_("Row"), width=7, kind="int"), Column(_("NISN"), width=13), Column(_("Name"), width=30),
                Column(_("Column"), width=18), Column(_("Value in the file"), width=22),
                Column(_("Severity"), width=11), Column(_("Problem"), width=60, wrap=True),
                Column(_("What to do"), width=60, wrap=True)]
        labels = {str(k): _(v) for k, v in SEVERITY_LABELS.items()}
        wb.add_table(
            _("Data problems"), cols,
            [[p.row, p.nisn, p.name, p.column, p.value, labels.get(p.severity, p.severity), p.problem, p.advice]
             for p in items],
            severities=[p.severity for p in items],
            title=_("Data problems in the roster of {school} ({file})").format(
                school=(school_names or {}).get(code, code), file=Path(items[0].file).name),
        )
        path = out_dir / f"roster-problems-{code}.xlsx"
        wb.save(path)
        written.append(path)
    if written:
        ws.audit(current_actor(), "roster.problems.export", drive_slug, {"files": [p.name for p in written]})
    return written

"""Reading the small lists the reports import (printed cards, survey responses, complaints).

CSV (comma or semicolon, UTF-8 or Windows-1252) and spreadsheets (xlsx, xls, ods, through
python-calamine). The header row is found by its names within the first rows, columns are
recognised by aliases, and every cell problem is reported with the file, the row number as the
user sees it in their own file, and the column. Imports are all rows or none (``refuse_problems``)
and are logged in ``ktpku_import`` (``refuse_reimport``, ``log_import``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sweet17.errors import UserError, ValidationError
from sweet17.i18n import _

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
HEADER_SEARCH_ROWS = 15

MONTHS_ID = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "maret": 3, "mar": 3, "april": 4, "apr": 4,
    "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "des": 12,
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "aug": 8,
    "october": 10, "oct": 10, "december": 12, "dec": 12,
}


def norm_header(text: Any) -> str:
    """'Tanggal  Cetak\\n' -> 'tanggal cetak'; punctuation other than letters and digits becomes a space."""
    s = re.sub(r"[^0-9a-z]+", " ", str(text or "").lower())
    return " ".join(s.split())


@dataclass(frozen=True)
class Table:
    path: Path
    sha256: str
    columns: dict[str, int]          # field -> column index
    headers: list[str]               # the header cells as written
    rows: list[tuple[int, list[Any]]]  # (row number in the user's file, cells)

    def cell(self, row: list[Any], fld: str) -> Any:
        i = self.columns.get(fld)
        if i is None or i >= len(row):
            return None
        v = row[i]
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    def header_of(self, fld: str) -> str:
        i = self.columns.get(fld)
        return self.headers[i] if i is not None and i < len(self.headers) else fld

    def problem(self, row: int, fld: str, text: str) -> str:
        """A problem in a cell, naming the file, the row (as numbered in the file) and the column (as headed)."""
        return _("{path}, row {row}, column {column}: {problem}").format(
            path=self.path.name, row=row, column=self.header_of(fld), problem=text)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rows(path: Path) -> Iterator[list[Any]]:
    """The first sheet's rows through the shared readers (kind of file from its bytes, CSV encoding and
    delimiter detected), with Windows-1252 mojibake repaired in text cells."""
    from sweet17.adapters.readers import ReadError, open_workbook
    from sweet17.domain.roster import repair_mojibake

    try:
        book = open_workbook(path)
        try:
            for row in book.iter_rows(book.sheet_names[0]):
                yield [repair_mojibake(c) if isinstance(c, str) else c for c in row]
        finally:
            book.close()
    except ReadError as e:
        raise ValidationError(_(e.message).format(path=path, **e.params), path=path) from None


def read_table(path: Path | str, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    """Read a CSV or spreadsheet whose header names the ``required`` fields (by any alias)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(_("File {path} does not exist").format(path=path), path=path)
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES or suffix in (".csv", ".txt", ".tsv"):
        source = _rows(path)
    else:
        raise ValidationError(_("{path}: unknown file type {suffix} (use .csv or .xlsx)").format(
            path=path, suffix=suffix or "-"), path=path)
    alias_map = {norm_header(a): fld for fld, names in aliases.items() for a in (fld, *names)}
    header_row: list[Any] | None = None
    header_no = 0
    columns: dict[str, int] = {}
    best: tuple[int, set[str]] = (0, set())
    rows: list[tuple[int, list[Any]]] = []
    for n, row in enumerate(source, start=1):
        if header_row is None:
            found: dict[str, int] = {}
            for i, cell in enumerate(row):
                fld = alias_map.get(norm_header(cell))
                if fld and fld not in found:
                    found[fld] = i
            if len(found) > len(best[1]):
                best = (n, set(found))
            if all(r in found for r in required):
                header_row, header_no, columns = list(row), n, found
            elif n >= HEADER_SEARCH_ROWS:
                break
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        rows.append((n, list(row)))
    if header_row is None:
        if best[0] == 0:
            raise ValidationError(_("{path}: no header row found (expected columns: {columns})").format(
                path=path, columns=", ".join(required)), path=path)
        missing = [r for r in required if r not in best[1]]
        raise ValidationError(_("{path}, row {row}: required column(s) missing: {columns}").format(
            path=path, row=best[0], columns=", ".join(missing)), path=path, row=best[0])
    if not rows:
        raise ValidationError(_("{path}: the list is empty (no rows below the header in row {row})").format(
            path=path, row=header_no), path=path, row=header_no)
    return Table(path=path, sha256=file_sha256(path), columns=columns,
                 headers=[str(h or "") for h in header_row], rows=rows)


# ------------------------------------------------------------------------------- all rows or none

def refuse_problems(problems: list[str], path: Path) -> None:
    """Raise ``ValidationError`` with the first five problems (and how many more) when there are any."""
    if problems:
        more = _(" (and {n} more problems)").format(n=len(problems) - 5) if len(problems) > 5 else ""
        raise ValidationError(_("Nothing was imported. {problems}{more}").format(
            problems="; ".join(problems[:5]), more=more), path=path)


def refuse_reimport(conn, kind: str, table: Table) -> None:  # type: ignore[no-untyped-def]
    """``UserError`` when the same file (by its SHA-256) was imported as ``kind`` before."""
    from sqlalchemy import text

    dup = conn.execute(text("SELECT imported_at FROM ktpku_import WHERE kind = :k AND sha256 = :h"),
                       {"k": kind, "h": table.sha256}).scalar()
    if dup:
        raise UserError(_("{path} was already imported on {date}; nothing was imported again").format(
            path=table.path.name, date=dup[:10]), path=table.path)


def log_import(conn, kind: str, table: Table, *, drive_slug: str, rows: int, actor: str,  # type: ignore[no-untyped-def]
               at: str | None = None) -> int:
    """Record an import of ``table`` in ``ktpku_import`` (in the caller's transaction); its id."""
    from sqlalchemy import text

    from sweet17.services.workspace import now_utc

    return conn.execute(text(
        "INSERT INTO ktpku_import (kind, drive_slug, file_name, sha256, rows, imported_by, imported_at) "
        "VALUES (:k, :d, :f, :h, :n, :by, :at) RETURNING id"),
        {"k": kind, "d": drive_slug, "f": table.path.name, "h": table.sha256, "n": rows, "by": actor,
         "at": at or now_utc()}).scalar()


# ------------------------------------------------------------------------------- cell values

EXCEL_EPOCH = date(1899, 12, 30)


def parse_date_value(v: Any) -> date:
    """A date from a cell: a date, an Excel serial, ISO text, DD/MM/YYYY, DD-MM-YYYY, '17 Agustus 2026'."""
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        if 20000 < v < 80000:                      # 1954 .. 2119
            return EXCEL_EPOCH + timedelta(days=int(v))
        raise ValueError(v)
    s = str(v).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", s)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})", s)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})", s)
    if m and m[2].lower() in MONTHS_ID:
        return date(int(m[3]), MONTHS_ID[m[2].lower()], int(m[1]))
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return parse_date_value(float(s))
    raise ValueError(s)


def text_value(v: Any) -> str:
    """Text of a cell; whole floats lose their '.0' (a number typed into a text column)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def digits_value(v: Any) -> tuple[str, bool]:
    """Digits of an identifier cell, and whether its digits may be lost.

    Excel keeps 15 significant digits, so a 16-digit NIK stored as a number (or shown in scientific
    notation, ``6.31107E+15``) has lost its last digit: that is flagged, never repaired.
    """
    if isinstance(v, float | int) and not isinstance(v, bool):
        digits = f"{int(v)}" if float(v).is_integer() else str(v)
        return digits, len(digits) >= 16
    raw = str(v).strip()
    if re.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d+", raw):
        return raw, True
    return re.sub(r"[\s.\-]", "", raw.lstrip("'")), False

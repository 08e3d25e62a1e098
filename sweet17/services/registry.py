"""The registry extract (residents Dukcapil has already recorded) and matching students to it.

::

    from sweet17.services.registry import import_extract, rematch, review_cases, decide
    rep = import_extract(ws, Path("registry/rekam-ktp-el-2026.csv"))
    rep.persons, rep.skipped          # rows kept, rows left out with the reason and row numbers
    cases = review_cases(ws, "balangan-2026")   # possible matches a person must decide
    decide(ws, "balangan-2026", cases[0].student_id, choice=1)

The extract is CSV or a workbook; SIAK's own field names (NIK, NO_KK, NAMA_LGKP, JENIS_KLMIN as
1/2 or L/P, TMPT_LHR, TGL_LHR as DD-MM-YYYY, STATUS) are recognised, as are plain Indonesian or
English headers; anything else takes a column map. A province's extract has millions of rows: the file
is read once (hashed by a thread meanwhile) and, for SIAK's plain CSV, its lines are filed in blocks by
array operations (numpy: the NIK, birth date and sex fields found by the delimiters' positions, the lines
sorted by code), only the few lines whose NIK, birth date or sex is unusual or disagrees being read one
by one. The rows are stored in one transaction, grouped by the birth code of each NIK (digits 7-12:
DDMMYY, 40 added to the day for women) in ``registry_bucket`` — the two look-ups matching needs, by NIK and by birth date and sex,
each read one group. The previous extract stays in the history (file, hash, who, when) and its rows are
replaced. Matching (``sweet17.domain.matching``) runs after each extract or roster import; ambiguous
cases are stored for review and never decided here. A large extract is matched by a forked process, on its
groups still in memory (``MemoryExtract``: the look-ups of ``StoredExtract``, same rows, same order) and the
students read while its second half was being read, while this process stores it; the matches are stored
once the extract is committed, as ``rematch`` stores them.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
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
#: CSV is read in blocks of this many bytes
CHUNK = 16 << 20
#: the fields of the lines written from normalised values (workbooks, CSV with quoted fields)
SEP = "\x1f"
NORMAL_COLUMNS = {"nik": 0, "name": 1, "birth_date": 2, "sex": 3, "status": 4}


# ---------------------------------------------------------------- values


@dataclass
class ExtractReport:
    file: Path
    extract_id: int
    replaced_extract_id: int | None
    file_format: str
    rows: int                                   # data rows read (blank rows not counted)
    persons: int                                # rows kept (with a usable NIK)
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


def _sex(v: Any) -> str:
    s = _SEX_FAST.get(v) if v.__class__ is str else None
    return (dom.parse_sex(v) or "") if s is None else s


def birth_code(iso: str, sex: str) -> str:
    """The NIK's digits 7-12 for a birth date (ISO text) and sex: DDMMYY, 40 added to the day for women."""
    return (str(int(iso[8:10]) + 40) if sex == "P" else iso[8:10]) + iso[5:7] + iso[2:4]


def _birth_codes(iso: str, sex: str) -> tuple[str, ...]:
    """The codes a row with this birth date and sex is filed under besides its NIK's (both sexes when unknown)."""
    if not iso:
        return ()
    if sex == "L" or sex == "P":
        return (birth_code(iso, sex),)
    return (birth_code(iso, "L"), birth_code(iso, "P"))


def read_nik(v: Any, name: Any) -> tuple[str, str]:
    """(NIK, reason left out) of an extract row: reason '' (usable), 'nik_missing', 'nik_invalid', 'nik_number',
    or 'blank' for a row with neither NIK nor name (not counted)."""
    if v.__class__ is str:
        nik = v.strip()
        if len(nik) == 16 and nik.isdigit():
            return nik, ""
        if not nik and not (name.strip() if name.__class__ is str else name):
            return "", "blank"
        nik = dom.nikcore.clean(nik)
        if not nik:
            return "", "nik_missing"
        if len(nik) != 16 or not nik.isdigit():
            return "", "nik_invalid"
        return nik, ""
    if v is None or v == "":
        return ("", "blank") if name in ("", None) else ("", "nik_missing")
    return "", "nik_number" if isinstance(v, int | float) else "nik_invalid"


# ---------------------------------------------------------------- reading the extract


class _Buckets:
    """The extract's usable rows grouped by birth code, and what is reported about the others."""

    def __init__(self) -> None:
        self.groups: dict[str, Any] = {}      # code -> its lines (a list), or text (see _add_block)
        self.rows = 0
        self.persons = 0
        self.bad_birth_dates = 0
        self.skipped: Counter[str] = Counter()
        self.skipped_rows: dict[str, list[int]] = {}
        # (birth date cell, sex cell) -> the codes of that birth date and sex (none: no readable birth date)
        self.cached_births: dict[tuple[str, str], tuple[str, ...]] = {}
        self._iso: dict[str, str] = {}

    def skip(self, reason: str, row_number: int) -> None:
        self.rows += 1
        self.skipped[reason] += 1
        first = self.skipped_rows.setdefault(reason, [])
        if len(first) < 10:
            first.append(row_number)

    def births(self, bd: Any, sex: Any) -> tuple[str, ...]:
        """The codes a row with these birth date and sex cells is filed under besides its NIK's; none when the
        birth date is unreadable."""
        if bd.__class__ is not str or sex.__class__ is not str:
            return _birth_codes(_fast_birth(bd), _sex(sex))
        iso = self._iso.get(bd)
        if iso is None:
            iso = self._iso[bd] = _fast_birth(bd)
        codes = self.cached_births[(bd, sex)] = _birth_codes(iso, _sex(sex))
        return codes

    def add(self, code: str, line: str, extra: tuple[str, ...]) -> None:
        g = self.groups.get(code)
        if g is None:
            self.groups[code] = [line]
        else:
            g.append(line)
        self.add_extra(code, line, extra)

    def add_extra(self, code: str, line: str, extra: tuple[str, ...]) -> None:
        for c in extra:
            if c != code:
                g = self.groups.get(c)
                if g is None:
                    self.groups[c] = [line]
                else:
                    g.append(line)


def _normal_line(nik: str, name: Any, bd: Any, sex: Any, status: Any) -> str:
    """A row as a line of normalised fields (NORMAL_COLUMNS)."""
    parts = (nik, name.strip() if name.__class__ is str else dom.cell_text(name), _fast_birth(bd), _sex(sex),
             status.strip() if status.__class__ is str else dom.cell_text(status))
    line = SEP.join(parts)
    if line.count(SEP) != 4 or "\n" in line or "\r" in line:
        line = SEP.join(p.replace(SEP, " ").replace("\n", " ").replace("\r", " ") for p in parts)
    return line


def _add_rows(b: _Buckets, rows: Iterable[list[Any]], first_row: int, cols: dict[str, int]) -> None:
    """Rows of any reader (cells as values) into ``b``, as normalised lines."""
    i_nik, i_name, i_bd, i_sex = cols["nik"], cols["name"], cols["birth_date"], cols["sex"]
    i_status = cols.get("status")
    width = max(cols.values()) + 1
    for r, row in enumerate(rows, first_row):
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        nik, reason = read_nik(row[i_nik], row[i_name])
        if reason:
            if reason != "blank":
                b.skip(reason, r)
            continue
        b.rows += 1
        b.persons += 1
        codes = b.births(row[i_bd], row[i_sex])
        if not codes:
            b.bad_birth_dates += 1
        b.add(nik[6:12], _normal_line(nik, row[i_name], row[i_bd], row[i_sex],
                                      row[i_status] if i_status is not None else "recorded"), codes)


def _read_line(b: _Buckets, line: str, delimiter: str, width: int, cols: dict[str, int],
               row: int) -> tuple[str, tuple[str, ...]] | None:
    """(NIK, region codes its birth date and sex give) of one CSV line; None for a line skipped (counted in ``b``)."""
    f = line.split(delimiter)
    if len(f) < width:
        f += [""] * (width - len(f))
    nik = f[cols["nik"]]
    if len(nik) != 16 or not nik.isdigit():
        nik, reason = read_nik(nik, f[cols["name"]])
        if reason:
            if reason != "blank":
                b.skip(reason, row)
            return None
    key = (f[cols["birth_date"]], f[cols["sex"]])
    codes = b.cached_births.get(key)
    return nik, (b.births(*key) if codes is None else codes)


def _add_csv_lines(b: _Buckets, lines: list[str], first_row: int, delimiter: str, cols: dict[str, int]) -> None:
    """Lines of a CSV file without quoted fields into ``b`` as they are (split at the delimiter to read them)."""
    width = max(cols.values()) + 1
    groups = b.groups
    group = groups.get
    n_kept = 0
    bad = 0
    for r, line in enumerate(lines, first_row):
        read = _read_line(b, line, delimiter, width, cols, r)
        if read is None:
            continue
        nik, codes = read
        n_kept += 1
        code = nik[6:12]
        g = group(code)
        if g is None:
            groups[code] = [line]
        else:
            g.append(line)
        if not codes:
            bad += 1
        elif codes[0] != code or len(codes) > 1:     # birth date or sex not the NIK's: filed there too
            b.add_extra(code, line, codes)
    b.rows += n_kept
    b.persons += n_kept
    b.bad_birth_dates += bad


def _layout(head: list[list[Any]], column_map: Any) -> tuple[int, dict[str, int]] | None:
    """(first data row index, field -> column) from the first rows of a sheet; None when no header is there.
    ReadError when a column map names a missing column or a recognised header lacks a required field."""
    if column_map is not None:
        lay = dom.layout_from_map(head, column_map.columns, header_row=column_map.header_row)
        if isinstance(lay, str):
            raise ReadError("map", N_("{path}: no column '{column}' (named in the map) in the first {n} rows"),
                            column=lay, n=dom.HEADER_SCAN_ROWS)
    else:
        lay = dom.detect_layout(head, aliases=_REG_ALIASES, required=("nik", "name"), min_fields=3)
        if lay is None:
            return None
        missing = [f for f in REGISTRY_REQUIRED if f not in lay.columns]
        if missing:
            raise ReadError("header", N_("{path}: the registry extract has no column for {fields}; give a "
                                         "column map with --map"), fields=", ".join(missing))
    return lay.data_start, dict(lay.columns)


_NO_HEADER = (N_("{path}: no header with NIK, name, birth date and sex (SIAK names such as NIK, NAMA_LGKP, TGL_LHR, "
                 "JENIS_KLMIN are recognised) in the first {n} rows"))


class _Hashing:
    """The SHA-256 of some bytes, computed by a thread meanwhile (hashlib lets go of the GIL while it hashes)."""

    def __init__(self, data: bytes) -> None:
        import threading

        self._value = ""
        self._thread = threading.Thread(target=self._run, args=(data,), name="sweet17-extract-sha256", daemon=True)
        self._thread.start()

    def _run(self, data: bytes) -> None:
        self._value = hashlib.sha256(data).hexdigest()

    def result(self) -> str:
        self._thread.join()
        return self._value


def _import_numpy_meanwhile() -> None:
    """Start importing numpy in a thread (it takes tens of milliseconds, while the file is read and hashed)."""
    import sys
    import threading

    if "numpy" not in sys.modules:
        import importlib

        threading.Thread(target=importlib.import_module, args=("numpy",), name="sweet17-import-numpy",
                         daemon=True).start()


def _plain_csv_text(path: Path) -> tuple[_Hashing, bytes, str, str] | None:
    """(SHA-256 being computed, bytes, encoding, line end) of a CSV file whose lines are its rows (no quotes, no
    NUL, no lone CR), else None.

    The file is read once. Its text is what the CSV reader would decode (UTF-8 with or without BOM, UTF-16,
    else Windows-1252); the bytes returned are that text encoded in ``encoding`` (UTF-8 or Windows-1252, both
    keeping ASCII as it is: the delimiter and newlines are single bytes), without the BOM; the line end is CRLF
    when every line ends so (kept as it is), else LF (CRLF turned into LF)."""
    from sweet17.adapters.readers import sniff

    if sniff(path) != "csv":
        return None
    _import_numpy_meanwhile()
    data = path.read_bytes()
    sha = _Hashing(data)
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        del data
        if '"' in text or "\x00" in text:
            return None
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                return None
        return sha, text.encode("utf-8"), "utf-8", "\n"
    # UTF-8 and Windows-1252 keep '"', NUL and CR as those bytes
    if b'"' in data or b"\x00" in data:
        return None
    newline = "\n"
    if b"\r" in data:
        import re

        # every line ends with CRLF: as many CRs as LFs, and no CR without an LF after it (so none without one
        # before it either); two single-byte counts and one search, cheaper than counting CRLFs
        if data.count(b"\n") == data.count(b"\r") and re.search(rb"\r(?!\n)", data) is None:
            newline = "\r\n"              # (the lines are cut at LF and the CR before it is left out)
        else:
            data = data.replace(b"\r\n", b"\n")
            if b"\r" in data:
                return None
    if data.isascii():
        return sha, data, "utf-8", newline
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return sha, data, "cp1252", newline      # (a BOM stays: the text as Windows-1252 reads it)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    return sha, data, "utf-8", newline


@dataclass
class _PlainCsv:
    """A CSV extract whose lines are its rows, as bytes in ``encoding``, with its header found."""

    hashing: _Hashing
    data: bytes
    encoding: str
    newline: str             # "\n" or "\r\n" (every line)
    delimiter: str
    cols: dict[str, int]
    pos: int                 # where the first data row starts in ``data``
    first_row: int           # its row number

    @property
    def layout(self) -> dict[str, Any]:
        return {"delimiter": self.delimiter, "columns": self.cols}

    @property
    def sha(self) -> str:
        return self.hashing.result()


def _blank_text(data: bytes, encoding: str) -> bool:
    """Whether the text is only white space (as ``str.strip`` sees it)."""
    import re

    first = re.search(rb"[^ \t\n\r\x0b\x0c\x1c-\x1f]", data)       # the first byte that is not ASCII white space
    if first is None:
        return True
    if first.group() < b"\x80":
        return False
    return not data.decode(encoding, errors="replace").strip()


def _open_plain_csv(plain: tuple[_Hashing, bytes, str, str], column_map: Any) -> _PlainCsv:
    from sweet17.adapters.readers.csvfile import detect_delimiter

    sha, data, encoding, newline = plain
    if _blank_text(data, encoding):
        raise ReadError("empty", N_("{path}: the file is empty"))
    head_end = 0
    for _row in range(dom.HEADER_SCAN_ROWS):
        nl = data.find(b"\n", head_end)
        if nl < 0:
            head_end = len(data)
            break
        head_end = nl + 1
    # the first 64 Ki characters, as the whole text gives them (a character cut at the end is dropped)
    sample = data[:8 * 64 * 1024 + 8].decode(encoding, errors="ignore")    # (at least 64 Ki characters)
    if newline != "\n":
        sample = sample.replace(newline, "\n")
    delimiter = detect_delimiter(sample[:64 * 1024])
    head_text = data[:head_end].decode(encoding, errors="replace")
    if newline != "\n":
        head_text = head_text.replace(newline, "\n")
    head = list(csv.reader(head_text.split("\n")[:dom.HEADER_SCAN_ROWS], delimiter=delimiter))
    found = _layout(head, column_map)
    if found is None:
        raise ReadError("header", _NO_HEADER, n=dom.HEADER_SCAN_ROWS)
    start, cols = found
    pos = 0
    for _row in range(start):         # skip the rows above the data
        nl = data.find(b"\n", pos)
        pos = len(data) if nl < 0 else nl + 1
    return _PlainCsv(sha, data, encoding, newline, delimiter, cols, pos, start + 1)


def _add_text(b: _Buckets, src: _PlainCsv, pos: int, end: int, row_number: int) -> None:
    """The lines of ``src.data[pos:end]`` into ``b``, a block at a time (the list of lines of a whole province's
    extract never exists at once)."""
    data = src.data
    while pos < end:
        stop = data.find(b"\n", min(pos + CHUNK, end - 1))
        stop = end if stop < 0 or stop >= end else stop + 1
        row_number += _add_block(b, src, memoryview(data)[pos:stop], row_number)
        pos = stop


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31) + (0,) * 87   # by month 0-99 (Feb: 29)


def _add_block(b: _Buckets, src: _PlainCsv, block: memoryview, row_number: int) -> int:
    """The lines of ``block`` (whole lines of ``src``) into ``b``; returns how many lines there were.

    Same result as ``_add_csv_lines``, with the per-line work done on arrays: the lines whose NIK is 16 digits
    and whose birth date (DD-MM-YYYY, valid) and sex (1/2/L/P) give that NIK's code are only filed under it
    (a sort by code); the others, few, are read one by one as ``_add_csv_lines`` does."""
    decoded = str(block, src.encoding, errors="replace")
    ascii_only = decoded.isascii()
    lines = decoded.split(src.newline)
    del decoded
    if lines and lines[-1] == "":
        lines.pop()
    n = len(lines)
    if n == 0:
        return 0
    delim = src.delimiter
    if len(delim) != 1 or not delim.isascii() or delim == "\n":
        _add_csv_lines(b, lines, row_number, delim, src.cols)
        return n
    import numpy as np

    cols = src.cols
    i_nik, i_bd, i_sex = cols["nik"], cols["birth_date"], cols["sex"]
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if len(ends) < n:                          # the last line has no newline
        ends = np.append(ends, len(arr))
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    if src.newline != "\n":                    # CRLF: a line ends before its CR
        ends = ends - np.where(ends < len(arr), len(src.newline) - 1, 0)
    dl = np.flatnonzero(arr == ord(delim))
    fast = np.zeros(n, dtype=bool)
    code_int = np.zeros(0, dtype=np.int64)
    if len(dl):
        j0 = np.searchsorted(dl, starts)
        count = np.searchsorted(dl, ends) - j0          # delimiters in the line
        last = len(dl) - 1

        def span(k: int) -> tuple[Any, Any]:
            s = starts if k == 0 else dl[np.minimum(j0 + (k - 1), last)] + 1
            e = np.where(count > k, dl[np.minimum(j0 + k, last)], ends)
            return s, e

        ns, ne = span(i_nik)
        bs, be = span(i_bd)
        ss, se = span(i_sex)
        ok = (count >= max(i_nik, i_bd, i_sex)) & (ne - ns == 16) & (be - bs == 10) & (se - ss == 1)
        idx = np.flatnonzero(ok)
        windows = np.lib.stride_tricks.sliding_window_view
        nk = windows(arr, 16)[ns[idx]] - np.uint8(48) if len(arr) >= 16 else np.zeros((0, 16), np.uint8)
        bd = windows(arr, 10)[bs[idx]] if len(arr) >= 10 else np.zeros((0, 10), np.uint8)   # NIK digits, date bytes
        sx = arr[ss[idx]]
        digits = (nk <= 9).all(axis=1)                  # (bytes below '0' wrap round to large values)
        bdd = bd - np.uint8(48)
        sep = bd[:, 2]
        is_p = (sx == 50) | (sx == 80) | (sx == 112)                            # 2, P, p
        is_l = (sx == 49) | (sx == 76) | (sx == 108)                            # 1, L, l
        bdd16 = bdd.astype(np.int16)
        day = bdd16[:, 0] * 10 + bdd16[:, 1]
        month = bdd16[:, 3] * 10 + bdd16[:, 4]
        year = ((bdd16[:, 6] * 10 + bdd16[:, 7]) * 10 + bdd16[:, 8]) * 10 + bdd16[:, 9]
        month_ok = (bdd[:, [0, 1, 3, 4, 6, 7, 8, 9]] <= 9).all(axis=1)
        mdays = np.asarray(_DAYS_IN_MONTH, dtype=np.int16)[np.clip(month, 0, 99)]
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        nk16 = nk[:, 6:12].astype(np.int16)
        good = (digits & month_ok & ((sep == 45) | (sep == 47) | (sep == 46)) & (bd[:, 5] == sep)
                & (is_p | is_l) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= mdays)
                & ((month != 2) | (day != 29) | leap)
                & (nk16[:, 0] * 10 + nk16[:, 1] == day + 40 * is_p)
                & (nk[:, 8] == bdd[:, 3]) & (nk[:, 9] == bdd[:, 4])
                & (nk[:, 10] == bdd[:, 8]) & (nk[:, 11] == bdd[:, 9]))
        fast[idx[good]] = True
        c = nk16[good].astype(np.int64)
        code_int = ((((c[:, 0] * 10 + c[:, 1]) * 10 + c[:, 2]) * 10 + c[:, 3]) * 10 + c[:, 4]) * 10 + c[:, 5]
    # the other lines, one by one
    width = max(cols.values()) + 1
    other_codes: dict[int, str] = {}            # key -> code not of 6 ASCII digits
    slow_idx: list[int] = []
    slow_code: list[int] = []

    def key_of(code: str) -> int:
        if len(code) == 6 and code.isascii() and code.isdigit():
            return int(code)
        for k, v in other_codes.items():
            if v == code:
                return k
        k = 1_000_000 + len(other_codes)
        other_codes[k] = code
        return k

    kept = int(fast.sum())
    bad = 0
    for i in np.flatnonzero(~fast).tolist():
        read = _read_line(b, lines[i], delim, width, cols, row_number + i)
        if read is None:
            continue
        nik, codes = read
        kept += 1
        code = nik[6:12]
        slow_idx.append(i)
        slow_code.append(key_of(code))
        if not codes:
            bad += 1
        else:
            for c2 in codes:
                if c2 != code:
                    slow_idx.append(i)
                    slow_code.append(key_of(c2))
    b.rows += kept
    b.persons += kept
    b.bad_birth_dates += bad
    # every (code, line) in file order within each code, the codes in the order they first occur
    at = np.concatenate([np.flatnonzero(fast), np.asarray(slow_idx, dtype=np.int64)])
    keys = np.concatenate([code_int, np.asarray(slow_code, dtype=np.int64)])
    if not len(at):
        return n
    order = np.lexsort((at, keys))      # (the entries of one line: its NIK's code first, as made)
    at = at[order]
    keys = keys[order]
    firsts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    at_list = at.tolist()
    ordered = (lines[at_list[0]],) if len(at_list) == 1 else operator.itemgetter(*at_list)(lines)
    del lines, at_list
    big = "\n".join(ordered)       # the groups one after the other, cut apart below
    if ascii_only:
        sizes = (ends - starts)[at]
    else:
        sizes = np.fromiter(map(len, ordered), dtype=np.int64, count=len(ordered))
    del ordered
    cum = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes + 1, out=cum[1:])
    lasts = np.append(firsts[1:], len(sizes))
    by_first = np.lexsort((order[firsts], at[firsts]))        # the groups in the order their codes first occur
    cut_from = cum[firsts[by_first]].tolist()
    cut_to = (cum[lasts[by_first]] - 1).tolist()
    pieces = [big[i:j] for i, j in zip(cut_from, cut_to, strict=True)]
    del big
    codes = [f"{k:06d}" if k < 1_000_000 else other_codes[k] for k in keys[firsts[by_first]].tolist()]
    groups = b.groups      # code -> its text, or the list of its pieces of text when there are several
    if not groups:
        groups.update(zip(codes, pieces, strict=True))
        return n
    get = groups.get
    for code, piece in zip(codes, pieces, strict=True):
        had = get(code)
        if had is None:
            groups[code] = piece
        elif had.__class__ is str:
            groups[code] = [had, piece]
        else:
            had.append(piece)
    return n


#: An extract of at least this many bytes is split in two halves read at once by this process and a
#: forked one (where processes are forked: Linux).
PARALLEL_MIN_CHARS = 8 << 20
_PART: tuple[_PlainCsv, int, int, int] | None = None      # what a forked worker reads: its part of the text


def _read_part_in_worker() -> tuple[dict[str, str], int, int, int, dict[str, int], dict[str, list[int]]]:
    """A worker's half of the extract (inherited by fork, never sent): its groups, as text, and its counts."""
    assert _PART is not None
    src, pos, end, row_number = _PART
    b = _Buckets()
    _add_text(b, src, pos, end, row_number)
    return ({code: g if g.__class__ is str else "\n".join(g) for code, g in b.groups.items()}, b.rows, b.persons,
            b.bad_birth_dates,
            dict(b.skipped), b.skipped_rows)


def _plain_parts(src: _PlainCsv, b: _Buckets) -> Iterator[tuple[dict[str, Any], bool]]:
    """The groups of a plain CSV extract, part by part as they are ready to store (lists of lines or text), each
    with whether it is the last part.

    A large extract is read in two halves at once, the second by a forked worker process, so the first half
    is stored while the second is still being read. A worker that dies only costs time: its half is read here.
    """
    global _PART
    from sweet17.services.roster import start_method, usable_cpus

    end = len(src.data)
    mid = src.data.find(b"\n", src.pos + (end - src.pos) // 2) + 1
    if end - src.pos < PARALLEL_MIN_CHARS or start_method() != "fork" or usable_cpus() < 2 or mid <= 0 or mid >= end:
        _add_text(b, src, src.pos, end, src.first_row)
        yield b.groups, True
        return
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    import numpy  # noqa: F401  (imported here, not being imported by a thread when the worker is forked)

    second_row = src.first_row + src.data.count(b"\n", src.pos, mid)
    _PART = (src, mid, end, second_row)
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        future = pool.submit(_read_part_in_worker)     # the worker is forked here and inherits the text
    finally:
        gc.unfreeze()
        _PART = None
    try:
        _add_text(b, src, src.pos, mid, src.first_row)
        yield b.groups, False
        b.groups = {}
        try:
            groups, rows, persons, bad, skipped, skipped_rows = future.result()
        except BrokenProcessPool:
            _add_text(b, src, mid, end, second_row)
            yield b.groups, True
            return
        b.rows += rows
        b.persons += persons
        b.bad_birth_dates += bad
        b.skipped.update(skipped)
        for reason, first in skipped_rows.items():
            b.skipped_rows[reason] = (b.skipped_rows.get(reason, []) + first)[:10]
        yield groups, True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read_any_extract(path: Path, column_map: Any, b: _Buckets) -> tuple[str, dict[str, Any], str]:
    """Any other extract (a workbook, CSV with quoted fields) into ``b``: (SHA-256, layout, format)."""
    from sweet17.services.roster import file_sha256

    book = open_workbook(path)
    try:
        for sheet in book.sheet_names:
            it = book.iter_rows(sheet)
            head: list[list[Any]] = []
            for row in it:
                head.append(row)
                if len(head) >= dom.HEADER_SCAN_ROWS:
                    break
            found = _layout(head, column_map)
            if found is None:
                continue
            start, cols = found

            def rows(head: list[list[Any]] = head, it: Iterator[list[Any]] = it, start: int = start) \
                    -> Iterator[list[Any]]:
                yield from head[start:]
                yield from it
            _add_rows(b, rows(), start + 1, cols)
            return file_sha256(path), {"delimiter": SEP, "columns": NORMAL_COLUMNS}, book.kind
        raise ReadError("header", _NO_HEADER, n=dom.HEADER_SCAN_ROWS)
    finally:
        book.close()


# ---------------------------------------------------------------- import


def import_extract(ws, path: Path | str | None = None, *, map_path: Path | None = None,  # type: ignore[no-untyped-def]
                   drive_path: Path | None = None, actor: str | None = None,
                   progress: Callable[[int], None] | None = None, match: bool = True) -> ExtractReport:
    """Import the registry extract for the current drive (default file: the drive's ``registry_extract``)."""
    from sweet17.services.drives import current_drive
    from sweet17.services.roster import BulkWrites, current_actor
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
    b = _Buckets()
    try:
        plain = _plain_csv_text(path)
        if plain is not None:
            src = _open_plain_csv(plain, column_map)
            del plain
            sha, layout, kind = "", src.layout, "csv"     # (the SHA-256 is being computed meanwhile)
            hashing: _Hashing | None = src.hashing
            parts: Iterator[tuple[dict[str, Any], bool]] = _plain_parts(src, b)
        else:
            sha, layout, kind = _read_any_extract(path, column_map, b)
            hashing = None
            src = None
            parts = iter([(b.groups, True)])
    except ReadError as e:
        raise UserError(_(e.message).format(path=path, **e.params), path=path) from None
    now = now_utc()
    # a large extract is matched by a forked process while this one stores it: the parts are kept for it
    keep = match and _can_match_alongside()
    kept: list[dict[str, Any]] = []          # parts read, stored after the next
    loaded: tuple[list[Any], list[Any]] | None = None
    alongside: _Alongside | None = None
    with ws.engine.connect() as conn:
        dbapi = conn.connection.driver_connection
        dbapi.execute("PRAGMA cache_size=-65536")      # 64 MB: the groups are written without spilling
        bulk = BulkWrites(ws, dbapi)
        try:
            with conn.begin():
                cur = dbapi.cursor()
                old = cur.execute("SELECT id FROM registry_extract WHERE drive_slug = ? AND current = 1",
                                  (drive.slug,)).fetchone()
                old = old[0] if old else None
                if old is not None:
                    cur.execute("DELETE FROM registry_bucket WHERE extract_id = ?", (old,))
                    cur.execute("UPDATE registry_extract SET current = 0, replaced_at = ? WHERE id = ?", (now, old))
                eid = cur.execute(
                    "INSERT INTO registry_extract (drive_slug, file_name, file_sha256, file_format, imported_at, "
                    "imported_by, current, layout) VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING id",
                    (drive.slug, str(path), sha, kind, now, actor, json.dumps(layout))).fetchone()[0]
                try:
                    for groups, last in parts:    # (a large extract's second half is still being read meanwhile)
                        if keep and not last:
                            # the students to match are read while the rest is being read; this part is stored
                            # once the matching has started
                            if loaded is None:
                                loaded = _to_match(dbapi, drive.slug, *_scope(drive.slug, None))
                            kept.append(groups)
                            continue
                        if keep and b.persons >= max(1, MATCH_ALONGSIDE_MIN_PERSONS):
                            if hashing is not None:
                                sha = hashing.result()
                            if src is not None:
                                src.data = b""       # (read: not inherited by the matching process)
                            if loaded is None:
                                loaded = _to_match(dbapi, drive.slug, *_scope(drive.slug, None))
                            alongside = _Alongside(drive.slug, eid, [*kept, groups], layout, loaded)
                        for part in (*kept, groups):
                            cur.executemany("INSERT INTO registry_bucket (extract_id, code, data) VALUES (?, ?, ?)",
                                            ((eid, code, g if g.__class__ is str else "\n".join(g))
                                             for code, g in part.items()))
                            part.clear()
                        kept.clear()
                        loaded = None
                        if progress:
                            progress(b.persons)
                except ReadError as e:
                    raise UserError(_(e.message).format(path=path, **e.params), path=path) from None
                finally:
                    if hasattr(parts, "close"):
                        parts.close()       # a worker still reading is waited for, not left behind
                if b.persons == 0:
                    raise UserError(_("{path}: no row with a usable NIK; nothing was imported").format(path=path),
                                    path=path)
                if hashing is not None:
                    sha = hashing.result()
                cur.execute("UPDATE registry_extract SET rows = ?, persons = ?, skipped = ?, file_sha256 = ? "
                            "WHERE id = ?", (b.rows, b.persons, sum(b.skipped.values()), sha, eid))
                cur.close()
                ws.audit(actor, "registry.import", drive.slug,
                         {"file": path.name, "sha256": sha, "extract_id": eid, "rows": b.rows,
                          "persons": b.persons, "skipped": dict(b.skipped), "replaced_extract_id": old}, conn=conn)
            bulk.checkpoint_in_background()
        except BaseException:
            if alongside is not None:
                alongside.close()        # (waits for it: no process left behind)
            raise
        finally:
            dbapi.execute("PRAGMA cache_size=-2000")
            if bulk._thread is None:
                bulk.finish()        # (failed: the connection's settings are restored)
    rep = ExtractReport(file=path, extract_id=eid, replaced_extract_id=old, file_format=kind, rows=b.rows,
                        persons=b.persons, skipped=dict(b.skipped), skipped_rows=b.skipped_rows,
                        bad_birth_dates=b.bad_birth_dates)
    del b
    try:
        if match:
            rep.match = _rematch(ws, drive.slug, None, alongside.result() if alongside is not None else None)
    finally:
        if alongside is not None:
            alongside.close()
        bulk.finish()
    return rep


# ---------------------------------------------------------------- reading the stored extract


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


_STATUS_RANK = ("printed", "cetak", "ktp", "rekam", "record")


def _better(a: mt.RegistryPerson, b: mt.RegistryPerson) -> mt.RegistryPerson:
    """Of two rows with one NIK, the one further along (printed before recorded)."""
    def rank(p: mt.RegistryPerson) -> int:
        s = p.status.lower()
        return next((i for i, k in enumerate(_STATUS_RANK) if k in s), len(_STATUS_RANK))
    return a if rank(a) <= rank(b) else b


class StoredExtract:
    """Look-ups in a stored extract: persons by NIK, persons by birth date and sex."""

    def __init__(self, dbapi: Any, extract_id: int) -> None:
        self.dbapi = dbapi
        self.extract_id = extract_id
        row = dbapi.execute("SELECT layout FROM registry_extract WHERE id = ?", (extract_id,)).fetchone()
        self._set_layout(json.loads(row[0]) if row and row[0] else {"delimiter": SEP, "columns": NORMAL_COLUMNS})

    def _set_layout(self, lay: dict[str, Any]) -> None:
        self.delimiter: str = lay["delimiter"]
        cols = lay["columns"]
        self._cols = (cols["nik"], cols["name"], cols["birth_date"], cols["sex"], cols.get("status"))
        self._width = max(cols.values()) + 1
        self._keys: dict[str, str] = {}      # name -> name key
        # (birth date cell, sex cell) -> (birth date, sex, the codes of that birth date and sex)
        self._births: dict[tuple[str, str], tuple[date | None, str, tuple[str, ...]]] = {}

    def groups(self, codes: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(code, lines) of the groups of ``codes``: the lines filed under the code, joined by newlines."""
        codes = sorted(set(codes))
        if not codes:
            return iter(())
        cur = self.dbapi.cursor()
        try:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS _want (v TEXT PRIMARY KEY)")
            cur.execute("DELETE FROM _want")
            cur.executemany("INSERT OR IGNORE INTO _want (v) VALUES (?)", ((c,) for c in codes))
            found = cur.execute("SELECT b.code, b.data FROM registry_bucket b JOIN _want w ON w.v = b.code "
                                "WHERE b.extract_id = ?", (self.extract_id,)).fetchall()
            cur.execute("DELETE FROM _want")
        finally:
            cur.close()
        return iter(found)

    def fields(self, line: str) -> tuple[str, Any, Any, Any, Any] | None:
        """(NIK, name, birth date, sex, status cells) of a line; None when its NIK is not usable."""
        f = line.split(self.delimiter)
        if len(f) < self._width:
            f += [""] * (self._width - len(f))
        i_nik, i_name, i_bd, i_sex, i_status = self._cols
        nik = f[i_nik]
        if len(nik) != 16 or not nik.isdigit():
            nik, reason = read_nik(nik, f[i_name])
            if reason:
                return None
        return nik, f[i_name], f[i_bd], f[i_sex], f[i_status] if i_status is not None else "recorded"

    def _birth(self, bd: Any, sex: Any) -> tuple[date | None, str, tuple[str, ...]]:
        key = (bd, sex)
        hit = self._births.get(key)
        if hit is None:
            iso = _fast_birth(bd)
            sx = _sex(sex)
            hit = self._births[key] = (date.fromisoformat(iso) if iso else None, sx, _birth_codes(iso, sx))
        return hit

    def _person(self, nik: str, name: Any, birth: date | None, sex: str, status: Any) -> mt.RegistryPerson:
        name = name.strip() if name.__class__ is str else dom.cell_text(name)
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = dom.name_key(name)
        return mt.RegistryPerson(nik, name, key, birth, sex,
                                 status.strip() if status.__class__ is str else dom.cell_text(status))

    def person(self, nik: str, name: Any, bd: Any, sex: Any, status: Any) -> mt.RegistryPerson:
        birth, sx, _codes = self._birth(bd, sex)
        return self._person(nik, name, birth, sx, status)

    def by_nik(self, niks: Iterable[str]) -> dict[str, mt.RegistryPerson]:
        """The persons with these NIKs (of several rows with one NIK, the one further along)."""
        wanted = {n for n in niks if len(n) == 16}
        out: dict[str, mt.RegistryPerson] = {}
        first = self._cols[0] == 0
        d = self.delimiter
        for code, data in self.groups(n[6:12] for n in wanted):
            for line in data.split("\n"):
                if first and line[16:17] == d and line[:16] not in wanted:   # a NIK as written, not wanted
                    continue
                f = self.fields(line)
                if f is None or f[0] not in wanted or f[0][6:12] != code:   # (or a row filed under its birth date)
                    continue
                p = self.person(*f)
                out[p.nik] = _better(out[p.nik], p) if p.nik in out else p
        return out

    def born(self, births: Iterable[tuple[date, str]]) -> list[mt.RegistryPerson]:
        """The persons born on one of these dates with that sex or no sex (sex '' in ``births``: any sex)."""
        births = set(births)
        codes: set[str] = set()
        for d, sex in births:
            codes.update(_birth_codes(d.isoformat(), sex))
        out: list[mt.RegistryPerson] = []
        birth_of = self._birth
        for code, data in self.groups(codes):
            for line in data.split("\n"):
                f = self.fields(line)
                if f is None:
                    continue
                nik, name, bd, sex_cell, status = f
                d, sex, extra = birth_of(bd, sex_cell)
                if d is None:
                    continue
                # each row once: from the first of the groups it is filed under that is being read
                own = nik[6:12]
                if own in codes:
                    if own != code:
                        continue
                elif next(c for c in extra if c in codes) != code:
                    continue
                if (d, sex) in births or (d, "") in births or (sex == "" and ((d, "L") in births
                                                                            or (d, "P") in births)):
                    out.append(self._person(nik, name, d, sex, status))
        return out

    def count_persons(self) -> int:
        """The rows kept (each counted once, under its NIK's code)."""
        n = 0
        for (code, data) in self.dbapi.execute("SELECT code, data FROM registry_bucket WHERE extract_id = ?",
                                               (self.extract_id,)):
            for line in data.split("\n"):
                f = self.fields(line)
                if f is not None and f[0][6:12] == code:
                    n += 1
        return n


class MemoryExtract(StoredExtract):
    """``StoredExtract`` over the groups of an extract held in memory, part by part as ``import_extract`` stores
    them (one row per code and part): the same look-ups, the same rows in the same order."""

    def __init__(self, extract_id: int, parts: list[dict[str, Any]], layout: dict[str, Any]) -> None:
        self.dbapi = None
        self.extract_id = extract_id
        self.parts = parts
        self._set_layout(json.loads(json.dumps(layout)))       # (as stored)

    def groups(self, codes: Iterable[str]) -> Iterator[tuple[str, str]]:
        out = []
        for code in sorted(set(codes)):          # (the stored rows come by code, then in the order stored)
            for part in self.parts:
                g = part.get(code)
                if g is not None:
                    out.append((code, g if g.__class__ is str else "\n".join(g)))
        return iter(out)


# ---------------------------------------------------------------- matching


def rematch(ws, drive_slug: str, *, schools: list[str] | None = None) -> MatchSummary:  # type: ignore[no-untyped-def]
    """Match the current students of ``schools`` (default: all) with the drive's current extract."""
    return _rematch(ws, drive_slug, schools, None)


def _scope(drive_slug: str, schools: list[str] | None) -> tuple[str, dict[str, Any]]:
    """SQL selecting the ids of the current (counted) students of ``schools`` (default: all), and its parameters."""
    scope = ("SELECT s.id FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
             "WHERE s.drive_slug = :d AND i.current = 1 AND i.kind = 'roster' AND s.counted = 1")
    params: dict[str, Any] = {"d": drive_slug}
    if schools:
        scope += " AND s.school_code IN ({})".format(",".join(f":s{i}" for i in range(len(schools))))
        params.update({f"s{i}": s for i, s in enumerate(schools)})
    return scope, params


Computed = tuple["MatchSummary", list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _rematch(ws, drive_slug: str, schools: list[str] | None, computed: Computed | None) -> MatchSummary:  # type: ignore[no-untyped-def]
    """``rematch``; with ``computed``, the rows that ``_match_rows`` gave for the whole drive and the current
    extract on the same data (computed by another process meanwhile) are stored instead of computing them."""
    from sweet17.services.workspace import now_utc

    now = now_utc()
    with ws.engine.begin() as conn:
        eid = current_extract(conn, drive_slug)
        scope, params = _scope(drive_slug, schools)
        stale = conn.execute(text(        # (none after a first import: no need to look for them student by student)
            "SELECT EXISTS (SELECT 1 FROM registry_match WHERE drive_slug = :d) "
            "OR EXISTS (SELECT 1 FROM registry_review WHERE drive_slug = :d)"), {"d": drive_slug}).scalar()
        if schools:
            if stale:
                conn.execute(text(f"DELETE FROM registry_match WHERE drive_slug = :d AND student_id IN ({scope})"),
                             params)
                conn.execute(text(f"DELETE FROM registry_review WHERE drive_slug = :d AND student_id IN ({scope})"),
                             params)
        elif stale:    # every student of the drive (matches exist only for current students: the others' cascade away)
            conn.execute(text("DELETE FROM registry_match WHERE drive_slug = :d"), params)
            conn.execute(text("DELETE FROM registry_review WHERE drive_slug = :d"), params)
        if eid is None:
            return MatchSummary(extract_id=None)
        dbapi = conn.connection.driver_connection
        if computed is not None and not schools and computed[0].extract_id == eid:
            summary, matches, reviews = computed
        else:
            summary, matches, reviews = _match_rows(dbapi, drive_slug, StoredExtract(dbapi, eid), scope, params, now)
        cur = dbapi.cursor()
        cur.executemany("INSERT INTO registry_match (student_id, drive_slug, extract_id, method, registry_nik, "
                        "registry_status, score, matched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", matches)
        cur.executemany("INSERT INTO registry_review (student_id, drive_slug, extract_id, reason, candidates, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)", reviews)
        cur.close()
    return summary


def _to_match(dbapi: Any, drive_slug: str, scope: str, params: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """(students, decisions) to match: (id, school, student key, NIK, name key, birth date, sex) of each student
    selected by ``scope``, and the drive's decisions (school, student key, decision, NIK)."""
    students = dbapi.execute(scope.replace("SELECT s.id", "SELECT s.id, s.school_code, s.student_key, s.nik, "
                                           "s.name_key, s.birth_date, s.sex"), params).fetchall()
    # decisions apply to the person they name, so those persons must be known too
    dec_rows = dbapi.execute("SELECT school_code, student_key, decision, registry_nik FROM registry_decision "
                             "WHERE drive_slug = ?", (drive_slug,)).fetchall()
    return students, dec_rows


def _match_rows(dbapi: Any, drive_slug: str, store: StoredExtract, scope: str, params: dict[str, Any],
                now: str, loaded: tuple[list[Any], list[Any]] | None = None) -> Computed:
    """(summary, registry_match rows, registry_review rows) of the students selected by ``scope`` matched with
    ``store`` (reads the database unless ``loaded`` holds what ``_to_match`` gives; writes nothing)."""
    eid = store.extract_id
    students, dec_rows = _to_match(dbapi, drive_slug, scope, params) if loaded is None else loaded
    decisions: dict[int, mt.Decision] = {}
    decided_niks: set[str] = set()
    if dec_rows:
        ids = {(s[1], s[2]): s[0] for s in students}
        for school, key, kind, nik in dec_rows:
            sid = ids.get((school, key))
            if sid is not None:
                decisions[sid] = mt.Decision(kind, nik)
                if kind == "match" and nik:
                    decided_niks.add(nik)
    by_nik = store.by_nik({s[3] for s in students if s[3]} | decided_niks)
    # candidates for students without a usable NIK: the same birth date (and sex)
    births = {(date.fromisoformat(s[5]), s[6] if s[6] in ("L", "P") else "")
              for s in students if not s[3] and s[5]}
    blocks = mt.blocks_by_birth(store.born(births))
    fromiso = date.fromisoformat
    # a student whose usable NIK is not on the extract, with no decision, is not found: no need to ask
    outcomes = mt.match_students(
        [mt.StudentForMatch(sid, nik, key, fromiso(bd) if bd else None, sex)
         for sid, _school, _key, nik, key, bd, sex in students
         if not nik or nik in by_nik or sid in decisions],
        by_nik, blocks, decisions=decisions)
    summary = MatchSummary(extract_id=eid, students=len(students))
    summary.not_found = len(students) - len(outcomes)
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
    return summary, matches, reviews


#: An extract of at least this many kept rows is matched by a forked process while this one stores it (where
#: processes are forked: Linux, and a second CPU is usable).
MATCH_ALONGSIDE_MIN_PERSONS = 100_000
_MATCH_JOB: tuple[Any, ...] | None = None      # what the forked process matches with (inherited, never sent)


def _match_in_child() -> Computed:
    """``_match_rows`` for a whole drive, in a forked process, on the extract's groups held in memory and the
    students read before (both inherited: nothing is sent, the database is not read)."""
    assert _MATCH_JOB is not None
    drive_slug, eid, parts, layout, loaded, now = _MATCH_JOB
    scope, params = _scope(drive_slug, None)
    return _match_rows(None, drive_slug, MemoryExtract(eid, parts, layout), scope, params, now, loaded)


class _Alongside:
    """Matching a whole drive with a new extract in a forked process while the extract is being stored."""

    def __init__(self, drive_slug: str, eid: int, parts: list[dict[str, Any]], layout: dict[str, Any],
                 loaded: tuple[list[Any], list[Any]]) -> None:
        global _MATCH_JOB
        import gc
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from sweet17.services.workspace import now_utc

        _MATCH_JOB = (drive_slug, eid, parts, layout, loaded, now_utc())
        gc.freeze()
        try:
            self.pool: Any = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            self.future = self.pool.submit(_match_in_child)        # forked here: inherits the groups
        finally:
            gc.unfreeze()
            _MATCH_JOB = None

    def result(self) -> Computed | None:
        """The computed rows; None when the process died (the caller matches then)."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.future.result()
        except BrokenProcessPool:
            return None
        finally:
            self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _can_match_alongside() -> bool:
    from sweet17.services.roster import start_method, usable_cpus

    return start_method() == "fork" and usable_cpus() >= 2


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

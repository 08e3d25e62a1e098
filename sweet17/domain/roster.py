"""Rosters (pure): reading values as school operators and Excel leave them, and checking each row.

A roster is a grid of cells (a list of rows) as a reader gives it: text, numbers, dates, or
empty strings. This module finds the header row by its names (never by position), joins the
two header rows under merged groups ("Data Ayah" over "Nama", "NIK", ...), normalises names,
dates, sex, NISN and NIK, and checks every row with the NIK core plus cross-checks (NIK vs
birth date and sex, NIK and No KK swapped, duplicates within a school and across schools,
KITAS numbers, missing NIK). Problems are ``Finding`` values with the column they concern;
nothing here raises on bad data.

A NIK that Excel stored as a number has lost its last digit (Excel keeps 15 significant
digits): it is flagged as unrecoverable and never "repaired" by guessing digits.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sweet17.domain import nik as nikcore
from sweet17.domain.findings import Finding, Severity
from sweet17.domain.regions import normalise_place
from sweet17.i18n import N_

# ---------------------------------------------------------------- header names

#: Canonical fields of a roster row, with the header names (normalised, see ``header_key``) that
#: mean them in Dapodik exports, EMIS lists, SIAK extracts and hand-made lists.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "no": ("no", "nomor", "no urut", "nomor urut"),
    "name": ("nama", "nama lengkap", "nama peserta didik", "nama siswa", "nama lgkp", "nama lengkap siswa",
             "nama murid", "name", "full name", "nama pd"),
    "nipd": ("nipd", "nis", "nomor induk", "nomor induk siswa"),
    "sex": ("jk", "l/p", "lp", "jenis kelamin", "jenis klmin", "kelamin", "sex", "gender", "jns kelamin"),
    "nisn": ("nisn",),
    "birth_place": ("tempat lahir", "tmpt lhr", "tmp lahir", "tempat lhr", "place of birth", "birth place"),
    "birth_date": ("tanggal lahir", "tgl lahir", "tgl lhr", "tanggal lhr", "date of birth", "birth date", "dob",
                   "tgl lahir (dd/mm/yyyy)", "tanggal lahir (dd/mm/yyyy)"),
    "nik": ("nik", "no nik", "nomor nik", "nomor induk kependudukan", "nik siswa", "nik peserta didik", "nik pd"),
    "no_kk": ("no kk", "nomor kk", "nomor kartu keluarga", "no kartu keluarga", "kk"),
    "rombel": ("rombel saat ini", "rombel", "kelas", "rombongan belajar", "class", "tingkat/rombel"),
    "kelurahan": ("kelurahan", "keluarahan", "desa", "desa/kelurahan", "kelurahan/desa"),
    "kecamatan": ("kecamatan",),
    "left_reason": ("keluar karena", "alasan keluar"),
    "left_date": ("tanggal keluar", "tgl keluar"),
    "status": ("status", "stat rekam", "status rekam", "status perekaman", "status ktp el", "status ktp-el",
               "status ktpel", "keterangan", "ket"),
}

#: Fields a roster can be imported without; the others are optional.
ROSTER_REQUIRED = ("name",)
#: A row is taken as the header when it names at least this many roster fields, name included.
MIN_HEADER_FIELDS = 3
HEADER_SCAN_ROWS = 30

_ALIAS_TO_FIELD: dict[str, str] = {a: f for f, aliases in FIELD_ALIASES.items() for a in aliases}
_HEADER_JUNK = re.compile(r"[\s_.:*]+")


def header_key(value: object) -> str:
    """'Tgl. Lahir' / 'TGL_LHR' / 'Jml. Saudara\\nKandung' -> 'tgl lahir' / 'tgl lhr' / 'jml saudara kandung'."""
    if value is None:
        return ""
    if value.__class__ is str:
        return _header_key_text(value)  # type: ignore[arg-type]
    return _HEADER_JUNK.sub(" ", str(value)).strip().lower()


@functools.lru_cache(maxsize=8192)
def _header_key_text(value: str) -> str:
    return _HEADER_JUNK.sub(" ", value).strip().lower()


def field_for_header(value: object, aliases: dict[str, str] | None = None) -> str | None:
    return (aliases or _ALIAS_TO_FIELD).get(header_key(value))


def cell_text(value: object) -> str:
    """A cell as text: numbers without a trailing '.0', dates as ISO, None and '' as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------- text repair

_MOJIBAKE_MARKERS = ("Ã", "Â", "â€", "â", "Å", "Ä")


def repair_mojibake(s: str) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 ('â€“' -> '–', 'Ã©' -> 'é').

    Only applied when the round trip succeeds and leaves no marker behind, so real text with an
    'Ã' in it is left alone.
    """
    if not s or s.isascii() or not any(m in s for m in _MOJIBAKE_MARKERS):
        return s
    try:
        fixed = s.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        try:
            fixed = s.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return s
    return fixed if len(fixed) < len(s) else s


# ---------------------------------------------------------------- names

#: Words dropped when comparing names: honorifics and forms of address (Indonesian and English).
HONORIFICS = frozenset({
    "h", "hj", "haji", "hajjah", "hajah", "sdr", "sdri", "saudara", "saudari", "an", "ananda", "nn", "nona",
    "tn", "tuan", "ny", "nyonya", "bpk", "bapak", "ibu", "mr", "mrs", "ms", "miss", "kh", "ust", "ustadz",
    "ustazah", "ustadzah", "dr", "drs", "dra", "ir", "prof",
})
#: Spellings of common name parts that are the same name.
NAME_VARIANTS = {
    "muh": "muhammad", "moh": "muhammad", "mhd": "muhammad", "muhd": "muhammad", "muhamad": "muhammad",
    "mohammad": "muhammad", "mohamad": "muhammad", "mochammad": "muhammad", "mochamad": "muhammad",
    "mohammed": "muhammad", "muhammed": "muhammad", "mokhammad": "muhammad", "md": "muhammad",
    "abd": "abdul", "noor": "nur", "nor": "nur", "noer": "nur", "nuur": "nur", "sitti": "siti",
}
_NAME_SPLIT = re.compile(r"[^\w']+")
_SPACES = re.compile(r"\s+")


def _strip_accents(s: str) -> str:
    if s.isascii():
        return s
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def clean_name(raw: object) -> str:
    """The name for display: whitespace collapsed, mojibake repaired, all-caps or all-lower set in Title Case.

    Academic titles after a comma (', S.Pd') are kept out: a student's name has none.
    """
    s = repair_mojibake(cell_text(raw))
    if s.isupper() and "  " not in s and "," not in s and "\u00a0" not in s:   # fast path: a Dapodik name
        t = s.title()
        return re.sub(r"'(\w)", lambda m: "'" + m.group(1).lower(), t) if "'" in t else t
    s = _SPACES.sub(" ", s.replace("\u00a0", " ")).strip(" ,;")
    if "," in s:
        s = s.split(",", 1)[0].strip()
    upper = sum(1 for c in s if c.isupper())
    lower = sum(1 for c in s if c.islower())
    if s and (not upper or not lower or upper >= 4 * lower):
        s = " ".join(w[:1].upper() + w[1:].lower() if w else w for w in s.split(" "))
        s = re.sub(r"'(\w)", lambda m: "'" + m.group(1).lower(), s)
    return s


def name_key(raw: object) -> str:
    """The name for comparing: lower case, no accents or punctuation, no honorifics, common variants unified.

    'Hj. SITI  Nurhaliza' -> 'siti nurhaliza'; 'M. Rizky' -> 'muhammad rizky'.
    """
    if raw.__class__ is str and raw.isascii() and raw.replace(" ", "").isalpha():   # letters and spaces
        words = raw.lower().split()
    else:
        s = _strip_accents(repair_mojibake(cell_text(raw))).lower()
        if "," in s:
            s = s.split(",", 1)[0]
        words = [w for w in (part.replace("'", "") for part in _NAME_SPLIT.split(s)) if w]
    out: list[str] = []
    for i, w in enumerate(words):
        if w in HONORIFICS and len(words) > 1:
            continue
        if w == "m" and i == 0 and len(words) > 1:
            w = "muhammad"
        out.append(NAME_VARIANTS.get(w, w))
    return " ".join(out)


# ---------------------------------------------------------------- dates

MONTHS: dict[str, int] = {}
for _num, _names in enumerate((
    ("januari", "jan", "january"), ("februari", "pebruari", "feb", "peb", "february"),
    ("maret", "mar", "march"), ("april", "apr"), ("mei", "may"), ("juni", "jun", "june"),
    ("juli", "jul", "july"), ("agustus", "agu", "agt", "ags", "agst", "aug", "august"),
    ("september", "sep", "sept", "spt"), ("oktober", "okt", "oct", "october"),
    ("november", "nopember", "nov", "nop"), ("desember", "des", "dec", "december"),
), start=1):
    for _n in _names:
        MONTHS[_n] = _num

EXCEL_EPOCH = date(1899, 12, 30)   # serial 1 = 1900-01-01 (after Excel's 1900 leap-year bug, serial >= 61)
_SERIAL_MIN, _SERIAL_MAX = 367, 73051   # 1901-01-01 .. 2099-12-31: anything else is not a birth date
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_DMY2 = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2})$")
_D_MON_Y = re.compile(r"^(\d{1,2})[\s\-/.,]+([A-Za-z]+)\.?[\s\-/.,]+(\d{4})$")
_MON_D_Y = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


@dataclass(frozen=True)
class DateResult:
    value: date | None
    problem: str = ""   # "" | "invalid" | "two_digit_year" | "serial"(info) | "us_order"(warning)


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def excel_serial_to_date(serial: float) -> date | None:
    if not (_SERIAL_MIN <= serial <= _SERIAL_MAX):
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: object) -> DateResult:
    """A date as found in rosters: a real date, an Excel serial, ISO text, DD/MM/YYYY, DD-MM-YYYY,
    '17 Agustus 2008', '17-Aug-2008', 'August 17, 2008', YYYYMMDD. Empty gives ``DateResult(None)``.

    Day-first is assumed (Indonesian usage); a text date whose second part cannot be a month
    (08/17/2008) is read month-first and reported (``us_order``). Two-digit years are refused.
    """
    if value is None or value == "":
        return DateResult(None)
    if isinstance(value, datetime):
        return DateResult(value.date())
    if isinstance(value, date):
        return DateResult(value)
    if isinstance(value, bool):
        return DateResult(None, "invalid")
    if isinstance(value, int | float):
        v = float(value)
        if 19000101 <= v <= 21001231 and v.is_integer():   # 20080817 typed as a number
            s = str(int(v))
            d = _mk(int(s[:4]), int(s[4:6]), int(s[6:]))
            return DateResult(d) if d else DateResult(None, "invalid")
        d = excel_serial_to_date(v)
        return DateResult(d, "serial") if d else DateResult(None, "invalid")
    s = str(value).strip()
    if not s:
        return DateResult(None)
    # fast path: YYYY-MM-DD
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s[:4].isdigit() and s[5:7].isdigit() and s[8:].isdigit():
        d = _mk(int(s[:4]), int(s[5:7]), int(s[8:]))
        return DateResult(d) if d else DateResult(None, "invalid")
    if s.isdigit():
        if len(s) == 8:
            d = _mk(int(s[:4]), int(s[4:6]), int(s[6:])) if s[:2] in ("19", "20") else None
            d = d or _mk(int(s[4:]), int(s[2:4]), int(s[:2]))
            return DateResult(d) if d else DateResult(None, "invalid")
        if 3 <= len(s) <= 5:
            d = excel_serial_to_date(int(s))
            return DateResult(d, "serial") if d else DateResult(None, "invalid")
        return DateResult(None, "invalid")
    m = _ISO.match(s)
    if m:
        d = _mk(int(m[1]), int(m[2]), int(m[3]))
        return DateResult(d) if d else DateResult(None, "invalid")
    m = _DMY.match(s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        d = _mk(y, b, a)
        if d:
            return DateResult(d)
        if b > 12 and a <= 12:
            d = _mk(y, a, b)
            if d:
                return DateResult(d, "us_order")
        return DateResult(None, "invalid")
    m = _D_MON_Y.match(s) or None
    if m:
        mon = MONTHS.get(m[2].lower())
        d = _mk(int(m[3]), mon, int(m[1])) if mon else None
        return DateResult(d) if d else DateResult(None, "invalid")
    m = _MON_D_Y.match(s)
    if m:
        mon = MONTHS.get(m[1].lower())
        d = _mk(int(m[3]), mon, int(m[2])) if mon else None
        return DateResult(d) if d else DateResult(None, "invalid")
    if _DMY2.match(s):
        return DateResult(None, "two_digit_year")
    return DateResult(None, "invalid")


# ---------------------------------------------------------------- sex, NISN, NIK

_SEX = {
    "l": "L", "lk": "L", "laki-laki": "L", "laki laki": "L", "lakilaki": "L", "laki": "L", "pria": "L", "m": "L",
    "male": "L", "1": "L",
    "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "w": "P", "f": "P", "female": "P", "2": "P",
}


def parse_sex(value: object) -> str | None:
    """'L'/'P' from L, P, Laki-laki, Perempuan, 1/2 (SIAK), M/F; None when unreadable or empty."""
    s = cell_text(value).lower().strip(" .")
    return _SEX.get(s)


NISN_LENGTH = 10
_PLACEHOLDERS = frozenset({"-", "--", "0", "00", "belum ada", "tidak ada", "blm ada", "kosong", "none", "null",
                           "n/a", "na", "x", "tdk ada", "belum punya", "tidak punya"})
_SCI = re.compile(r"^\d(?:[.,]\d+)?[eE][+]?\d+$")
# A KITAS number: letters and digits (at least two of each kind), e.g. 2C21JB1234-AB. A NIK with one
# mistyped letter (O for 0) is not taken for one.
_KITAS = re.compile(r"^(?=(?:.*[A-Z]){2})(?=(?:.*\d){4})[A-Z0-9/\-. ]{6,24}$")


@dataclass(frozen=True)
class NikRead:
    """A NIK cell read as text. ``status``: ok (16 digits), missing, number (stored by Excel as a number:
    digits lost), scientific (the same, as text like 6.31107E+15), kitas (a KITAS number), other."""

    text: str      # the cell as text (for reports)
    digits: str    # the cleaned NIK when status is ok or other, else ""
    status: str


def read_nik(value: object) -> NikRead:
    if value.__class__ is str and len(value) == 16 and value.isdigit() and value[0] != "0":   # fast path
        return NikRead(value, value, "ok")  # type: ignore[arg-type]
    if value is None or value == "":
        return NikRead("", "", "missing")
    if isinstance(value, bool):
        return NikRead(cell_text(value), "", "other")
    if isinstance(value, int | float):
        return NikRead(cell_text(value), "", "number")
    text = str(value).strip()
    low = text.lower()
    if not text or low in _PLACEHOLDERS or set(text) <= {"0", " ", "-"}:
        return NikRead(text, "", "missing")
    if _SCI.match(text.replace(" ", "")):
        return NikRead(text, "", "scientific")
    digits = nikcore.clean(text)
    if digits.isdigit():
        return NikRead(text, digits, "ok" if len(digits) == nikcore.NIK_LENGTH else "other")
    if _KITAS.match(text.upper()):
        return NikRead(text, "", "kitas")
    return NikRead(text, digits, "other")


def read_nisn(value: object) -> tuple[str, str]:
    """(NISN as 10-digit text, problem) — problem is '', 'restored' (a number with its leading zeros
    put back), 'missing' or 'invalid'."""
    if value is None or value == "":
        return "", "missing"
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        if v.is_integer() and 0 < v < 10 ** NISN_LENGTH:
            s = str(int(v))
            return s.zfill(NISN_LENGTH), ("restored" if len(s) < NISN_LENGTH else "")
        return cell_text(value), "invalid"
    s = str(value).strip().lstrip("'").replace(" ", "")
    if not s or s.lower() in _PLACEHOLDERS:
        return "", "missing"
    if s.isdigit() and len(s) == NISN_LENGTH:
        return s, ""
    return s, "invalid"


# ---------------------------------------------------------------- layout (where things are in a grid)


@dataclass(frozen=True)
class Layout:
    """Where the header and data are in a grid, and which column holds which field (0-based)."""

    header_row: int                 # 0-based row index of the header
    data_start: int                 # 0-based row index of the first data row
    columns: dict[str, int]         # field -> column index
    labels: dict[str, str]          # field -> the header as written in the file (line breaks as spaces)
    headers: tuple[str, ...]        # joined header of every column
    title: str = ""
    school_name: str = ""
    kecamatan: str = ""             # normalised ('paringin'), from "Kecamatan Kec. Paringin, Kabupaten ..."
    downloaded: str = ""            # "Tanggal Unduh" text
    leavers: bool = False           # the "Peserta Didik Keluar" export


def _is_group_label(s: str) -> bool:
    return header_key(s).startswith("data ")


def _row_fields(row: Sequence[Any], aliases: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, v in enumerate(row):
        if isinstance(v, str) and v:
            f = aliases.get(header_key(v))
            if f and f not in found:
                found[f] = i
    return found


def _nonempty(row: Sequence[Any]) -> list[tuple[int, Any]]:
    return [(i, v) for i, v in enumerate(row) if v is not None and v != ""]


_KEC_RE = re.compile(r"^\s*kecamatan\s*:?\s*(.+?)(?:,\s*(?:kabupaten|kab\.|kota)\b.*)?$", re.IGNORECASE)


def _title_info(rows: Sequence[Sequence[Any]]) -> tuple[str, str, str, str]:
    """(title, school name, kecamatan, downloaded) from the rows above the header."""
    title = school = kec = downloaded = ""
    for row in rows:
        cells = [cell_text(v) for _i, v in _nonempty(row)]
        if not cells:
            continue
        first = cells[0]
        low = first.lower()
        if low.startswith("tanggal unduh"):
            downloaded = first.split(":", 1)[1].strip() if ":" in first else first
            continue
        if low.startswith("pengunduh"):
            continue
        m = _KEC_RE.match(first)
        if m:
            kec = normalise_place(m.group(1))
            continue
        if not title:
            title = first
        elif not school:
            school = first
    if title and not school and not title.lower().startswith("daftar"):
        school, title = title, ""
    return title, school, kec, downloaded


def detect_layout(grid: Sequence[Sequence[Any]], *, aliases: dict[str, str] | None = None,
                  required: Sequence[str] = ROSTER_REQUIRED, min_fields: int = MIN_HEADER_FIELDS,
                  scan: int = HEADER_SCAN_ROWS) -> Layout | None:
    """Find the header row by its names among the first ``scan`` rows and map the columns.

    Under merged groups ("Data Ayah" spanning six columns), the sub-header row below is joined
    to the group label ("Data Ayah NIK"), so a parent's NIK is never taken for the student's.
    Returns None when no row names ``min_fields`` known fields including every ``required`` one.
    """
    table = aliases or _ALIAS_TO_FIELD
    best: tuple[int, int] | None = None   # (score, row index)
    for r, row in enumerate(grid[:scan]):
        found = _row_fields(row, table)
        if all(f in found for f in required) and len(found) >= min_fields:
            if best is None or len(found) > best[0]:
                best = (len(found), r)
    if best is None:
        return None
    hr = best[1]
    header = [cell_text(v) for v in grid[hr]]
    width = max(len(header), max((len(r) for r in grid[hr: hr + 2]), default=0))
    header += [""] * (width - len(header))
    name_col = _row_fields(grid[hr], table)[required[0]] if required else 0
    sub: list[str] | None = None
    if hr + 1 < len(grid):
        nxt = list(grid[hr + 1]) + [""] * (width - len(grid[hr + 1]))
        texts = [(i, v) for i, v in _nonempty(nxt) if isinstance(v, str)]
        has_group = any(_is_group_label(h) for h in header)
        if (nxt[name_col] in ("", None) and len(texts) >= 2
                and (has_group or all(not header[i] for i, _v in texts))):
            sub = [cell_text(v) for v in nxt]
    joined: list[str] = []
    group = ""
    for c in range(width):
        top = header[c]
        below = sub[c] if sub else ""
        if top:
            group = top if (_is_group_label(top) or below) else ""
        if below and group:
            joined.append(f"{group} {below}")
        elif below and not top:
            joined.append(below)
        else:
            joined.append(top)
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for c, h in enumerate(joined):
        f = table.get(header_key(h))
        if f and f not in columns:
            columns[f] = c
            labels[f] = " ".join(h.split())
    title, school, kec, downloaded = _title_info(grid[:hr])
    leavers = "left_reason" in columns or "left_date" in columns or "keluar" in title.lower()
    return Layout(header_row=hr, data_start=hr + (2 if sub else 1), columns=columns, labels=labels,
                  headers=tuple(" ".join(h.split()) for h in joined), title=title, school_name=school,
                  kecamatan=kec, downloaded=downloaded, leavers=leavers)


def layout_from_map(grid: Sequence[Sequence[Any]], mapping: dict[str, str | int], *,
                    header_row: int | None = None, scan: int = HEADER_SCAN_ROWS) -> Layout | str:
    """A layout from a user's column map (field -> header text, or 1-based column number).

    Returns the Layout, or the header text that could not be found (for the error message).
    ``header_row`` is 1-based when given; otherwise the first row holding every named header.
    """
    named = {f: v for f, v in mapping.items() if isinstance(v, str)}
    wanted = {header_key(v) for v in named.values()}
    rows = range(header_row - 1, header_row) if header_row else range(min(scan, len(grid)))
    hr = None
    for r in rows:
        if r < len(grid) and wanted <= {header_key(v) for v in grid[r] if v not in (None, "")}:
            hr = r
            break
    if hr is None:
        if header_row and header_row - 1 < len(grid):
            have = {header_key(v) for v in grid[header_row - 1]}
            return next((v for v in named.values() if header_key(v) not in have), "")
        # name the first header not found anywhere in the scanned rows
        seen = {header_key(v) for row in grid[:scan] for v in row}
        return next((v for v in named.values() if header_key(v) not in seen), next(iter(named.values()), ""))
    header = [cell_text(v) for v in grid[hr]]
    keys = [header_key(h) for h in header]
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for f, v in mapping.items():
        if isinstance(v, int):
            columns[f] = v - 1
            labels[f] = header[v - 1] if v - 1 < len(header) and header[v - 1] else column_letter(v - 1)
        else:
            columns[f] = keys.index(header_key(v))
            labels[f] = v
    title, school, kec, downloaded = _title_info(grid[:hr])
    return Layout(header_row=hr, data_start=hr + 1, columns=columns, labels=labels, headers=tuple(header),
                  title=title, school_name=school, kecamatan=kec, downloaded=downloaded,
                  leavers="left_reason" in columns or "left_date" in columns)


def column_letter(index: int) -> str:
    """0 -> 'A', 26 -> 'AA'."""
    s = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


# ---------------------------------------------------------------- one row

#: What a school operator should do about each problem (English ids; translated when shown).
ADVICE: dict[str, str] = {
    "roster.name_missing": N_("Fill in the student's full name as on the birth certificate."),
    "roster.birth_date_missing": N_("Fill in the birth date (YYYY-MM-DD) from the birth certificate."),
    "roster.birth_date_invalid": N_("Write the birth date as YYYY-MM-DD, for example 2008-08-17."),
    "roster.birth_date_two_digit_year": N_("Write the year with four digits (YYYY-MM-DD)."),
    "roster.birth_date_us_order": N_("Check the birth date: day and month look swapped. Write it as YYYY-MM-DD."),
    "roster.birth_date_future": N_("Correct the birth date: it lies in the future."),
    "roster.birth_date_unusual": N_("Check the birth date: it is unusual for a secondary school student."),
    "roster.birth_date_cell": N_("No action needed; to be safe, format the Tanggal Lahir column as text."),
    "roster.mojibake": N_("Retype the text, or download the list from Dapodik again."),
    "roster.birth_date_serial": N_("No action needed; to be safe, format the Tanggal Lahir column as text."),
    "roster.sex_missing": N_("Fill in JK with L (male) or P (female)."),
    "roster.sex_invalid": N_("Write JK as L (male) or P (female)."),
    "roster.nisn_missing": N_("Fill in the NISN (10 digits) from Dapodik."),
    "roster.nisn_invalid": N_("Check the NISN: it must be exactly 10 digits."),
    "roster.nisn_restored": N_("No action needed; format the NISN column as text so leading zeros stay."),
    "roster.nik_number": N_("Format the NIK column as text in Excel, then type the 16-digit NIK again from "
                            "the family card (KK)."),
    "roster.nik_kitas": N_("A foreign student cannot get an e-KTP; remove the student from the call list or "
                           "confirm the nationality."),
    "roster.nik_same_as_kk": N_("Write the student's own NIK from the family card (KK), not the KK number."),
    "roster.nik_kk_swapped": N_("Swap the NIK and No KK values: each seems to be in the other's column."),
    "roster.duplicate_nik": N_("Two students cannot share a NIK: check both against their family cards (KK)."),
    "roster.duplicate_nisn": N_("Two students cannot share a NISN: check both in Dapodik."),
    "roster.duplicate_row": N_("Delete the repeated row."),
    "roster.at_other_school": N_("Ask which school the student attends now; the other school should remove "
                                 "the student from its Dapodik roster."),
    "roster.nik_other_person": N_("The same NIK belongs to a different name at another school: check the "
                                  "student's family card (KK)."),
    "nik.missing": N_("Fill in the student's NIK (16 digits) from the family card (KK)."),
    "nik.not_digits": N_("Write the NIK as 16 digits only, from the family card (KK)."),
    "nik.length": N_("Check the NIK against the family card (KK): it must have 16 digits."),
    "nik.province_unknown": N_("Check the NIK against the family card (KK): the first two digits are wrong."),
    "nik.date_invalid": N_("Check the NIK against the family card (KK): digits 7-12 must be the birth date."),
    "nik.date_future": N_("Check the NIK against the family card (KK)."),
    "nik.birthdate_mismatch": N_("Check the birth date and NIK against the birth certificate and family card "
                                 "(KK); correct whichever is wrong."),
    "nik.sex_mismatch": N_("Check JK and the NIK against the family card (KK)."),
    "nik.serial_zero": N_("Check the NIK against the family card (KK)."),
    "nik.regency_unknown": N_("Check the NIK against the family card (KK)."),
    "nik.kecamatan_unknown": N_("Check the NIK against the family card (KK)."),
    "nik.region_outside": N_("No action needed if the student now lives here."),
    "nik.region_before_split": N_("No action needed."),
}

# NIK core findings that are normal for a roster and reported only as information.
_INFO_IN_ROSTER = frozenset({"nik.region_outside", "nik.region_before_split", "nik.regency_unknown",
                             "nik.kecamatan_unknown"})

STUDENT_AGE_RANGE = (10, 30)   # outside this on the import date, a birth date is "unusual" for a student


def _finding(code: str, sev: Severity, msg: str, fld: str, **params: Any) -> Finding:
    return Finding(code=code, severity=sev, message=msg, params=params, field=fld)


@dataclass(slots=True)
class RosterRecord:
    """One student row, normalised, with its findings. ``raw`` holds each field's cell as text."""

    row: int                        # 1-based row number in the school's own file
    name: str
    name_key: str
    nisn: str
    nipd: str
    nik: str                        # the usable NIK ('' when missing or unusable)
    nik_status: str                 # ok | missing | invalid | unrecoverable | kitas | swapped | same_as_kk
    no_kk: str
    sex: str                        # 'L', 'P' or ''
    birth_place: str
    birth_date: date | None         # from the roster, else from the NIK
    birth_date_source: str          # 'roster' | 'nik' | ''
    rombel: str
    left_reason: str = ""
    left_date: date | None = None
    raw: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    counted: bool = True            # False for leavers and repeated rows

    @property
    def blocking(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)

    @property
    def key(self) -> str:
        return student_key(self.nisn, self.nik, self.name_key, self.birth_date)


def student_key(nisn: str, nik: str, name_key_: str, birth: date | None) -> str:
    """A student's identity within a school, stable across re-imports: NISN, else NIK, else name + birth date."""
    if nisn and len(nisn) == NISN_LENGTH and nisn.isdigit():
        return f"nisn:{nisn}"
    if nik:
        return f"nik:{nik}"
    return f"name:{name_key_}|{birth.isoformat() if birth else ''}"


_NO_COL = 1 << 30          # the index of an absent column: never inside a row
_SEX_EXACT = {"L": "L", "P": "P"}


def _get(values: Sequence[Any], col: int | None) -> Any:
    if col is None or col >= len(values):
        return ""
    v = values[col]
    return "" if v is None else v


def _text(v: Any) -> str:
    return v.strip() if v.__class__ is str else cell_text(v)


#: birth dates read from text, shared by every parser (a few thousand distinct dates cover a province's students)
_DATES: dict[str, DateResult] = {}
_DATES_MAX = 100_000


class RowParser:
    """Normalises and checks the data rows of one grid; ``parser(values, row_number)`` is ``parse_row``.

    The work that depends only on the layout is done once, and most rows of a real export take short
    paths that give exactly what the general path gives (``tests/test_roster_domain.py`` compares them):
    text cells, an ISO birth date, a 16-digit NIK that encodes that birth date and sex. The NIK core's
    region checks depend only on a NIK's first six digits, so their outcome is computed once per
    kecamatan code; birth dates, places and classes repeat, so they are read once per distinct text.
    """

    __slots__ = ("as_of", "drive_regency", "leavers", "i_name", "i_nisn", "i_nik", "i_bd", "i_sex", "i_kk",
                 "i_nipd", "i_place", "i_rombel", "i_left_reason", "i_left_date", "has_sex", "has_nisn", "has_kk",
                 "has_bd", "fast", "_regions", "_places", "_rombels", "_as_of_code")

    def __init__(self, layout: Layout, *, as_of: date, drive_regency: str | None = None, fast: bool = True) -> None:
        cols = layout.columns
        self.as_of = as_of
        self.drive_regency = drive_regency
        self.fast = fast             # False: every row through the general path (tests compare the two)
        self.leavers = layout.leavers
        get = cols.get
        self.i_name, self.i_nisn, self.i_nik = get("name", _NO_COL), get("nisn", _NO_COL), get("nik", _NO_COL)
        self.i_bd, self.i_sex, self.i_kk = get("birth_date", _NO_COL), get("sex", _NO_COL), get("no_kk", _NO_COL)
        self.i_nipd, self.i_place, self.i_rombel = get("nipd", _NO_COL), get("birth_place", _NO_COL), \
            get("rombel", _NO_COL)
        self.i_left_reason, self.i_left_date = get("left_reason", _NO_COL), get("left_date", _NO_COL)
        self.has_sex, self.has_nisn, self.has_kk, self.has_bd = ("sex" in cols, "nisn" in cols, "no_kk" in cols,
                                                                 "birth_date" in cols)
        self._regions: dict[str, tuple[Finding, ...] | None] = {}
        self._places: dict[str, str] = {}
        self._rombels: dict[str, str] = {}
        # a date the NIK core never calls impossible or future on ``as_of``: used to check region codes alone
        self._as_of_code = f"{as_of.day:02d}{as_of.month:02d}{as_of.year % 100:02d}"

    def region_findings(self, kecamatan_code: str) -> tuple[Finding, ...] | None:
        """What the NIK core says about the region of NIKs starting with these six digits, as roster findings
        (all of them information, e.g. issued in another regency); None when it says more than that."""
        try:
            return self._regions[kecamatan_code]
        except KeyError:
            pass
        probe = nikcore.check(kecamatan_code + self._as_of_code + "0001", as_of=self.as_of,
                              drive_regency=self.drive_regency)
        out: tuple[Finding, ...] | None = tuple(replace(f, severity=Severity.INFO) for f in probe.findings)
        if any(f.code not in _INFO_IN_ROSTER for f in probe.findings):
            out = None
        self._regions[kecamatan_code] = out
        return out

    def _date(self, raw: Any) -> DateResult:
        if raw.__class__ is str and self.fast:
            dr = _DATES.get(raw)
            if dr is None:
                if len(_DATES) >= _DATES_MAX:
                    _DATES.clear()
                dr = _DATES[raw] = parse_date(raw)
            return dr
        return parse_date(raw)

    def __call__(self, values: Sequence[Any], row_number: int) -> RosterRecord | None:
        n = len(values)
        raw_name = values[self.i_name] if self.i_name < n else ""
        raw_nisn = values[self.i_nisn] if self.i_nisn < n else ""
        raw_nik = values[self.i_nik] if self.i_nik < n else ""
        if raw_name is None:
            raw_name = ""
        if raw_nisn is None:
            raw_nisn = ""
        if raw_nik is None:
            raw_nik = ""
        if raw_name == "" and raw_nisn == "" and raw_nik == "":
            return None
        if raw_nisn == "" and raw_nik == "" and isinstance(raw_name, str) \
                and raw_name.strip().lower().startswith(("jumlah", "total")):
            return None
        as_of = self.as_of
        findings: list[Finding] = []
        add = findings.append
        # name
        name = clean_name(raw_name)
        name_text = raw_name.strip() if raw_name.__class__ is str else cell_text(raw_name)
        if not name:
            add(_finding("roster.name_missing", Severity.ERROR, N_("The name is empty"), "name"))
        key = name_key(name)
        # birth date
        raw_bd = values[self.i_bd] if self.i_bd < n else ""
        if raw_bd is None:
            raw_bd = ""
        bd_text = raw_bd.strip() if raw_bd.__class__ is str else cell_text(raw_bd)
        dr = self._date(raw_bd)
        bd = dr.value
        problem = dr.problem
        if problem == "invalid":
            add(_finding("roster.birth_date_invalid", Severity.ERROR, N_("'{value}' is not a date"), "birth_date",
                         value=bd_text))
        elif problem == "two_digit_year":
            add(_finding("roster.birth_date_two_digit_year", Severity.ERROR,
                         N_("'{value}' has a two-digit year: the century is unclear"), "birth_date", value=bd_text))
        elif problem == "us_order":
            add(_finding("roster.birth_date_us_order", Severity.WARNING,
                         N_("'{value}' was read as month/day/year ({date})"), "birth_date", value=bd_text, date=bd))
        elif isinstance(raw_bd, date):
            add(_finding("roster.birth_date_cell", Severity.INFO,
                         N_("The birth date is an Excel date cell, not text; read as {date}"), "birth_date", date=bd))
        elif problem == "serial":
            add(_finding("roster.birth_date_serial", Severity.INFO,
                         N_("The birth date was stored as an Excel number ({value}); read as {date}"), "birth_date",
                         value=bd_text, date=bd))
        if bd is not None:
            if bd > as_of:
                add(_finding("roster.birth_date_future", Severity.ERROR,
                             N_("The birth date {date} lies in the future"), "birth_date", date=bd))
                bd = None
            else:
                years = as_of.year - bd.year
                if not (STUDENT_AGE_RANGE[0] <= years <= STUDENT_AGE_RANGE[1]):
                    add(_finding("roster.birth_date_unusual", Severity.WARNING,
                                 N_("Birth date {date} gives an age of about {years} years"), "birth_date",
                                 date=bd, years=years))
        # sex
        raw_sex = values[self.i_sex] if self.i_sex < n else ""
        if raw_sex is None:
            raw_sex = ""
        sex_text = raw_sex.strip() if raw_sex.__class__ is str else cell_text(raw_sex)
        sex = _SEX_EXACT.get(raw_sex) if raw_sex.__class__ is str and self.fast else None
        if sex is None:
            sex = parse_sex(raw_sex) or ""
        if self.has_sex:
            if not sex_text:
                add(_finding("roster.sex_missing", Severity.WARNING, N_("JK (sex) is empty"), "sex"))
            elif not sex:
                add(_finding("roster.sex_invalid", Severity.WARNING, N_("'{value}' is not L or P"), "sex",
                             value=sex_text))
        # NISN
        nisn_text = raw_nisn.strip() if raw_nisn.__class__ is str else cell_text(raw_nisn)
        if raw_nisn.__class__ is str and len(raw_nisn) == NISN_LENGTH and raw_nisn.isdigit() and self.fast:
            nisn, nisn_problem = raw_nisn, ""
        else:
            nisn, nisn_problem = read_nisn(raw_nisn)
        if self.has_nisn and nisn_problem:
            if nisn_problem == "missing":
                add(_finding("roster.nisn_missing", Severity.WARNING, N_("The NISN is empty"), "nisn"))
            elif nisn_problem == "invalid":
                add(_finding("roster.nisn_invalid", Severity.WARNING, N_("NISN '{value}' is not 10 digits"), "nisn",
                             value=nisn_text))
            elif nisn_problem == "restored":
                add(_finding("roster.nisn_restored", Severity.INFO,
                             N_("The NISN was stored as a number; its leading zeros were restored ({nisn})"), "nisn",
                             nisn=nisn))
        # No KK
        raw_kk = values[self.i_kk] if self.i_kk < n else ""
        if raw_kk is None:
            raw_kk = ""
        kk_text = raw_kk.strip() if raw_kk.__class__ is str else cell_text(raw_kk)
        if not self.has_kk:
            kk = ""
        elif raw_kk.__class__ is str and len(raw_kk) == 16 and raw_kk.isdigit() and raw_kk[0] != "0" and self.fast:
            kk = raw_kk
        else:
            kk_read = read_nik(raw_kk)
            kk = kk_read.digits if kk_read.status == "ok" else ""
        # NIK
        if raw_nik.__class__ is str and len(raw_nik) == 16 and raw_nik.isdigit() and raw_nik[0] != "0" and self.fast:
            nik_text = digits = raw_nik
            status = "ok"
        else:
            nr = read_nik(raw_nik)
            nik_text, digits, status = nr.text, nr.digits, nr.status
        usable = ""
        nik_status = "ok"
        nik_bd: date | None = None
        if status == "number" or status == "scientific":
            nik_status = "unrecoverable"
            add(_finding("roster.nik_number", Severity.ERROR,
                         N_("The NIK {value} was stored by Excel as a number and has lost digits; it cannot be "
                            "recovered from this file"), "nik", value=nik_text))
        elif status == "kitas":
            nik_status = "kitas"
            add(_finding("roster.nik_kitas", Severity.ERROR,
                         N_("'{value}' is a KITAS number (foreign student), not a NIK"), "nik", value=nik_text))
        elif status == "missing":
            nik_status = "missing"
            add(_finding("nik.missing", Severity.ERROR, N_("NIK is empty"), "nik"))
        elif kk and digits == kk:
            nik_status = "same_as_kk"
            add(_finding("roster.nik_same_as_kk", Severity.ERROR, N_("The NIK is the same as the No KK ({value})"),
                         "nik", value=digits))
        elif (self.fast and bd is not None and (sex == "L" or sex == "P") and len(digits) == 16 and digits.isascii()
              and digits.isdigit() and digits[12:] != "0000"
              and digits[6:12] == f"{bd.day + 40 if sex == 'P' else bd.day:02d}{bd.month:02d}{bd.year % 100:02d}"
              and (region := self.region_findings(digits[:6])) is not None):
            # what the NIK core would say: the NIK encodes the roster's birth date and sex, its serial is not
            # 0000, and its region gives at most information (the same for every NIK of that kecamatan)
            for f in region:
                add(Finding(f.code, f.severity, f.message, {**f.params, "nik": digits}, f.field))
            usable = digits
            nik_bd = bd
        else:
            chk = nikcore.check(digits, as_of=as_of, birth_date=bd, sex=sex or None,
                                drive_regency=self.drive_regency)
            core = [replace(f, severity=Severity.INFO) if f.code in _INFO_IN_ROSTER else f for f in chk.findings]
            suspicious = (not chk.ok) or any(f.code in ("nik.birthdate_mismatch", "nik.sex_mismatch") for f in core)
            swapped = False
            if suspicious and kk and bd is not None:
                kchk = nikcore.check(kk, as_of=as_of, birth_date=bd, sex=sex or None)
                if kchk.birth_date == bd and (not sex or kchk.sex == sex):
                    swapped = True
            if swapped:
                nik_status = "swapped"
                add(_finding("roster.nik_kk_swapped", Severity.ERROR,
                             N_("NIK and No KK look swapped: the No KK column holds {kk}, which matches the birth "
                                "date and sex"), "nik", kk=kk))
            else:
                findings.extend(core)
                if chk.ok:
                    usable = digits
                    nik_bd = chk.birth_date
                else:
                    nik_status = "invalid"
        birth_source = "roster" if bd else ""
        if bd is None and nik_bd is not None:
            bd, birth_source = nik_bd, "nik"
        if bd_text == "" and self.has_bd:
            if birth_source == "nik":
                add(_finding("roster.birth_date_missing", Severity.WARNING,
                             N_("The birth date is empty; the NIK's date {date} is used"), "birth_date", date=bd))
            else:
                add(_finding("roster.birth_date_missing", Severity.ERROR, N_("The birth date is empty"),
                             "birth_date"))
        if not sex and usable:
            sex = nikcore.split(usable).sex  # type: ignore[union-attr]
        # the other columns
        raw_place = values[self.i_place] if self.i_place < n else ""
        if raw_place.__class__ is str:
            place = self._places.get(raw_place)
            if place is None:
                place = self._places[raw_place] = clean_name(raw_place)
        else:
            place = clean_name("" if raw_place is None else raw_place)
        raw_rombel = values[self.i_rombel] if self.i_rombel < n else ""
        if raw_rombel.__class__ is str:
            rombel = self._rombels.get(raw_rombel)
            if rombel is None:
                rombel = self._rombels[raw_rombel] = " ".join(raw_rombel.split())
        else:
            rombel = " ".join(cell_text(raw_rombel).split())
        left_reason = ""
        left_date = None
        if self.i_left_reason < n:
            left_reason = repair_mojibake(cell_text(values[self.i_left_reason]))
        if self.i_left_date < n:
            left_raw = values[self.i_left_date]
            if left_raw is not None and left_raw != "":
                left_date = self._date(left_raw).value
        rec = RosterRecord(row_number, name, key, nisn, _text(_get(values, self.i_nipd)), usable, nik_status, kk,
                           sex, place, bd, birth_source, rombel, left_reason, left_date,
                           {"name": name_text, "birth_date": bd_text, "sex": sex_text, "nisn": nisn_text,
                            "no_kk": kk_text, "nik": nik_text}, findings)
        if self.leavers or left_reason or left_date:
            rec.counted = False
        return rec


def parse_row(values: Sequence[Any], layout: Layout, row_number: int, *, as_of: date,
              drive_regency: str | None = None) -> RosterRecord | None:
    """Normalise and check one data row. None for a row with no name, NISN or NIK (a blank or a footer).

    For many rows of one grid, build a ``RowParser`` once and call it: the same result, faster.
    """
    return RowParser(layout, as_of=as_of, drive_regency=drive_regency)(values, row_number)


# ---------------------------------------------------------------- a whole school


def within_school_checks(records: list[RosterRecord]) -> None:
    """Duplicates inside one school's file: the same NIK or NISN on two rows (or the same row twice).

    A row repeating an earlier row (same NISN, NIK and name) is marked not counted, so the
    student is listed once; two different names sharing a NIK are both errors.
    """
    first_nik: dict[str, int] = {}         # value -> index of its first record
    first_nisn: dict[str, int] = {}
    dup_nik: set[str] = set()
    dup_nisn: set[str] = set()
    for i, r in enumerate(records):
        if r.nik and first_nik.setdefault(r.nik, i) != i:
            dup_nik.add(r.nik)
        if r.nisn and len(r.nisn) == NISN_LENGTH and first_nisn.setdefault(r.nisn, i) != i:
            dup_nisn.add(r.nisn)
    if not dup_nik and not dup_nisn:
        return
    # the groups of values found more than once, in the order of their first appearance
    by_nik: dict[str, list[RosterRecord]] = {v: [] for v in sorted(dup_nik, key=first_nik.__getitem__)}
    by_nisn: dict[str, list[RosterRecord]] = {v: [] for v in sorted(dup_nisn, key=first_nisn.__getitem__)}
    for r in records:
        if r.nik in by_nik:
            by_nik[r.nik].append(r)
        if r.nisn in by_nisn and len(r.nisn) == NISN_LENGTH:
            by_nisn[r.nisn].append(r)
    repeated: set[int] = set()
    for group in list(by_nik.values()) + list(by_nisn.values()):
        if len(group) < 2:
            continue
        first = group[0]
        for r in group[1:]:
            if r.row in repeated:
                continue
            if r.name_key == first.name_key and r.nik == first.nik and r.nisn == first.nisn:
                repeated.add(r.row)
                r.counted = False
                r.findings.append(_finding("roster.duplicate_row", Severity.WARNING,
                                           N_("Repeats row {other} (same student)"), "name", other=first.row))
    for kind, groups, sev, code, msg in (
        ("nik", by_nik, Severity.ERROR, "roster.duplicate_nik", N_("NIK {value} also appears on row {others}")),
        ("nisn", by_nisn, Severity.WARNING, "roster.duplicate_nisn", N_("NISN {value} also appears on row {others}")),
    ):
        for value, group in groups.items():
            distinct = [r for r in group if r.row not in repeated]
            if len(distinct) < 2:
                continue
            for r in distinct:
                others = ", ".join(str(o.row) for o in distinct if o is not r)
                r.findings.append(_finding(code, sev, msg, kind, value=value, others=others))
                if kind == "nik":
                    r.nik_status = "invalid"
                    r.nik = ""


@dataclass(frozen=True)
class RosterEntry:
    """A student on a current roster, as needed for checks across schools."""

    student_id: int
    school_code: str
    row: int
    nik: str
    nisn: str
    name_key: str


def same_person(a: str, b: str) -> bool:
    """Two name keys that are the same person's name (exact, or one word order / spelling apart)."""
    if a == b:
        return True
    from rapidfuzz import fuzz

    return fuzz.token_sort_ratio(a, b) >= 85


def cross_school_findings(entries: Iterable[RosterEntry]) -> dict[int, list[Finding]]:
    """Findings for students listed at more than one school (same NIK or NISN).

    The same name: a transferred student (warning at both schools). A different name with the
    same NIK: one of the NIKs is wrong (error at both).
    """
    by_nik: dict[str, list[RosterEntry]] = defaultdict(list)
    by_nisn: dict[str, list[RosterEntry]] = defaultdict(list)
    for e in entries:
        if e.nik:
            by_nik[e.nik].append(e)
        if e.nisn:
            by_nisn[e.nisn].append(e)
    out: dict[int, list[Finding]] = defaultdict(list)
    seen_pairs: set[tuple[int, int]] = set()
    for kind, groups in (("nik", by_nik), ("nisn", by_nisn)):
        for value, group in groups.items():
            if len({e.school_code for e in group}) < 2:
                continue
            for a in group:
                for b in group:
                    if a.school_code == b.school_code or (a.student_id, b.student_id) in seen_pairs:
                        continue
                    seen_pairs.add((a.student_id, b.student_id))
                    if same_person(a.name_key, b.name_key):
                        out[a.student_id].append(_finding(
                            "roster.at_other_school", Severity.WARNING,
                            N_("Also on the roster of school {school} (row {row}): a transferred student?"),
                            kind, school=b.school_code, row=b.row, value=value))
                    elif kind == "nik":
                        out[a.student_id].append(_finding(
                            "roster.nik_other_person", Severity.ERROR,
                            N_("NIK {value} is also used at school {school} (row {row}) by a student with "
                               "another name"), "nik", school=b.school_code, row=b.row, value=value))
    return dict(out)

"""SpreadsheetML 2003 ("XML Spreadsheet") files, which some exports save with an ``.xls`` name.

Real exports of this kind are often not well-formed: school names such as ``SMA & SMK`` or
values such as ``<5 km`` are written without escaping. Before parsing, a bare ``&`` that does not
start an entity becomes ``&amp;`` and a ``<`` inside a cell's text that does not start one of the
formatting tags Excel uses there becomes ``&lt;``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from sweet17.adapters.readers import MemoryWorkbook, ReadError, Row
from sweet17.i18n import N_

SS = "urn:schemas-microsoft-com:office:spreadsheet"
_Q = "{" + SS + "}"
_BARE_AMP = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]{0,30}|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});)")
_DATA = re.compile(r"(<(?:ss:)?Data\b[^>]*>)(.*?)(</(?:ss:)?Data\s*>)", re.DOTALL)
_BARE_LT = re.compile(r"<(?!/?(?:html:)?(?:Font|B|I|U|S|Sub|Sup|Span)\b)", re.IGNORECASE)
_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_\-]+)[\"']")


def repair_xml(text: str) -> tuple[str, int]:
    """Escape bare '&' anywhere and bare '<' inside <Data> text. Returns (text, number of repairs)."""
    fixes = 0

    def _data(m: re.Match[str]) -> str:
        nonlocal fixes
        body, n = _BARE_LT.subn("&lt;", m.group(2))
        fixes += n
        return m.group(1) + body + m.group(3)

    text = _DATA.sub(_data, text)
    text, n = _BARE_AMP.subn("&amp;", text)
    return text, fixes + n


def _decode(data: bytes) -> str:
    m = _ENCODING.search(data[:200])
    enc = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return data.decode(enc)
    except (LookupError, UnicodeDecodeError):
        return data.decode("cp1252", errors="replace")


def _value(cell: ET.Element) -> object:
    data = cell.find(f"{_Q}Data")
    if data is None:
        return ""
    typ = data.get(f"{_Q}Type", "String")
    text = "".join(data.itertext())
    if typ == "Number":
        try:
            return float(text)
        except ValueError:
            return text
    if typ == "DateTime":
        try:
            dt = datetime.fromisoformat(text.strip().rstrip("Z")[:26])
            return dt.date() if dt.time() == datetime.min.time() else dt
        except ValueError:
            return text
    if typ == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text


def read_spreadsheetml(path: Path) -> MemoryWorkbook:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReadError("unreadable", N_("{path}: cannot be read ({detail})"), detail=e.strerror) from None
    text, _fixes = repair_xml(_decode(data))
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)   # the declaration's encoding no longer applies to str
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                        detail=str(e)) from None
    book = MemoryWorkbook(kind="xml2003")
    for n, ws in enumerate(root.iter(f"{_Q}Worksheet")):
        name = ws.get(f"{_Q}Name") or f"Sheet{n + 1}"
        rows: list[Row] = []
        table = ws.find(f"{_Q}Table")
        if table is not None:
            for row_el in table.iter(f"{_Q}Row"):
                idx = row_el.get(f"{_Q}Index")
                if idx and idx.isdigit():
                    while len(rows) < int(idx) - 1:
                        rows.append([])
                row: Row = []
                for cell in row_el.iter(f"{_Q}Cell"):
                    cidx = cell.get(f"{_Q}Index")
                    if cidx and cidx.isdigit():
                        row.extend([""] * (int(cidx) - 1 - len(row)))
                    row.append(_value(cell))
                    across = cell.get(f"{_Q}MergeAcross")
                    if across and across.isdigit():
                        row.extend([""] * int(across))
                rows.append(row)
        width = max((len(r) for r in rows), default=0)
        book.sheets[name] = [r + [""] * (width - len(r)) for r in rows]
    if not book.sheets:
        raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                        detail="no Worksheet")
    return book

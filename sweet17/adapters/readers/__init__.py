"""Readers for the spreadsheets coordinators receive: xlsx/xlsm/ods and real BIFF ``.xls`` (python-calamine),
SpreadsheetML 2003 XML saved as ``.xls`` (repaired when it holds unescaped ``&`` or ``<``), and CSV
(comma, semicolon, tab; UTF-8 or Windows-1252). The kind of file is recognised from its bytes,
not its extension.

A reader gives grids (lists of rows of cells: ``str`` (stripped of nothing), ``float``, ``int``,
``bool``, ``date``/``datetime``, or ``''`` for an empty cell) with row 0 being the sheet's first row, so
``index + 1`` is the row number the user sees in Excel. Errors are ``ReadError`` with an English
message id naming the problem; the service layer translates it and names the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sweet17.i18n import N_

Cell = Any
Row = list[Cell]

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt", ".xml")


class ReadError(Exception):
    """A file that cannot be read. ``message`` is an English id with ``{path}`` and ``params``."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(f"{code}: {message}")


class Workbook(Protocol):
    kind: str                    # 'xlsx' | 'xls' | 'ods' | 'xml2003' | 'csv'
    sheet_names: list[str]

    def grid(self, sheet: str) -> list[Row]: ...
    def iter_rows(self, sheet: str) -> Iterator[Row]: ...
    def close(self) -> None: ...


@dataclass
class MemoryWorkbook:
    """Sheets already parsed into memory (CSV, SpreadsheetML)."""

    kind: str
    sheets: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def grid(self, sheet: str) -> list[Row]:
        return self.sheets[sheet]

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        return iter(self.sheets[sheet])

    def close(self) -> None:
        self.sheets = {}


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def sniff(path: Path) -> str:
    """The kind of file from its first bytes: xlsx (any zip), ole (BIFF xls or an encrypted OOXML),
    xml2003, html, csv (any other text). Raises ReadError for a missing or empty file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise ReadError("not_found", N_("{path}: no such file")) from None
    except IsADirectoryError:
        raise ReadError("not_found", N_("{path}: is a folder, not a file")) from None
    except OSError as e:
        raise ReadError("unreadable", N_("{path}: cannot be read ({detail})"), detail=e.strerror) from None
    if not head.strip(b" \t\r\n\x00"):
        raise ReadError("empty", N_("{path}: the file is empty"))
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "ole"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"\xff\xfe") or text.startswith(b"\xfe\xff"):
        return "csv"
    if text.startswith(b"<?xml") or text.startswith(b"<workbook") or text.startswith(b"<ss:workbook"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower() or b"<workbook" in text:
            return "xml2003"
        raise ReadError("unsupported", N_("{path}: an XML file that is not an Excel 2003 XML workbook"))
    if text.startswith(b"<html") or text.startswith(b"<!doctype html") or text.startswith(b"<table"):
        return "html"
    if b"\x00" in head[:1024]:
        raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                        detail="binary data")
    return "csv"


def open_workbook(path: Path | str, *, force_csv: bool = False) -> Workbook:
    """Open any supported file as a workbook. Raises ReadError naming what is wrong."""
    path = Path(path)
    kind = "csv" if force_csv else sniff(path)
    if kind in ("xlsx", "ole"):
        from sweet17.adapters.readers.calamine import CalamineBook

        return CalamineBook.open(path, kind)
    if kind == "xml2003":
        from sweet17.adapters.readers.spreadsheetml import read_spreadsheetml

        return read_spreadsheetml(path)
    if kind == "html":
        raise ReadError("unsupported", N_("{path}: this is a web page (HTML) saved with a spreadsheet name; open it "
                                          "in Excel and save it as .xlsx"))
    from sweet17.adapters.readers.csvfile import read_csv

    return read_csv(path)

"""Styled report workbooks (openpyxl, write-only mode): a bold frozen header with filters, column widths,
text columns that keep leading zeros, real date cells, and rows coloured by severity.

::

    from sweet17.adapters.xlsx.styled import Column, StyledWorkbook

    wb = StyledWorkbook()
    wb.add_table("Masalah data", [Column("Baris", kind="int"), Column("NISN"), Column("Masalah", wrap=True)],
                 rows, severities=["error", "warning", ...], title="SMA Negeri 1 Paringin")
    wb.add_key_values("Ringkasan", [("Sekolah", "SMA Negeri 1 Paringin"), ("Siswa", 612)])
    wb.save(Path("exports/report.xlsx"))      # written to a temporary name, then renamed

Severities ``error``, ``warning``, ``info`` and ``ok`` colour the whole row (red, amber, blue, green).
A table may end with a ``total`` row (bold, light blue, outside the filter); ``add_images`` adds a
sheet of pictures (charts), each under its caption; ``StyledWorkbook(title=..., creator=...)`` sets
the document properties.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

SEVERITY_FILLS = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7", "ok": "C6EFCE"}
HEADER_FILL = "1F4E78"
TOTAL_FILL = "DDEBF7"
IMAGE_MAX_WIDTH = 900                   # pixels; wider pictures are scaled down
MAX_WIDTH = 60
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    title: str
    width: float | None = None          # None: fitted to the content
    kind: str = "text"                  # text | int | number | date | percent
    wrap: bool = False
    number_format: str | None = None


@dataclass
class _Sheet:
    name: str
    columns: list[Column]
    rows: list[Sequence[Any]]
    severities: list[str | None] | None = None
    title: str | None = None
    key_values: bool = False
    notes: list[str] = field(default_factory=list)
    total: Sequence[Any] | None = None
    images: list[tuple[str, Path]] | None = None      # a picture sheet: (caption, image file)


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name (31 characters, none of []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("-", name).strip("'") or "Sheet"
    base = base[:31]
    taken_l = {t.lower() for t in taken}
    out, n = base, 2
    while out.lower() in taken_l:
        suffix = f" ({n})"
        out = base[: 31 - len(suffix)] + suffix
        n += 1
    return out


def _fmt(col: Column) -> str | None:
    if col.number_format:
        return col.number_format
    return {"text": "@", "int": "0", "number": "#,##0.0", "date": "DD/MM/YYYY", "percent": "0.0%"}.get(col.kind)


def _width(col: Column, rows: Sequence[Sequence[Any]], i: int) -> float:
    if col.width is not None:
        return col.width
    longest = len(col.title)
    for row in rows[:500]:
        v = row[i] if i < len(row) else None
        if v is None:
            continue
        n = 10 if isinstance(v, date) else len(str(v))
        longest = max(longest, n)
    return float(min(max(longest + 2, 6), MAX_WIDTH))


class StyledWorkbook:
    """Collects sheets, then writes them in one go (``save``)."""

    def __init__(self, *, title: str | None = None, creator: str | None = None) -> None:
        self._sheets: list[_Sheet] = []
        self.title = title
        self.creator = creator

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self._sheets]

    def add_table(self, name: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
                  severities: Sequence[str | None] | None = None, title: str | None = None,
                  notes: Sequence[str] = (), total: Sequence[Any] | None = None) -> str:
        """A table sheet; returns the sheet name used (made valid and unique). ``total``: a last row in
        bold, after the rows and outside the filter."""
        rows = list(rows)
        if severities is not None and len(severities) != len(rows):
            raise ValueError("one severity per row")
        nm = sheet_name(name, self.sheet_names)
        self._sheets.append(_Sheet(nm, list(columns), rows, list(severities) if severities is not None else None,
                                   title, notes=list(notes), total=list(total) if total is not None else None))
        return nm

    def add_images(self, name: str, images: Sequence[tuple[str, Path | str]]) -> str:
        """A sheet of pictures (PNG charts), each under its caption, scaled to at most ``IMAGE_MAX_WIDTH``
        pixels wide; returns the sheet name used."""
        nm = sheet_name(name, self.sheet_names)
        self._sheets.append(_Sheet(nm, [], [], images=[(caption, Path(p)) for caption, p in images]))
        return nm

    def add_key_values(self, name: str, pairs: Sequence[tuple[str, Any]], *, title: str | None = None) -> str:
        nm = sheet_name(name, self.sheet_names)
        self._sheets.append(_Sheet(nm, [Column("", kind="text"), Column("", kind="number", number_format="General")],
                                   [list(p) for p in pairs], title=title, key_values=True))
        return nm

    def save(self, path: Path | str) -> Path:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.drawing.image import Image
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
        from openpyxl.utils import get_column_letter

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = Workbook(write_only=True)
        bold = Font(bold=True)
        head_font = Font(bold=True, color="FFFFFF")
        head_fill = PatternFill("solid", fgColor=HEADER_FILL)
        fills = {k: PatternFill("solid", fgColor=v) for k, v in SEVERITY_FILLS.items()}
        thin = Side(style="thin", color="BFBFBF")
        box = Border(left=thin, right=thin, top=thin, bottom=thin)
        wrap = Alignment(wrap_text=True, vertical="top")
        top = Alignment(vertical="top")
        total_fill = PatternFill("solid", fgColor=TOTAL_FILL)
        if self.title is not None:
            wb.properties.title = self.title
        if self.creator is not None:
            wb.properties.creator = self.creator
        for sh in self._sheets:
            ws = wb.create_sheet(sh.name)
            if sh.images is not None:
                r = 1
                for caption, image_path in sh.images:
                    t = WriteOnlyCell(ws, value=caption)
                    t.font = Font(bold=True, size=12)
                    ws.append([t])
                    img = Image(str(image_path))
                    scale = min(1.0, IMAGE_MAX_WIDTH / img.width)
                    img.width, img.height = int(img.width * scale), int(img.height * scale)
                    ws.add_image(img, f"A{r + 1}")
                    following = r + 2 + int(img.height / 20) + 1      # the next caption, below the picture
                    for _ in range(following - r - 1):
                        ws.append([])
                    r = following
                continue
            ncol = len(sh.columns)
            for i, col in enumerate(sh.columns):
                ws.column_dimensions[get_column_letter(i + 1)].width = _width(col, sh.rows, i) \
                    if not sh.key_values else (34 if i == 0 else 40)
            header_row = 1
            if sh.title:
                header_row = 2 + len(sh.notes) + (0 if sh.key_values else 1)
            if not sh.key_values:
                ws.freeze_panes = f"A{header_row + 1}"      # write-only sheets take it before any row
            if sh.title:
                t = WriteOnlyCell(ws, value=sh.title)
                t.font = Font(bold=True, size=13)
                ws.append([t])
                for note in sh.notes:
                    ws.append([note])
                if not sh.key_values:
                    ws.append([])
            if not sh.key_values:
                cells = []
                for col in sh.columns:
                    c = WriteOnlyCell(ws, value=col.title)
                    c.font, c.fill, c.border = head_font, head_fill, box
                    c.alignment = Alignment(wrap_text=True, vertical="center")
                    cells.append(c)
                ws.append(cells)
            formats = [_fmt(c) for c in sh.columns]
            sevs = sh.severities if sh.severities is not None else [None] * len(sh.rows)
            lines = [(row, fills.get(sev) if sev else None, None) for row, sev in zip(sh.rows, sevs, strict=True)]
            if sh.total is not None:
                lines.append((sh.total, total_fill, bold))
            for row, fill, font in lines:
                out = []
                for i in range(ncol):
                    v = row[i] if i < len(row) else None
                    if isinstance(v, datetime) and sh.columns[i].kind == "date":
                        v = v.date()
                    c = WriteOnlyCell(ws, value=v)
                    if sh.key_values and i == 0:
                        c.font = bold
                    elif formats[i] and not (sh.key_values and not isinstance(v, int | float)):
                        if formats[i] != "@" or isinstance(v, str):
                            c.number_format = formats[i]
                    if font is not None:
                        c.font = font
                    c.alignment = wrap if sh.columns[i].wrap else top
                    if fill is not None:
                        c.fill = fill
                    if not sh.key_values:
                        c.border = box
                    out.append(c)
                ws.append(out)
            if not sh.key_values and sh.columns:
                last = header_row + len(sh.rows)
                ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ncol)}{max(last, header_row)}"
        if not self._sheets:
            wb.create_sheet("Sheet")
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            wb.save(tmp)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return path

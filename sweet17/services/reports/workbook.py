"""Styled report workbooks (openpyxl): one sheet per table, charts on their own sheet.

Each sheet: the table's title on top, notes under it, a bold coloured header that stays frozen,
filters, column widths from the content, numbers kept as numbers (shares as percentages), a
bold total row, and flagged rows coloured. Written to a temporary file and renamed, so a reader
never sees half a workbook.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from sweet17.services.reports.base import Chart, ReportTable

HEADER_FILL = "1F4E78"
TOTAL_FILL = "DDEBF7"
FILLS = {"bad": "F8CBAD", "warn": "FFE699", "good": "C6EFCE"}
NUMBER_FORMATS = {"int": "#,##0", "float": "0.00", "pct": "0.0%", "date": "yyyy-mm-dd"}


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Sheet"
    out, i = base, 2
    while out.lower() in used:
        suffix = f" ({i})"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def write_workbook(path: Path, title: str, tables: Sequence[ReportTable], charts: Sequence[Chart] = (),
                   subtitle: str = "", charts_sheet: str = "Charts") -> Path:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        ws = wb.create_sheet(_sheet_name(t.key, used))
        ws.cell(row=1, column=1, value=t.title).font = Font(bold=True, size=13)
        r = 2
        if subtitle:
            ws.cell(row=r, column=1, value=subtitle).font = Font(italic=True, color="595959")
            r += 1
        for note in t.notes:
            ws.cell(row=r, column=1, value=note).font = Font(color="595959")
            r += 1
        header_row = r + 1
        widths = [len(c.header) for c in t.columns]
        for j, c in enumerate(t.columns, start=1):
            cell = ws.cell(row=header_row, column=j, value=c.header)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        rows = list(t.rows)
        for i, row in enumerate(rows):
            excel_row = header_row + 1 + i
            fill = FILLS.get(t.highlight.get(i, ""))
            for j, c in enumerate(t.columns, start=1):
                v = row.get(c.key)
                cell = ws.cell(row=excel_row, column=j, value=v)
                if c.kind in NUMBER_FORMATS and v is not None:
                    cell.number_format = NUMBER_FORMATS[c.kind]
                if fill:
                    cell.fill = PatternFill("solid", fgColor=fill)
                widths[j - 1] = max(widths[j - 1], len(c.fmt(v)))
        last = header_row + len(rows)
        if t.total is not None:
            last += 1
            for j, c in enumerate(t.columns, start=1):
                v = t.total.get(c.key)
                cell = ws.cell(row=last, column=j, value=v)
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor=TOTAL_FILL)
                if c.kind in NUMBER_FORMATS and v is not None:
                    cell.number_format = NUMBER_FORMATS[c.kind]
                widths[j - 1] = max(widths[j - 1], len(c.fmt(v)))
        for j, c in enumerate(t.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = c.width or min(max(widths[j - 1] + 2, 8), 60)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        if rows:
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(t.columns))}{header_row + len(rows)}"
    if charts:
        ws = wb.create_sheet(_sheet_name(charts_sheet, used))
        r = 1
        for ch in charts:
            ws.cell(row=r, column=1, value=ch.title).font = Font(bold=True, size=12)
            img = Image(str(ch.path))
            scale = min(1.0, 900 / img.width)
            img.width, img.height = int(img.width * scale), int(img.height * scale)
            ws.add_image(img, f"A{r + 1}")
            r += 2 + int(img.height / 20) + 1
    if not wb.sheetnames:
        wb.create_sheet("-")
    wb.properties.title = title
    wb.properties.creator = "sweet17"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    wb.save(tmp)
    os.replace(tmp, path)
    return path

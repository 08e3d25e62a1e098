"""What every report produces: titled tables (for the terminal, the workbook and the PDF) and charts.

A report result has ``tables()`` -> ``list[ReportTable]``, ``charts(folder)`` -> ``list[Chart]``
and ``to_dict()`` (the ``--json`` output). Headers and titles are translated when the table is
built; values stay typed (int, float, date, str) so that the workbook keeps numbers as numbers.
``write_workbook`` writes tables and charts through the shared styled-xlsx adapter
(``sweet17.adapters.xlsx.styled``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"          # text | int | float | pct (a 0-1 share) | date
    width: int = 0              # characters in the workbook; 0: from the content
    digits: int = 2             # for float
    short: str = ""             # a shorter header for the terminal (wide tables)
    optional: bool = False      # left out of the terminal table when it is narrow (kept in xlsx, PDF, JSON)

    def fmt(self, v: Any) -> str:
        """The value as text for the terminal and the PDF."""
        if v is None or v == "":
            return "-"
        if self.kind == "pct":
            return f"{v * 100:.1f}%"
        if self.kind == "float":
            return f"{v:.{self.digits}f}"
        if self.kind == "int":
            return f"{int(v):,}".replace(",", ".")
        if isinstance(v, date):
            return v.isoformat()
        return str(v)


@dataclass
class ReportTable:
    key: str                    # sheet name (short, no spaces needed)
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    highlight: dict[int, str] = field(default_factory=dict)   # row index -> "bad" | "good" | "warn"

    def cells(self, row: dict[str, Any]) -> list[str]:
        return [c.fmt(row.get(c.key)) for c in self.columns]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    path: Path


def pct(n: int | float, d: int | float) -> float | None:
    return n / d if d else None


# ------------------------------------------------------------------------------- the workbook

#: workbook number formats per column kind (text columns keep Excel's "General")
XLSX_FORMATS = {"int": "#,##0", "float": "0.00", "pct": "0.0%", "date": "yyyy-mm-dd"}
#: ReportTable highlights as the styled adapter's row severities (the same colours)
_SEVERITIES = {"bad": "error", "warn": "warning", "good": "ok"}
_ADAPTER_KINDS = {"int": "int", "float": "number", "pct": "percent", "date": "date"}


def _fitted_width(c: Column, t: ReportTable) -> int:
    """The column's width in characters: given, or from its header and values as the terminal shows them."""
    if c.width:
        return c.width
    values = [r.get(c.key) for r in t.rows] + ([t.total.get(c.key)] if t.total is not None else [])
    longest = max([len(c.header), *(len(c.fmt(v)) for v in values)])
    return min(max(longest + 2, 8), 60)


def write_workbook(path: Path, title: str, tables: Sequence[ReportTable], charts: Sequence[Chart] = (),
                   subtitle: str = "", charts_sheet: str = "Charts") -> Path:
    """One sheet per table (its title, the subtitle and notes on top, a frozen header with filters,
    numbers kept as numbers, flagged rows coloured, the total in bold), and the charts on one last
    sheet. Written to a temporary file and renamed, so a reader never sees half a workbook."""
    from sweet17.adapters.xlsx.styled import Column as SheetColumn
    from sweet17.adapters.xlsx.styled import StyledWorkbook

    wb = StyledWorkbook(title=title, creator="sweet17")
    for t in tables:
        columns = [SheetColumn(c.header, width=_fitted_width(c, t), kind=_ADAPTER_KINDS.get(c.kind, "text"),
                               number_format=XLSX_FORMATS.get(c.kind, "General")) for c in t.columns]
        wb.add_table(t.key, columns, [[r.get(c.key) for c in t.columns] for r in t.rows],
                     severities=[_SEVERITIES.get(t.highlight.get(i, "")) for i in range(len(t.rows))],
                     title=t.title, notes=[subtitle, *t.notes] if subtitle else t.notes,
                     total=[t.total.get(c.key) for c in t.columns] if t.total is not None else None)
    if charts:
        wb.add_images(charts_sheet, [(ch.title, ch.path) for ch in charts])
    return wb.save(path)

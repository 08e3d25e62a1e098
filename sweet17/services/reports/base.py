"""What every report produces: titled tables (for the terminal, the workbook and the PDF) and charts.

A report result has ``tables()`` -> ``list[ReportTable]``, ``charts(folder)`` -> ``list[Chart]``
and ``to_dict()`` (the ``--json`` output). Headers and titles are translated when the table is
built; values stay typed (int, float, date, str) so that the workbook keeps numbers as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

KINDS = ("text", "int", "float", "pct", "date")


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

"""Column maps (``--map MAP.toml``) for sheets sweet17 does not recognise by itself.

::

    # which column holds which field: the header text as written, or the column number (1 = A)
    [columns]
    name = "Nama Siswa"
    nisn = "No. Induk Siswa Nasional"
    nik = "NIK"
    birth_date = "Tgl Lahir"
    sex = 5
    rombel = "Kelas"

    [sheet]            # optional
    name = "Data Siswa"
    header_row = 3     # 1-based; default: the first row holding every header named above
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sweet17.adapters.readers import ReadError
from sweet17.i18n import N_


@dataclass(frozen=True)
class ColumnMap:
    path: Path
    columns: dict[str, str | int] = field(default_factory=dict)
    sheet: str | None = None
    header_row: int | None = None


def load_column_map(path: Path | str, allowed: Sequence[str], required: Sequence[str]) -> ColumnMap:
    """Read and check a column map. ReadError names the map file and the key at fault."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ReadError("not_found", N_("{path}: no such file")) from None
    except tomllib.TOMLDecodeError as e:
        raise ReadError("map", N_("{path}: not valid TOML ({detail})"), detail=str(e)) from None
    cols = data.get("columns")
    if not isinstance(cols, dict) or not cols:
        raise ReadError("map", N_("{path}: needs a [columns] table, e.g. name = \"Nama Siswa\""))
    out: dict[str, str | int] = {}
    for key, value in cols.items():
        if key not in allowed:
            raise ReadError("map", N_("{path}: columns.{key} is not a known field (known: {known})"),
                            key=key, known=", ".join(allowed))
        if isinstance(value, bool) or not isinstance(value, str | int) or value in ("", 0) or \
                (isinstance(value, int) and value < 0):
            raise ReadError("map", N_("{path}: columns.{key} must be a header text or a column number (1 = A)"),
                            key=key)
        out[key] = value.strip() if isinstance(value, str) else value
    missing = [f for f in required if f not in out]
    if missing:
        raise ReadError("map", N_("{path}: the map must name the column for {fields}"), fields=", ".join(missing))
    sheet = data.get("sheet", {})
    if not isinstance(sheet, dict):
        raise ReadError("map", N_("{path}: [sheet] must be a table"))
    hr = sheet.get("header_row")
    if hr is not None and (not isinstance(hr, int) or isinstance(hr, bool) or hr < 1):
        raise ReadError("map", N_("{path}: sheet.header_row must be a row number (1 or more)"))
    name = sheet.get("name")
    if name is not None and not isinstance(name, str):
        raise ReadError("map", N_("{path}: sheet.name must be text"))
    return ColumnMap(path=path, columns=out, sheet=name, header_row=hr)

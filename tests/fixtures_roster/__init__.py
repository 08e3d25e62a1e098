"""Builders for roster tests: a small drive, Dapodik workbooks, registry extracts (synthetic people only)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sweet17.domain import nik as nikcore

DRIVE_TOML = """
[drive]
slug = "uji-2027"
name = "Drive uji"
regency_code = "6311"
regency = "Balangan"
province = "Kalimantan Selatan"
start = 2027-01-11
end = 2027-03-19
registry_extract = "registry/rekam.csv"

[office]
name = "Dinas Dukcapil Kabupaten Balangan"

[[teams]]
id = "tim-1"
kits = ["kit-1"]

[[schools]]
code = "sman1-uji"
name = "SMA NEGERI 1 UJI"
kind = "SMA"
kecamatan_code = "631106"
kecamatan = "Paringin"
travel_minutes = 10
roster = "rosters/sman1-uji.xlsx"

[[schools]]
code = "smkn1-uji"
name = "SMK NEGERI 1 UJI"
kind = "SMK"
kecamatan_code = "631105"
kecamatan = "Lampihong"
travel_minutes = 30

[[schools]]
code = "ma-uji"
name = "MA AL-UJI"
kind = "MA"
kecamatan_code = "631104"
kecamatan = "Batu Mandi"
travel_minutes = 50
"""

KEC = {"sman1-uji": "631106", "smkn1-uji": "631105", "ma-uji": "631104"}
TITLE_KEC = {"sman1-uji": "Kec. Paringin", "smkn1-uji": "Kec. Lampihong", "ma-uji": "Kec. Batu Mandi"}
NAMES = {"sman1-uji": "SMA NEGERI 1 UJI", "smkn1-uji": "SMK NEGERI 1 UJI", "ma-uji": "MA AL-UJI"}


def make_drive(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drive.toml").write_text(DRIVE_TOML, encoding="utf-8")
    (folder / "rosters").mkdir(exist_ok=True)
    (folder / "registry").mkdir(exist_ok=True)
    return folder


def register(ws, folder: Path) -> None:  # type: ignore[no-untyped-def]
    from sweet17.services.drives import load_drive, register_drive

    register_drive(ws, load_drive(folder))


@dataclass
class Kid:
    """One synthetic student; ``cells`` overrides what is written in a column (by dapodik_writer key)."""

    name: str
    sex: str
    birth: date
    nisn: str
    nik: str
    kk: str
    rombel: str = "XI IPA 1"
    cells: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        r: dict[str, Any] = {"nama": self.name, "jk": self.sex, "nisn": self.nisn, "tempat_lahir": "PARINGIN",
                             "tanggal_lahir": self.birth.isoformat(), "nik": self.nik, "agama": "Islam",
                             "rombel": self.rombel, "no_kk": self.kk, "ayah_nama": "H. AYAH CONTOH",
                             "ayah_nik": "6311060101700001", "ibu_nama": "IBU CONTOH",
                             "ayah_penghasilan": "Rp. 500,000 - Rp. 999,999"}
        r.update(self.cells)
        return r


_serial = [100]


def kid(name: str, sex: str, birth: date, *, kec: str = "631106", rombel: str = "XI IPA 1", nisn: str | None = None,
        **cells: Any) -> Kid:
    _serial[0] += 1
    n = _serial[0]
    nik = nikcore.encode(kec, birth, sex, n)
    kk = nikcore.encode(kec, date(2015, 3, 12), "L", n)
    return Kid(name=name, sex=sex, birth=birth, nisn=nisn or f"{birth.year % 1000:03d}{n:07d}", nik=nik, kk=kk,
               rombel=rombel, cells=cells)


def write_roster(path: Path, school: str, kids: list[Kid], *, columns=None, leavers: bool = False,  # type: ignore[no-untyped-def]
                 school_name: str | None = None) -> Path:
    from sweet17.adapters.xlsx import dapodik_writer as dw

    title = dw.RosterTitle(school_name=school_name or NAMES[school], kecamatan=TITLE_KEC[school],
                           kabupaten="Kab. Balangan", provinsi="Prov. Kalimantan Selatan",
                           downloaded_at=datetime(2026, 12, 1, 8, 41, 49), downloader="OPERATOR (op@example.com)")
    kwargs: dict[str, Any] = {}
    if columns is not None:
        kwargs["columns"] = columns
    if leavers:
        kwargs["columns"] = dw.LEAVER_COLUMNS
        kwargs["sheet_name"] = dw.LEAVERS_SHEET_NAME
    dw.write_daftar_peserta_didik(path, title, [k.row() for k in kids], **kwargs)
    return path


def write_registry_csv(path: Path, people: list[tuple[str, str, str, date, str]], *, status: str = "SUDAH REKAM",
                       delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """SIAK-style extract from (nik, name, sex L/P, birth date, place)."""
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"])
        for nik, name, sex, born, place in people:
            w.writerow([nik, "6311061203150001", name, "1" if sex == "L" else "2", place, born.strftime("%d-%m-%Y"),
                        status])
    return path


def db_count(ws, sql: str, **params: Any) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with ws.engine.connect() as c:
        return int(c.execute(text(sql), params).scalar() or 0)

"""Write workbooks in the Dapodik "Daftar Peserta Didik" export layout (openpyxl, write-only mode).

The layout (see ``docs/sample.md``)::

    row 1   Daftar Peserta Didik                      (the leavers' export: Daftar Peserta Didik Keluar)
    row 2   school name                               e.g. SMA NEGERI 1 PARINGIN
    row 3   Kecamatan Kec. X, Kabupaten Kab. Y, Provinsi Prov. Z
    row 4   A4 "Tanggal Unduh: YYYY-MM-DD HH:MM:SS", C4 "Pengunduh: NAME (email)"
    row 5   header; "Data Ayah", "Data Ibu", "Data Wali" are merged cells spanning 6 columns each
    row 6   sub-header, filled only under the three merged groups
    row 7+  one student per row

``STANDARD_COLUMNS`` lists the 66 columns (A-BN) in order. Each column has a stable ``key``
used by callers to give a row as a mapping; ``columns=`` takes any other list (a subset, another
order, a misspelt header, the leavers' two extra columns) so tests can write the variants real
exports show. Write-only mode keeps memory flat (6,500 students in 22 files take about 2 s without
lxml); merged ranges are added to ``ws.merged_cells`` before the sheet is closed, which openpyxl writes in the
sheet's tail (``WorksheetWriter.write_merged_cells``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SHEET_NAME = "Daftar Peserta Didik"
LEAVERS_SHEET_NAME = "Daftar Peserta Didik Keluar"
HEADER_ROW = 5
SUBHEADER_ROW = 6
FIRST_DATA_ROW = 7
DOWNLOADER_COLUMN = 3  # "Pengunduh: ..." goes to C4


@dataclass(frozen=True)
class Column:
    """One roster column: ``key`` for callers, ``header`` as written, ``group`` for the merged title.

    Inside a group (``Data Ayah``...) the header is the row-6 sub-header; the group title is written
    once in row 5 over the group's columns (merged).
    """

    key: str
    header: str
    group: str | None = None


_PARENT_FIELDS = (("nama", "Nama"), ("tahun_lahir", "Tahun Lahir"), ("pendidikan", "Jenjang Pendidikan"),
                  ("pekerjaan", "Pekerjaan"), ("penghasilan", "Penghasilan"), ("nik", "NIK"))


def _group(prefix: str, title: str) -> tuple[Column, ...]:
    return tuple(Column(f"{prefix}_{k}", h, title) for k, h in _PARENT_FIELDS)


STANDARD_COLUMNS: tuple[Column, ...] = (
    Column("no", "No"), Column("nama", "Nama"), Column("nipd", "NIPD"), Column("jk", "JK"),
    Column("nisn", "NISN"), Column("tempat_lahir", "Tempat Lahir"), Column("tanggal_lahir", "Tanggal Lahir"),
    Column("nik", "NIK"), Column("agama", "Agama"), Column("alamat", "Alamat"), Column("rt", "RT"),
    Column("rw", "RW"), Column("dusun", "Dusun"), Column("kelurahan", "Kelurahan"),
    Column("kecamatan", "Kecamatan"), Column("kode_pos", "Kode Pos"), Column("jenis_tinggal", "Jenis Tinggal"),
    Column("alat_transportasi", "Alat Transportasi"), Column("telepon", "Telepon"), Column("hp", "HP"),
    Column("email", "E-Mail"), Column("skhun", "SKHUN"), Column("penerima_kps", "Penerima KPS"),
    Column("no_kps", "No. KPS"),
    *_group("ayah", "Data Ayah"), *_group("ibu", "Data Ibu"), *_group("wali", "Data Wali"),
    Column("rombel", "Rombel Saat Ini"), Column("no_peserta_un", "No Peserta Ujian Nasional"),
    Column("no_seri_ijazah", "No Seri Ijazah"), Column("penerima_kip", "Penerima KIP"),
    Column("nomor_kip", "Nomor KIP"), Column("nama_kip", "Nama di KIP"), Column("nomor_kks", "Nomor KKS"),
    Column("no_akta", "No Registrasi Akta Lahir"), Column("bank", "Bank"),
    Column("no_rekening", "Nomor Rekening Bank"), Column("rekening_nama", "Rekening Atas Nama"),
    Column("layak_pip", "Layak PIP (usulan dari sekolah)"), Column("alasan_pip", "Alasan Layak PIP"),
    Column("kebutuhan_khusus", "Kebutuhan Khusus"), Column("sekolah_asal", "Sekolah Asal"),
    Column("anak_ke", "Anak ke-berapa"), Column("lintang", "Lintang"), Column("bujur", "Bujur"),
    Column("no_kk", "No KK"), Column("berat_badan", "Berat Badan"), Column("tinggi_badan", "Tinggi Badan"),
    Column("lingkar_kepala", "Lingkar Kepala"), Column("jml_saudara", "Jml. Saudara\nKandung"),
    Column("jarak_km", "Jarak Rumah\nke Sekolah (KM)"),
)

# The leavers' export ("Daftar Peserta Didik Keluar") adds two columns at the end.
LEAVER_COLUMNS: tuple[Column, ...] = STANDARD_COLUMNS + (
    Column("keluar_karena", "Keluar Karena"), Column("tanggal_keluar", "Tanggal Keluar"),
)

COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in STANDARD_COLUMNS)
assert len(STANDARD_COLUMNS) == 66 and len(set(COLUMN_KEYS)) == 66


@dataclass(frozen=True)
class RosterTitle:
    """The four title rows: school, its region (as Dapodik names them) and who downloaded when."""

    school_name: str
    kecamatan: str          # "Kec. Paringin"
    kabupaten: str          # "Kab. Balangan"
    provinsi: str           # "Prov. Kalimantan Selatan"
    downloaded_at: datetime
    downloader: str         # "NAME (email)"


def group_ranges(columns: Sequence[Column], row: int = HEADER_ROW) -> list[tuple[str, str]]:
    """(group title, "Y5:AD5") for each run of columns that share a group."""
    from openpyxl.utils import get_column_letter

    out: list[tuple[str, str]] = []
    i = 0
    while i < len(columns):
        g = columns[i].group
        j = i
        while j + 1 < len(columns) and g is not None and columns[j + 1].group == g:
            j += 1
        if g is not None:
            out.append((g, f"{get_column_letter(i + 1)}{row}:{get_column_letter(j + 1)}{row}"))
        i = j + 1
    return out


def _width(c: Column) -> float:
    wide = {"nama": 30, "alamat": 28, "ayah_nama": 24, "ibu_nama": 24, "wali_nama": 24, "sekolah_asal": 28,
            "tempat_lahir": 16, "kelurahan": 18, "kecamatan": 18, "nik": 20, "no_kk": 20, "ayah_nik": 20,
            "ibu_nik": 20, "wali_nik": 20, "ayah_penghasilan": 28, "ibu_penghasilan": 28,
            "wali_penghasilan": 28, "rombel": 14, "no_akta": 24}
    return float(wide.get(c.key, max(8, min(len(c.header.split("\n")[0]) + 2, 20))))


def write_daftar_peserta_didik(
    path: Path | str,
    title: RosterTitle,
    rows: Iterable[Mapping[str, object]],
    *,
    columns: Sequence[Column] = STANDARD_COLUMNS,
    sheet_name: str = SHEET_NAME,
    sheet_title: str | None = None,
) -> int:
    """Write one roster workbook; returns the number of student rows.

    Each row maps column keys to cell values (str, int, float, date, datetime or None); keys not
    in ``columns`` are ignored, missing keys give empty cells; ``no`` defaults to the running number.
    Values are written as given: a ``date`` becomes an Excel date cell, an ``int`` a number cell, a
    ``str`` a text cell (so a NIK given as ``str`` keeps its digits, one given as ``float`` is the
    number Excel would have made of it). The file is written to a temporary name and renamed, so a
    failure never leaves a half-written workbook at ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook(write_only=True)
    stamp = title.downloaded_at.replace(microsecond=0)
    wb.properties.creator = "Dapodik"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    ws = wb.create_sheet(sheet_name)
    for i, c in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = _width(c)

    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="D9E1F2")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def styled(value: object, *, font: Font | None = bold, header: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        if font is not None:
            cell.font = font
        if header:
            cell.fill, cell.border, cell.alignment = fill, box, centre
        return cell

    ws.append([styled(sheet_title or sheet_name, font=Font(bold=True, size=14))])
    ws.append([styled(title.school_name)])
    ws.append([f"Kecamatan {title.kecamatan}, Kabupaten {title.kabupaten}, Provinsi {title.provinsi}"])
    row4: list[object] = [None] * DOWNLOADER_COLUMN
    row4[0] = "Tanggal Unduh: " + stamp.strftime("%Y-%m-%d %H:%M:%S")
    row4[DOWNLOADER_COLUMN - 1] = "Pengunduh: " + title.downloader
    ws.append(row4)

    header: list[object] = []
    sub: list[object] = []
    prev_group: str | None = None
    for c in columns:
        if c.group is None:
            header.append(styled(c.header, header=True))
            sub.append(styled(None, header=True))
        else:
            header.append(styled(c.group if c.group != prev_group else None, header=True))
            sub.append(styled(c.header, header=True))
        prev_group = c.group
    ws.append(header)
    ws.append(sub)
    for _g, ref in group_ranges(columns):
        ws.merged_cells.add(ref)

    keys = [c.key for c in columns]
    no_at = keys.index("no") if "no" in keys else None
    n = 0
    for n, row in enumerate(rows, 1):
        values = [row.get(k) for k in keys]
        if no_at is not None and values[no_at] is None:
            values[no_at] = n
        ws.append(values)

    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        wb.save(tmp)
        stamp_zip_entries(tmp, stamp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def stamp_zip_entries(path: Path, when: datetime) -> None:
    """Give every entry of the xlsx (zip) file at ``path`` the time ``when`` instead of the clock's.

    openpyxl stamps each part with the time it was written and the workbook's "modified" property
    with the time it was saved (set back here to "created", the download time), so the same rows written twice gave
    different bytes; with the download time of the title rows they are the same bytes (a file's
    SHA-256 in the roster history then says "same file"). Rewritten to a temporary file and renamed.
    """
    import zipfile

    dt = (max(1980, when.year), when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    out = path.with_name(path.name + ".stamped")
    try:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=dt)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = info.external_attr
                data = zin.read(info)
                if info.filename == "docProps/core.xml":   # openpyxl sets "modified" to the clock on save
                    data = _modified_as_created(data)
                zout.writestr(entry, data)
        os.replace(out, path)
    finally:
        if out.exists():
            out.unlink()


def _modified_as_created(core: bytes) -> bytes:
    import re

    created = re.search(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>", core)
    if created is None:
        return core
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                  lambda m: m.group(1) + created.group(1) + m.group(2), core)

"""The files the sample writes: Dapodik layout (read back with openpyxl and calamine), drive.toml, CSV."""

from __future__ import annotations

import csv
import time
from datetime import date, datetime

import pytest

from sweet17.adapters.xlsx.dapodik_writer import (
    LEAVER_COLUMNS,
    STANDARD_COLUMNS,
    Column,
    RosterTitle,
    group_ranges,
    write_daftar_peserta_didik,
)
from sweet17.services.drives import load_drive
from sweet17.services.sample import generate_balangan

START = date(2027, 1, 11)

EXPECTED_HEADERS = [
    "No", "Nama", "NIPD", "JK", "NISN", "Tempat Lahir", "Tanggal Lahir", "NIK", "Agama", "Alamat", "RT", "RW",
    "Dusun", "Kelurahan", "Kecamatan", "Kode Pos", "Jenis Tinggal", "Alat Transportasi", "Telepon", "HP",
    "E-Mail", "SKHUN", "Penerima KPS", "No. KPS",
    *["Data Ayah", None, None, None, None, None], *["Data Ibu", None, None, None, None, None],
    *["Data Wali", None, None, None, None, None],
    "Rombel Saat Ini", "No Peserta Ujian Nasional", "No Seri Ijazah", "Penerima KIP", "Nomor KIP", "Nama di KIP",
    "Nomor KKS", "No Registrasi Akta Lahir", "Bank", "Nomor Rekening Bank", "Rekening Atas Nama",
    "Layak PIP (usulan dari sekolah)", "Alasan Layak PIP", "Kebutuhan Khusus", "Sekolah Asal", "Anak ke-berapa",
    "Lintang", "Bujur", "No KK", "Berat Badan", "Tinggi Badan", "Lingkar Kepala", "Jml. Saudara\nKandung",
    "Jarak Rumah\nke Sekolah (KM)",
]
SUB = ["Nama", "Tahun Lahir", "Jenjang Pendidikan", "Pekerjaan", "Penghasilan", "NIK"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate_balangan(tmp_path_factory.mktemp("s") / "balangan-2027", seed=23, students=400, start=START)


def _read(path):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return wb, wb.worksheets[0]


def test_roster_layout_matches_dapodik(sample):
    code = sample.schools[0].code
    wb, ws = _read(sample.rosters[code])
    assert wb.sheetnames == ["Daftar Peserta Didik"]
    assert ws["A1"].value == "Daftar Peserta Didik"
    assert ws["A2"].value == sample.schools[0].name
    assert ws["A3"].value == ("Kecamatan Kec. Paringin, Kabupaten Kab. Balangan, "
                              "Provinsi Prov. Kalimantan Selatan")
    stamp = ws["A4"].value
    assert stamp.startswith("Tanggal Unduh: ")
    datetime.strptime(stamp.removeprefix("Tanggal Unduh: "), "%Y-%m-%d %H:%M:%S")
    assert ws["C4"].value.startswith("Pengunduh: ") and ws["C4"].value.endswith("@example.com)")
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["AE5:AJ5", "AK5:AP5", "Y5:AD5"]
    header = [c.value for c in ws[5]]
    assert len(header) == 66 and ws.max_column == 66
    assert header == EXPECTED_HEADERS
    sub = [c.value for c in ws[6]]
    assert sub[24:42] == SUB * 3
    assert all(v is None for i, v in enumerate(sub) if not 24 <= i < 42)
    assert ws["A7"].value == 1 and ws.max_row == 6 + sample.schools[0].rows
    assert ws["BM5"].value == "Jml. Saudara\nKandung" and ws["BN5"].value == "Jarak Rumah\nke Sekolah (KM)"


def test_cells_hold_what_the_truth_says(sample):
    from python_calamine import CalamineWorkbook

    kinds = set()
    for s in sample.schools:
        rows = CalamineWorkbook.from_path(str(sample.rosters[s.code])).get_sheet_by_name(
            "Daftar Peserta Didik").to_python()
        truth = sample.rows_of(s.code)
        assert len(rows) == 6 + len(truth)
        for t in truth:
            r = rows[t.row - 1]
            assert r[0] == t.no and r[1] == t.name and r[3] == t.sex
            nik = r[7]
            if t.nik_cell is None:
                assert nik == ""
            elif isinstance(t.nik_cell, float):
                assert isinstance(nik, float) and nik == t.nik_cell
                kinds.add("float")
            else:
                assert nik == t.nik_cell
            born = r[6]
            if t.birth_written == "text":
                assert born == t.birth_date.isoformat()
            elif t.birth_written == "excel_date":
                assert born in (t.birth_date, datetime.combine(t.birth_date, datetime.min.time()))
            else:
                assert born == t.birth_cell and isinstance(born, float | int)
            kinds.add(t.birth_written)
            nisn = r[4]
            assert (nisn == t.nisn) if isinstance(t.nisn_cell, str) else (int(nisn) == int(t.nisn))
            assert r[42] == t.rombel
            assert r[60] == (t.kk_cell or "")
    assert kinds == {"float", "text", "excel_date", "excel_serial"}


def test_leavers_export(sample):
    assert 3 <= len(sample.leaver_files) <= 6
    code, path = next(iter(sample.leaver_files.items()))
    wb, ws = _read(path)
    assert wb.sheetnames == ["Daftar Peserta Didik Keluar"] and ws["A1"].value == "Daftar Peserta Didik Keluar"
    header = [c.value for c in ws[5]]
    assert header[:66] == EXPECTED_HEADERS and header[66:] == ["Keluar Karena", "Tanggal Keluar"]
    leavers = [t for t in sample.leavers if t.school_code == code]
    assert ws.max_row == 6 + len(leavers)
    assert [ws.cell(t.row, 67).value for t in leavers] == [t.left_reason for t in leavers]


def test_drive_toml_parses_and_is_realistic(sample):
    text = sample.drive_file.read_text(encoding="utf-8")
    assert text.startswith("# Generated by sweet17 sample balangan --seed 23")
    d = load_drive(sample.folder).drive
    assert d.slug == "balangan-2027" and d.regency_code == "6311" and d.start == START
    assert (d.end - d.start).days == 67 and d.end.weekday() == 4
    assert 20 <= len(d.schools) <= 24
    assert {s.kecamatan_code for s in d.schools} == {f"63110{i}" for i in range(1, 9)}
    assert {s.kind for s in d.schools} == {"SMA", "SMK", "MA"}
    assert max(s.travel_minutes for s in d.schools) == 120
    far = max(d.schools, key=lambda s: s.travel_minutes)
    assert far.kecamatan in ("Tebing Tinggi", "Halong")
    assert all(s.lat and s.lon and s.address and s.roster for s in d.schools)
    assert all((sample.folder / s.roster).is_file() for s in d.schools)
    assert {s.days for s in d.schools} == {("mon", "tue", "wed", "thu", "fri"),
                                           ("mon", "tue", "wed", "thu", "fri", "sat")}
    assert sum(1 for s in d.schools if s.blackouts) >= 5
    assert len(d.teams) == 3 and all(1 <= len(t.kits) <= 2 for t in d.teams)
    assert d.history == {2017: 0.197, 2018: 0.286}
    assert d.office.lat and "Paringin" in d.office.address
    assert d.local_holidays and all(d.start <= h.start <= d.delivery_end for h in d.local_holidays)
    assert d.end < d.delivery_start <= d.delivery_end   # KTPku Datang hand-overs come after the drive
    assert (sample.folder / d.registry_extract) == sample.registry_file


def test_hari_jadi_is_listed_when_the_drive_spans_it(tmp_path):
    s = generate_balangan(tmp_path / "b", seed=1, students=100, start=date(2027, 3, 1))
    d = load_drive(s.folder).drive
    assert any(h.start == date(2027, 4, 8) and "Hari Jadi" in h.reason for h in d.local_holidays)


def test_registry_csv_is_a_siak_extract(sample):
    with sample.registry_file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"]
    assert len(rows) == sample.registry_rows
    for r in rows[:50]:
        assert len(r["NIK"]) == 16 and len(r["NO_KK"]) == 16 and r["JENIS_KLMIN"] in ("1", "2")
        datetime.strptime(r["TGL_LHR"], "%d-%m-%Y")


def test_writer_variants_and_atomic_write(tmp_path):
    # another column order, a misspelt header, a missing group: merges follow the groups given
    cols = [c for c in STANDARD_COLUMNS if not (c.group == "Data Wali" or c.key == "telepon")]
    cols = [Column(c.key, "Keluarahan") if c.key == "kelurahan" else c for c in cols]
    title = RosterTitle("SMK CONTOH", "Kec. Juai", "Kab. Balangan", "Prov. Kalimantan Selatan",
                        datetime(2026, 5, 18, 8, 41, 49), "OPERATOR (op@example.com)")
    path = tmp_path / "v.xlsx"
    n = write_daftar_peserta_didik(path, title, [{"nama": "SITI AULIA", "kelurahan": "Juai"}, {"nama": "RAHMADI"}],
                                   columns=cols)
    assert n == 2
    _wb, ws = _read(path)
    assert [str(r) for r in sorted(ws.merged_cells.ranges, key=str)] == [r for _g, r in sorted(
        group_ranges(cols), key=lambda x: x[1])]
    assert len(group_ranges(cols)) == 2 and ws.max_column == 66 - 6 - 1
    assert "Keluarahan" in [c.value for c in ws[5]] and ws["A8"].value == 2 and ws["B8"].value == "RAHMADI"
    assert group_ranges(LEAVER_COLUMNS) == group_ranges(STANDARD_COLUMNS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.xlsx"]   # no temporary file left


def test_default_size_is_fast(tmp_path):
    """6,500 students: 22 workbooks + CSV in a few seconds (budget generous for a shared 2-core box)."""
    t0 = time.perf_counter()
    s = generate_balangan(tmp_path / "big", seed=17, start=START)
    took = time.perf_counter() - t0
    assert s.students == 6500 and len(s.truth) >= 6500 and len(s.rosters) == 22
    assert took < 20, f"generating the default sample took {took:.1f} s"
    print(f"default sample: {took:.2f} s")

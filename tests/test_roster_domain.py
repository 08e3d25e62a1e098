"""The pure roster core: values as Excel and school operators leave them, header finding, row checks."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sweet17.domain import nik as nikcore
from sweet17.domain import roster as r

AS_OF = date(2026, 11, 1)


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("value, expected, problem", [
    ("2008-08-17", date(2008, 8, 17), ""),
    ("2008-08-17 00:00:00", date(2008, 8, 17), ""),
    (datetime(2008, 8, 17), date(2008, 8, 17), ""),
    (date(2008, 8, 17), date(2008, 8, 17), ""),
    (39677, date(2008, 8, 17), "serial"),
    (39677.0, date(2008, 8, 17), "serial"),
    ("39677", date(2008, 8, 17), "serial"),
    ("17/08/2008", date(2008, 8, 17), ""),
    ("17-08-2008", date(2008, 8, 17), ""),
    ("7/8/2008", date(2008, 8, 7), ""),
    ("17.08.2008", date(2008, 8, 17), ""),
    ("17 Agustus 2008", date(2008, 8, 17), ""),
    ("17 agt 2008", date(2008, 8, 17), ""),
    ("1 Pebruari 2009", date(2009, 2, 1), ""),
    ("3 Nopember 2008", date(2008, 11, 3), ""),
    ("17-Aug-2008", date(2008, 8, 17), ""),
    ("August 17, 2008", date(2008, 8, 17), ""),
    ("20080817", date(2008, 8, 17), ""),
    (20080817, date(2008, 8, 17), ""),
    ("08/17/2008", date(2008, 8, 17), "us_order"),
    ("17/08/08", None, "two_digit_year"),
    ("31/02/2008", None, "invalid"),
    ("besok", None, "invalid"),
    ("", None, ""),
    (None, None, ""),
    (5, None, "invalid"),
])
def test_dates_in_every_form(value, expected, problem):
    res = r.parse_date(value)
    assert res.value == expected and res.problem == problem


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)))
def test_date_forms_round_trip(d):
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember"]
    serial = (d - date(1899, 12, 30)).days
    for form in (d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%d-%m-%Y"), f"{d.day} {months[d.month - 1]} {d.year}",
                 serial, float(serial), datetime(d.year, d.month, d.day)):
        assert r.parse_date(form).value == d, form


# ---------------------------------------------------------------- names, sex, NISN, NIK

@pytest.mark.parametrize("raw, display, key", [
    ("  MUHAMMAD   RIZKY  ", "Muhammad Rizky", "muhammad rizky"),
    ("siti   nurhaliza", "Siti Nurhaliza", "siti nurhaliza"),
    ("Hj. SITI AMINAH", "Hj. Siti Aminah", "siti aminah"),
    ("M. Rizky Ramadhan", "M. Rizky Ramadhan", "muhammad rizky ramadhan"),
    ("MUH. ILHAM", "Muh. Ilham", "muhammad ilham"),
    ("Dra. Fitri Yani, S.Pd", "Dra. Fitri Yani", "fitri yani"),
    ("NOR'AINI", "Nor'aini", "noraini"),
    ("Gusti Ayu\u00a0Lestari", "Gusti Ayu Lestari", "gusti ayu lestari"),
    ("JosÃ© Ramos", "José Ramos", "jose ramos"),
])
def test_names(raw, display, key):
    assert r.clean_name(raw) == display
    assert r.name_key(raw) == key


@given(st.text(alphabet=st.characters(categories=("L", "Zs", "Pd", "Po")), max_size=40))
def test_name_key_is_idempotent(s):
    k = r.name_key(s)
    assert r.name_key(k) == k


@pytest.mark.parametrize("raw, sex", [("L", "L"), ("p", "P"), ("Laki-laki", "L"), ("PEREMPUAN", "P"), ("1", "L"),
                                      ("2", "P"), (1.0, "L"), ("W", "P"), ("x", None), ("", None)])
def test_sex(raw, sex):
    assert r.parse_sex(raw) == sex


def test_nisn_keeps_and_restores_leading_zeros():
    assert r.read_nisn("0081234567") == ("0081234567", "")
    assert r.read_nisn(81234567) == ("0081234567", "restored")
    assert r.read_nisn(81234567.0) == ("0081234567", "restored")
    assert r.read_nisn("") == ("", "missing")
    assert r.read_nisn("12345") == ("12345", "invalid")


def test_nik_stored_as_number_is_never_repaired():
    true_nik = "6311065708080012"
    excel = float(f"{int(true_nik):.14e}")     # what Excel keeps: 15 significant digits
    res = r.read_nik(excel)
    assert res.status == "number" and res.digits == ""
    assert r.read_nik(6311065708080012).status == "number"   # even a number that happens to be exact
    assert r.read_nik("6.31107E+15").status == "scientific"
    assert r.read_nik("'6311065708080012") == r.NikRead("'6311065708080012", true_nik, "ok")
    assert r.read_nik("6311 0657 0808 0012").digits == true_nik
    assert r.read_nik("2C21JB1234-K").status == "kitas"
    assert r.read_nik("63110657O8080012").status == "other"   # one mistyped letter is not a KITAS
    for placeholder in ("-", "0", "belum ada", "0000000000000000", ""):
        assert r.read_nik(placeholder).status == "missing", placeholder


def test_mojibake_repair():
    assert r.repair_mojibake("Rp. 500,000 â€“ Rp. 999,999") == "Rp. 500,000 – Rp. 999,999"
    assert r.repair_mojibake("SMA Ã‰lite") == "SMA Élite"
    assert r.repair_mojibake("Ã  la carte?") in ("Ã  la carte?", "à la carte?")
    assert r.repair_mojibake("biasa") == "biasa"


# ---------------------------------------------------------------- header layouts

def _dapodik_grid(columns, rows=()):
    from sweet17.adapters.xlsx.dapodik_writer import STANDARD_COLUMNS  # noqa: F401  (only the header texts)

    header, sub, prev = [], [], None
    for c in columns:
        if c.group is None:
            header.append(c.header)
            sub.append("")
        else:
            header.append(c.group if c.group != prev else "")
            sub.append(c.header)
        prev = c.group
    title = [["Daftar Peserta Didik"], ["SMA NEGERI 1 PARINGIN"],
             ["Kecamatan Kec. Paringin Selatan, Kabupaten Kab. Balangan, Provinsi Prov. Kalimantan Selatan"],
             ["Tanggal Unduh: 2026-05-18 08:41:49", "", "Pengunduh: OPERATOR (op@example.com)"]]
    return title + [header, sub] + [list(x) for x in rows]


def test_dapodik_layout_joins_group_headers():
    from sweet17.adapters.xlsx.dapodik_writer import STANDARD_COLUMNS

    lay = r.detect_layout(_dapodik_grid(STANDARD_COLUMNS))
    keys = [c.key for c in STANDARD_COLUMNS]
    assert lay.header_row == 4 and lay.data_start == 6
    assert lay.columns["nik"] == keys.index("nik")            # the student's NIK, not a parent's
    assert lay.columns["name"] == keys.index("nama")
    assert lay.columns["rombel"] == keys.index("rombel")
    assert lay.columns["no_kk"] == keys.index("no_kk")
    assert lay.headers[keys.index("ayah_nik")] == "Data Ayah NIK"
    assert lay.headers[keys.index("ibu_penghasilan")] == "Data Ibu Penghasilan"
    assert lay.headers[keys.index("jml_saudara")] == "Jml. Saudara Kandung"
    assert lay.school_name == "SMA NEGERI 1 PARINGIN"
    assert lay.kecamatan == "paringin selatan"
    assert lay.downloaded == "2026-05-18 08:41:49"
    assert not lay.leavers


def test_layout_variants():
    from sweet17.adapters.xlsx.dapodik_writer import LEAVER_COLUMNS, STANDARD_COLUMNS, Column

    cols = list(STANDARD_COLUMNS)
    rombel = next(c for c in cols if c.key == "rombel")
    cols.remove(rombel)
    cols.insert(2, rombel)                                                 # Rombel third
    cols = [c for c in cols if c.key not in ("telepon", "skhun", "bank", "no_rekening", "rekening_nama")]
    cols = [Column(c.key, "Keluarahan") if c.key == "kelurahan" else c for c in cols]
    cols = [Column(c.key, "Tanggal\nLahir") if c.key == "tanggal_lahir" else c for c in cols]
    lay = r.detect_layout(_dapodik_grid(cols))
    assert lay.columns["rombel"] == 2
    assert lay.columns["kelurahan"] == [c.key for c in cols].index("kelurahan")
    assert lay.columns["birth_date"] == [c.key for c in cols].index("tanggal_lahir")
    assert lay.labels["birth_date"] == "Tanggal Lahir"
    leav = r.detect_layout(_dapodik_grid(LEAVER_COLUMNS))
    assert leav.leavers and "left_reason" in leav.columns and "left_date" in leav.columns


def test_no_header_gives_none_and_map_finds_columns():
    grid = [["Rekap kelas"], ["a", "b", "c"], [1, 2, 3]]
    assert r.detect_layout(grid) is None
    grid = [["Daftar siswa madrasah"], [], ["Nomor", "Nama Siswa", "Kelas", "Tgl Lhr", "Kelamin", "No Induk Kependudukan"],
            [1, "ANI", "X-1", "2009-01-02", "P", "6311064201090001"]]
    lay = r.layout_from_map(grid, {"name": "Nama Siswa", "rombel": "Kelas", "birth_date": "Tgl Lhr", "sex": 5,
                                   "nik": "No Induk Kependudukan"})
    assert lay.header_row == 2 and lay.columns == {"name": 1, "rombel": 2, "birth_date": 3, "sex": 4, "nik": 5}
    assert r.layout_from_map(grid, {"name": "Nama Lengkap"}) == "Nama Lengkap"


# ---------------------------------------------------------------- rows

LAY = r.Layout(header_row=0, data_start=1, columns={"name": 0, "sex": 1, "nisn": 2, "birth_date": 3, "nik": 4,
                                                    "no_kk": 5, "rombel": 6},
               labels={"name": "Nama", "sex": "JK", "nisn": "NISN", "birth_date": "Tanggal Lahir", "nik": "NIK",
                       "no_kk": "No KK", "rombel": "Rombel Saat Ini"}, headers=())
BORN = date(2009, 8, 17)
NIK_P = nikcore.encode("631106", BORN, "P", 12)
KK = nikcore.encode("631106", date(2015, 3, 12), "L", 7)


def _row(name="SITI AMINAH", sex="P", nisn="0091234567", born=BORN.isoformat(), nik=NIK_P, kk=KK, rombel="XI IPA 2"):
    return r.parse_row([name, sex, nisn, born, nik, kk, rombel], LAY, 7, as_of=AS_OF, drive_regency="6311")


def codes(rec):
    return {f.code for f in rec.findings}


def test_clean_row():
    rec = _row()
    assert rec.nik == NIK_P and rec.nik_status == "ok" and rec.sex == "P" and rec.birth_date == BORN
    assert rec.name == "Siti Aminah" and rec.rombel == "XI IPA 2" and not rec.blocking
    assert codes(rec) == set() and rec.key == "nisn:0091234567"


def test_row_checks():
    assert "nik.missing" in codes(_row(nik=None)) and _row(nik="").blocking
    rec = _row(nik=float(NIK_P))
    assert "roster.nik_number" in codes(rec) and rec.nik == "" and rec.nik_status == "unrecoverable" and rec.blocking
    rec = _row(nik=KK, kk=NIK_P)
    assert codes(rec) == {"roster.nik_kk_swapped"} and rec.nik == "" and rec.blocking
    rec = _row(kk=NIK_P)
    assert "roster.nik_same_as_kk" in codes(rec) and rec.blocking
    rec = _row(nik="2C21JB1234-K")
    assert "roster.nik_kitas" in codes(rec) and rec.nik_status == "kitas"
    rec = _row(born="2009-08-18")
    assert "nik.birthdate_mismatch" in codes(rec) and not rec.blocking and rec.nik == NIK_P
    rec = _row(sex="L")
    assert "nik.sex_mismatch" in codes(rec)
    rec = _row(nik=nikcore.encode("630801", BORN, "P", 3))
    assert "nik.region_before_split" in codes(rec) and not rec.blocking
    rec = _row(nik=nikcore.encode("630901", BORN, "P", 3))
    f = next(f for f in rec.findings if f.code == "nik.region_outside")
    assert f.severity == "info"
    rec = _row(born="")
    assert rec.birth_date == BORN and rec.birth_date_source == "nik" and "roster.birth_date_missing" in codes(rec)
    rec = _row(born="", nik="")
    assert rec.birth_date is None and rec.blocking
    assert "roster.birth_date_serial" in codes(_row(born=(BORN - date(1899, 12, 30)).days))
    assert "roster.birth_date_cell" in codes(_row(born=datetime(2009, 8, 17)))
    assert "roster.birth_date_future" in codes(_row(born="2027-01-01"))
    assert "roster.nisn_restored" in codes(_row(nisn=91234567))
    assert "roster.sex_invalid" in codes(_row(sex="X"))
    assert _row(sex="").sex == "P"     # taken from the NIK
    assert r.parse_row(["", "", "", "", "", "", ""], LAY, 9, as_of=AS_OF) is None
    assert r.parse_row(["Jumlah", "", "", "", "", "", ""], LAY, 9, as_of=AS_OF) is None


def test_duplicates_within_a_school():
    a = _row()
    b = _row()            # the same student twice
    c = _row(name="ANI LESTARI", nisn="0091234568")  # another student with the same NIK
    d = _row(name="RINA", nisn="0091234569", nik=nikcore.encode("631106", BORN, "P", 40))
    recs = [a, b, c, d]
    for i, x in enumerate(recs):
        x.row = 7 + i
    r.within_school_checks(recs)
    assert "roster.duplicate_row" in codes(b) and not b.counted and a.counted
    assert "roster.duplicate_nik" in codes(a) and "roster.duplicate_nik" in codes(c)
    assert a.nik == "" and c.nik == "" and a.blocking and c.blocking
    assert codes(d) == set()


def test_across_schools():
    e = [r.RosterEntry(1, "a", 7, NIK_P, "0091234567", "siti aminah"),
         r.RosterEntry(2, "b", 9, NIK_P, "0091234567", "siti aminah"),
         r.RosterEntry(3, "a", 8, KK, "", "ani lestari"),
         r.RosterEntry(4, "c", 12, KK, "", "rina wati")]
    out = r.cross_school_findings(e)
    assert [f.code for f in out[1]] == ["roster.at_other_school"] and out[1][0].params["school"] == "b"
    assert [f.code for f in out[2]] == ["roster.at_other_school"]
    assert [f.code for f in out[3]] == ["roster.nik_other_person"] and out[3][0].severity == "error"
    assert 5 not in out


def test_every_finding_code_has_advice():
    import inspect
    import re as _re

    src = inspect.getsource(r)
    found = set(_re.findall(r'"(roster\.[a-z_]+)"', src)) - {"roster.mojibake"}
    assert found <= set(r.ADVICE), found - set(r.ADVICE)


def test_age_range_warning():
    old = (AS_OF - timedelta(days=365 * 40)).isoformat()
    assert "roster.birth_date_unusual" in codes(_row(born=old, nik=""))


# ---------------------------------------------------------------- the short paths give what the general path gives

def _record(rec):
    if rec is None:
        return None
    return (rec.row, rec.name, rec.name_key, rec.nisn, rec.nipd, rec.nik, rec.nik_status, rec.no_kk, rec.sex,
            rec.birth_place, rec.birth_date, rec.birth_date_source, rec.rombel, rec.left_reason, rec.left_date,
            rec.raw, rec.counted, [(f.code, str(f.severity), f.message, f.params, f.field) for f in rec.findings])


WIDE = r.Layout(header_row=0, data_start=1, columns={"name": 0, "sex": 1, "nisn": 2, "birth_date": 3, "nik": 4,
                                                     "no_kk": 5, "rombel": 6, "birth_place": 7, "left_date": 8},
                labels={}, headers=())
KECAMATAN = ["631106", "631101", "630801", "630901", "637101", "110101", "999999", "631199"]


@st.composite
def messy_rows(draw):
    born = draw(st.dates(date(2004, 1, 1), date(2013, 12, 31)))
    sex = draw(st.sampled_from(["L", "P"]))
    nik_born = draw(st.sampled_from([born, born + timedelta(days=1), date(1990, 1, 1)]))
    nik_sex = draw(st.sampled_from([sex, "L", "P"]))
    nik = nikcore.encode(draw(st.sampled_from(KECAMATAN)), nik_born, nik_sex, draw(st.sampled_from([1, 0, 42])))
    nik_cell = draw(st.sampled_from([nik, nik, nik, float(nik), "", None, " " + nik, nik[:15], "2C21JB1234-K",
                                     nik.replace("0", "O", 1), "6.31106E+15"]))
    kk = nikcore.encode("631106", date(2015, 3, 12), "L", 7)
    return [
        draw(st.sampled_from(["SITI AMINAH", "Hj. siti aminah", "M. RIZKY", "Nur'aini", "JOSÉ", "Ã‰lodie", "",
                              "Jumlah", "AHMAD, S.Pd", "  BUDI   SANTOSO ", 12.0])),
        draw(st.sampled_from([sex, sex, "", "X", "l", "Perempuan", None, 2.0])),
        draw(st.sampled_from(["0091234567", 91234567.0, "", "-", "123", " 0091234568 "])),
        draw(st.sampled_from([born.isoformat(), born, datetime(born.year, born.month, born.day),
                              born.strftime("%d/%m/%Y"), float((born - date(1899, 12, 30)).days), "", "2030-01-01",
                              "31-02-2009", "1/2/09", born.isoformat() + " "])),
        nik_cell,
        draw(st.sampled_from([kk, nik, "", None, float(kk)])),
        draw(st.sampled_from(["XI IPA 1", " X  IPS 2 ", None, 3.0])),
        draw(st.sampled_from(["PARINGIN", "amuntai", None, ""])),
        draw(st.sampled_from(["", None, "2026-01-01"])),
    ][:draw(st.sampled_from([9, 9, 9, 5, 3]))]


@given(messy_rows(), st.sampled_from(["6311", None]))
def test_row_parser_short_paths_agree_with_the_general_path(row, regency):
    fast = r.RowParser(WIDE, as_of=AS_OF, drive_regency=regency)
    general = r.RowParser(WIDE, as_of=AS_OF, drive_regency=regency, fast=False)
    assert _record(fast(row, 5)) == _record(general(row, 5))
    assert _record(fast(row, 5)) == _record(r.parse_row(row, WIDE, 5, as_of=AS_OF, drive_regency=regency))


class _Text(str):
    """A str that is not exactly str: takes the general path of name_key."""


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ  .,'-é", max_size=30))
def test_name_key_short_path_agrees_with_the_general_path(s):
    assert r.name_key(s) == r.name_key(_Text(s))


def _within_school_reference(records):
    """The straightforward algorithm (every value grouped), to compare the faster one with."""
    from collections import defaultdict

    by_nik, by_nisn = defaultdict(list), defaultdict(list)
    for x in records:
        if x.nik:
            by_nik[x.nik].append(x)
        if x.nisn and len(x.nisn) == r.NISN_LENGTH:
            by_nisn[x.nisn].append(x)
    repeated = set()
    for group in list(by_nik.values()) + list(by_nisn.values()):
        for x in group[1:]:
            if x.row not in repeated and (x.name_key, x.nik, x.nisn) == (group[0].name_key, group[0].nik,
                                                                        group[0].nisn):
                repeated.add(x.row)
                x.counted = False
                x.findings.append(r._finding("roster.duplicate_row", r.Severity.WARNING,
                                             "Repeats row {other} (same student)", "name", other=group[0].row))
    for kind, groups, sev, code, msg in (
        ("nik", by_nik, r.Severity.ERROR, "roster.duplicate_nik", "NIK {value} also appears on row {others}"),
        ("nisn", by_nisn, r.Severity.WARNING, "roster.duplicate_nisn", "NISN {value} also appears on row {others}"),
    ):
        for value, group in groups.items():
            distinct = [x for x in group if x.row not in repeated]
            if len(distinct) >= 2:
                for x in distinct:
                    others = ", ".join(str(o.row) for o in distinct if o is not x)
                    x.findings.append(r._finding(code, sev, msg, kind, value=value, others=others))
                    if kind == "nik":
                        x.nik_status, x.nik = "invalid", ""


@given(st.lists(st.tuples(st.sampled_from(["ani", "budi", "citra"]), st.sampled_from(["", "n1", "n2", "n3"]),
                          st.sampled_from(["", "0091234561", "0091234562", "123"])), max_size=12))
def test_within_school_checks_agree_with_the_reference(rows):
    def make():
        return [r.RosterRecord(row=i + 7, name=n, name_key=n, nisn=nisn, nipd="", nik=nik, nik_status="ok", no_kk="",
                               sex="L", birth_place="", birth_date=None, birth_date_source="", rombel="")
                for i, (n, nik, nisn) in enumerate(rows)]
    a, b = make(), make()
    r.within_school_checks(a)
    _within_school_reference(b)
    assert [_record(x) for x in a] == [_record(x) for x in b]

"""``sweet17 roster import``: real files of every kind, re-imports, and files that cannot be read."""

import json
from datetime import date

import pytest
from fixtures_roster import KEC, db_count, kid, make_drive, register, write_roster

from sweet17.domain import nik as nikcore


@pytest.fixture
def drive(workspace, tmp_path):
    folder = make_drive(tmp_path / "drive")
    register(workspace, folder)
    return folder


def kids(school="sman1-uji", n=4):
    names = ["SITI AMINAH", "MUHAMMAD RIZKY", "NOR HALIZA", "AHMAD FAUZI", "RINA LESTARI", "GUSTI RAHMAN"]
    out = []
    for i in range(n):
        sex = "P" if i % 2 == 0 else "L"
        out.append(kid(names[i % len(names)] + ("" if i < len(names) else f" {i}"), sex,
                       date(2009, 1 + i % 12, 3 + i), kec=KEC[school], rombel=f"XI IPA {1 + i % 2}"))
    return out


def run_import(cli, ws, *args):
    code, out, err = cli("--workspace", ws.path, "roster", "import", *map(str, args), "--json")
    return code, json.loads(out) if out.strip() else None, err


def test_directory_import_with_school_from_title_and_file_name(cli, workspace, drive):
    write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids())
    write_roster(drive / "rosters" / "daftar-pd-smk.xlsx", "smkn1-uji", kids("smkn1-uji", 3))
    # the title names no school of the drive, the file name is the school code
    write_roster(drive / "rosters" / "ma-uji.xlsx", "ma-uji", kids("ma-uji", 2), school_name="MADRASAH ALIYAH X")
    code, data, err = run_import(cli, workspace, drive / "rosters")
    assert code == 0, err
    got = {f["school"]: f for f in data["files"]}
    assert set(got) == {"sman1-uji", "smkn1-uji", "ma-uji"}
    assert got["sman1-uji"]["students"] == 4 and got["sman1-uji"]["format"] == "xlsx"
    assert db_count(workspace, "SELECT COUNT(*) FROM roster_student") == 9
    row = json.loads(cli("--workspace", workspace.path, "roster", "list", "--school", "sman1-uji", "--json")[1])
    st = {s["name"]: s for s in row["students"]}
    assert st["Siti Aminah"]["row"] == 7 and st["Siti Aminah"]["nisn"].startswith("009")
    assert row["imports"][0]["imported_by"] and len(row["imports"][0]["file_sha256"]) == 64


def test_reimport_replaces_in_one_transaction_and_keeps_history_and_ids(cli, workspace, drive):
    path = drive / "rosters" / "sman1-uji.xlsx"
    first = kids(n=4)
    write_roster(path, "sman1-uji", first)
    assert run_import(cli, workspace, path)[0] == 0
    with workspace.engine.connect() as c:
        from sqlalchemy import text

        before = dict(c.execute(text("SELECT student_key, id FROM roster_student")).all())
    newer = first[1:] + kids(n=6)[4:]            # one left, two joined
    write_roster(path, "sman1-uji", newer)
    code, data, _err = run_import(cli, workspace, path)
    assert code == 0 and data["files"][0]["replaced_import_id"] is not None
    with workspace.engine.connect() as c:
        after = dict(c.execute(text("SELECT student_key, id FROM roster_student")).all())
        hist = c.execute(text("SELECT current, replaced_at FROM roster_import ORDER BY id")).all()
        audit = c.execute(text("SELECT details FROM audit_log WHERE action = 'roster.import'")).all()
    assert len(after) == 5
    kept = set(before) & set(after)
    assert len(kept) == 3 and all(before[k] == after[k] for k in kept)      # same students keep their id
    assert max(after.values()) > max(before.values())                        # ids are never reused
    assert [h[0] for h in hist] == [0, 1] and hist[0][1]
    assert len(audit) == 2 and "nik" not in audit[0][0].lower().replace("nik_", "")


def test_a_failing_store_leaves_nothing_half_written(workspace, drive, monkeypatch):
    from sweet17.errors import UserError
    from sweet17.services import roster as svc

    path = write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids())
    svc.import_rosters(workspace, [path])
    n_before = db_count(workspace, "SELECT COUNT(*) FROM roster_student")
    write_roster(path, "sman1-uji", kids(n=6))

    def power_cut(*a, **k):
        raise UserError("disk full")

    monkeypatch.setattr(workspace, "audit", power_cut)   # fails after every row was inserted
    rep = svc.import_rosters(workspace, [path])
    assert rep.failed and "disk full" in rep.failed[0].error
    assert db_count(workspace, "SELECT COUNT(*) FROM roster_student") == n_before
    assert db_count(workspace, "SELECT COUNT(*) FROM roster_import") == 1


def _password_xlsx(src, dest):
    import msoffcrypto.format.ooxml as ox

    with src.open("rb") as fi, dest.open("wb") as fo:
        ox.OOXMLFile(fi).encrypt("rahasia", fo)


@pytest.mark.parametrize("case, reason", [
    ("corrupt", "rusak"),
    ("truncated", "rusak"),
    ("password", "kata sandi"),
    ("no_header", "kepala tabel"),
    ("empty_file", "kosong"),
    ("empty_sheet", "kosong"),
    ("header_only", "tidak ada baris siswa"),
    ("html", "HTML"),
    ("unknown_school", "bukan salah satu sekolah"),
])
def test_malformed_file_clear_error_nothing_stored_others_import(cli, workspace, drive, tmp_path, case, reason):
    import openpyxl

    good = write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids())
    bad = tmp_path / f"smkn1-uji.{'xls' if case == 'html' else 'xlsx'}"
    if case == "corrupt":
        bad.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 20)
    elif case == "truncated":
        full = write_roster(tmp_path / "full.xlsx", "smkn1-uji", kids("smkn1-uji")).read_bytes()
        bad.write_bytes(full[: len(full) // 2])
    elif case == "password":
        _password_xlsx(write_roster(tmp_path / "plain.xlsx", "smkn1-uji", kids("smkn1-uji")), bad)
    elif case == "no_header":
        wb = openpyxl.Workbook()
        wb.active.append(["Rekap jumlah siswa per kelas"])
        wb.active.append(["X", 32])
        wb.save(bad)
    elif case == "empty_file":
        bad.write_bytes(b"")
    elif case == "empty_sheet":
        openpyxl.Workbook().save(bad)
    elif case == "header_only":
        write_roster(bad, "smkn1-uji", [])
    elif case == "html":
        bad.write_text("<html><body><table><tr><td>Nama</td></tr></table></body></html>")
    elif case == "unknown_school":
        write_roster(bad, "smkn1-uji", kids("smkn1-uji"), school_name="SMA NEGERI 9 ENTAH")
        bad = bad.rename(tmp_path / "lain.xlsx")
    code, data, err = run_import(cli, workspace, good, bad)
    assert code == 2
    failed = [f for f in data["files"] if not f["ok"]]
    assert len(failed) == 1 and str(bad) in failed[0]["error"] and reason in failed[0]["error"], failed[0]["error"]
    assert failed[0]["error"].count("\n") == 0
    assert db_count(workspace, "SELECT COUNT(*) FROM roster_import WHERE school_code != 'sman1-uji'") == 0
    assert db_count(workspace, "SELECT COUNT(*) FROM roster_student WHERE school_code = 'sman1-uji'") == 4
    # the terminal form names the file too, in one line per failure
    code, out, err = cli("--workspace", workspace.path, "roster", "import", str(bad))
    assert code == 2 and bad.name in err and "Traceback" not in err


def test_explicit_school_must_belong_to_the_drive(cli, workspace, drive):
    p = write_roster(drive / "rosters" / "x.xlsx", "sman1-uji", kids())
    code, data, _ = run_import(cli, workspace, p, "--school", "sma-lain")
    assert code == 2 and "sma-lain" in data["files"][0]["error"] and "x.xlsx" in data["files"][0]["error"]
    code, data, _ = run_import(cli, workspace, p, "--school", "ma-uji")
    assert code == 0 and data["files"][0]["school"] == "ma-uji"


def test_leavers_export_is_not_on_the_roster(workspace, drive):
    from sweet17.services.eligibility import students_due
    from sweet17.services.roster import import_rosters

    stay = kids(n=3)
    gone = kids(n=4)[3:]
    for g in gone:
        g.cells.update({"keluar_karena": "Mutasi", "tanggal_keluar": "2026-10-01"})
    write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", stay + [gone[0].__class__(**{**gone[0].__dict__,
                                                                                                "cells": {}})])
    write_roster(drive / "rosters" / "sman1-uji-keluar.xlsx", "sman1-uji", gone, leavers=True)
    rep = import_rosters(workspace, [drive / "rosters"])
    assert not rep.failed and {f.kind for f in rep.files} == {"roster", "leavers"}
    due = {d.name for d in students_due(workspace, "uji-2027")}
    assert due == {"Siti Aminah", "Muhammad Rizky", "Nor Haliza"}      # the leaver is still on the main export


def test_csv_semicolon_cp1252_with_mojibake(workspace, drive, tmp_path):
    from sweet17.services.roster import import_rosters, list_problems

    born = date(2009, 3, 4)
    nik = nikcore.encode("631105", born, "P", 5)
    text_ = ("No;Nama;JK;NISN;Tanggal Lahir;NIK;Rombel Saat Ini;Penghasilan Ayah\r\n"
             f"1;ANDRÉ SÜRYA;L;0091111111;17/08/2008;{nikcore.encode('631105', date(2008, 8, 17), 'L', 4)};X-1;"
             "Rp. 1 – 2 juta\r\n"
             f"2;SITI ZAHRA;P;0091111112;4 Maret 2009;{nik};X-2;Rp. 500 â€“ 999 ribu\r\n")
    p = tmp_path / "smkn1-uji.csv"
    p.write_bytes(text_.encode("cp1252", errors="strict") if "â€“" not in text_ else
                  text_.replace("â€“", "\x00").encode("cp1252").replace(b"\x00", "â€“".encode("cp1252")))
    rep = import_rosters(workspace, [p])
    assert not rep.failed, rep.failed and rep.files[0].error
    f = rep.files[0]
    assert f.file_format == "csv" and f.students == 2 and f.school_code == "smkn1-uji"
    from sweet17.services.eligibility import students_due

    names = {d.name: d for d in students_due(workspace, "uji-2027")}
    assert set(names) == {"André Sürya", "Siti Zahra"} and names["Siti Zahra"].birth_date == born
    probs = list_problems(workspace, "uji-2027", min_severity="info")
    moj = [x for x in probs if x.code == "roster.mojibake"]
    assert len(moj) == 1 and moj[0].row == 3 and "–" in moj[0].problem and moj[0].column == "Penghasilan Ayah"


def test_real_biff_xls(workspace, drive, tmp_path):
    import xlwt

    from sweet17.services.roster import import_rosters

    born = date(2009, 5, 6)
    nik = nikcore.encode("631104", born, "L", 9)
    wb = xlwt.Workbook()
    sh = wb.add_sheet("Daftar Peserta Didik")
    sh.write(0, 0, "Daftar Peserta Didik")
    sh.write(1, 0, "MA AL-UJI")
    sh.write(2, 0, "Kecamatan Kec. Batu Mandi, Kabupaten Kab. Balangan, Provinsi Prov. Kalimantan Selatan")
    for c, h in enumerate(["No", "Nama", "NIPD", "JK", "NISN", "Tempat Lahir", "Tanggal Lahir", "NIK", "Rombel Saat Ini",
                           "No KK"]):
        sh.write(4, c, h)
    sh.write(6, 0, 1)
    sh.write(6, 1, "BUDI SANTOSO")
    sh.write(6, 3, "L")
    sh.write(6, 4, "0091234001")
    sh.write(6, 6, born, xlwt.easyxf(num_format_str="DD/MM/YYYY"))
    sh.write(6, 7, nik)
    sh.write(6, 8, "X MIPA 1")
    sh.write(7, 0, 2)
    sh.write(7, 1, "AGUS")
    sh.write(7, 3, "L")
    sh.write(7, 4, 91234002)                   # NISN as a number
    sh.write(7, 6, "2009-07-08")
    sh.write(7, 7, 6311040807090011.0)         # NIK as a number
    p = tmp_path / "biff.xls"
    wb.save(str(p))
    rep = import_rosters(workspace, [p])
    assert not rep.failed, rep.files[0].error
    assert rep.files[0].file_format == "xls" and rep.files[0].school_code == "ma-uji" and rep.files[0].students == 2
    from sweet17.services.roster import list_problems

    codes = {(p.row, p.code) for p in list_problems(workspace, "uji-2027", min_severity="info")}
    assert (8, "roster.nik_number") in codes and (8, "roster.nisn_restored") in codes
    assert (7, "roster.birth_date_cell") in codes


def test_spreadsheetml_with_unescaped_ampersand_and_less_than(workspace, drive, tmp_path):
    from sweet17.services.roster import import_rosters

    born = date(2009, 2, 3)
    nik = nikcore.encode("631106", born, "P", 21)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Daftar Peserta Didik">
  <Table>
   <Row><Cell><Data ss:Type="String">Daftar Peserta Didik</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">SMA NEGERI 1 UJI</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">Kecamatan Kec. Paringin, Kabupaten Kab. Balangan, Provinsi Prov. Kalimantan Selatan</Data></Cell></Row>
   <Row ss:Index="5"><Cell><Data ss:Type="String">No</Data></Cell><Cell><Data ss:Type="String">Nama</Data></Cell>
    <Cell><Data ss:Type="String">JK</Data></Cell><Cell><Data ss:Type="String">NISN</Data></Cell>
    <Cell><Data ss:Type="String">Tanggal Lahir</Data></Cell><Cell><Data ss:Type="String">NIK</Data></Cell>
    <Cell ss:Index="8"><Data ss:Type="String">Jarak Rumah ke Sekolah (KM)</Data></Cell></Row>
   <Row ss:Index="7"><Cell><Data ss:Type="Number">1</Data></Cell><Cell><Data ss:Type="String">PUTRI & SARI</Data></Cell>
    <Cell><Data ss:Type="String">P</Data></Cell><Cell><Data ss:Type="String">0091230001</Data></Cell>
    <Cell><Data ss:Type="DateTime">{born.isoformat()}T00:00:00.000</Data></Cell><Cell><Data ss:Type="String">{nik}</Data></Cell>
    <Cell ss:Index="8"><Data ss:Type="String"><1 km & dekat</Data></Cell></Row>
  </Table>
 </Worksheet>
</Workbook>"""
    p = tmp_path / "export-dapodik.xls"
    p.write_text(xml, encoding="utf-8")
    rep = import_rosters(workspace, [p])
    assert not rep.failed, rep.files[0].error
    assert rep.files[0].file_format == "xml2003" and rep.files[0].students == 1
    from sweet17.adapters.readers.spreadsheetml import read_spreadsheetml

    grid = read_spreadsheetml(p).grid("Daftar Peserta Didik")
    assert grid[6][1] == "PUTRI & SARI" and grid[6][7] == "<1 km & dekat" and grid[6][4] == born


def test_mapped_sheet(cli, workspace, drive, tmp_path):
    import openpyxl

    born = date(2008, 12, 1)
    wb = openpyxl.Workbook()
    ws_ = wb.active
    ws_.title = "Data Siswa"
    ws_.append(["DAFTAR SISWA MADRASAH ALIYAH (EMIS)"])
    ws_.append([])
    ws_.append(["Urut", "Nama Peserta", "Lahir", "Gender", "Nomor Induk Kependudukan", "Kelas"])
    ws_.append([1, "Zainab", born, "Perempuan", nikcore.encode("631104", born, "P", 77), "XII-A"])
    p = tmp_path / "emis.xlsx"
    wb.save(p)
    m = tmp_path / "emis.toml"
    m.write_text('[columns]\nname = "Nama Peserta"\nbirth_date = "Lahir"\nsex = "Gender"\n'
                 'nik = "Nomor Induk Kependudukan"\nrombel = 6\n[sheet]\nname = "Data Siswa"\n')
    code, data, err = run_import(cli, workspace, p, "--map", m, "--school", "ma-uji")
    assert code == 0, (data, err)
    assert data["files"][0]["students"] == 1 and data["files"][0]["errors"] == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\nname = "Nama Peserta"\numur = "Umur"\n')
    code, out, err = cli("--workspace", workspace.path, "roster", "import", str(p), "--map", str(bad))
    assert code == 2 and "columns.umur" in err and "bad.toml" in err
    bad.write_text('[columns]\nname = "Nama Lengkap"\n')
    code, data, err = run_import(cli, workspace, p, "--map", bad, "--school", "ma-uji")
    assert code == 2 and "Nama Lengkap" in data["files"][0]["error"]


def test_format_dapodik_requires_its_columns(cli, workspace, drive, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Nama", "JK", "Kelas"])
    wb.active.append(["ANI", "P", "X"])
    p = tmp_path / "sman1-uji.xlsx"
    wb.save(p)
    code, data, _ = run_import(cli, workspace, p, "--format", "dapodik")
    assert code == 2 and "NISN" in data["files"][0]["error"]


def _imported(ws):
    from sqlalchemy import text

    with ws.engine.connect() as c:
        return (sorted(map(tuple, c.execute(text(
            "SELECT school_code, row_number, student_key, name, nisn, nik, nik_status, sex, birth_date, blocking "
            "FROM roster_student")).all())), sorted(map(tuple, c.execute(text(
                "SELECT i.school_code, f.row_number, f.code, f.value, f.params FROM roster_finding f "
                "JOIN roster_import i ON i.id = f.import_id WHERE i.current = 1")).all())))


def test_worker_processes_give_the_same_result(workspace, drive, tmp_path):
    from sweet17.services.roster import import_rosters, list_problems

    write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids(n=5))
    write_roster(drive / "rosters" / "smkn1-uji.xlsx", "smkn1-uji", kids("smkn1-uji", 3))
    bad = drive / "rosters" / "ma-uji.xlsx"
    bad.write_bytes(b"PK\x03\x04broken")
    rep = import_rosters(workspace, [drive / "rosters"], workers=2)
    assert [f.ok for f in rep.files] == [False, True, True] and str(bad) in rep.files[0].error
    assert "rusak" in rep.files[0].error                    # the worker speaks the user's language too
    one = [(p.school_code, p.row, p.code) for p in list_problems(workspace, "uji-2027", min_severity="info")]
    stored = _imported(workspace)
    rep = import_rosters(workspace, [drive / "rosters"], workers=0)
    assert one == [(p.school_code, p.row, p.code) for p in list_problems(workspace, "uji-2027", min_severity="info")]
    assert db_count(workspace, "SELECT COUNT(*) FROM roster_student") == 8
    assert _imported(workspace) == stored


def _die_on_ma(path):
    """A worker killed while reading one file (as by the kernel when memory runs out)."""
    import os

    from sweet17.services import roster

    if path.name.startswith("ma-"):       # the first file: a worker's
        os._exit(9)
    return roster._prepare(path, *roster._WORKER_JOB)


def test_a_worker_that_dies_only_costs_time(workspace, drive, monkeypatch):
    from sweet17.services import roster

    if roster.start_method() != "fork":
        pytest.skip("the replaced worker function reaches the workers only when they are forked")
    write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids(n=5))
    write_roster(drive / "rosters" / "smkn1-uji.xlsx", "smkn1-uji", kids("smkn1-uji", 3))
    write_roster(drive / "rosters" / "ma-uji.xlsx", "ma-uji", kids("ma-uji", 2))
    roster.import_rosters(workspace, [drive / "rosters"], workers=0)
    want = _imported(workspace)
    monkeypatch.setattr(roster, "_worker_prepare", _die_on_ma)
    rep = roster.import_rosters(workspace, [drive / "rosters"], workers=1)
    assert [f.ok for f in rep.files] == [True, True, True]
    assert _imported(workspace) == want


def test_workers_started_afresh_as_on_windows_and_macos(workspace, drive, monkeypatch):
    from sweet17.services import roster

    monkeypatch.setenv("SWEET17_MP_START", "spawn")
    assert roster.start_method() == "spawn"
    write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids(n=3))
    write_roster(drive / "rosters" / "smkn1-uji.xlsx", "smkn1-uji", kids("smkn1-uji", 2))
    rep = roster.import_rosters(workspace, [drive / "rosters"], workers=1)
    assert [f.students for f in rep.files] == [3, 2] and not rep.failed


def test_how_many_workers(tmp_path, monkeypatch):
    from sweet17.services import roster

    small = [tmp_path / f"s{i}.xlsx" for i in range(30)]
    for p in small:
        p.write_bytes(b"x" * 1000)
    big = [tmp_path / f"b{i}.xlsx" for i in range(30)]
    for p in big:
        p.write_bytes(b"x" * 200_000)          # 6 MB: about a second and a half of reading and checking
    assert roster.plan_workers(small, "fork", cpus=2) == 0           # not worth starting anything
    assert roster.plan_workers(big, "fork", cpus=1) == 0             # nowhere to run it
    assert roster.plan_workers(big, "fork", cpus=2) == 1             # the main process reads files too
    assert roster.plan_workers(big, "fork", cpus=16) == roster.MAX_WORKERS
    two = [tmp_path / "t1.xlsx", tmp_path / "t2.xlsx"]
    for p in two:
        p.write_bytes(b"x" * 2_000_000)
    assert roster.plan_workers(two, "fork", cpus=16) == 1            # one file for the worker, one here
    assert roster.plan_workers(big, "spawn", cpus=2) == 0            # a fresh interpreter costs more than it saves
    assert roster.plan_workers(big * 5, "spawn", cpus=2) == 1


def test_a_batch_import_is_recorded_and_leaves_the_connection_as_it_was(workspace, drive):
    from sqlalchemy import text

    from sweet17.services.roster import import_rosters

    write_roster(drive / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids(n=2))
    (drive / "rosters" / "ma-uji.xlsx").write_bytes(b"PK\x03\x04broken")
    import_rosters(workspace, [drive / "rosters"], workers=0)
    with workspace.engine.connect() as c:
        details = json.loads(c.execute(text("SELECT details FROM audit_log WHERE action = 'roster.import.batch'"))
                             .scalar())
        assert details["files"] == 2 and details["imported"] == 1 and details["failed"][0]["file"] == "ma-uji.xlsx"
        # the pooled connection is back to what every other command relies on (commits flushed to disk)
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000

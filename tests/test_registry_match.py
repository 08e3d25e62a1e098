"""The registry extract and matching students to it: exact NIK, then name + birth date + sex, review."""

import json
from datetime import date

import pytest
from fixtures_roster import KEC, db_count, kid, make_drive, register, write_registry_csv, write_roster

from sweet17.domain import matching as mt
from sweet17.domain.roster import name_key

B = date(2009, 4, 5)


def P(nik, name, born=B, sex="L", status="SUDAH CETAK"):
    return mt.RegistryPerson(nik, name, name_key(name), born, sex, status)


def S(sid, name, nik="", born=B, sex="L"):
    return mt.StudentForMatch(sid, nik, name_key(name), born, sex)


def stored_persons(ws):
    """Rows of the current registry extract as stored (each once, under its NIK's birth code)."""
    from sweet17.services.registry import StoredExtract

    with ws.engine.connect() as c:
        eid = c.exec_driver_sql("SELECT id FROM registry_extract WHERE current = 1").scalar()
        return StoredExtract(c.connection.driver_connection, eid).count_persons()


# ---------------------------------------------------------------- the pure matcher

def test_exact_nik_then_name_fallback_then_review():
    persons = [P("6311060504090001", "MUHAMMAD RIZKY"), P("6311060504090002", "AKHMAD FAUZI"),
               P("6311060504090003", "NOR HALIZA", sex="P"), P("6311060504090004", "NOOR HALIZA", sex="P"),
               P("6311060504090005", "RINA", sex="P"), P("6311060504090007", "NUR HALIZAH", sex="P"), P("6311060504090006", "BAHRUL ILMI")]
    by_nik = {p.nik: p for p in persons}
    blocks = mt.blocks_by_birth(persons)
    students = [
        S(1, "M. Rizky", nik="6311060504090001"),            # exact NIK (name written short)
        S(2, "Achmad Fauzi"),                                # no NIK: spelling variant of the registry name
        S(3, "Noor Haliza", sex="P"),                        # two close registry people: review
        S(4, "Rini", sex="P"),                               # similar but not enough: review
        S(5, "Budi Santoso"),                                # nobody close: not recorded
        S(6, "Siti Aminah", nik="6311060504090006", sex="P"),  # NIK on the extract under another name
        S(7, "Bahrul Ilmi", nik="6311064504099999"),          # usable NIK not on the extract: not recorded
        S(8, "Akhmad Fauzi", born=date(2009, 4, 6)),          # another birth date: not a candidate
    ]
    out = {o.student_id: o for o in mt.match_students(students, by_nik, blocks)}
    assert out[1].matched and out[1].method == "nik"
    assert out[2].matched and out[2].method == "name" and out[2].person.nik == "6311060504090002"
    assert out[3].review == "several" and {c.person.nik for c in out[3].candidates} >= {"6311060504090003",
                                                                                        "6311060504090004"}
    assert out[4].review == "close" and not out[4].matched
    assert not out[5].matched and not out[5].review
    assert out[6].review == "nik_name_differs"
    assert not out[7].matched and not out[7].review
    assert not out[8].matched and not out[8].review


def test_one_person_never_matches_two_students_silently():
    persons = [P("6311060504090001", "AHMAD FAUZI")]
    out = mt.match_students([S(1, "Ahmad Fauzi"), S(2, "Akhmad Fauzi")], {}, mt.blocks_by_birth(persons))
    assert [o.review for o in out] == ["shared_person", "shared_person"]
    # a person already claimed by an exact NIK match is not offered to others
    out = mt.match_students([S(1, "Ahmad Fauzi", nik="6311060504090001"), S(2, "Akhmad Fauzi")],
                            {"6311060504090001": persons[0]}, mt.blocks_by_birth(persons))
    assert out[0].matched and not out[1].matched and not out[1].review


def test_decisions_override():
    persons = [P("6311064504090003", "NOR HALIZA", sex="P"), P("6311064504090004", "NUR HALIZAH", sex="P")]
    by_nik = {p.nik: p for p in persons}
    dec = {3: mt.Decision("match", "6311064504090004"), 4: mt.Decision("no_match")}
    out = mt.match_students([S(3, "Noor Haliza", sex="P"), S(4, "Nur Haliza", sex="P")], by_nik,
                            mt.blocks_by_birth(persons), decisions=dec)
    assert out[0].matched and out[0].method == "decision" and out[0].person.nik == "6311064504090004"
    assert not out[1].matched and not out[1].review


def test_phonetic_key_folds_spelling_variants():
    for a, b in [("akhmad", "achmad"), ("syahrani", "sahranie"), ("rizky", "risky"), ("noor", "nor"),
                 ("fitriyani", "fitriani"), ("khairunnisa", "hairunisa"), ("muhammad", "muhamad")]:
        assert mt.phonetic_key(a) == mt.phonetic_key(b), (a, b)
    assert mt.phonetic_key("budi") != mt.phonetic_key("bahrul")


# ---------------------------------------------------------------- the service and CLI

@pytest.fixture
def school(workspace, tmp_path):
    folder = make_drive(tmp_path / "drive")
    register(workspace, folder)
    return folder


def test_siak_csv_import_match_review_and_decide(cli, workspace, school, tmp_path):
    born = date(2009, 4, 5)
    a = kid("SITI AMINAH", "P", born)                      # recorded, NIK usable
    b = kid("AKHMAD FAUZI", "L", born, nik=None)           # recorded, NIK missing on the roster
    c = kid("NOOR HALIZA", "P", born, nik=None)            # two close people on the extract
    d = kid("BUDI SANTOSO", "L", born)                     # not recorded
    e = kid("RINA WATI", "P", date(2009, 6, 7), nik=6311064706090123.0)   # Excel number, recorded
    write_roster(school / "rosters" / "sman1-uji.xlsx", "sman1-uji", [a, b, c, d, e])
    cli("--workspace", workspace.path, "roster", "import", str(school / "rosters"), "--json")
    reg = write_registry_csv(school / "registry" / "rekam.csv", [
        (a.nik, "SITI AMINAH", "P", born, "PARINGIN"),
        (b.nik, "ACHMAD FAUZI", "L", born, "PARINGIN"),
        ("6311064504090801", "NOR HALIZA", "P", born, "AMUNTAI"),
        ("6311064504090802", "NOOR HALIZAH", "P", born, "AMUNTAI"),
        (e.nik, "RINA WATI", "P", date(2009, 6, 7), "JUAI"),
        ("6311060101800001", "H. ORANG TUA", "L", date(1980, 1, 1), "PARINGIN"),
    ])
    with reg.open("a", encoding="utf-8") as fh:     # rows an extract really has: broken NIKs, a blank row
        fh.write("6.31106E+15,,SALAH,1,X,01-01-2000,SUDAH REKAM\n,,,,,,\n631106,,PENDEK,2,X,01-01-2001,REKAM\n")
    code, out, err = cli("--workspace", workspace.path, "registry-extract", "import", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["persons"] == 6 and rep["skipped"] == {"nik_invalid": 2} and rep["skipped_rows"]["nik_invalid"] == [8, 10]
    assert rep["match"]["matched_by_nik"] == 1 and rep["match"]["matched_by_name"] == 2
    assert rep["match"]["review"] == 1 and rep["match"]["not_found"] == 1
    code, out, _ = cli("--workspace", workspace.path, "roster", "review", "--json")
    cases = json.loads(out)["cases"]
    assert len(cases) == 1 and cases[0]["name"] == "Noor Haliza" and len(cases[0]["candidates"]) == 2
    sid = cases[0]["student_id"]
    pick = next(x["number"] for x in cases[0]["candidates"] if x["name"] == "NOR HALIZA")
    code, out, _ = cli("--workspace", workspace.path, "roster", "review", "--decide", f"{sid}={pick}", "--json")
    assert code == 0 and json.loads(out)["cases"] == []
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_match WHERE method = 'decision'") == 1
    assert db_count(workspace, "SELECT COUNT(*) FROM audit_log WHERE action = 'registry.decision'") == 1
    # the decision survives a re-import of the roster and of the extract
    write_roster(school / "rosters" / "sman1-uji.xlsx", "sman1-uji", [a, b, c, d, e])
    cli("--workspace", workspace.path, "roster", "import", str(school / "rosters"), "--json")
    cli("--workspace", workspace.path, "registry-extract", "import", "--json")
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_match WHERE method = 'decision'") == 1
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_extract") == 2
    # the old rows were replaced: only the current extract's are stored, each row once under its NIK's code
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_bucket b JOIN registry_extract e "
                               "ON e.id = b.extract_id WHERE e.current = 0") == 0
    assert stored_persons(workspace) == 6
    code, _o, err = cli("--workspace", workspace.path, "roster", "review", "--decide", f"{sid}=9")
    assert code == 2 and str(sid) in err and "0" in err
    code, _o, err = cli("--workspace", workspace.path, "roster", "review", "--decide", "x=1")
    assert code == 2 and "--decide" in err


def test_extract_with_english_headers_in_xlsx_and_a_map(workspace, school, tmp_path):
    import openpyxl

    from sweet17.errors import UserError
    from sweet17.services.registry import import_extract

    born = date(2009, 1, 2)
    k = kid("ANI", "P", born, kec=KEC["sman1-uji"])
    write_roster(school / "rosters" / "sman1-uji.xlsx", "sman1-uji", [k])
    from sweet17.services.roster import import_rosters

    import_rosters(workspace, [school / "rosters"])
    wb = openpyxl.Workbook()
    wb.active.append(["Full name", "NIK", "Date of birth", "Sex", "Status"])
    wb.active.append(["ANI", k.nik, born, "Female", "printed"])
    p = tmp_path / "extract.xlsx"
    wb.save(p)
    rep = import_extract(workspace, p)
    assert rep.persons == 1 and rep.match.by_nik == 1 and rep.file_format == "xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Nomor", "Nama Penduduk", "Kapan Lahir", "Kelamin"])
    wb.active.append([k.nik, "ANI", "02/01/2009", "P"])
    wb.save(p)
    with pytest.raises(UserError) as e:
        import_extract(workspace, p)
    assert "extract.xlsx" in str(e.value)
    m = tmp_path / "map.toml"
    m.write_text('[columns]\nnik = "Nomor"\nname = "Nama Penduduk"\nbirth_date = "Kapan Lahir"\nsex = "Kelamin"\n')
    rep = import_extract(workspace, p, map_path=m)
    assert rep.persons == 1 and rep.match.by_nik == 1
    m.write_text('[columns]\nnik = "Nomor"\n')
    with pytest.raises(UserError) as e:
        import_extract(workspace, p, map_path=m)
    assert "map.toml" in str(e.value) and "name" in str(e.value)


def test_extract_without_usable_rows_stores_nothing(workspace, school, tmp_path):
    from sweet17.errors import UserError
    from sweet17.services.registry import import_extract

    p = tmp_path / "x.csv"
    p.write_text("NIK;NAMA_LGKP;TGL_LHR;JENIS_KLMIN\n123;A;01-01-2000;1\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        import_extract(workspace, p)
    assert "x.csv" in str(e.value)
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_extract") == 0
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_bucket") == 0


# ---------------------------------------------------------------- how the extract is read and stored

def _outcome(ws, rep):
    """What an import gives, without the ids: the report and every student's match or review."""
    from sqlalchemy import text

    d = rep.to_dict()
    for k in ("file", "extract_id", "replaced_extract_id", "format"):
        d.pop(k)
    d["match"].pop("extract_id")
    with ws.engine.connect() as c:
        d["matches"] = sorted(map(tuple, c.execute(text(
            "SELECT s.school_code, s.row_number, m.method, m.registry_nik, m.registry_status, m.score "
            "FROM registry_match m JOIN roster_student s ON s.id = m.student_id")).all()))
        d["reviews"] = sorted(map(tuple, c.execute(text(
            "SELECT s.school_code, s.row_number, r.reason, r.candidates FROM registry_review r "
            "JOIN roster_student s ON s.id = r.student_id")).all()))
    return d


@pytest.fixture
def siak(workspace, school):
    """A roster of six students and the rows of a SIAK extract for them (three recorded, one with its birth date
    typed differently from the NIK's, one without sex), plus rows an extract really has."""
    from sweet17.services.roster import import_rosters

    born = date(2009, 4, 5)
    kids_ = [kid("SITI AMINAH", "P", born), kid("AKHMAD FAUZI", "L", born, nik=None),
             kid("RINA WATI", "P", date(2009, 6, 7), nik=""), kid("BUDI SANTOSO", "L", born),
             kid("DEWI LESTARI", "P", date(2010, 2, 3), nik=None), kid("ANI", "P", date(2008, 1, 2))]
    write_roster(school / "rosters" / "sman1-uji.xlsx", "sman1-uji", kids_)
    import_rosters(workspace, [school / "rosters"])
    rows = [
        [kids_[0].nik, "SITI AMINAH", "2", born.strftime("%d-%m-%Y")],
        # NIK of another day, the roster's birth date in TGL_LHR: found by birth date and name
        [nikcore_encode("631106", date(2009, 4, 6), "L", 77), "ACHMAD FAUZI", "1", born.strftime("%d-%m-%Y")],
        # no sex on the extract: still a candidate for a student of either sex born that day
        [nikcore_encode("631106", date(2009, 6, 7), "P", 78), "RINA WATI", "", "07-06-2009"],
        [nikcore_encode("631106", date(1980, 1, 1), "L", 79), "H. ORANG TUA", "1", "01-01-1980"],
        [kids_[5].nik, "ANI", "2", "2008-01-02"],
        [kids_[5].nik, "ANI", "2", "02-01-2008"],            # the same person twice (kept once per status)
        ["6.31106E+15", "SALAH", "1", "01-01-2000"], ["", "", "", ""], ["631106", "PENDEK", "2", "01-01-2001"],
        [nikcore_encode("631106", date(2009, 4, 5), "L", 80), "ORANG LAIN", "1", "31-02-2009"],   # bad date
    ]
    statuses = ["SUDAH CETAK", "SUDAH REKAM", "SUDAH REKAM", "SUDAH CETAK", "SUDAH REKAM", "SUDAH CETAK",
                "REKAM", "", "REKAM", "REKAM"]
    return kids_, [[nik, "6311061203150001", name, sex, "PARINGIN", bd, st]
                   for (nik, name, sex, bd), st in zip(rows, statuses, strict=True)]


def nikcore_encode(*a):
    from sweet17.domain import nik as nikcore

    return nikcore.encode(*a)


def _write(path, rows, *, quote=False, newline="\n", encoding="utf-8"):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline, quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL)
    w.writerow(["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"])
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_every_way_of_reading_the_extract_gives_the_same_result(workspace, siak, tmp_path, monkeypatch):
    """SIAK's plain lines (kept as they are), quoted fields (read with the csv module), CRLF, Windows-1252, an
    xlsx workbook, and a large extract read in two halves at once: one result."""
    import openpyxl

    from sweet17.services import registry

    kids_, rows = siak
    rows[3][2] = "JOSÉ TUA"          # (Windows-1252 writes it in one byte)
    plain = registry.import_extract(workspace, _write(tmp_path / "a.csv", rows))
    want = _outcome(workspace, plain)
    assert want["skipped"] == {"nik_invalid": 2} and want["skipped_rows"] == {"nik_invalid": [8, 10]}
    assert want["bad_birth_dates"] == 1 and want["rows"] == 9 and want["persons"] == 7
    m = want["match"]
    assert (m["matched_by_nik"], m["matched_by_name"], m["review"], m["not_found"]) == (2, 2, 0, 2)
    assert ("sman1-uji", 12, "nik", kids_[5].nik, "SUDAH CETAK", 100.0) in want["matches"]
    for name, path in [("quoted", _write(tmp_path / "b.csv", rows, quote=True)),
                       ("crlf", _write(tmp_path / "c.csv", rows, newline="\r\n")),
                       ("cp1252", _write(tmp_path / "d.csv", rows, encoding="cp1252"))]:
        rep = registry.import_extract(workspace, path)
        assert _outcome(workspace, rep) == want, name
        assert rep.file_format == "csv"
    wb = openpyxl.Workbook()
    wb.active.append(["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"])
    for row in rows:
        wb.active.append(row)
    wb.save(tmp_path / "e.xlsx")
    rep = registry.import_extract(workspace, tmp_path / "e.xlsx")
    assert _outcome(workspace, rep) == want and rep.file_format == "xlsx"
    # in two halves, the second read by a forked process (where there is fork)
    monkeypatch.setattr(registry, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr("sweet17.services.roster.usable_cpus", lambda: 2)
    rep = registry.import_extract(workspace, _write(tmp_path / "f.csv", rows))
    assert _outcome(workspace, rep) == want


@pytest.mark.parametrize("halves", [False, True])
def test_matching_alongside_the_storing_gives_the_same_result(workspace, siak, tmp_path, monkeypatch, halves):
    """A large extract is matched by a forked process, on its groups held in memory, while it is being stored:
    the same matches, reviews and counts as matching the stored extract afterwards (``rematch``), with a
    decision and the matches of an earlier extract to replace."""
    from sweet17.services import registry
    from sweet17.services.roster import start_method

    if start_method() != "fork":
        pytest.skip("matched alongside only where processes are forked")
    from sqlalchemy import text

    _kids, rows = siak
    registry.import_extract(workspace, _write(tmp_path / "a.csv", rows))
    with workspace.engine.begin() as c:       # a person decided that a student found by name is someone else
        school_code, key = c.execute(text(
            "SELECT s.school_code, s.student_key FROM registry_match m JOIN roster_student s ON s.id = m.student_id "
            "WHERE m.method = 'name' ORDER BY s.row_number LIMIT 1")).one()
        c.execute(text("INSERT INTO registry_decision (drive_slug, school_code, student_key, decision, registry_nik, "
                       "decided_by, decided_at) VALUES ('uji-2027', :s, :k, 'no_match', '', 'uji', '2026-11-22')"),
                  {"s": school_code, "k": key})
    monkeypatch.setattr("sweet17.services.roster.usable_cpus", lambda: 2)
    monkeypatch.setattr(registry, "MATCH_ALONGSIDE_MIN_PERSONS", 0)
    if halves:
        monkeypatch.setattr(registry, "PARALLEL_MIN_CHARS", 0)
    computed = []
    real = registry._rematch
    monkeypatch.setattr(registry, "_rematch", lambda *a: computed.append(a[3]) or real(*a))
    rep = registry.import_extract(workspace, _write(tmp_path / "b.csv", rows))
    assert computed and computed[0] is not None          # (matched by the other process)
    got = _outcome(workspace, rep)
    again = registry.rematch(workspace, "uji-2027")       # the general path, on the stored extract
    assert again == rep.match and _outcome(workspace, rep) == got
    m = got["match"]
    assert (m["matched_by_nik"], m["matched_by_name"], m["matched_by_decision"], m["not_found"]) == (2, 1, 0, 3)   # ("no match" decided: not found)


def _die(*_a, **_k):
    import os

    os._exit(3)


def test_a_worker_that_dies_only_costs_time(workspace, siak, tmp_path, monkeypatch):
    from sweet17.services import registry
    from sweet17.services.roster import start_method

    if start_method() != "fork":
        pytest.skip("the extract is read in halves only where processes are forked")
    _kids, rows = siak
    want = _outcome(workspace, registry.import_extract(workspace, _write(tmp_path / "a.csv", rows)))
    monkeypatch.setattr(registry, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr("sweet17.services.roster.usable_cpus", lambda: 2)
    monkeypatch.setattr(registry, "_read_part_in_worker", _die)
    rep = registry.import_extract(workspace, _write(tmp_path / "b.csv", rows))
    assert _outcome(workspace, rep) == want


def test_a_matching_process_that_dies_only_costs_time(workspace, siak, tmp_path, monkeypatch):
    from sweet17.services import registry
    from sweet17.services.roster import start_method

    if start_method() != "fork":
        pytest.skip("matched alongside only where processes are forked")
    _kids, rows = siak
    want = _outcome(workspace, registry.import_extract(workspace, _write(tmp_path / "a.csv", rows)))
    monkeypatch.setattr("sweet17.services.roster.usable_cpus", lambda: 2)
    monkeypatch.setattr(registry, "MATCH_ALONGSIDE_MIN_PERSONS", 0)
    monkeypatch.setattr(registry, "_match_in_child", _die)
    rep = registry.import_extract(workspace, _write(tmp_path / "b.csv", rows))
    assert _outcome(workspace, rep) == want


def test_students_imported_after_the_extract_are_matched_with_it(cli, workspace, school, tmp_path):
    """The whole extract is kept: a school's corrected roster, imported later, is matched at once."""
    from sweet17.services.registry import import_extract
    from sweet17.services.roster import import_rosters

    born = date(2009, 4, 5)
    a, b = kid("SITI AMINAH", "P", born), kid("AKHMAD FAUZI", "L", born)
    wrong = kid("AKHMAD FAUZI", "L", born, nik="6311060101000000", nisn=b.nisn)      # a wrong NIK at first
    write_roster(school / "rosters" / "sman1-uji.xlsx", "sman1-uji", [a, wrong])
    import_rosters(workspace, [school / "rosters"])
    reg = write_registry_csv(school / "registry" / "rekam.csv", [
        (a.nik, "SITI AMINAH", "P", born, "PARINGIN"), (b.nik, "AKHMAD FAUZI", "L", born, "PARINGIN"),
        (nikcore_encode("631105", date(2008, 3, 4), "P", 5), "NUR HALIZA", "P", date(2008, 3, 4), "JUAI")])
    rep = import_extract(workspace, reg)
    assert rep.match.by_nik == 1 and rep.match.not_found == 1
    c = kid("NOOR HALIZA", "P", date(2008, 3, 4), kec=KEC["smkn1-uji"], nik=None)   # a new school, no NIK
    write_roster(school / "rosters" / "sman1-uji.xlsx", "sman1-uji", [a, b])
    write_roster(school / "rosters" / "smkn1-uji.xlsx", "smkn1-uji", [c])
    rep = import_rosters(workspace, [school / "rosters"])
    assert rep.match.by_nik == 2 and rep.match.by_name == 1 and rep.match.not_found == 0


def test_an_old_workspace_keeps_its_extract(tmp_path):
    """Migration 8 carries the rows of an extract stored one per person into the grouped form."""
    from sqlalchemy import text

    from sweet17.adapters.storage import migrate
    from sweet17.adapters.storage.db import sqlite_engine
    from sweet17.services.registry import StoredExtract

    engine = sqlite_engine(tmp_path / "old.db")
    migrate.upgrade(engine, target=7)
    born = date(2009, 4, 5)
    people = [(nikcore_encode("631106", born, "P", 1), "SITI AMINAH", born.isoformat(), "P", "SUDAH CETAK"),
              (nikcore_encode("631106", date(2009, 4, 9), "L", 2), "ACHMAD FAUZI", born.isoformat(), "L", "REKAM"),
              (nikcore_encode("631106", born, "L", 3), "TANPA JK", born.isoformat(), "", "REKAM"),
              (nikcore_encode("631106", born, "L", 4), "TANPA TANGGAL", "", "L", "REKAM")]
    with engine.begin() as c:
        c.execute(text("INSERT INTO registry_extract (id, drive_slug, file_name, file_sha256, file_format, "
                       "imported_at, imported_by, rows, persons) VALUES (1, 'd', 'x.csv', 'h', 'csv', 't', 'a', 4, 4)"))
        for p in people:
            c.execute(text("INSERT INTO registry_person (extract_id, nik, name, birth_date, sex, status) "
                           "VALUES (1, :n, :m, :b, :s, :t)"), dict(zip("nmbst", p, strict=True)))
    migrate.upgrade(engine)
    with engine.connect() as c:
        store = StoredExtract(c.connection.driver_connection, 1)
        assert store.count_persons() == 4
        got = store.by_nik([p[0] for p in people])
        assert {k: (v.name, v.birth_date, v.sex, v.status) for k, v in got.items()} == {
            p[0]: (p[1], date.fromisoformat(p[2]) if p[2] else None, p[3], p[4]) for p in people}
        assert sorted(p.name for p in store.born([(born, "L")])) == ["ACHMAD FAUZI", "TANPA JK"]
        assert sorted(p.name for p in store.born([(born, "")])) == ["ACHMAD FAUZI", "SITI AMINAH", "TANPA JK"]
        assert sorted(p.name for p in store.born([(born, "P")])) == ["SITI AMINAH", "TANPA JK"]

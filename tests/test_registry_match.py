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
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_person") == 6       # the old rows were replaced
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
    assert db_count(workspace, "SELECT COUNT(*) FROM registry_person") == 0

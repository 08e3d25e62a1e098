"""Who needs recording: ages on a date, students_due / call_list, the eligible command and its workbook."""

import json
from datetime import date

import pytest
from fixtures_roster import KEC, kid, make_drive, register, write_registry_csv, write_roster
from hypothesis import given
from hypothesis import strategies as st

from sweet17.domain import eligibility as el

ON = date(2027, 1, 11)


def test_classify_and_29_february():
    assert el.classify(date(2011, 1, 11), ON, 16) is el.AgeClass.ELIGIBLE        # 16th birthday that day
    assert el.classify(date(2011, 1, 12), ON, 16) is el.AgeClass.LATER
    assert el.classify(date(2011, 1, 12), ON, 16, 30) is el.AgeClass.SOON
    assert el.classify(date(2011, 2, 11), ON, 16, 30) is el.AgeClass.LATER
    assert el.classify(None, ON, 16) is el.AgeClass.UNKNOWN
    leap = date(2008, 2, 29)
    assert el.turns_age_on(leap, 17) == date(2025, 3, 1)
    assert not el.is_eligible(leap, date(2025, 2, 28), 17) and el.is_eligible(leap, date(2025, 3, 1), 17)


@given(st.lists(st.tuples(st.one_of(st.none(), st.dates(date(2007, 1, 1), date(2013, 12, 31))), st.booleans(),
                          st.booleans(), st.booleans()), max_size=40), st.integers(0, 60), st.integers(14, 18))
def test_tally_counts_and_lists_by_the_classes(students, window, min_age):
    turns = {}
    counts, call, soon = el.tally([(*s, i) for i, s in enumerate(students)], ON, min_age, window, turns)
    classes = [el.classify(b, ON, min_age, window) for b, *_ in students]
    todo = [i for i, (_b, recorded, *_r) in enumerate(students) if not recorded]
    assert call == [i for i in todo if classes[i] is el.AgeClass.ELIGIBLE]
    assert soon == [i for i in todo if classes[i] is el.AgeClass.SOON]
    assert counts.students == len(students) and counts.recorded == len(students) - len(todo)
    assert counts.eligible == len(call) and counts.soon == len(soon)
    assert counts.blocked == sum(1 for i in call if students[i][2])
    assert counts.review == sum(1 for i in todo if students[i][3])
    assert counts.unknown_age == sum(1 for i in todo if classes[i] is el.AgeClass.UNKNOWN)
    assert all(t == el.turns_age_on(b, min_age) for b, t in turns.items())


@given(st.dates(min_value=date(1995, 1, 1), max_value=date(2015, 12, 31)), st.integers(0, 60))
def test_classes_agree_with_age(birth, window):
    cls = el.classify(birth, ON, 16, window)
    from sweet17.domain.ages import age_on

    old = birth <= ON and age_on(birth, ON) >= 16
    assert (cls is el.AgeClass.ELIGIBLE) == old
    if cls is el.AgeClass.SOON:
        assert 0 < (el.turns_age_on(birth, 16) - ON).days <= window


@pytest.fixture
def filled(workspace, tmp_path):
    folder = make_drive(tmp_path / "drive")
    register(workspace, folder)
    k = {
        "old": kid("SITI AMINAH", "P", date(2010, 5, 1), rombel="XI IPA 2"),
        "turns": kid("AHMAD FAUZI", "L", date(2011, 1, 11), rombel="X IPS 1"),      # 16 on the day
        "soon": kid("RINA WATI", "P", date(2011, 1, 25), rombel="X IPS 1"),
        "young": kid("BUDI", "L", date(2011, 6, 1), rombel="X IPA 1"),
        "recorded": kid("NOR HALIZA", "P", date(2009, 3, 3), rombel="XII IPA 1"),
        "local": kid("GUSTI RAHMAN", "L", date(2009, 7, 7), rombel="XII IPA 1"),
        "blocked": kid("ANI LESTARI", "P", date(2009, 9, 9), rombel="XII IPS 1", nik=None),
        "foreign": kid("EMMA SMITH", "P", date(2009, 2, 2), rombel="XII IPS 1", nik="2C21JB1234-K"),
        "nodate": kid("TANPA TANGGAL", "L", date(2009, 1, 1), rombel="XII IPS 1", nik=None, tanggal_lahir=None),
    }
    write_roster(folder / "rosters" / "sman1-uji.xlsx", "sman1-uji", list(k.values()))
    other = kid("DEWI", "P", date(2008, 1, 1), kec=KEC["ma-uji"])
    write_roster(folder / "rosters" / "ma-uji.xlsx", "ma-uji", [other])
    write_registry_csv(folder / "registry" / "rekam.csv", [(k["recorded"].nik, "NOR HALIZA", "P", date(2009, 3, 3), "X")])
    from sweet17.services.registry import import_extract
    from sweet17.services.roster import import_rosters

    assert not import_rosters(workspace, [folder / "rosters"]).failed
    import_extract(workspace)
    from sqlalchemy import text

    with workspace.engine.begin() as c:       # a recording made on this laptop by a session (see migration 4)
        c.execute(text("INSERT INTO recording (id, drive_slug, school_code, student_ref, nik, name, operator, status, "
                       "captured_at, manifest, signature, payload_sha256, payload_size) VALUES ('r1', 'uji-2027', "
                       "'sman1-uji', '', :nik, 'GUSTI RAHMAN', 'op', 'approved', '2027-01-05T08:00:00+00:00', '{}', "
                       "'', '', 0)"), {"nik": k["local"].nik})
    return workspace, k


def test_students_due_and_call_list(filled):
    from sweet17.services.eligibility import call_list, students_due

    ws, k = filled
    due = {d.name: d for d in students_due(ws, "uji-2027")}
    assert set(due) == {"Siti Aminah", "Ahmad Fauzi", "Rina Wati", "Budi", "Ani Lestari", "Tanpa Tanggal", "Dewi"}
    assert due["Ani Lestari"].blocking and not due["Siti Aminah"].blocking
    assert due["Ahmad Fauzi"].turns_min_age_on == ON and due["Tanpa Tanggal"].turns_min_age_on is None
    assert due["Siti Aminah"].nik == k["old"].nik and due["Siti Aminah"].school_code == "sman1-uji"
    lst = call_list(ws, "uji-2027", "sman1-uji", ON)
    assert [d.name for d in lst] == ["Ahmad Fauzi", "Siti Aminah", "Ani Lestari"]     # by Rombel, then name
    assert [d.rombel for d in lst] == ["X IPS 1", "XI IPA 2", "XII IPS 1"]
    assert [d.name for d in call_list(ws, "uji-2027", "sman1-uji", date(2027, 1, 25))][:2] == ["Ahmad Fauzi",
                                                                                               "Rina Wati"]


def test_eligible_command_counts_and_kecamatan(cli, filled):
    ws, _k = filled
    code, out, err = cli("--workspace", ws.path, "eligible", "--as-of", "2027-01-11", "--within-days", "30", "--json")
    assert code == 0, err
    data = json.loads(out)
    s = {x["school"]: x for x in data["schools"]}["sman1-uji"]
    assert (s["students"], s["recorded"], s["eligible"], s["blocked"], s["soon"], s["unknown_age"], s["foreign"]) == \
        (9, 2, 3, 1, 1, 1, 1)
    assert s["as_of"] == "2027-01-11" and s["as_of_source"] == "option"
    kec = {x["kecamatan"]: x for x in data["kecamatan"]}
    assert kec["Batu Mandi"]["eligible"] == 1 and data["total"]["eligible"] == 4
    code, out, err = cli("--workspace", ws.path, "eligible", "--school", "sman1-uji", "--as-of", "2027-01-11")
    assert code == 0 and "Ahmad Fauzi" in out and "Rina Wati" not in out
    code, out, err = cli("--workspace", ws.path, "eligible", "--as-of", "11-01-2027")
    assert code == 2 and "--as-of" in err
    code, out, err = cli("--workspace", ws.path, "eligible", "--school", "nope")
    assert code == 2 and "nope" in err


def test_default_date_is_the_planned_visit(filled, monkeypatch):
    import sweet17.services.planning as planning
    from sweet17.services.eligibility import eligibility

    ws, _k = filled
    monkeypatch.setattr(planning, "planned_visit_dates", lambda ws_, slug: {"sman1-uji": date(2027, 1, 25)})
    rep = eligibility(ws, within_days=0, today=date(2026, 12, 1))
    by = {s.code: s for s in rep.schools}
    assert by["sman1-uji"].as_of == date(2027, 1, 25) and by["sman1-uji"].as_of_source == "plan"
    assert by["sman1-uji"].counts.eligible == 4                   # Rina is 16 by then
    assert by["ma-uji"].as_of == date(2026, 12, 1) and by["ma-uji"].as_of_source == "today"


def test_export_workbook(cli, filled, tmp_path, monkeypatch):
    import openpyxl

    ws, _k = filled
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("--workspace", ws.path, "eligible", "--as-of", "2027-01-11", "--within-days", "30",
                         "--export", "--json")
    assert code == 0, err
    path = json.loads(out)["exported"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Ringkasan", "Per kecamatan"] and "sman1-uji" in wb.sheetnames
    assert "Penyisiran berikutnya" in wb.sheetnames
    sh = wb["sman1-uji"]
    assert sh.freeze_panes == "A4" and sh.auto_filter.ref.startswith("A3")
    rows = list(sh.iter_rows(min_row=4, values_only=True))
    assert [r[2] for r in rows] == ["Ahmad Fauzi", "Siti Aminah", "Ani Lestari"]
    assert rows[0][3].startswith("0") and isinstance(rows[0][3], str)         # NISN kept as text
    assert "NIK" in rows[2][7]                                                # the blocking problem is named
    assert sh.cell(row=6, column=1).fill.fgColor.rgb.endswith("F8CBAD")        # coloured as an error
    head = [c.value for c in sh[3]]
    assert "NIK" not in head                                                  # no NIKs in a call list


def test_session_recording_by_student_ref_counts_and_rejected_does_not(filled):
    """Sessions link recordings as student_ref 'roster:<id>'; a rejected recording sends the student back."""
    from sqlalchemy import text

    from sweet17.services.eligibility import students_due

    ws, k = filled
    due = {d.name: d for d in students_due(ws, "uji-2027")}
    sid = due["Budi"].student_id
    insert = ("INSERT INTO recording (id, drive_slug, school_code, student_ref, nik, name, operator, status, "
              "captured_at, manifest, signature, payload_sha256, payload_size) VALUES (:id, 'uji-2027', "
              "'sman1-uji', :ref, '', 'BUDI', 'op', :st, '2027-01-05T08:00:00+00:00', '{}', '', '', 0)")
    with ws.engine.begin() as c:
        c.execute(text(insert), {"id": "r-budi", "ref": f"roster:{sid}", "st": "captured"})
    assert "Budi" not in {d.name for d in students_due(ws, "uji-2027")}
    with ws.engine.begin() as c:
        c.execute(text("UPDATE recording SET status = 'rejected', rejected_reason = 'blurred' WHERE id = 'r-budi'"))
    assert "Budi" in {d.name for d in students_due(ws, "uji-2027")}


def test_values_shared_across_schools_as_counted_one_by_one():
    """``shared_across_schools`` (the short path of the cross-school check) finds the NIKs and NISNs that rows of
    more than one school hold, as looking at every row in turn does."""
    import random

    from sweet17.services.roster import shared_across_schools

    rng = random.Random(3)
    for _ in range(30):
        rows = [(i, rng.choice("abc"), rng.choice(["", "n1", "n2", "n3", f"n{i}"]),
                 rng.choice(["", "s1", "s2", f"s{i}"])) for i in range(rng.randint(0, 12))]
        want: list[set[str]] = []
        for col in (2, 3):
            at: dict[str, set[str]] = {}
            for r in rows:
                if r[col]:
                    at.setdefault(r[col], set()).add(r[1])
            want.append({v for v, schools in at.items() if len(schools) > 1})
        assert shared_across_schools(rows, 1, 2, 3) == (want[0], want[1])

"""Planning on a workspace: stored versions, the eligibility interface, replanning, exports, the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from planning_helpers import FakeDue, default_due, drive_dict, students, write_drive
from sqlalchemy import text

from sweet17.errors import UserError
from sweet17.services.drives import load_drive, register_drive
from sweet17.services.planning import planned_visit_dates
from sweet17.services.planning.instance import first_visits
from sweet17.services.planning.service import load_plan, plan_drive, plan_versions, replan_drive

HOLIDAYS = {date(2027, 2, 5): "Cuti Bersama Tahun Baru Imlek", date(2027, 2, 6): "Tahun Baru Imlek"}


@pytest.fixture
def drive(tmp_path, workspace):
    loaded = load_drive(write_drive(tmp_path / "drives" / "uji", drive_dict()))
    register_drive(workspace, loaded)
    return loaded


def test_plan_is_stored_as_versions_and_feeds_the_eligible_list(workspace, drive):
    assert planned_visit_dates(workspace, "uji-2027") == {}
    out = plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, time_limit=3)
    assert out.version == 1 and out.kind == "plan" and out.status in ("optimal", "feasible")
    firsts = planned_visit_dates(workspace, "uji-2027")
    assert set(firsts) == {"A", "B", "C", "D"}
    assert firsts == first_visits(out.visits)
    from sweet17.services.planning import planned_visits

    all_days = planned_visits(workspace, "uji-2027")
    assert {c: ds[0] for c, ds in all_days.items()} == firsts
    assert sum(len(ds) for ds in all_days.values()) == len({(v.school, v.day) for v in out.visits})
    assert firsts["C"] >= date(2027, 2, 8)                          # exams until 5 Feb
    assert all(v.day not in HOLIDAYS for v in out.visits)           # cuti bersama and Imlek
    assert out.bound.end <= out.metrics.end and out.bound.kit_days <= out.metrics.kit_days
    # A: 100 of age, one turns 16 on 3 Feb (counted when A's first visit is on or after it), one in April
    planned_a = sum(v.students for v in out.visits if v.school == "A")
    assert planned_a in (100, 101)
    follow = {f["school"]: f for f in out.followup}
    assert follow["A"]["students"] >= 1 and follow["A"]["last"] == date(2027, 4, 1)
    stored = load_plan(workspace, "uji-2027")
    assert [(v.day, v.team, v.school, v.students, v.kits) for v in stored.visits] == \
        [(v.day, v.team, v.school, v.students, v.kits) for v in out.visits]
    assert stored.kit_days == out.metrics.kit_days and stored.bound_end == out.bound.end
    out2 = plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, time_limit=2)
    assert out2.version == 2 and [v["version"] for v in plan_versions(workspace, "uji-2027")] == [1, 2]
    with workspace.engine.connect() as c:
        actions = [r[0] for r in c.execute(text("SELECT action FROM audit_log WHERE action LIKE 'drive.plan%'"))]
    assert actions == ["drive.plan", "drive.plan"]


def test_plan_with_fewer_teams_and_until(workspace, drive):
    out = plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, teams=["T1"], until=date(2027, 2, 19),
                     time_limit=2)
    assert {v.team for v in out.visits} == {"T1"} and out.metrics.end <= date(2027, 2, 19)
    with pytest.raises(UserError, match="T9"):
        plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, teams=["T9"])
    with pytest.raises(UserError, match="--until"):
        plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, until=date(2027, 6, 1))


def test_infeasible_plan_explained_and_nothing_stored(workspace, drive, tmp_path):
    # C needs about 5 kit-days (120 students at 90 min ride) but its exams last until the end but one day
    data = drive_dict()
    data["schools"][2]["blackouts"] = [{"start": date(2027, 2, 1), "end": date(2027, 2, 25), "reason": "Ujian"}]
    loaded = load_drive(write_drive(tmp_path / "drives" / "sempit", data))
    due = default_due() + students("C", 70, date(2026, 1, 1), prefix="Tambahan")
    with pytest.raises(UserError) as e:
        plan_drive(workspace, loaded, due=due, holidays=HOLIDAYS, time_limit=2)
    msg = str(e.value)
    assert "MA UJI C (C)" in msg and "Jum 26 Feb 2027" in msg and "kurang" in msg
    assert load_plan(workspace, "uji-2027") is None


def test_replan_after_a_cancellation_keeps_the_rest(workspace, drive):
    plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, time_limit=3)
    before = load_plan(workspace, "uji-2027")
    victim = next(v for v in before.visits if v.school == "C")
    out = replan_drive(workspace, drive, cancel=[("C", victim.day)], due=default_due(), holidays=HOLIDAYS,
                       time_limit=3)
    assert out.version == 2 and out.kind == "replan" and out.parent_version == 1
    after = load_plan(workspace, "uji-2027")
    assert not any(v.school == "C" and v.day == victim.day for v in after.visits)
    # visits before the cancelled day are kept exactly
    assert [(v.day, v.team, v.school) for v in before.visits if v.day < victim.day] == \
        [(v.day, v.team, v.school) for v in after.visits if v.day < victim.day]
    # the change list names C; planned dates follow the new version
    assert any(c["school"] == "C" and c["letter"] for c in out.changes)
    assert planned_visit_dates(workspace, "uji-2027") == first_visits(after.visits)
    changed_dates = sum(1 for c in out.changes if c["kind"] in ("moved", "added", "removed"))
    assert changed_dates <= 2
    # the cancellation stays in force for the next replan
    assert after.params["cancelled"] == [["C", victim.day.isoformat()]]
    off = max(v.day for v in after.visits if v.team == "T2")
    out3 = replan_drive(workspace, drive, team_off=[("T2", off)], due=default_due(), holidays=HOLIDAYS, time_limit=3)
    v3 = load_plan(workspace, "uji-2027", out3.version)
    assert not any(v.team == "T2" and v.day == off for v in v3.visits)
    assert {v.school for v in v3.visits} == {"A", "B", "C", "D"}
    # nothing left after the last visit: the replan keeps everything and changes nothing
    out4 = replan_drive(workspace, drive, team_off=[("T1", date(2027, 2, 26))], due=default_due(),
                        holidays=HOLIDAYS, time_limit=2)
    assert out4.changes == [] and len(out4.visits) == len(v3.visits)
    assert not any(v.school == "C" and v.day == victim.day for v in v3.visits)


def test_replan_refuses_bad_requests(workspace, drive):
    with pytest.raises(UserError, match="drive plan"):
        replan_drive(workspace, drive, cancel=[("A", date(2027, 2, 2))], due=default_due(), holidays=HOLIDAYS)
    plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, time_limit=2)
    with pytest.raises(UserError, match="--cancel"):
        replan_drive(workspace, drive, cancel=[("A", date(2027, 2, 20))], due=default_due(), holidays=HOLIDAYS)
    with pytest.raises(UserError, match="--cancel"):
        replan_drive(workspace, drive, cancel=[("ZZ", date(2027, 2, 2))], due=default_due(), holidays=HOLIDAYS)
    with pytest.raises(UserError, match="--team-off"):
        replan_drive(workspace, drive, team_off=[("T1", date(2027, 5, 2))], due=default_due(), holidays=HOLIDAYS)
    with pytest.raises(UserError, match="--cancel"):
        replan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS)


def test_exports_xlsx_ics_pdf(workspace, drive, tmp_path):
    from icalendar import Calendar
    from python_calamine import CalamineWorkbook

    from sweet17.services.planning.exports import export_plan

    plan_drive(workspace, drive, due=default_due(), holidays=HOLIDAYS, time_limit=2)
    stored = load_plan(workspace, "uji-2027")
    res = export_plan(workspace, drive, out_dir=tmp_path / "exports", due=default_due(),
                      letter_date=date(2027, 1, 20))
    # workbook: summary, one sheet per team, one per school, follow-up
    wb = CalamineWorkbook.from_path(str(res.xlsx))
    names = wb.sheet_names
    assert "Tim Satu" in names and "Tim Dua" in names and {"A", "B", "C", "D"} <= set(names)
    rows_a = wb.get_sheet_by_name("A").to_python()
    called = []
    for r in rows_a[4:]:
        if not r or not r[1]:
            break                                   # then the school's follow-up sweep
        called.append(r[1])
    assert len(called) == sum(v.students for v in stored.visits if v.school == "A")
    after = [r for r in rows_a[4 + len(called):] if r and any(r)]
    assert after[0][0] == "Susulan: tidak dipanggil pada kunjungan ini"
    assert any(r[1] == "Siswa A muda 01" for r in after)     # turns 16 in April: listed with the school
    assert all(n.startswith("Siswa A") for n in called)
    assert not any("6311" in str(c) for r in rows_a for c in r)                 # no NIK in the export
    team_rows = wb.get_sheet_by_name("Tim Satu").to_python()[3:]
    assert len([r for r in team_rows if r and r[3]]) == sum(1 for v in stored.visits if v.team == "T1")
    follow = wb.get_sheet_by_name("Susulan").to_python()
    assert any(r[2] == "Siswa A muda 01" for r in follow[1:])                   # turns 16 in April
    # calendars: one event per visit, in WITA, stable UIDs
    cal = Calendar.from_ical(res.ics[0].read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == len(stored.visits)
    first = min(stored.visits, key=lambda v: (v.day, v.arrival))
    ev = next(e for e in events if e["uid"] == f"uji-2027-{first.day.isoformat()}-{first.team}-{first.school}@sweet17")
    assert ev.decoded("dtstart").strftime("%H:%M") == first.arrival_hhmm
    assert str(ev.decoded("dtstart").tzinfo) == "Asia/Makassar"
    per_team = Calendar.from_ical(next(p for p in res.ics if p.name.endswith("-T2.ics")).read_bytes())
    assert len(list(per_team.walk("VEVENT"))) == sum(1 for v in stored.visits if v.team == "T2")
    # letters: one PDF per school, readable text in Indonesian
    assert sorted(p.stem for p in res.letters) == ["A", "B", "C", "D"]
    pdf = res.letters[0].read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3   # letter + attachment (+ pages node)
    with workspace.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'drive.export'")).scalar() == 1


def test_letter_text_is_indonesian_even_in_english(workspace, drive, tmp_path, monkeypatch):
    from sweet17.i18n import current_language, set_language
    from sweet17.services.planning.exports import _letter_strings

    set_language("en")
    try:
        t = _letter_strings(drive.drive)
        assert current_language() == "en"
    finally:
        set_language("id")
    assert t["subject"] == "Pemberitahuan perekaman KTP-el di sekolah"
    assert t["gov"] == "PEMERINTAH KABUPATEN BALANGAN"
    assert "Fotokopi Kartu Keluarga" in t["bring"][0]


def test_cli_plan_show_export_replan(cli, tmp_path, drive, workspace, monkeypatch):
    import sweet17.services.eligibility as elig

    monkeypatch.setattr(elig, "students_due", lambda ws, slug, min_age=16: default_due())
    monkeypatch.chdir(tmp_path)
    ws = str(workspace.path)
    folder = str(drive.folder)
    code, out, err = cli("--workspace", ws, "drive", "check", "--drive", folder, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["drive"] == "uji-2027" and len(data["schools"]) == 4 and data["timezone"] == "Asia/Makassar"
    assert {h["name"] for h in data["holidays"]} >= {"Tahun Baru Imlek"}
    code, out, err = cli("--workspace", ws, "drive", "plan", "--drive", folder, "--time-limit", "2", "--json")
    assert code == 0, err
    plan = json.loads(out)
    for key in ("version", "plan", "lower_bound", "greedy", "gap", "followup", "visits", "phases"):
        assert key in plan
    assert plan["plan"]["kit_days"] >= plan["lower_bound"]["kit_days"]
    code, out, err = cli("--workspace", ws, "drive", "plan", "--drive", folder, "--time-limit", "2")
    assert code == 0 and "Batas bawah" in out and "Kit-hari" in out, out
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder)
    assert code == 0 and "SMA UJI A" in out
    # the follow-up sweep is listed per school: A has a student who turns 16 in April, after its visits
    assert "Susulan (tidak dipanggil pada kunjungan sekolah)" in out
    row = next(line for line in out.splitlines() if "SMA UJI A (A)" in line and "Apr 2027" in line)
    assert "1 Apr 2027" in row, out
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder, "--school", "A", "--json")
    assert [f["school"] for f in json.loads(out)["followup"]] == ["A"]
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder, "--school", "C", "--json")
    assert code == 0 and {v["school"] for v in json.loads(out)["visits"]} == {"C"}
    code, out, err = cli("--workspace", ws, "drive", "export", "--drive", folder, "--xlsx", "--ics", "--json")
    assert code == 0, err
    exp = json.loads(out)
    assert exp["xlsx"].endswith("plan-v2.xlsx") and exp["letters"] == [] and len(exp["ics"]) == 3
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder, "--json")
    latest = json.loads(out)
    assert latest["version"] == 2
    victim = next(v for v in latest["visits"] if v["school"] == "D")
    code, out, err = cli("--workspace", ws, "drive", "replan", "--drive", folder, "--cancel",
                         f"D@{victim['date']}", "--time-limit", "2", "--json")
    assert code == 0, err
    rp = json.loads(out)
    assert rp["kind"] == "replan" and any(c["school"] == "D" for c in rp["changes"])
    code, out, err = cli("--workspace", ws, "drive", "export", "--drive", folder, "--pdf", "--changed", "--json")
    assert code == 0, err
    assert [p.rsplit("/", 1)[1] for p in json.loads(out)["letters"]] == \
        [f"{c['school']}.pdf" for c in rp["changes"] if c["letter"]]
    # bad input: exit 2, one line naming the option
    code, out, err = cli("--workspace", ws, "drive", "replan", "--drive", folder, "--cancel", "D-2027-02-03")
    assert code == 2 and "--cancel" in err and "Traceback" not in err
    code, out, err = cli("--workspace", ws, "drive", "plan", "--drive", folder, "--until", "2027-13-01")
    assert code == 2 and "--until" in err
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder, "--version", "99")
    assert code == 2 and "99" in err


def test_cli_check_refuses_a_bad_drive_file_naming_the_field(cli, tmp_path):
    data = drive_dict()
    data["travel_between"].append({"from": "A", "to": "X9", "minutes": 10})
    folder = write_drive(tmp_path / "buruk", data)
    code, out, err = cli("drive", "check", "--drive", folder)
    assert code == 2 and "travel_between[2].to" in err and "X9" in err


def test_due_without_birth_date_is_reported_not_planned(workspace, drive):
    due = default_due() + [FakeDue("B", None, "Tanpa Tanggal")]
    out = plan_drive(workspace, drive, due=due, holidays=HOLIDAYS, time_limit=2)
    assert out.not_planned["no_birth_date"] == {"B": 1}
    assert sum(v.students for v in out.visits if v.school == "B") == 40

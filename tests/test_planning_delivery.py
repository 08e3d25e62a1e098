"""Card hand-over visits (KTPku Datang) planned with the visit planner: ``drive plan --purpose delivery``."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import pytest
from planning_helpers import drive_dict, seed_cards, write_drive
from sqlalchemy import text

from sweet17.domain.drive import DriveDefinitionError, parse_drive
from sweet17.errors import UserError
from sweet17.services.drives import load_drive, register_drive
from sweet17.services.planning import planned_visit_dates
from sweet17.services.planning.service import cards_due, load_plan, plan_drive, plan_versions, replan_drive

HOLIDAYS = {date(2027, 3, 9): "Cuti Bersama Hari Suci Nyepi", date(2027, 3, 10): "Hari Suci Nyepi"}


def delivery_drive_dict():  # type: ignore[no-untyped-def]
    d = drive_dict()
    d["delivery"] = {"start": date(2027, 3, 1), "end": date(2027, 3, 19), "minutes_per_student": 3,
                     "setup_minutes": 20}
    # exams at C in the hand-over period (a blackout after the recording drive is accepted)
    d["schools"][2]["blackouts"] = [{"start": date(2027, 3, 1), "end": date(2027, 3, 5), "reason": "Ujian"}]
    return d


@pytest.fixture
def drive(tmp_path, workspace):
    loaded = load_drive(write_drive(tmp_path / "drives" / "uji", delivery_drive_dict()))
    register_drive(workspace, loaded)
    return loaded


def test_delivery_period_in_the_drive_file():
    d = parse_drive(delivery_drive_dict())
    assert (d.delivery_start, d.delivery_end) == (date(2027, 3, 1), date(2027, 3, 19))
    assert (d.calendar_start, d.calendar_end) == (date(2027, 2, 1), date(2027, 3, 19))
    assert d.delivery.minutes_per_student == 3 and d.delivery.setup_minutes == 20
    plain = parse_drive(drive_dict())
    assert (plain.delivery_start, plain.delivery_end) == (plain.start, plain.end)
    bad = delivery_drive_dict()
    bad["delivery"]["end"] = date(2027, 2, 27)
    with pytest.raises(DriveDefinitionError) as e:
        parse_drive(bad)
    assert e.value.field == "delivery.end"
    bad = delivery_drive_dict()
    bad["delivery"]["minutes_per_student"] = 0
    with pytest.raises(DriveDefinitionError) as e:
        parse_drive(bad)
    assert e.value.field == "delivery.minutes_per_student"
    bad = delivery_drive_dict()
    bad["schools"][0]["blackouts"] = [{"start": date(2027, 4, 5), "end": date(2027, 4, 6)}]
    with pytest.raises(DriveDefinitionError) as e:
        parse_drive(bad)
    assert e.value.field == "schools[0].blackouts[0]"


def test_delivery_plan_covers_the_cards_not_handed_over(workspace, drive, tmp_path):
    waiting = seed_cards(workspace, "uji-2027", tmp_path, printed={"A": 40, "B": 12, "C": 25},
                         delivered={"A": 5}, extra={"D": 10})
    assert waiting == {"A": 35, "B": 12, "C": 25}
    due = cards_due(workspace, drive.drive)
    got = defaultdict(int)
    for c in due:
        got[c.school_code] += 1
    assert dict(got) == waiting                          # D has no printed card; 5 of A are handed over
    out = plan_drive(workspace, drive, purpose="delivery", holidays=HOLIDAYS, time_limit=3)
    assert out.purpose == "delivery" and out.version == 1 and out.followup == []
    per_school = defaultdict(int)
    for v in out.visits:
        per_school[v.school] += v.students
        assert date(2027, 3, 1) <= v.day <= date(2027, 3, 19)            # the hand-over period
        assert v.day not in HOLIDAYS
        assert not (v.school == "C" and v.day <= date(2027, 3, 5))       # exams at C
    assert dict(per_school) == waiting
    # 3 minutes a card: one kit hands over (330 - 10 - 20) / 3 = 100 cards a day at A
    assert out.bound.kit_days <= out.metrics.kit_days and out.bound.end <= out.metrics.end
    # a version series of its own; the recording plan (and the eligible list) is untouched
    assert planned_visit_dates(workspace, "uji-2027") == {}
    assert load_plan(workspace, "uji-2027") is None
    stored = load_plan(workspace, "uji-2027", purpose="delivery")
    assert stored.purpose == "delivery" and [(v.day, v.school, v.students) for v in stored.visits] == \
        [(v.day, v.school, v.students) for v in out.visits]
    with workspace.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM plan")).scalar() == 0
        audit = c.execute(text("SELECT object FROM audit_log WHERE action = 'drive.plan'")).scalars().all()
    assert audit == ["uji-2027/delivery/v1"]
    assert [v["version"] for v in plan_versions(workspace, "uji-2027", "delivery")] == [1]


def test_delivery_plan_refused_without_printed_cards(workspace, drive):
    with pytest.raises(UserError, match="cards import"):
        plan_drive(workspace, drive, purpose="delivery", holidays=HOLIDAYS, time_limit=2)
    with pytest.raises(UserError, match="--purpose"):
        plan_drive(workspace, drive, purpose="kirim", holidays=HOLIDAYS, time_limit=2)


def test_delivery_exports_and_replan(workspace, drive, tmp_path):
    from python_calamine import CalamineWorkbook

    from sweet17.services.planning.exports import _letter_strings, export_plan

    seed_cards(workspace, "uji-2027", tmp_path, printed={"A": 30, "B": 8, "C": 12}, delivered={"B": 1})
    plan_drive(workspace, drive, purpose="delivery", holidays=HOLIDAYS, time_limit=2)
    res = export_plan(workspace, drive, out_dir=tmp_path / "exports", letter_date=date(2027, 2, 26),
                      purpose="delivery")
    assert res.xlsx.name == "ktpku-v1.xlsx" and res.purpose == "delivery"
    assert res.letters[0].parent.name == "surat-ktpku-v1" and sorted(p.stem for p in res.letters) == ["A", "B", "C"]
    wb = CalamineWorkbook.from_path(str(res.xlsx))
    rows_b = wb.get_sheet_by_name("B").to_python()
    names = [r[1] for r in rows_b[4:] if r and r[1]]
    assert len(names) == 7 and all(n.startswith("Siswa Kartu B") for n in names)
    assert "Siswa Kartu B 000" not in names                            # handed over already
    summary = {r[0]: r[1] for r in wb.get_sheet_by_name("Ringkasan").to_python() if r and r[0]}
    assert summary["Keperluan"] == "penyerahan KTP-el (KTPku Datang)"
    t = _letter_strings(drive.drive, "delivery")
    assert t["subject"] == "KTPku Datang: penyerahan KTP-el di sekolah"
    assert t["bring"] == ["Kartu pelajar, sebagai tanda pengenal"]
    pdf = res.letters[0].read_bytes()
    assert pdf.startswith(b"%PDF") and b"KTPku Datang" in pdf           # the document title
    ics = res.ics[0].read_text()
    assert "KTPku Datang" in ics and "-ktpku-2027-03-" in ics
    # a cancelled hand-over visit is replanned in the delivery series
    stored = load_plan(workspace, "uji-2027", purpose="delivery")
    victim = next(v for v in stored.visits if v.school == "C")
    out = replan_drive(workspace, drive, cancel=[("C", victim.day)], purpose="delivery", holidays=HOLIDAYS,
                       time_limit=2)
    assert out.version == 2 and out.parent_version == 1 and out.purpose == "delivery"
    assert not any(v.school == "C" and v.day == victim.day for v in out.visits)
    assert sum(v.students for v in out.visits if v.school == "C") == 12
    assert any(c["school"] == "C" and c["letter"] for c in out.changes)


def test_cli_delivery_plan_show_export(cli, tmp_path, drive, workspace, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seed_cards(workspace, "uji-2027", tmp_path, printed={"A": 20, "D": 6})
    ws, folder = str(workspace.path), str(drive.folder)
    code, out, err = cli("--workspace", ws, "drive", "plan", "--drive", folder, "--purpose", "delivery",
                         "--time-limit", "2", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["purpose"] == "delivery" and plan["plan"]["students"] == 26 and plan["followup"] == []
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder, "--purpose", "delivery")
    assert code == 0 and "KTPku Datang" in out and "SMA UJI A" in out, out
    code, out, err = cli("--workspace", ws, "drive", "show", "--drive", folder)
    assert code == 2 and "drive plan" in err                    # no recording plan yet
    code, out, err = cli("--workspace", ws, "drive", "export", "--drive", folder, "--purpose", "delivery", "--pdf",
                         "--json")
    assert code == 0, err
    assert [p.rsplit("/", 1)[1] for p in json.loads(out)["letters"]] == ["A.pdf", "D.pdf"]
    code, out, err = cli("--workspace", ws, "drive", "plan", "--drive", folder, "--purpose", "antar")
    assert code == 2 and "--purpose" in err and "Traceback" not in err

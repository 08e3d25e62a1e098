"""Coverage, teams and quality reports on the hand-counted world of tests/reports_world.py."""

from __future__ import annotations

import json

import pytest
from reports_world import AS_OF, SLUG, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from sweet17.services.workspace import Workspace

    root = tmp_path_factory.mktemp("world")
    ws = Workspace.create(root / "ws")
    build_world(ws, root)
    ws.close()
    return root


def run(cli, world, *args):
    code, out, err = cli("--workspace", world / "ws", *args)
    assert code == 0, err
    return out


def test_coverage_counts_by_hand(cli, world, monkeypatch):
    monkeypatch.chdir(world)
    data = json.loads(run(cli, world, "report", "coverage", "--as-of", AS_OF.isoformat(), "--json"))
    # See the table in reports_world.py. School A: A1-A8 on the roster; A1-A6 of age (A7, A8 too young on
    # 20 Nov); A1 recorded before; eligible A2-A6; recorded A2, A3, A4 (A5 rejected, A6 absent); at the hub
    # A2 (acknowledged), A3 (synced); printed A2, A3; handed over A2; the walk-in W1 is "other recorded".
    schools = {s["code"]: s for s in data["schools"]}
    assert schools["A"] == {
        "name": "SMA NEGERI 1 UJI", "code": "A", "on_roster": 8, "of_age": 6, "already_recorded": 1, "eligible": 5,
        "recorded": 3, "synced": 2, "printed": 2, "delivered": 1, "other_recorded": 1, "drive_rate": 0.6,
        "first_time_rate": 0.6667}                                 # (1 + 3) / 6
    # B: B1-B3 of age; B3 recorded before; B1 recorded (approved, not yet at the hub); B2 not recorded.
    assert (schools["B"]["of_age"], schools["B"]["eligible"], schools["B"]["recorded"], schools["B"]["synced"]) == \
        (3, 2, 1, 0)
    # C: visit planned 10 Dec, so C1 (16 on 1 Dec) counts and C2 (20 Dec) does not; C3 left the school.
    assert (schools["C"]["on_roster"], schools["C"]["of_age"], schools["C"]["eligible"], schools["C"]["recorded"]) == \
        (2, 1, 1, 1)
    kec = {k["name"]: k for k in data["kecamatan"]}
    assert kec["Paringin"]["on_roster"] == 11 and kec["Paringin"]["eligible"] == 7 and kec["Juai"]["eligible"] == 1
    t = data["total"]
    assert (t["on_roster"], t["of_age"], t["already_recorded"], t["eligible"], t["recorded"], t["synced"],
            t["printed"], t["delivered"], t["other_recorded"]) == (13, 10, 2, 8, 5, 3, 2, 1, 1)
    assert t["drive_rate"] == 0.625                                # 5 / 8
    assert t["first_time_rate"] == 0.7                             # (2 + 5) / 10
    assert data["history"] == [{"year": 2017, "rate": 0.197, "source": "history"},
                               {"year": 2018, "rate": 0.286, "source": "history"},
                               {"year": 2026, "rate": 0.7, "source": "drive"}]
    # eligible students' recordings per day: 10 Nov A2, A3, A4; 11 Nov B1; 12 Nov C1
    prog = {p["date"]: p for p in data["progress"]}
    assert prog["2026-11-10"]["recorded"] == 3 and prog["2026-11-12"]["recorded_cum"] == 5
    assert prog["2026-11-13"]["synced_cum"] == 3
    assert [p["students"] for p in data["planned"]] == [6, 2, 1]


def test_coverage_export_and_terminal(cli, world, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.chdir(world)
    data = json.loads(run(cli, world, "report", "coverage", "--as-of", AS_OF.isoformat(), "--export", "--json"))
    wb = load_workbook(data["exports"]["xlsx"])
    assert wb.sheetnames == ["Kecamatan", "Sekolah", "Tahun sebelumnya", "Kemajuan", "Grafik"]
    sheet = wb["Sekolah"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == "Cakupan per sekolah"
    h = next(i for i, r in enumerate(rows) if r[0] == "Sekolah")
    assert rows[h][:5] == ["Sekolah", "Di data sekolah", "Cukup umur", "Sudah direkam sebelumnya", "Wajib rekam"]
    a = next(r for r in rows if r[0] and str(r[0]).startswith("A "))
    assert a[1:9] == [8, 6, 1, 5, 3, 2, 2, 1] and a[9] == 0.6
    assert sheet.cell(row=h + 2, column=10).number_format == "0.0%"
    assert sheet.freeze_panes == f"A{h + 2}"
    assert rows[-1][0] == "Jumlah" and rows[-1][1] == 13
    names = sorted(p.rsplit("/", 1)[1] for p in data["exports"]["charts"])
    assert names == ["coverage-by-kecamatan.png", "progress.png", "rate-by-year.png"]
    for p in data["exports"]["charts"]:
        with open(p, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    out = run(cli, world, "report", "coverage", "--as-of", AS_OF.isoformat())
    assert "Paringin" in out and "62.5%" in out and "70.0%" in out and "2018 28.6%" in out


def test_teams_report(cli, world):
    data = json.loads(run(cli, world, "report", "teams", "--as-of", AS_OF.isoformat(), "--json"))
    s = data["summary"]
    # Sessions: S1 4 h (A2, A3, A5, W1), S2 2 h (A4), S3 3 h (B1), S4 1 h (C1): 7 recordings in 10 kit-hours.
    assert (s["recordings"], s["sessions"], s["kit_hours"], s["recordings_per_kit_hour"]) == (7, 4, 10.0, 0.7)
    assert s["planned_recordings_per_kit_hour"] == 10.0            # 60 / 6 minutes per student
    ops = {o["key"]: o for o in data["by_operator"]}
    assert (ops["op-a"]["recordings"], ops["op-a"]["kit_hours"]) == (5, 7.0)
    assert (ops["op-b"]["recordings"], ops["op-b"]["kit_hours"]) == (2, 3.0)
    days = {d["key"]: d for d in data["by_day"]}
    assert days["2026-11-10"]["recordings"] == 5 and days["2026-11-10"]["kits"] == 2
    # Team-day tim-1 on 10 Nov: ride 30 min out + 30 back; sessions 08:00-12:00 = 240 min: travel share 0.2.
    td = {(t["date"], t["team"]): t for t in data["team_days"]}
    assert td[("2026-11-10", "tim-1")]["travel_minutes"] == 60
    assert td[("2026-11-10", "tim-1")]["recording_minutes"] == 240
    assert td[("2026-11-10", "tim-1")]["travel_share"] == 0.2
    assert td[("2026-11-11", "tim-1")]["travel_minutes"] == 40
    # C was visited on 12 Nov without a planned visit that day (kit-3 belongs to tim-2): no travel known;
    # tim-2's planned 10 Dec visit lies after the report date and has no session: left out.
    assert td[("2026-11-12", "tim-2")]["travel_minutes"] is None
    assert ("2026-12-10", "tim-2") not in td


def test_quality_report(cli, world, monkeypatch):
    monkeypatch.chdir(world)
    data = json.loads(run(cli, world, "report", "quality", "--json", "--export"))
    s = data["summary"]
    assert (s["recordings"], s["retries"], s["with_retries"], s["force_captured"], s["with_exceptions"],
            s["rejected"]) == (7, 3, 2, 1, 1, 1)
    assert data["nfiq2"]["scores"] == 3 and data["nfiq2"]["median"] == 55 and data["nfiq2"]["below_threshold"] == 1
    hist = {h["from"]: h["count"] for h in data["nfiq2"]["histogram"]}
    assert hist[30] == 1 and hist[50] == 1 and hist[80] == 1
    assert data["exceptions"] == [{"key": "Finger:Left LittleFinger", "count": 1}]
    assert data["rejection_reasons"] == [{"reason": "Foto buram", "count": 1}]
    assert data["nfiq2"]["by_position"] == {"Left IndexFinger": 55, "Left Thumb": 80, "Right IndexFinger": 35}
    assert len(data["exports"]["charts"]) == 2


def test_reports_need_a_drive(cli, tmp_path):
    ws = tmp_path / "empty"
    cli("--workspace", ws, "init")
    code, out, err = cli("--workspace", ws, "report", "coverage")
    assert code == 2 and "sweet17 sample balangan" in err
    code, out, err = cli("--workspace", ws, "report", "coverage", "--drive", tmp_path / "nowhere")
    assert code == 2 and "nowhere" in err
    assert SLUG  # the world's drive is not involved here


def test_coverage_agrees_with_the_eligibility_service(cli, world):
    """What the drive still has to record (eligible - recorded) is the eligible count of `sweet17 eligible`."""
    from sweet17.services.eligibility import eligibility
    from sweet17.services.workspace import Workspace

    data = json.loads(run(cli, world, "report", "coverage", "--as-of", AS_OF.isoformat(), "--json"))
    ws = Workspace.open(world / "ws")
    try:
        rep = eligibility(ws, today=AS_OF)
    finally:
        ws.close()
    theirs = {s.code: s.counts.eligible for s in rep.schools}
    ours = {s["code"]: s["eligible"] - s["recorded"] for s in data["schools"]}
    assert ours == theirs == {"A": 2, "B": 1, "C": 0}

"""``sweet17 sample ktpku-datang``: sample printed cards, complaints and survey responses for a drive."""

from __future__ import annotations

import json
from datetime import date

from reports_world import build_world


def _cells(path):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def test_sample_ktpku_datang(cli, tmp_path, monkeypatch):
    from sweet17.services.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    build_world(ws, tmp_path)
    ws.close()
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("--workspace", tmp_path / "ws", "sample", "ktpku-datang", "--json")
    assert code == 0, err
    res = json.loads(out)
    # printed cards: among the world's recordings at the hub (A2, A3, C1) and its registry matches (A1, B3)
    assert 1 <= res["cards"] <= 5 and res["loaded"]["cards"]["rows"] == res["cards"]
    assert res["complaints"] == 24 and res["loaded"]["complaints"]["imported"] == 24
    assert res["survey_responses"] == 150 and res["loaded"]["survey"]["imported"] == 150
    today = date.today().isoformat()
    assert res["loaded"]["survey"]["last_date"] <= today
    code, out, err = cli("--workspace", tmp_path / "ws", "report", "ikm", "--json")
    o = json.loads(out)["overall"]
    # answered around the office's recent index (3.32 in 2021, 3.37 in 2022); U8 or U3 the weakest
    assert 3.15 <= o["index"] <= 3.5 and o["category"] == "B" and o["weakest"][0] in ("u3", "u8")
    assert o["elements"][3]["average"] == max(e["average"] for e in o["elements"])     # U4 cost: free service
    code, out, err = cli("--workspace", tmp_path / "ws", "report", "complaints", "--json")
    s = json.loads(out)["summary"]
    assert s["received"] == 24 and 0.75 <= s["share_resolved"] <= 1.0
    # loading twice is refused; writing again with the same seed gives the same rows
    code, out, err = cli("--workspace", tmp_path / "ws", "sample", "ktpku-datang")
    assert code == 2 and "--no-load" in err
    code, out, err = cli("--workspace", tmp_path / "ws", "sample", "ktpku-datang", "--no-load", "--out",
                         tmp_path / "again", "--json")
    again = json.loads(out)
    assert code == 0 and again["loaded"] == {}
    for kind in ("complaints", "survey", "cards"):
        assert _cells(res["files"][kind]) == _cells(again["files"][kind]), kind

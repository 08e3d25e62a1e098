"""``sweet17 status NIK|NISN`` on the hand-counted world (tests/reports_world.py)."""

from __future__ import annotations

import json

import pytest
from reports_world import AS_OF, BY_KEY, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from sweet17.services.workspace import Workspace

    root = tmp_path_factory.mktemp("world")
    ws = Workspace.create(root / "ws")
    build_world(ws, root)
    ws.close()
    return root / "ws"


def status(cli, ws, query, *more):
    code, out, err = cli("--workspace", ws, "status", query, "--as-of", AS_OF.isoformat(), "--json", *more)
    assert code == 0, err
    data = json.loads(out)
    assert len(data["students"]) == 1
    return data["students"][0]


@pytest.mark.parametrize(("key", "current"), [
    ("A1", "already_recorded"), ("A2", "delivered"), ("A3", "printed"), ("A4", "recorded"), ("A5", "rejected"),
    ("A6", "absent"), ("A7", "not_yet_of_age"), ("A8", "not_yet_of_age"), ("B1", "approved"), ("B2", "eligible"),
    ("C1", "acknowledged"), ("C2", "not_yet_of_age"), ("W1", "recorded"),
])
def test_current_status(cli, world, key, current):
    s = status(cli, world, BY_KEY[key].nisn)
    assert s["current"] == current, s["events"]
    assert s["name"] == BY_KEY[key].name


def test_full_timeline_with_dates(cli, world):
    s = status(cli, world, BY_KEY["A2"].nik)
    reached = {m["stage"]: m["at"] for m in s["main_line"]}
    assert list(reached) == ["on_roster", "eligible", "called", "recorded", "approved", "synced", "acknowledged",
                             "printed", "delivered"]
    assert reached["eligible"] == "2026-01-15"            # 16th birthday
    assert reached["called"] == "2026-11-10"
    assert reached["recorded"].startswith("2026-11-10T08:10")
    assert reached["printed"] == "2026-11-15"
    assert reached["delivered"].startswith("2026-11-18")
    assert s["card_serial"] == "6311A0000001" and s["school"] == "SMA NEGERI 1 UJI"
    assert s["current_label"] == "KTP-el sudah diserahkan"
    rejected = status(cli, world, BY_KEY["A5"].nisn)
    ev = [e for e in rejected["events"] if e["stage"] == "rejected"][0]
    assert ev["detail"] == "Foto buram" and ev["at"].startswith("2026-11-10T17:05")
    assert "diulang" in rejected["next_step"]


def test_terminal_and_errors(cli, world):
    code, out, err = cli("--workspace", world, "status", BY_KEY["A2"].nisn, "--as-of", AS_OF.isoformat())
    assert code == 0 and "KTP-el sudah diserahkan" in out and "2026-11-15" in out
    code, out, err = cli("--workspace", world, "status", "1234567")
    assert code == 2 and "1234567" in err
    code, out, err = cli("--workspace", world, "status", "6311069999999999")
    assert code == 2 and "6311069999999999" in err
    code, out, err = cli("--workspace", world, "status", "0000000000", lang="en")
    assert code == 2 and "No student with NISN 0000000000" in err

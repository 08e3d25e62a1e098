"""The day's list comes from the real chain: sample drive -> roster import -> eligibility -> session."""

from __future__ import annotations

import json

from fakes_devices import fake_kit

from sweet17.adapters import crypto
from sweet17.services import keys, operators
from sweet17.services.session import daylist
from sweet17.services.session.service import start_session
from sweet17.services.workspace import Workspace


def test_day_list_from_imported_rosters(cli, tmp_path):
    ws_path, drive = tmp_path / "ws", tmp_path / "drive"
    assert cli("--workspace", ws_path, "init")[0] == 0
    code, out, err = cli("--workspace", ws_path, "sample", "balangan", "--seed", "5", "--students", "400",
                         "--start", "2027-01-11", "--out", drive, "--json")
    assert code == 0, err
    code, out, err = cli("--workspace", ws_path, "roster", "import", drive / "rosters")
    assert code == 0, err
    ws = Workspace.open(ws_path)
    try:
        hub = crypto.new_sealing_key()
        keys.install_hub_keys(ws, keys.HubKeys(crypto.public_raw(hub), crypto.public_raw(crypto.new_signing_key())))
        operators.create_operator(ws, "op1", "kata-sandi-1")
        from sweet17.services.drives import current_drive

        school = current_drive(ws).drive.schools[0].code
        from datetime import date

        day = date(2027, 1, 11)
        expected = daylist.fetch_call_list(ws, current_drive(ws).slug, school, day)
        s = start_session(ws, operators.authenticate(ws, "op1", "kata-sandi-1"), school, fake_kit(), day=day)
        listed = s.students()
        assert len(listed) == len(expected) > 0
        assert {x.student_ref for x in listed} == {f"roster:{e.student_id}" for e in expected}
        first = expected[0]
        m = s.search(first.nisn)[0] if first.nisn else s.search(first.name)[0]
        ck, _ = s.check_in(m.student.student_ref)
        assert ck.name == first.name and ck.nik == first.nik
        assert s.counts().checked_in == 1
        s.end()
    finally:
        ws.close()
    code, out, err = cli("--workspace", ws_path, "session", "status", "--json")
    assert json.loads(out)["session"] is None

"""Scripted mode (JSON/TOML actions), the CLI commands, and the operator's screen driven by answers."""

from __future__ import annotations

import io
import json

import pytest
from fakes_devices import always_low, fake_kit
from rich.console import Console
from session_helpers import DAY, PASSWORD, SCHOOL, STUDENTS, SUP_PASSWORD, make_workspace
from sqlalchemy import text

from sweet17.domain.session import CaptureRules
from sweet17.errors import ValidationError
from sweet17.services import operators
from sweet17.services.session.script import Runner, ScriptFailed, load_script
from sweet17.services.session.service import start_session

SCRIPT_TOML = f"""
[session]
stop_on_error = true

[[action]]
do = "signin"
username = "op1"
password_env = "OP_PW"

[[action]]
do = "checkin"
name = "siti nurhaliza"

[[action]]
do = "correct"
field = "name"
value = "SITI NURHALIZAH PUTRI"
reason = "akta kelahiran ditunjukkan"

[[action]]
do = "record"

[[action]]
do = "absent"
nisn = "{STUDENTS[2]['nisn']}"

[[action]]
do = "checkin"
nik = "{STUDENTS[3]['nik']}"

[[action]]
do = "record"
exceptions = [{{ modality = "finger", positions = "L4", kind = "missing", reason = "amputasi sejak kecil" }}]

[[action]]
do = "walkin"
name = "Dewi Lestari"
birth_date = "2008-04-04"
sex = "P"
reason = "pindahan dari sekolah lain"

[[action]]
do = "record"

[[action]]
do = "status"
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    ws, hub = make_workspace(tmp_path)
    monkeypatch.setenv("OP_PW", PASSWORD)
    monkeypatch.setenv("SUP_PW", SUP_PASSWORD)
    yield ws, hub, tmp_path
    ws.close()


def session(ws, kit=None):
    return start_session(ws, operators.authenticate(ws, "op1", PASSWORD), SCHOOL, kit or fake_kit(), day=DAY,
                         students=STUDENTS)


def test_load_script_errors_name_the_action(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[action]]\ndo = "signin"\n[[action]]\ndo = "dance"\n', encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        load_script(bad)
    assert e.value.row == 2 and "bad.toml" in str(e.value)
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationError):
        load_script(tmp_path / "x.json")
    (tmp_path / "e.json").write_text('{"actions": []}', encoding="utf-8")
    with pytest.raises(ValidationError):
        load_script(tmp_path / "e.json")
    with pytest.raises(ValidationError):
        load_script(tmp_path / "missing.toml")


def test_script_runs_a_small_day_and_replays_without_duplicates(env):
    ws, hub, tmp = env
    path = tmp / "day.toml"
    path.write_text(SCRIPT_TOML, encoding="utf-8")
    script = load_script(path)
    assert script.signin["username"] == "op1"
    s = session(ws)
    log = Runner(s).run(script.actions)
    assert all(entry.ok for entry in log), [e.to_dict() for e in log if not e.ok]
    counts = log[-1].data
    assert counts == {"called": 6, "checked_in": 3, "recorded": 3, "absent": 1, "remaining": 3, "walk_ins": 1,
                      "in_progress": 0}
    # running the same script again (what a resume after a crash does) changes nothing
    log2 = Runner(s).run(script.actions)
    assert all(entry.ok for entry in log2)
    with ws.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM recording")).scalar() == 3
        assert c.execute(text("SELECT COUNT(*) FROM correction")).scalar() == 1
        exc = c.execute(text("SELECT exceptions FROM recording WHERE nisn = :n"), {"n": STUDENTS[3]["nisn"]}).scalar()
    assert json.loads(exc) == ["Finger:Left LittleFinger"]


def test_script_force_capture_and_errors(env):
    ws, _, tmp = env
    s = session(ws, fake_kit(finger=always_low(15), rules=CaptureRules(max_retries=1)))
    actions = [
        {"do": "checkin", "nisn": STUDENTS[0]["nisn"]},
        {"do": "record"},                                   # needs a decision: fails
    ]
    with pytest.raises(ScriptFailed) as e:
        Runner(s).run(actions)
    assert "2 (record)" in str(e.value) and e.value.log[-1].n == 2
    actions[1] = {"do": "record", "force": {"reason": "jari aus", "supervisor": "sup1",
                                            "supervisor_password_env": "SUP_PW"}}
    log = Runner(s).run(actions)
    assert log[-1].ok and log[-1].data["forced"]
    # ambiguous names are refused, with on_error = continue the script goes on
    log = Runner(s).run([{"do": "checkin", "name": "muhammad", "on_error": "continue"},
                         {"do": "checkin", "name": "zzzz qqqq", "on_error": "continue"},
                         {"do": "status"}])
    assert [entry.ok for entry in log] == [False, False, True]


def test_cli_session_start_script_json_and_summary(cli, env, monkeypatch):
    ws, hub, tmp = env
    from sweet17.services.session import daylist, kit

    monkeypatch.setattr(kit, "load_kit", lambda _ws, _profile=None: fake_kit())
    monkeypatch.setattr(daylist, "fetch_call_list", lambda *_a: STUDENTS)
    path = tmp / "day.toml"
    path.write_text(SCRIPT_TOML, encoding="utf-8")
    ws.close()
    code, out, err = cli("--workspace", ws.path, "session", "start", "--school", SCHOOL, "--date", DAY.isoformat(),
                         "--script", path, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] and data["counts"]["recorded"] == 3 and data["session"]["school_code"] == SCHOOL
    assert [entry["do"] for entry in data["log"]][:2] == ["checkin", "correct"]
    code, out, err = cli("--workspace", ws.path, "session", "status", "--json")
    assert json.loads(out)["counts"]["recorded"] == 3
    # a second start is refused while the session is open; resume continues it (same script: no duplicates)
    code, out, err = cli("--workspace", ws.path, "session", "start", "--school", SCHOOL, "--date", DAY.isoformat(),
                         "--script", path)
    assert code == 2 and "session resume" in err
    path2 = tmp / "end.json"
    path2.write_text(json.dumps([{"do": "signin", "username": "op1", "password_env": "OP_PW"}, {"do": "end"}]),
                     encoding="utf-8")
    code, out, err = cli("--workspace", ws.path, "session", "resume", "--script", path, "--json")
    assert code == 0, err
    code, out, err = cli("--workspace", ws.path, "session", "resume", "--script", path2)
    assert code == 0, err
    code, out, err = cli("--workspace", ws.path, "session", "status", "--json")
    assert json.loads(out)["session"] is None
    code, out, err = cli("--workspace", ws.path, "session", "summary", "--date", DAY.isoformat(), "--export",
                         "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["rows"][0]["recorded"] == 3 and summary["export"].endswith(".xlsx")
    code, out, err = cli("--workspace", ws.path, "session", "resume", "--script", path2)
    assert code == 2
    # a wrong password in the script: exit 2, nothing started
    bad = tmp / "bad.json"
    bad.write_text(json.dumps([{"do": "signin", "username": "op1", "password": "salah-sandi"}]), encoding="utf-8")
    code, out, err = cli("--workspace", ws.path, "session", "start", "--school", SCHOOL, "--script", bad)
    assert code == 2 and "Traceback" not in err
    code, out, err = cli("--workspace", ws.path, "session", "status", "--json")
    assert json.loads(out)["session"] is None


def test_operator_screen_records_a_student(env):
    ws, hub, _ = env
    s = session(ws)
    answers = iter([
        "1", "ahmad fauzan", "1",        # find and check in
        "1",                             # the student agrees
        "1", "1", "1", "1", "1", "1",    # capture the six steps
        "1",                             # save
        "3", STUDENTS[2]["nisn"], "1",   # mark absent
        "0",                             # leave, session stays open
    ])
    out = io.StringIO()
    from sweet17.entrypoints.tui.session_app import SessionScreen

    screen = SessionScreen(s, console=Console(file=out, width=120, color_system=None),
                           ask=lambda prompt, secret=False: next(answers))
    screen.run()
    text_out = out.getvalue()
    c = s.counts()
    assert c.recorded == 1 and c.absent == 1
    assert "AHMAD FAUZAN RIFAI" in text_out
    # the device line is on every screen
    assert text_out.count("●") >= 4 * 8

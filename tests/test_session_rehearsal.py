"""A school day rehearsed against the SBI simulator (real HTTP on 127.0.0.1, signed answers, ISO
records) and a synthetic face video through OpenCV: students recorded, one absent, one walk-in,
one with a missing finger, and the fingerprint scanner unplugged in the middle of a capture."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from session_helpers import DAY, PASSWORD, SCHOOL, STUDENTS, SUP_PASSWORD, make_workspace
from sqlalchemy import text

pytestmark = pytest.mark.timeout(600)

PROFILE = """
name = "Rehearsal kit"
retries = 2
[thresholds]
finger = 40
iris = 50
face = 40
nfiq2_min = 20
[devices.sbi]
driver = "sbi"
port = {port}
env = "Developer"
trust_store = "{trust}"
timeout_ms = 10000
[devices.face-camera]
driver = "opencv"
source = "{video}"
loop = true
"""


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    """The SBI simulator on a free port, and a face video with both KTP-el backgrounds."""
    from sweet17.adapters.devices import facegen
    from sweet17.adapters.devices.sbi_sim import SbiSimulator

    root = tmp_path_factory.mktemp("rig")
    video = facegen.write_video(root / "face.avi", itertools.chain(
        facegen.frames("walk-in", 24, background="red"), facegen.frames("walk-in", 24, background="blue")))
    sim = SbiSimulator(root / "sim", port=0).start()
    profile = root / "kit.toml"
    profile.write_text(PROFILE.format(port=sim.port, trust=sim.trust_dir, video=video), encoding="utf-8")
    yield sim, profile
    sim.stop()


def test_school_day_against_the_simulator(rig, tmp_path):
    from sweet17.adapters import crypto
    from sweet17.services import operators
    from sweet17.services.session.audit_trail import verify
    from sweet17.services.session.kit import load_kit
    from sweet17.services.session.payloads import open_payload
    from sweet17.services.session.script import Runner
    from sweet17.services.session.service import start_session
    from sweet17.services.session.summary import day_summary

    sim, profile = rig
    sim.reset()
    ws, hub = make_workspace(tmp_path)
    kit = load_kit(ws, str(profile))
    assert set(kit.devices) == {"Face", "Finger", "Iris"} and kit.rules.threshold("Iris") == 50
    s = start_session(ws, operators.authenticate(ws, "op1", PASSWORD), SCHOOL, kit, day=DAY,
                      students=STUDENTS[:5])
    events = {"unplugged": False, "errors": []}

    def on_capture(o):
        # Student S002: after the right slap, the scanner is unplugged while the thumbs are captured.
        if o.step == "right_slap" and o.accepted and not events["unplugged"] and runner.current == ck2_id():
            events["unplugged"] = True
            sim.set_state("finger", delay_ms=4000)
            threading.Timer(0.8, sim.unplug, args=("finger",)).start()
        elif o.error:
            events["errors"].append((o.step, o.error, o.message))
            sim.plug("finger")
            sim.set_state("finger", delay_ms=0)

    def ck2_id():
        rows = [c for c in s.checkins() if c.student_ref == "S002"]
        return rows[0].id if rows else None

    runner = Runner(s, on_capture=on_capture)
    log = runner.run([
        {"do": "checkin", "nisn": STUDENTS[0]["nisn"]}, {"do": "record"},
        {"do": "checkin", "name": "siti nurhaliza putri"}, {"do": "record", "max_device_errors": 2},
        {"do": "absent", "ref": "S004"},
        {"do": "checkin", "nik": STUDENTS[2]["nik"]},
        {"do": "record", "exceptions": [{"modality": "finger", "positions": "L4", "kind": "missing",
                                         "reason": "amputasi sejak kecil"}]},
        {"do": "walkin", "name": "Dewi Lestari", "birth_date": "2008-04-04", "sex": "P",
         "reason": "pindahan dari sekolah lain"},
        {"do": "record"},
    ])
    assert all(entry.ok for entry in log), [entry.to_dict() for entry in log if not entry.ok]
    # the unplugged scanner: a clear message, no retry used, the capture went on once plugged back
    assert events["unplugged"] and events["errors"] and events["errors"][0][0] == "thumbs"
    assert events["errors"][0][2]
    c = s.counts()
    assert (c.recorded, c.absent, c.walk_ins, c.remaining) == (4, 1, 1, 1)
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, student_ref, exceptions, retries FROM recording")).all()
        errs = conn.execute(text("SELECT step, error FROM capture_step WHERE error <> ''")).all()
    assert len(rows) == 4 and [tuple(e) for e in errs][:1] == [("thumbs", errs[0][1])]
    by_ref = {r[1]: r for r in rows}
    assert json.loads(by_ref["S003"][2]) == ["Finger:Left LittleFinger"]
    assert by_ref["S002"][3] == 0                          # the device failure used no retry
    # the hub opens what the simulator captured: verified ISO records, WSQ fingers, the camera's photos
    with ws.engine.connect() as conn:
        sealed = conn.execute(text("SELECT sealed FROM recording_payload WHERE recording_id = :i"),
                              {"i": by_ref["S003"][0]}).scalar()
    p = open_payload(sealed, hub, by_ref["S003"][0])
    fingers = [r for r in p.records if r.modality == "Finger"]
    assert len(fingers) == 9 and all(r.nfiq2 is not None and r.quality >= 40 for r in fingers)
    assert all(r.device.get("driver") == "sbi" and r.hash for r in fingers)
    face = next(r for r in p.records if r.modality == "Face")
    assert face.device.get("driver") == "opencv" and p.blob(face.blob)[:2] == b"\xff\xd8"
    assert p.exceptions[0].proof_format.startswith("image/") and p.blob(p.exceptions[0].proof_blob)
    with pytest.raises(crypto.CryptoError):
        open_payload(sealed, crypto.new_sealing_key(), by_ref["S003"][0])
    assert verify(ws).ok
    summary = day_summary(ws, DAY)
    assert summary["schools"][0]["recorded"] == 4 and summary["rows"][0]["exceptions"] == 1
    s.end()
    ws.close()


def test_cli_rehearsal_with_the_kit_profile(rig, tmp_path, cli, monkeypatch):
    """The same commands make run uses: session start --kit PROFILE --script FILE, then the summary."""
    sim, profile = rig
    sim.reset()
    ws, _hub = make_workspace(tmp_path)
    from sweet17.services.session import daylist

    monkeypatch.setattr(daylist, "fetch_call_list", lambda *_a: STUDENTS)
    ws.close()
    monkeypatch.setenv("OP_PW", PASSWORD)
    monkeypatch.setenv("SUP_PW", SUP_PASSWORD)
    script = tmp_path / "rehearsal.toml"
    script.write_text(f"""
[[action]]
do = "signin"
username = "op1"
password_env = "OP_PW"
[[action]]
do = "checkin"
nisn = "{STUDENTS[5]['nisn']}"
[[action]]
do = "record"
[[action]]
do = "end"
""", encoding="utf-8")
    code, out, err = cli("--workspace", ws.path, "session", "start", "--school", SCHOOL, "--date", DAY.isoformat(),
                         "--kit", profile, "--script", script, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] and data["counts"]["recorded"] == 1 and data["session"]["status"] == "ended"
    code, out, err = cli("--workspace", ws.path, "session", "summary", "--date", DAY.isoformat(), "--json")
    assert json.loads(out)["rows"][0]["recorded"] == 1
    code, out, err = cli("--workspace", ws.path, "audit", "verify")
    assert code == 0, out

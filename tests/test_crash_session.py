"""Crash safety: kill -9 the session process at random moments, restart, and check that nothing was
lost or duplicated, the database is intact, the audit trail verifies, and resume finishes the day.

The normal suite runs a sample of trials; ``make soak`` (SWEET17_SOAK=1) runs a few hundred.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from session_helpers import DAY, PASSWORD, SCHOOL, STUDENTS, make_workspace

SCRIPT = [
    {"do": "signin", "username": "op1", "password": PASSWORD},
    {"do": "checkin", "ref": "S001"}, {"do": "record"},
    {"do": "checkin", "ref": "S002"}, {"do": "record"},
    {"do": "absent", "ref": "S003"},
    {"do": "checkin", "ref": "S004"},
    {"do": "record", "exceptions": [{"modality": "finger", "positions": "L4", "kind": "missing",
                                     "reason": "amputasi sejak kecil"}]},
    {"do": "walkin", "name": "Dewi Lestari", "birth_date": "2008-04-04", "sex": "P",
     "reason": "pindahan dari sekolah lain"},
    {"do": "record"},
    {"do": "checkin", "ref": "S005"}, {"do": "record"},
]
EXPECTED = {"S001": 14, "S002": 14, "S004": 13, "S005": 14, "walkin:DEWI LESTARI:2008-04-04": 14}


def _kit():
    from fakes_devices import fake_kit, low_until

    return fake_kit(finger=low_until(2), latency=0.002)


def run_day(ws_path: Path) -> None:
    """What the session process does: sign in, start or resume, run the script."""
    from sweet17.services import operators
    from sweet17.services.session.script import Runner
    from sweet17.services.session.service import open_session, resume_session, start_session
    from sweet17.services.workspace import Workspace

    ws = Workspace.open(ws_path)
    op = operators.authenticate(ws, "op1", PASSWORD)
    if open_session(ws) is not None:
        s = resume_session(ws, op, _kit())
    else:
        s = start_session(ws, op, SCHOOL, _kit(), day=DAY, students=STUDENTS)
    Runner(s).run(SCRIPT)
    ws.close()


def spawn(ws_path: Path) -> int:
    pid = os.fork()
    if pid == 0:   # the session process
        code = 0
        try:
            run_day(ws_path)
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def check_consistent(ws_path: Path, hub_private=None, *, final: bool = False) -> dict:
    """Invariants that must hold after any crash (and, with ``final``, after the day is finished)."""
    from sweet17.adapters import crypto
    from sweet17.domain import payload as pl
    from sweet17.services.keys import laptop_public
    from sweet17.services.session.audit_trail import verify
    from sweet17.services.workspace import Workspace

    con = sqlite3.connect(ws_path / "sweet17.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    recs = con.execute("SELECT r.id, r.student_ref, r.manifest, r.signature, r.payload_sha256, p.sealed, p.sha256 "
                       "FROM recording r LEFT JOIN recording_payload p ON p.recording_id = r.id").fetchall()
    committed = dict(con.execute("SELECT recording_id, student_ref FROM checkin WHERE status = 'committed'").fetchall())
    steps = con.execute("SELECT c.status, s.data, s.data_sha256 FROM capture_step s JOIN checkin c ON c.id = s.checkin_id"
                        ).fetchall()
    absent = con.execute("SELECT student_ref FROM checkin WHERE status = 'absent'").fetchall()
    con.close()
    refs = [r[1] for r in recs]
    assert len(refs) == len(set(refs)), f"a student recorded twice: {refs}"
    assert {r[0] for r in recs} == set(committed), "recording and check-in disagree"
    ws = Workspace.open(ws_path)
    try:
        pub = laptop_public(ws)
        for rid, ref, manifest, sig, sha, sealed, psha in recs:
            assert sealed is not None and crypto.sha256_hex(sealed) == sha == psha, "payload missing or torn"
            crypto.verify(pub, base64.b64decode(sig), manifest.encode())
            assert json.loads(manifest)["payload_sha256"] == sha
            if hub_private is not None:
                from sweet17.services.session.payloads import open_payload

                p = open_payload(sealed, hub_private, rid)
                assert len(p.records) == EXPECTED[ref]
        for status, data, dsha in steps:
            if status in ("committed", "cancelled"):
                assert data is None
            elif data is not None:
                assert pl.sha256_hex(data) == dsha and pl.decode(data).records
        report = verify(ws)
        assert report.ok, report.problems
    finally:
        ws.close()
    if final:
        assert sorted(refs) == sorted(EXPECTED)
        assert absent == [("S003",)]
    return {"recorded": len(refs)}


def audit_head(ws_path: Path) -> int:
    con = sqlite3.connect(ws_path / "sweet17.db", timeout=10)
    try:
        return int(con.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_log").fetchone()[0])
    finally:
        con.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A fresh workspace to copy for each trial, its hub key, and how many audit entries a whole day
    writes (measured on a calibration run), so that kill points spread over the whole day whatever the
    machine's speed."""
    root = tmp_path_factory.mktemp("crash")
    ws, hub = make_workspace(root)
    ws.close()
    shutil.copytree(root / "ws", root / "fresh")
    before = audit_head(root / "ws")
    run_day(root / "ws")
    check_consistent(root / "ws", hub, final=True)
    return root / "fresh", hub, before, audit_head(root / "ws")


def trials(template, tmp_path, n: int, seed: int) -> list[int]:
    """Kill -9 the session process right after a randomly chosen audit entry of the day, plus a random
    0-15 ms (so the kill lands inside the next sealing, transaction or fsync), then check and resume."""
    src, hub, first, last = template
    rng = random.Random(seed)
    seen = []
    for i in range(n):
        ws_path = tmp_path / f"t{i}"
        shutil.copytree(src, ws_path)
        target = rng.randint(first, last)
        pid = spawn(ws_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                pid = 0                                   # finished before the kill point
                break
            if audit_head(ws_path) >= target:
                break
            time.sleep(0.001)
        if pid:
            time.sleep(rng.uniform(0.0, 0.015))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        state = check_consistent(ws_path, hub)            # straight after the crash
        seen.append(state["recorded"])
        pid = spawn(ws_path)                              # restart: resume finishes the day
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, f"trial {i}: resume failed"
        check_consistent(ws_path, hub, final=True)
        shutil.rmtree(ws_path)
    return seen


def test_kill9_at_random_points_sample(template, tmp_path):
    seen = trials(template, tmp_path, int(os.environ.get("SWEET17_CRASH_TRIALS", "20")), seed=17)
    print("recordings at the moment of the kill:", seen)
    assert len(set(seen)) >= 3, f"kills did not spread over the day: {seen}"


@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("SWEET17_SOAK"), reason="soak run only (make soak)")
def test_kill9_at_random_points_soak(template, tmp_path):
    seen = trials(template, tmp_path, int(os.environ.get("SWEET17_SOAK_TRIALS", "300")),
                  seed=int(os.environ.get("SWEET17_SOAK_SEED", "2026")))
    assert set(seen) >= set(range(len(EXPECTED)))      # every phase of the day was hit

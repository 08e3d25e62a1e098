"""The recording session against fake devices: day's list, check-in, consent, capture sequence,
retries, force-capture, exceptions, corrections, walk-ins, review, atomic commit, limits, faults."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from fakes_devices import always_low, fake_kit, low_until
from session_helpers import DAY, PASSWORD, SCHOOL, STUDENTS, SUP_PASSWORD, make_workspace
from sqlalchemy import event, text

from sweet17.adapters import crypto
from sweet17.domain.recording import RecordingManifest
from sweet17.domain.session import CaptureRules
from sweet17.errors import UserError
from sweet17.services import operators
from sweet17.services.session.errors import DiskFull, SessionError, SessionIdle, WorkspaceMissing
from sweet17.services.session.payloads import open_payload
from sweet17.services.session.service import resume_session, start_session


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


@pytest.fixture
def env(tmp_path):
    ws, hub = make_workspace(tmp_path)
    op = operators.authenticate(ws, "op1", PASSWORD)
    yield ws, hub, op
    ws.close()


def start(env, kit=None, **kw):
    ws, _hub, op = env
    return start_session(ws, op, SCHOOL, kit or fake_kit(), day=DAY, students=STUDENTS, **kw)


def capture_all(s, cid):
    outcomes = []
    while True:
        o = s.capture_next(cid)
        if o.state == "complete":
            return outcomes
        outcomes.append(o)
        if o.state == "decide":
            return outcomes


def record(s, ref):
    ck, _ = s.check_in(ref)
    s.consent(ck.id)
    capture_all(s, ck.id)
    s.review(ck.id)
    return ck, s.commit(ck.id)


def q(ws, sql, **params):
    with ws.engine.connect() as c:
        return c.execute(text(sql), params).all()


def test_search_by_fuzzy_name_nisn_and_nik(env):
    s = start(env)
    assert s.search("siti nurhaliza")[0].student.student_ref == "S002"
    assert s.search("Ahmad Fauzan Rifa'i")[0].student.student_ref == "S001"       # apostrophe, case
    assert s.search("muhamad riski ananda")[0].student.student_ref == "S003"      # spelling as heard
    assert [m.by for m in s.search("0081234505")] == ["nisn"]
    assert s.search("81234505")[0].student.student_ref == "S005"                  # leading zeros lost
    assert s.search("6311.0602.0208.0006")[0].student.student_ref == "S006"
    assert s.search("6311060202089999") == []
    assert s.search("zzzzzz") == []


def test_checkin_is_idempotent_and_counts_live(env):
    s = start(env)
    assert s.counts().remaining == 6
    ck, created = s.check_in("S001")
    again, created2 = s.check_in("S001")
    assert created and not created2 and again.id == ck.id
    assert s.counts().to_dict() == {"called": 6, "checked_in": 1, "recorded": 0, "absent": 0, "remaining": 5,
                                    "walk_ins": 0, "in_progress": 1}
    with pytest.raises(SessionError):
        s.check_in("NOT-ON-LIST")


def test_consent_comes_before_capture(env):
    s = start(env)
    ck, _ = s.check_in("S001")
    with pytest.raises(SessionError):
        s.capture_next(ck.id)
    with pytest.raises(SessionError):
        s.consent(ck.id, given_by="guardian")         # needs the guardian's name
    assert s.consent(ck.id, given_by="guardian", guardian_name="Ibu Contoh", method="signed")
    assert not s.consent(ck.id)                       # already recorded
    row = q(env[0], "SELECT given_by, guardian_name, method, statement_version FROM consent")[0]
    assert tuple(row[:3]) == ("guardian", "Ibu Contoh", "signed") and row[3]


def test_full_capture_with_retries_commit_signed_and_sealed(env):
    ws, hub, op = env
    kit = fake_kit(finger=low_until(2), signature_pad=True)
    s = start(env, kit)
    ck, res = record(s, "S002")
    assert res.retries == 3 and not res.force_captured and res.exceptions == ()
    rec = q(ws, "SELECT id, status, manifest, signature, payload_sha256, payload_size, retries, nik, name, operator "
                "FROM recording")[0]
    assert rec[0] == ck.recording_id and rec[1] == "captured" and rec[6] == 3 and rec[9] == "op1"
    manifest = RecordingManifest.from_canonical(rec[2].encode())
    assert manifest.canonical().decode() == rec[2]
    from sweet17.services.keys import laptop_public

    crypto.verify(laptop_public(ws), base64.b64decode(rec[3]), rec[2].encode())     # the laptop signed it
    sealed, sha, size = q(ws, "SELECT sealed, sha256, size FROM recording_payload")[0]
    assert crypto.sha256_hex(sealed) == sha == manifest.payload_sha256 == rec[4] and size == rec[5] == len(sealed)
    assert manifest.modalities["Finger"]["count"] == 10 and manifest.modalities["Iris"]["count"] == 2
    p = open_payload(sealed, hub, ck.recording_id)
    assert [r.step for r in p.records] == ["face"] + ["left_slap"] * 4 + ["right_slap"] * 4 + ["thumbs"] * 2 + \
        ["iris"] * 2 + ["signature"]
    assert {r.attempt for r in p.records if r.modality == "Finger"} == {2}           # the accepted attempts
    # the device was asked for the right positions and scores
    slap = kit.devices["Finger"].requests[0]
    assert slap.sub_id == 1 and slap.requested_score == 40 and slap.count == 4
    assert kit.devices["Iris"].requests[0].sub_id == 3 and kit.devices["Iris"].requests[0].requested_score == 60
    # the check-in is closed, step data cleared, the audit trail has the commit
    assert q(ws, "SELECT status FROM checkin WHERE id = :i", i=ck.id)[0][0] == "committed"
    assert q(ws, "SELECT COUNT(*) FROM capture_step WHERE data IS NOT NULL")[0][0] == 0
    assert q(ws, "SELECT COUNT(*) FROM audit_log WHERE action = 'recording.commit' AND object = :r",
             r=ck.recording_id)[0][0] == 1
    assert s.counts().recorded == 1
    # committing again gives the same recording, never a second one
    again = s.commit(ck.id)
    assert again.already and again.recording_id == ck.recording_id
    assert q(ws, "SELECT COUNT(*) FROM recording")[0][0] == 1


def test_force_capture_needs_supervisor_after_retries(env):
    ws, hub, op = env
    s = start(env, fake_kit(finger=always_low(20), rules=CaptureRules(max_retries=2)))
    ck, _ = s.check_in("S001")
    s.consent(ck.id)
    outs = capture_all(s, ck.id)
    assert outs[-1].step == "left_slap" and outs[-1].state == "decide"
    assert [o.attempt for o in outs if o.step == "left_slap"] == [1, 2, 3]
    with pytest.raises(SessionError):
        s.capture_next(ck.id)                         # no retries left: a decision is needed
    with pytest.raises(SessionError):
        s.force_capture(ck.id, "left_slap", "jari sangat kering", op)          # an operator cannot confirm
    sup = operators.authenticate(ws, "sup1", SUP_PASSWORD, role="supervisor")
    with pytest.raises(SessionError):
        s.force_capture(ck.id, "left_slap", "", sup)                            # a reason is needed
    assert s.force_capture(ck.id, "left_slap", "jari sangat kering", sup)
    assert not s.force_capture(ck.id, "left_slap", "jari sangat kering", sup)   # idempotent
    for step in ("right_slap", "thumbs"):
        outs = capture_all(s, ck.id)
        assert outs[-1].state == "decide" and outs[-1].step == step
        s.force_capture(ck.id, step, "jari sangat kering", sup)
    capture_all(s, ck.id)
    sheet = s.review(ck.id)
    assert sheet["forced"] == ["left_slap", "right_slap", "thumbs"]
    res = s.commit(ck.id)
    assert res.force_captured
    p = open_payload(q(ws, "SELECT sealed FROM recording_payload")[0][0], hub, res.recording_id)
    assert {r.attempt for r in p.records if r.step == "left_slap"} == {3}          # the best attempt (25 + n)
    assert all(r.force_captured for r in p.records if r.modality == "Finger")
    assert p.force_captures[0]["supervisor"] == "sup1"
    man = json.loads(q(ws, "SELECT manifest FROM recording")[0][0])
    assert man["force_captured"] is True and man["modalities"]["Finger"]["forced"] is True
    assert q(ws, "SELECT COUNT(*) FROM audit_log WHERE action = 'capture.force'")[0][0] == 3


def test_missing_finger_is_an_exception_with_proof_and_fewer_fingers_asked(env):
    ws, hub, _ = env
    kit = fake_kit()
    s = start(env, kit)
    ck, _ = s.check_in("S003")
    s.consent(ck.id)
    with pytest.raises(SessionError):
        s.mark_exception(ck.id, "finger", "L4", "missing", "")               # reason needed
    with pytest.raises(SessionError):
        s.mark_exception(ck.id, "face", "", "missing", "tidak ada")
    keys = s.mark_exception(ck.id, "finger", "L4", "missing", "amputasi sejak kecil")
    assert keys == ["Finger:Left LittleFinger"]
    assert s.mark_exception(ck.id, "finger", "L4", "missing", "amputasi sejak kecil") == []   # already marked
    s.mark_exception(ck.id, "finger", "thumbs", "injured", "kedua jempol diperban")
    camera = kit.devices["Face"]
    proof_requests = [r for r in camera.requests if "ExceptionPhoto" in r.sub_types]
    assert len(proof_requests) == 2                                                   # one proof photo per marking
    capture_all(s, ck.id)
    finger_reqs = kit.devices["Finger"].requests
    assert [(r.sub_id, r.count) for r in finger_reqs] == [(1, 3), (2, 4)]            # thumbs: no device call
    assert finger_reqs[0].exceptions == ("Left LittleFinger",)
    s.review(ck.id)
    res = s.commit(ck.id)
    assert res.exceptions == ("Finger:Left LittleFinger", "Finger:Left Thumb", "Finger:Right Thumb")
    p = open_payload(q(ws, "SELECT sealed FROM recording_payload")[0][0], hub, res.recording_id)
    assert len([r for r in p.records if r.modality == "Finger"]) == 7
    kinds = {e.position: (e.kind, e.proof_blob) for e in p.exceptions}
    assert kinds["Left Thumb"][1] == kinds["Right Thumb"][1] != kinds["Left LittleFinger"][1]   # shared proof
    assert p.blob(kinds["Left LittleFinger"][1]).startswith(b"SYNTHETIC-BIOMETRIC")
    assert q(ws, "SELECT COUNT(*) FROM capture_exception WHERE proof IS NOT NULL")[0][0] == 0


def test_device_lost_mid_capture_uses_no_retry_and_continues(env):
    ws, _, _ = env
    kit = fake_kit()
    kit.devices["Finger"].fail_calls = {2}          # unplugged during the right slap
    s = start(env, kit)
    ck, _ = s.check_in("S004")
    s.consent(ck.id)
    outs = []
    for _i in range(3):
        outs.append(s.capture_next(ck.id))
    assert [o.step for o in outs] == ["face", "left_slap", "right_slap"]
    lost = outs[-1]
    assert lost.error == "DeviceDisconnected" and not lost.accepted and lost.message
    assert lost.state == "pending"                 # no retry used
    kit.devices["Iris"].unplugged = True
    status = {d["modality"]: d["status"] for d in kit.status()}
    assert status["Iris"] == "Disconnected" and status["Finger"] == "Ready"
    o = s.capture_next(ck.id)
    assert o.step == "right_slap" and o.accepted and o.attempt == 2
    s.capture_next(ck.id)                          # thumbs
    o = s.capture_next(ck.id)
    assert o.step == "iris" and o.error
    kit.devices["Iris"].unplugged = False
    capture_all(s, ck.id)
    s.review(ck.id)
    assert s.commit(ck.id).retries == 0
    assert q(ws, "SELECT COUNT(*) FROM capture_step WHERE error <> ''")[0][0] == 2


def test_face_background_rule(env):
    s = start(env, fake_kit(background="blue"))
    odd, _ = s.check_in("S003")                     # born 2009: red
    s.consent(odd.id)
    o = s.capture_next(odd.id)
    assert o.expected_background == "red" and "background" in o.problems and not o.accepted
    even, _ = s.check_in("S001")                    # born 2008: blue
    s.consent(even.id)
    o = s.capture_next(even.id)
    assert o.expected_background == "blue" and o.accepted


def test_corrections_are_recorded_and_never_touch_the_roster(env):
    ws, hub, _ = env
    s = start(env)
    ck, _ = s.check_in("S006")
    with pytest.raises(SessionError):
        s.correct(ck.id, "name", "RAHMAT HIDAYATULLAH", "")
    with pytest.raises(SessionError):
        s.correct(ck.id, "birth_date", "2008-13-01", "akta kelahiran")
    with pytest.raises(SessionError):
        s.correct(ck.id, "rombel", "XII", "salah kelas")
    assert s.correct(ck.id, "name", "rahmat  hidayatullah", "akta kelahiran ditunjukkan")
    assert not s.correct(ck.id, "name", "RAHMAT HIDAYATULLAH", "akta kelahiran ditunjukkan")   # no change
    assert s.correct(ck.id, "birth_date", "2008-02-12", "akta kelahiran ditunjukkan")
    row = q(ws, "SELECT field, old_value, new_value, reason, operator FROM correction ORDER BY id")
    assert [tuple(r) for r in row] == [("name", "RAHMAT HIDAYAT", "RAHMAT HIDAYATULLAH", "akta kelahiran ditunjukkan",
                                        "op1"),
                                       ("birth_date", "2008-02-02", "2008-02-12", "akta kelahiran ditunjukkan", "op1")]
    assert q(ws, "SELECT name, birth_date FROM day_list WHERE student_ref = 'S006'")[0] == ("RAHMAT HIDAYAT",
                                                                                            "2008-02-02")
    s.consent(ck.id)
    capture_all(s, ck.id)
    s.review(ck.id)
    res = s.commit(ck.id)
    man = json.loads(q(ws, "SELECT manifest FROM recording")[0][0])
    assert man["name"] == "RAHMAT HIDAYATULLAH" and man["birth_date"] == "2008-02-12"
    p = open_payload(q(ws, "SELECT sealed FROM recording_payload")[0][0], hub, res.recording_id)
    assert [c["field"] for c in p.subject["corrections"]] == ["name", "birth_date"]
    details = " ".join(r[0] for r in q(ws, "SELECT details FROM audit_log WHERE action = 'correction'"))
    assert "HIDAYATULLAH" not in details and "akta" in details       # why and who, not the personal data


def test_walk_in(env):
    ws, _, _ = env
    s = start(env)
    with pytest.raises(SessionError):
        s.walk_in(name="Dewi Lestari", birth_date="2008-04-04", sex="P", reason="")
    with pytest.raises(SessionError) as e:
        s.walk_in(name="Dewi Lestari", birth_date="2011-04-04", sex="P", reason="pindahan")    # too young
    assert e.value.field == "birth_date"
    with pytest.raises(SessionError):
        s.walk_in(name="Dewi Lestari", birth_date="2008-04-04", sex="X", reason="pindahan")
    with pytest.raises(SessionError):   # this NIK is on today's list
        s.walk_in(name="Siti", birth_date="2008-05-15", sex="P", reason="x" * 5, nik=STUDENTS[1]["nik"])
    ck, created = s.walk_in(name="dewi lestari", birth_date="2008-04-04", sex="p", nik="6311064404080099",
                            reason="pindahan dari sekolah lain")
    again, created2 = s.walk_in(name="Dewi Lestari", birth_date="2008-04-04", sex="P", nik="6311064404080099",
                                reason="pindahan dari sekolah lain")
    assert created and not created2 and again.id == ck.id and ck.name == "DEWI LESTARI" and ck.source == "walk_in"
    assert s.search("dewi lestari")[0].student.student_ref == ck.student_ref
    s.consent(ck.id)
    capture_all(s, ck.id)
    s.review(ck.id)
    s.commit(ck.id)
    c = s.counts()
    assert c.walk_ins == 1 and c.recorded == 1 and c.called == 6 and c.remaining == 6
    assert q(ws, "SELECT reason, operator FROM walk_in")[0] == ("pindahan dari sekolah lain", "op1")


def test_absent_then_late_arrival(env):
    s = start(env)
    a = s.mark_absent("S005")
    assert s.mark_absent("S005").id == a.id
    assert s.counts().absent == 1
    ck, created = s.check_in("S005")
    assert created and ck.id == a.id and ck.status == "checked_in"
    assert s.counts().absent == 0 and s.counts().checked_in == 1
    with pytest.raises(SessionError):
        s.mark_absent("S005")


def test_student_recorded_earlier_is_not_recorded_twice(env, tmp_path):
    ws, _, op = env
    s = start(env)
    record(s, "S001")
    s.end()
    from datetime import date

    s2 = start_session(ws, op, SCHOOL, fake_kit(), day=date(2026, 11, 24), students=STUDENTS)
    with pytest.raises(SessionError) as e:
        s2.check_in("S001")
    assert "AHMAD FAUZAN RIFAI" in str(e.value)


def test_commit_needs_complete_capture_and_review(env):
    s = start(env)
    ck, _ = s.check_in("S001")
    s.consent(ck.id)
    s.capture_next(ck.id)
    with pytest.raises(SessionError):
        s.commit(ck.id)
    sheet = s.review(ck.id)
    assert not sheet["complete"] and sheet["checkin"]["status"] == "capturing"
    capture_all(s, ck.id)
    with pytest.raises(SessionError):
        s.commit(ck.id)                           # complete, but not reviewed yet
    assert s.review(ck.id)["complete"]
    s.commit(ck.id)


def test_cancel_erases_sealed_step_data(env):
    ws, _, _ = env
    s = start(env)
    ck, _ = s.check_in("S001")
    s.consent(ck.id)
    s.capture_next(ck.id)
    s.capture_next(ck.id)
    assert q(ws, "SELECT COUNT(*) FROM capture_step WHERE data IS NOT NULL")[0][0] == 2
    with pytest.raises(SessionError):
        s.cancel(ck.id, "")
    s.cancel(ck.id, "siswa sakit, pulang")
    assert q(ws, "SELECT COUNT(*) FROM capture_step WHERE data IS NOT NULL")[0][0] == 0
    assert s.counts().remaining == 6
    ck2, created = s.check_in("S001")           # may come back later
    assert created and ck2.id != ck.id and ck2.recording_id != ck.recording_id


def test_idle_timeout_locks_until_sign_in(env):
    ws, _, op = env
    clock = Clock()
    s = start(env, clock=clock)
    ck, _ = s.check_in("S001")
    clock.advance(minutes=9)
    s.consent(ck.id)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(SessionIdle):
        s.capture_next(ck.id)
    assert s.info().status == "idle"
    with pytest.raises(SessionIdle):
        s.capture_next(ck.id)
    sup = operators.authenticate(ws, "sup1", SUP_PASSWORD)
    s.reopen(sup)                                 # another team member takes over
    assert s.info().status == "open" and s.user == "sup1"
    assert s.capture_next(ck.id).accepted
    details = json.loads(q(ws, "SELECT details FROM audit_log WHERE action = 'session.unlock'")[0][0])
    assert details["handover_from"] == "op1"


def test_offline_limit_blocks_new_sessions(env):
    ws, _, op = env
    s = start(env)
    record(s, "S001")
    record(s, "S002")
    s.end()
    old = (datetime.now(UTC) - timedelta(days=9)).isoformat(timespec="seconds")
    with ws.engine.begin() as c:
        c.execute(text("UPDATE recording SET captured_at = :t"), {"t": old})
    with pytest.raises(SessionError) as e:
        start_session(ws, op, SCHOOL, fake_kit(), day=DAY, students=STUDENTS)
    assert "sweet17 sync" in str(e.value)
    with ws.engine.begin() as c:
        c.execute(text("UPDATE recording SET status = 'approved'"))
    with pytest.raises(SessionError):               # approved but still not synced
        start_session(ws, op, SCHOOL, fake_kit(), day=DAY, students=STUDENTS)
    with ws.engine.begin() as c:
        c.execute(text("UPDATE recording SET status = 'synced'"))
    start_session(ws, op, SCHOOL, fake_kit(), day=DAY, students=STUDENTS).end()
    # the count limit
    ws.config.setdefault("session", {})["offline_max_awaiting"] = 1
    with ws.engine.begin() as c:
        c.execute(text("UPDATE recording SET status = 'captured', captured_at = :t"),
                  {"t": datetime.now(UTC).isoformat()})
    with pytest.raises(SessionError) as e:
        start_session(ws, op, SCHOOL, fake_kit(), day=DAY, students=STUDENTS)
    assert "queue approve" in str(e.value)


def test_start_refusals(env, tmp_path):
    ws, _, op = env
    with pytest.raises(SessionError) as e:
        start_session(ws, op, "NOPE", fake_kit(), day=DAY, students=STUDENTS)
    assert e.value.field == "--school"
    kit = fake_kit()
    del kit.devices["Iris"]
    with pytest.raises(SessionError) as e:
        start_session(ws, op, SCHOOL, kit, day=DAY, students=STUDENTS)
    assert e.value.field == "--kit"
    s = start(env)
    with pytest.raises(SessionError) as e:          # one open session per laptop
        start(env)
    assert "session resume" in str(e.value)
    s.end()
    (ws.keys_dir / "hub.json").unlink()
    with pytest.raises(UserError):
        start(env)


def test_resume_after_restart_continues_where_it_stopped(env):
    ws, hub, op = env
    s = start(env)
    ck, _ = s.check_in("S002")
    s.consent(ck.id)
    for _i in range(3):
        s.capture_next(ck.id)
    # "restart": a new session object over a fresh engine
    ws.close()
    from sweet17.services.workspace import Workspace

    ws2 = Workspace.open(ws.path)
    op2 = operators.authenticate(ws2, "op1", PASSWORD)
    r = resume_session(ws2, op2, fake_kit())
    assert [c.id for c in r.in_progress()] == [ck.id]
    assert r.progress(ck.id).next.spec.step.value == "thumbs"
    capture_all(r, ck.id)
    r.review(ck.id)
    res = r.commit(ck.id)
    p = open_payload(q(ws2, "SELECT sealed FROM recording_payload")[0][0], hub, res.recording_id)
    assert len(p.records) == 14
    ws2.close()


def test_disk_full_is_clear_and_nothing_half_written(env):
    from sqlalchemy.engine import Engine

    from sweet17.domain import payload as pl

    ws, _, _ = env
    s = start(env)
    ck, _ = s.check_in("S001")
    s.consent(ck.id)
    s.capture_next(ck.id)
    pages = q(ws, "PRAGMA page_count")[0][0]

    def limit(dbapi_conn, _rec):      # the database may not grow: what a full disk looks like to SQLite
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", limit)
    try:
        ws.close()
        for _round in range(2):         # while the disk stays full, every try is refused the same clean way
            with pytest.raises(DiskFull) as e:
                for _i in range(30):
                    s.capture_next(ck.id)
            assert "session resume" in str(e.value)
    finally:
        event.remove(Engine, "connect", limit)
    ws.close()                          # space freed
    for data, sha in q(ws, "SELECT data, data_sha256 FROM capture_step"):
        assert pl.sha256_hex(data) == sha and pl.decode(data).records     # every stored step is whole
    con = sqlite3.connect(ws.db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    capture_all(s, ck.id)
    s.review(ck.id)
    assert s.commit(ck.id).recording_id


def test_missing_workspace_is_clear_and_session_continues(env, tmp_path):
    ws, _, _ = env
    s = start(env)
    ck, _ = s.check_in("S001")
    s.consent(ck.id)
    s.capture_next(ck.id)
    moved = tmp_path / "unplugged"
    ws.close()
    ws.path.rename(moved)
    with pytest.raises(WorkspaceMissing) as e:
        s.capture_next(ck.id)
    assert str(ws.path) in str(e.value)
    assert not ws.path.exists()                  # nothing re-created in its place
    moved.rename(ws.path)
    capture_all(s, ck.id)
    s.review(ck.id)
    s.commit(ck.id)
    assert q(ws, "SELECT COUNT(*) FROM recording")[0][0] == 1


def test_summary_and_export(env, tmp_path):
    ws, _, op = env
    s = start(env, fake_kit(finger=low_until(2)))
    record(s, "S001")
    record(s, "S002")
    s.mark_absent("S003")
    ck, _ = s.walk_in(name="Dewi Lestari", birth_date="2008-04-04", sex="P", reason="pindahan dari sekolah lain")
    s.consent(ck.id)
    capture_all(s, ck.id)
    s.review(ck.id)
    s.commit(ck.id)
    from sweet17.services.session.summary import day_summary, export_summary

    data = day_summary(ws, DAY)
    assert data["rows"] == [{"school_code": SCHOOL, "operator": "op1", "recorded": 3, "absent": 1, "walk_ins": 1,
                             "cancelled": 0, "retries": 9, "force_captures": 0, "exceptions": 0,
                             "avg_capture_seconds": data["rows"][0]["avg_capture_seconds"]}]
    assert data["schools"] == [{"school_code": SCHOOL, "called": 6, "recorded": 3, "absent": 1, "walk_ins": 1,
                                "remaining": 3}]
    path = export_summary(ws, data, out_dir=tmp_path / "exports")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames[1] == SCHOOL
    sheet = wb[SCHOOL]
    names = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "DEWI LESTARI" in names and len(names) == 7
    flat = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert not any(st["nik"] in flat for st in STUDENTS)          # no NIKs in the coordinator's file
    assert q(ws, "SELECT COUNT(*) FROM audit_log WHERE action = 'session.export'")[0][0] == 1

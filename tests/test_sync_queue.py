"""The supervisor's queue on the laptop: listing with flags first, approval and rejection with the
supervisor's own sign-in, rejected students back on the next visit's list, and the purge of
payloads only after a verified receipt and the retention period."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from recording_factory import make_many, make_recording
from sqlalchemy import text
from sync_fixtures import hub, indonesian, laptop, make_laptop, served, sqlite_hub_db  # noqa: F401  (fixtures)

from sweet17.errors import UserError
from sweet17.services.sync import queue as Q


@pytest.fixture
def hub_db(sqlite_hub_db):  # these tests only need the laptop side: SQLite hub
    return sqlite_hub_db


@pytest.fixture
def ws(tmp_path, hub):
    w = make_laptop(tmp_path / "ws", hub)
    from sweet17.services.operators import create_operator

    create_operator(w, "spv.rahmah", "rahasia-spv-17", role="supervisor")
    create_operator(w, "op.budi", "rahasia-op-17", role="operator")
    yield w
    w.close()


def test_queue_lists_flags_first_and_what_is_held(ws):
    clean = make_many(ws, 2)
    forced = make_recording(ws, i=10, force_captured=True)
    missing = make_recording(ws, i=11, exceptions=("Finger:Left LittleFinger",))
    items = Q.list_queue(ws)
    assert {items[0].id, items[1].id} == {forced, missing} and all(i.flagged for i in items[:2])
    assert {i.id for i in items[2:]} == set(clean)
    assert all(i.held == "awaiting_approval" and i.payload_held for i in items)
    assert Q.counts(items)["flagged"] == 2
    with pytest.raises(UserError):
        Q.list_queue(ws, "bogus")


def test_approve_all_clean_leaves_flagged_for_explicit_review(ws):
    clean = make_many(ws, 3)
    forced = make_recording(ws, i=10, force_captured=True)
    res = Q.approve(ws, [], "spv.rahmah", all_clean=True)
    assert sorted(res.decided) == sorted(clean)
    status = dict(_rows(ws, "SELECT id, status FROM recording"))
    assert status[forced] == "captured"
    res = Q.approve(ws, [forced[:8]], "spv.rahmah")               # a unique prefix is enough
    assert res.decided == [forced]
    again = Q.approve(ws, [forced], "spv.rahmah")
    assert again.decided == [] and again.skipped[0]["reason"] == "already approved"
    decisions = _rows(ws, "SELECT recording_id, decision, supervisor FROM queue_decision")
    assert len(decisions) == 4 and {d[2] for d in decisions} == {"spv.rahmah"}
    audit = [r[0] for r in _rows(ws, "SELECT action FROM audit_log WHERE action = 'recording.approve'")]
    assert len(audit) == 4


def test_reject_needs_a_reason_and_puts_the_student_back_on_the_list(ws):
    ids = make_many(ws, 3)
    with pytest.raises(UserError) as e:
        Q.reject(ws, [ids[0]], "spv.rahmah", "  ")
    assert "alasan" in str(e.value)
    before = Q.recorded_student_refs(ws)
    Q.reject(ws, [ids[0]], "spv.rahmah", "face blurred, eyes closed")
    after = Q.recorded_student_refs(ws)
    assert len(before) == 3 and len(after) == 2
    row = _rows(ws, "SELECT status, rejected_reason FROM recording WHERE id = :i", i=ids[0])[0]
    assert row == ("rejected", "face blurred, eyes closed")
    with pytest.raises(UserError):                         # rejected is final
        Q.approve(ws, [ids[0]], "spv.rahmah")
    with pytest.raises(UserError):
        Q.reject(ws, ["zzzzzzzz"], "spv.rahmah", "x")


def test_a_recording_already_sent_cannot_be_rejected_on_the_laptop(ws, tmp_path):
    from sweet17.services.sync.laptop import write_bundle

    ids = make_many(ws, 1, status="approved")
    write_bundle(ws, tmp_path / "b.s17b")
    with pytest.raises(UserError) as e:
        Q.reject(ws, ids, "spv.rahmah", "late doubt")
    assert "sudah" in str(e.value)


def test_supervisor_sign_in_is_required(ws):
    assert Q.sign_in_supervisor(ws, "spv.rahmah", "rahasia-spv-17") == "spv.rahmah"
    with pytest.raises(UserError):
        Q.sign_in_supervisor(ws, "spv.rahmah", "wrong")
    with pytest.raises(UserError):
        Q.sign_in_supervisor(ws, "op.budi", "rahasia-op-17")   # an operator cannot approve


def test_purge_only_after_verified_receipt_and_retention(hub, served, tmp_path):
    from sweet17.services.sync.laptop import sync_http

    w = make_laptop(tmp_path / "p", hub, served.url)
    w.config["sync"]["retention_days"] = 7
    sent = make_many(w, 2, status="approved")
    waiting = make_many(w, 1, start=5, status="approved")[0]
    captured = make_many(w, 1, start=9)[0]
    rejected = make_many(w, 1, start=12)[0]
    Q.reject(w, [rejected], "spv.rahmah", "wrong student")
    with w.engine.begin() as c:            # this one is approved but not sent yet
        c.execute(text("UPDATE recording SET status = 'captured' WHERE id = :i"), {"i": waiting})
    sync_http(w)
    now = datetime.now(UTC)
    assert Q.purge(w, now=now).purged == []
    dry = Q.purge(w, now=now + timedelta(days=8), dry_run=True)
    assert sorted(dry.purged) == sorted(sent + [rejected]) and dry.dry_run
    assert len(_rows(w, "SELECT * FROM recording_payload")) == 5
    res = Q.purge(w, now=now + timedelta(days=8))
    assert sorted(res.purged) == sorted(sent + [rejected]) and res.bytes_freed > 0
    left = {r[0] for r in _rows(w, "SELECT recording_id FROM recording_payload")}
    assert left == {waiting, captured}
    held = {i.id: i.held for i in Q.list_queue(w)}
    assert held[sent[0]] == "purged" and held[rejected] == "purged_rejected"
    assert held[waiting] == "awaiting_approval"
    assert len(_rows(w, "SELECT * FROM audit_log WHERE action = 'recording.purge'")) == 3


def test_retention_counts_from_the_later_clock(ws):
    # A laptop whose clock ran a day slow when the receipt came: the hub's time rules.
    start = Q._retention_start("2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00")
    assert start == datetime(2026, 11, 2, 10, tzinfo=UTC)


def test_queue_cli(ws, cli, monkeypatch):
    ids = make_many(ws, 2)
    forced = make_recording(ws, i=7, force_captured=True)
    code, out, err = cli("--workspace", ws.path, "queue", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["counts"]["captured"] == 3 and data["recordings"][0]["id"] == forced
    assert data["recordings"][0]["flags"]["force_captured"] is True
    monkeypatch.setenv("SWEET17_SUPERVISOR_PASSWORD", "rahasia-spv-17")
    code, out, err = cli("--workspace", ws.path, "queue", "approve", "--all-clean", "-s", "spv.rahmah", "--json")
    assert code == 0, err
    assert sorted(json.loads(out)["decided"]) == sorted(ids)
    code, out, err = cli("--workspace", ws.path, "queue", "reject", forced, "-s", "spv.rahmah")
    assert code == 2 and "--reason" in err
    code, out, err = cli("--workspace", ws.path, "queue", "reject", forced, "-s", "spv.rahmah", "-r", "blur")
    assert code == 0 and "ditolak" in out
    monkeypatch.setenv("SWEET17_SUPERVISOR_PASSWORD", "salah")
    code, out, err = cli("--workspace", ws.path, "queue", "approve", ids[0], "-s", "spv.rahmah")
    assert code == 2
    code, out, err = cli("--workspace", ws.path, "queue")
    assert code == 0 and "Antrean rekaman" in out and "menunggu dikirim" in out
    code, out, err = cli("--workspace", ws.path, "queue", "purge", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["count"] == 0


def _rows(ws, sql: str, **params):  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        return c.execute(text(sql), params).all()


def test_approve_all_includes_flagged_after_review(ws):
    clean = make_many(ws, 2)
    forced = make_recording(ws, i=10, force_captured=True)
    res = Q.approve(ws, [], "spv.rahmah", all_captured=True)
    assert sorted(res.decided) == sorted(clean + [forced])
    with pytest.raises(UserError):
        Q.approve(ws, [], "spv.rahmah")


@pytest.fixture
def world(tmp_path, ws):
    """The reports' small drive (rosters, registry, plan) in the supervisor's workspace."""
    from reports_world import build_world

    return build_world(ws, tmp_path)


def _called(ws, school: str = "B") -> list[str]:  # type: ignore[no-untyped-def]
    from datetime import date

    from reports_world import SLUG

    from sweet17.services.eligibility import call_list

    return [s.name for s in call_list(ws, SLUG, school, date(2026, 11, 20))]


def test_a_rejected_recording_sends_the_student_back_to_the_next_visit(ws, world):
    from reports_world import BY_KEY, SLUG

    b2 = BY_KEY["B2"]
    ref = f"roster:{world.student_ids['B2']}"          # what a recording session writes (session.daylist)
    assert b2.name in _called(ws)
    rid = make_recording(ws, i=77, nik=b2.nik, name=b2.name, school="B", drive=SLUG, student_ref=ref)
    assert b2.name not in _called(ws) and ref in Q.recorded_student_refs(ws, SLUG, "B")
    Q.reject(ws, [rid], "spv.rahmah", "foto buram")
    assert b2.name in _called(ws) and ref not in Q.recorded_student_refs(ws, SLUG, "B")
    # recorded again at the next visit: off the list again, the rejected one stays rejected
    make_recording(ws, i=78, nik=b2.nik, name=b2.name, school="B", drive=SLUG, student_ref=ref)
    assert b2.name not in _called(ws)


def test_a_student_recorded_with_a_corrected_nik_and_nisn_leaves_the_list(ws, world):
    from recording_factory import synthetic_nik
    from reports_world import BY_KEY, SLUG

    b2 = BY_KEY["B2"]
    # NIK and NISN corrected at the desk (the roster had them wrong): only the roster reference links them
    rid = make_recording(ws, i=79, nik=synthetic_nik(79), name=b2.name, school="B", drive=SLUG,
                         student_ref=f"roster:{world.student_ids['B2']}")
    assert b2.name not in _called(ws)
    Q.reject(ws, [rid], "spv.rahmah", "wajah tidak jelas")
    assert b2.name in _called(ws)

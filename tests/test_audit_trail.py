"""The audit trail detects edits and deletions (middle, tail, rebuilt chain), and its CLI."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fakes_devices import fake_kit
from session_helpers import DAY, PASSWORD, SCHOOL, STUDENTS, make_workspace

from sweet17.domain.audit import GENESIS, entry_hash
from sweet17.services import operators
from sweet17.services.session.audit_trail import list_entries, verify
from sweet17.services.session.service import start_session


@pytest.fixture
def day(tmp_path):
    """A workspace after a short session: two recordings, an absence, the session ended."""
    ws, _hub = make_workspace(tmp_path)
    s = start_session(ws, operators.authenticate(ws, "op1", PASSWORD), SCHOOL, fake_kit(), day=DAY,
                      students=STUDENTS)
    rids = []
    for ref in ("S001", "S002"):
        ck, _ = s.check_in(ref)
        s.consent(ck.id)
        while s.capture_next(ck.id).state != "complete":
            pass
        s.review(ck.id)
        rids.append(s.commit(ck.id).recording_id)
    s.mark_absent("S003")
    s.end()
    ws.close()
    yield ws, rids
    ws.close()


def sql(ws, statement, *params):
    con = sqlite3.connect(ws.db_path)
    con.execute(statement, params)
    con.commit()
    con.close()


def reasons(ws):
    return [(p["seq"], p["reason"]) for p in verify(ws).problems]


def test_intact_trail_verifies(day):
    ws, rids = day
    r = verify(ws)
    assert r.ok and r.entries > 20 and r.anchor["seq"] == r.head_seq
    actions = {e["action"] for e in list_entries(ws, limit=1000)}
    assert {"operator.signin", "session.start", "checkin", "consent", "capture", "review", "recording.commit",
            "checkin.absent", "session.end"} <= actions


def test_edit_is_detected(day):
    ws, _ = day
    sql(ws, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 10")
    assert (10, "hash") in reasons(ws)


def test_edit_with_recomputed_hash_breaks_the_next_link(day):
    ws, _ = day
    con = sqlite3.connect(ws.db_path)
    seq, ts, actor, action, obj, details, prev, _h = con.execute(
        "SELECT seq, ts, actor, action, object, details, prev_hash, hash FROM audit_log WHERE seq = 12").fetchone()
    forged = entry_hash(prev, ts, actor, action, obj, '{"forged":true}')
    con.execute("UPDATE audit_log SET details = ?, hash = ? WHERE seq = 12", ('{"forged":true}', forged))
    con.commit()
    con.close()
    assert (13, "link") in reasons(ws)


def test_deletion_in_the_middle_is_detected(day):
    ws, _ = day
    sql(ws, "DELETE FROM audit_log WHERE seq = 7")
    found = reasons(ws)
    assert (8, "seq") in found and (8, "link") in found


def test_deleting_the_last_entries_is_detected_by_the_signed_anchor(day):
    ws, _ = day
    head = verify(ws).head_seq
    sql(ws, "DELETE FROM audit_log WHERE seq > ?", head - 3)
    assert (head, "anchor_missing") in reasons(ws)


def test_rebuilt_chain_without_a_commit_is_detected(day):
    """Someone deletes a recording's commit entry and recomputes every hash after it."""
    ws, rids = day
    con = sqlite3.connect(ws.db_path)
    rows = con.execute("SELECT seq, ts, actor, action, object, details FROM audit_log ORDER BY seq").fetchall()
    rows = [r for r in rows if not (r[3] == "recording.commit" and r[4] == rids[0])]
    con.execute("DELETE FROM audit_log")
    prev = GENESIS
    for i, (_seq, ts, actor, action, obj, details) in enumerate(rows, 1):
        h = entry_hash(prev, ts, actor, action, obj, details)
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (i, ts, actor, action, obj, details, prev, h))
        prev = h
    con.commit()
    con.close()
    r = verify(ws)
    kinds = {p["reason"] for p in r.problems}
    assert "recording_unaudited" in kinds and kinds & {"anchor_changed", "anchor_missing"}
    assert any(p.get("object") == rids[0] for p in r.problems)


def test_forged_anchor_is_detected(day):
    ws, _ = day
    path = ws.logs_dir / "audit-anchor.json"
    doc = json.loads(path.read_text())
    doc["seq"] = 3
    path.write_text(json.dumps(doc))
    assert (0, "anchor_signature") in reasons(ws)


def test_audit_cli(cli, day):
    ws, rids = day
    code, out, err = cli("--workspace", ws.path, "audit", "verify", "--json")
    assert code == 0, err
    assert json.loads(out)["ok"]
    code, out, err = cli("--workspace", ws.path, "audit", "list", "--action", "recording", "--json")
    entries = json.loads(out)["entries"]
    assert [e["object"] for e in entries] == list(reversed(rids))
    assert all(st["nik"] not in out for st in STUDENTS)          # no NIKs in the trail
    code, out, err = cli("--workspace", ws.path, "audit", "list", "--actor", "op1", "--limit", "3")
    assert code == 0 and "op1" in out
    sql(ws, "UPDATE audit_log SET object = 'x' WHERE seq = 5")
    code, out, err = cli("--workspace", ws.path, "audit", "verify")
    assert code == 3 and "5" in out
    code, out, err = cli("--workspace", ws.path, "audit", "verify", "--json")
    assert code == 3 and json.loads(out)["problems"][0]["seq"] == 5

import sqlite3

import pytest
from sqlalchemy import text

from sweet17.adapters.storage.db import pragma
from sweet17.domain.audit import verify_chain
from sweet17.errors import WorkspaceError
from sweet17.services.workspace import Workspace, locate_workspace


def test_pragmas(workspace):
    assert pragma(workspace.engine, "journal_mode") == "wal"
    assert pragma(workspace.engine, "foreign_keys") == 1
    assert pragma(workspace.engine, "synchronous") == 2  # FULL


def test_layout_and_laptop_key(workspace):
    for d in (workspace.keys_dir, workspace.blobs_dir, workspace.logs_dir):
        assert d.is_dir()
    key = workspace.keys_dir / "laptop_ed25519.pem"
    assert key.exists() and (key.stat().st_mode & 0o077) == 0


def test_locate(monkeypatch, tmp_path):
    monkeypatch.setenv("SWEET17_WORKSPACE", str(tmp_path / "env"))
    assert locate_workspace() == (tmp_path / "env").resolve()
    assert locate_workspace(tmp_path / "x") == (tmp_path / "x").resolve()
    monkeypatch.delenv("SWEET17_WORKSPACE")
    assert "sweet17" in str(locate_workspace())


def test_open_missing_and_broken_config(tmp_path):
    with pytest.raises(WorkspaceError):
        Workspace.open(tmp_path / "none")
    ws = Workspace.create(tmp_path / "w")
    ws.config_path.write_text("this is = = not toml", encoding="utf-8")
    with pytest.raises(WorkspaceError) as e:
        Workspace.open(tmp_path / "w")
    assert "sweet17.toml" in str(e.value)


def test_session_rolls_back_on_error(workspace):
    with pytest.raises(RuntimeError), workspace.engine.begin() as c:
        c.execute(text("INSERT INTO workspace_meta (key, value) VALUES ('a', 'b')"))
        raise RuntimeError("boom")
    assert workspace.get_meta("a") is None


def _chain(path):
    con = sqlite3.connect(path)
    rows = con.execute("SELECT seq, ts, actor, action, object, details, prev_hash, hash FROM audit_log "
                       "ORDER BY seq").fetchall()
    con.close()
    return rows


def test_audit_chain_detects_edit_and_delete(workspace):
    for i in range(5):
        workspace.audit("op1", "checkin", f"student{i}", {"n": i})
    assert verify_chain(_chain(workspace.db_path)) == []
    con = sqlite3.connect(workspace.db_path)
    con.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")
    con.commit()
    breaks = verify_chain(_chain(workspace.db_path))
    assert [(b.seq, b.reason) for b in breaks] == [(3, "hash")]
    con.execute("DELETE FROM audit_log WHERE seq = 3")
    con.commit()
    con.close()
    reasons = {(b.seq, b.reason) for b in verify_chain(_chain(workspace.db_path))}
    assert (4, "seq") in reasons and (4, "link") in reasons

"""Operator and supervisor accounts: scrypt hashes, lockout, unlock, roles, operator card + PIN, CLI."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from sweet17.adapters.devices.base import DeviceNotReady
from sweet17.services import operators as ops
from sweet17.services.operators import AuthError


def test_create_and_authenticate(workspace):
    acc = ops.create_operator(workspace, "Op1", "kata-sandi-1", full_name="Operator Satu")
    assert acc.username == "op1" and acc.role == "operator"
    with workspace.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM operator_account")).scalar()
    assert stored.startswith("scrypt$") and "kata-sandi-1" not in stored
    assert ops.authenticate(workspace, "OP1", "kata-sandi-1").username == "op1"
    with pytest.raises(AuthError):
        ops.authenticate(workspace, "op1", "salah-sandi")
    with pytest.raises(AuthError):
        ops.authenticate(workspace, "nobody", "kata-sandi-1")
    # nothing secret in the audit trail
    with workspace.engine.connect() as c:
        details = " ".join(r[0] for r in c.execute(text("SELECT details FROM audit_log")))
    assert "kata-sandi" not in details and "salah" not in details


@pytest.mark.parametrize("user,pw,role,field", [
    ("a", "kata-sandi-1", "operator", "username"), ("op 1", "kata-sandi-1", "operator", "username"),
    ("op2", "pendek", "operator", "password"), ("op3", "kata-sandi-1", "admin", "role"),
])
def test_bad_accounts_refused(workspace, user, pw, role, field):
    with pytest.raises(ops.UserError) as e:
        ops.create_operator(workspace, user, pw, role=role)
    assert e.value.field == field
    assert ops.list_operators(workspace) == []


def test_duplicate_refused(workspace):
    ops.create_operator(workspace, "op1", "kata-sandi-1")
    with pytest.raises(ops.UserError):
        ops.create_operator(workspace, "op1", "kata-sandi-2")


def test_lockout_after_wrong_tries_then_expiry_and_unlock(workspace):
    ops.create_operator(workspace, "op1", "kata-sandi-1")
    t0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    for i in range(4):
        with pytest.raises(AuthError) as e:
            ops.authenticate(workspace, "op1", f"salah-{i}", now=t0)
        assert str(4 - i) in str(e.value)        # tries left are shown
    with pytest.raises(AuthError) as e:
        ops.authenticate(workspace, "op1", "salah-5", now=t0)
    assert "operator unlock op1" in str(e.value)
    # locked: even the right password is refused
    with pytest.raises(AuthError):
        ops.authenticate(workspace, "op1", "kata-sandi-1", now=t0 + timedelta(minutes=5))
    # the lock ends by itself
    assert ops.authenticate(workspace, "op1", "kata-sandi-1", now=t0 + timedelta(minutes=16)).failed_attempts == 0
    # or a supervisor unlocks
    for i in range(5):
        with pytest.raises(AuthError):
            ops.authenticate(workspace, "op1", f"salah-{i}", now=t0)
    ops.unlock(workspace, "op1", by="sup1")
    assert ops.authenticate(workspace, "op1", "kata-sandi-1", now=t0).username == "op1"
    with workspace.engine.connect() as c:
        locked = c.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'operator.locked'")).scalar()
        unlocked = c.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'operator.unlock'")).scalar()
    assert locked == 2 and unlocked == 1


def test_roles(workspace):
    ops.create_operator(workspace, "op1", "kata-sandi-1")
    ops.create_operator(workspace, "sup1", "kata-sandi-2", role="supervisor")
    with pytest.raises(AuthError):
        ops.authenticate(workspace, "op1", "kata-sandi-1", role="supervisor")
    assert ops.authenticate(workspace, "sup1", "kata-sandi-2", role="supervisor").is_supervisor
    assert ops.authenticate(workspace, "sup1", "kata-sandi-2", role="operator").is_supervisor   # may operate too


class FakeReader:
    """An operator-card reader: the card's UID, and optionally the card's own PIN check."""

    def __init__(self, uid="04A1B2C3D4", card_pin=None, fail=False):
        self.uid, self.card_pin, self.fail = uid, card_pin, fail

    def read_uid(self):
        if self.fail:
            raise DeviceNotReady("no reader", device="reader0")
        return self.uid

    def verify_pin(self, pin):
        return True if self.card_pin is None else pin == self.card_pin


def test_card_and_pin(workspace):
    ops.create_operator(workspace, "op1", "kata-sandi-1", card_uid="04:a1:b2:c3:d4", pin="246810")
    assert ops.sign_in_with_card(workspace, FakeReader(), "246810").username == "op1"
    with pytest.raises(AuthError):
        ops.sign_in_with_card(workspace, FakeReader(), "000000")
    with pytest.raises(AuthError):
        ops.sign_in_with_card(workspace, FakeReader(uid="DEADBEEF"), "246810")
    with pytest.raises(AuthError) as e:
        ops.sign_in_with_card(workspace, FakeReader(fail=True), "246810")
    assert e.value.field == "card"
    # a card that checks its own PIN: a wrong PIN there counts as a failure too
    for _i in range(4):
        with pytest.raises(AuthError):
            ops.sign_in_with_card(workspace, FakeReader(card_pin="1111"), "246810")
    with pytest.raises(AuthError) as e:   # the 6th wrong try (1 before + 4 + this) locks
        ops.sign_in_with_card(workspace, FakeReader(), "999999")
    assert "unlock" in str(e.value)
    with pytest.raises(ops.UserError):
        ops.create_operator(workspace, "op2", "kata-sandi-1", card_uid="04A1B2C3D4", pin="1234")   # card taken
    with pytest.raises(ops.UserError):
        ops.create_operator(workspace, "op3", "kata-sandi-1", card_uid="0411", pin="12")


def test_operator_cli(cli, tmp_path, monkeypatch):
    ws = tmp_path / "w"
    assert cli("--workspace", ws, "init")[0] == 0
    monkeypatch.setenv("PW_SUP", "sandi-supervisor")
    monkeypatch.setenv("PW_OP", "sandi-operator")
    code, out, err = cli("--workspace", ws, "operator", "add", "sup1", "--role", "supervisor", "--password-env",
                         "PW_SUP", "--json")
    assert code == 0, err
    assert json.loads(out)["role"] == "supervisor"
    # once a supervisor exists, adding needs one
    code, out, err = cli("--workspace", ws, "operator", "add", "op1", "--password-env", "PW_OP")
    assert code == 2 and "--by" in err
    code, out, err = cli("--workspace", ws, "operator", "add", "op1", "--password-env", "PW_OP", "--by", "sup1",
                         "--by-password-env", "PW_SUP")
    assert code == 0, err
    code, out, err = cli("--workspace", ws, "operator", "list", "--json")
    assert [o["username"] for o in json.loads(out)["operators"]] == ["sup1", "op1"]
    code, out, err = cli("--workspace", ws, "operator", "unlock", "op1", "--by", "sup1", "--by-password-env",
                         "PW_OP")
    assert code == 2   # wrong supervisor password
    code, out, err = cli("--workspace", ws, "operator", "unlock", "op1", "--by", "sup1", "--by-password-env",
                         "PW_SUP", "--json")
    assert code == 0 and json.loads(out)["failed_attempts"] == 0

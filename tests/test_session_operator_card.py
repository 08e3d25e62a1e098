"""Operator card + PIN sign-in through the PC/SC driver, against pcscd with a virtual operator card."""

from __future__ import annotations

import pytest
from pcsc_stack import pcsc, pcsc_stack  # noqa: F401  (fixtures)

from sweet17.adapters.devices.pcsc import PcscReaderDevice
from sweet17.services import operators
from sweet17.services.operators import AuthError

pytestmark = [pytest.mark.pcsc, pytest.mark.xdist_group("pcsc")]

UID = "04C0FFEE123456"


def test_card_sign_in_wrong_pin_lockout_and_unknown_card(pcsc, workspace):  # noqa: F811
    operators.create_operator(workspace, "op1", "kata-sandi-1", card_uid=UID, pin="246810")
    pcsc.insert("operator", uid=UID, pin="246810", operator_id="OP-BLG-001", tries=9)
    reader = PcscReaderDevice(pcsc.reader(0))
    acc = operators.sign_in_with_card(workspace, reader, "246810")
    assert acc.username == "op1"
    # a wrong PIN is refused by the card itself and counted on the account
    with pytest.raises(AuthError) as e:
        operators.sign_in_with_card(workspace, reader, "111111")
    assert e.value.field == "pin"
    assert operators.get_operator(workspace, "op1").failed_attempts == 1
    for _i in range(3):
        with pytest.raises(AuthError):
            operators.sign_in_with_card(workspace, reader, "111111")
    with pytest.raises(AuthError) as e:                 # the 5th wrong try locks the account
        operators.sign_in_with_card(workspace, reader, "222222")
    assert "operator unlock op1" in str(e.value)
    with pytest.raises(AuthError):                      # locked: even the right PIN is refused
        operators.sign_in_with_card(workspace, reader, "246810")
    operators.unlock(workspace, "op1", by="sup1")
    assert operators.sign_in_with_card(workspace, reader, "246810").username == "op1"
    pcsc.remove_all_cards()
    # a card that is not registered on this laptop
    pcsc.insert("operator", uid="04AAAAAAAAAAAA", pin="246810")
    with pytest.raises(AuthError) as e:
        operators.sign_in_with_card(workspace, reader, "246810")
    assert e.value.field == "card"
    pcsc.remove_all_cards()
    # no card on the reader: a clear message, not a hang
    with pytest.raises(AuthError) as e:
        operators.sign_in_with_card(workspace, reader, "246810", timeout_ms=1500)
    assert e.value.field == "card"

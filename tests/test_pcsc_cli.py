"""``sweet17 smartcard ...`` and operator sign-in with a card, against the virtual PC/SC stack."""

from __future__ import annotations

import io
import json
import threading

import pytest

pytestmark = [pytest.mark.pcsc, pytest.mark.xdist_group("pcsc")]

UID = "04C0FFEE123456"


def test_readers_and_read(cli, pcsc):
    pcsc.insert("ktp", uid=UID, slot=1)
    code, out, err = cli("smartcard", "readers", "--json")
    assert code == 0, err
    rows = {r["reader"]: r for r in json.loads(out)["readers"]}
    assert rows[pcsc.reader(0)]["card_present"] is False and rows[pcsc.reader(0)]["atr"] is None
    assert rows[pcsc.reader(1)]["card_present"] is True and rows[pcsc.reader(1)]["atr"].startswith("3B8")
    code, out, err = cli("smartcard", "read", "--reader", "00 01", "--timeout", "3", "--json")
    assert code == 0, err
    assert json.loads(out) == {"reader": pcsc.reader(1), "atr": rows[pcsc.reader(1)]["atr"], "uid": UID,
                               "contactless": True}


def test_read_without_card_and_unknown_reader(cli, pcsc):
    code, out, err = cli("smartcard", "read", "--reader", pcsc.reader(0), "--timeout", "0.3")
    assert code == 2 and "Tidak ada kartu" in err
    code, out, err = cli("smartcard", "read", "--reader", "Omnikey", "--timeout", "0.3")
    assert code == 2 and "Omnikey" in err and pcsc.reader(0) in err


def test_verify_operator_card(cli, pcsc, monkeypatch):
    pcsc.insert("operator", pin="135790", operator_id="OP-BLG-003")
    monkeypatch.setattr("sys.stdin", io.StringIO("135790\n"))
    code, out, err = cli("smartcard", "verify", "--reader", pcsc.reader(0), "--pin-stdin", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["operator_id"] == "OP-BLG-003" and res["uid"] and res["contactless"] is True
    monkeypatch.setattr("sys.stdin", io.StringIO("000000\n"))
    code, out, err = cli("smartcard", "verify", "--reader", pcsc.reader(0), "--pin-stdin")
    assert code == 2 and "PIN salah" in err and "2" in err
    assert "000000" not in err + out


def test_watch_prints_json_lines(cli, pcsc):
    timer = threading.Timer(0.6, lambda: pcsc.insert("ktp", uid=UID, wait=False))
    timer.start()
    code, out, err = cli("smartcard", "watch", "--seconds", "3", "--reader", pcsc.reader(0), "--json")
    timer.join()
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    inserted = [e for e in events if e["event"] == "inserted"]
    assert inserted and inserted[0]["reader"] == pcsc.reader(0) and inserted[0]["atr"].startswith("3B")


def test_no_service_is_a_user_error(cli, pcsc):
    pcsc.stop()
    code, out, err = cli("smartcard", "readers")
    assert code == 2 and "pcscd" in err


def test_operator_sign_in_service_with_the_card(workspace, pcsc):
    """services.operators signs in with the PC/SC reader: UID from the card, PIN on the card and account."""
    from sweet17.adapters.devices.pcsc import PcscReaderDevice
    from sweet17.services import operators

    pcsc.insert("operator", uid=UID, pin="482913", operator_id="OP-BLG-009")
    reader = PcscReaderDevice(pcsc.reader(0))
    assert reader.read_uid() == UID
    operators.create_operator(workspace, "siti.op", "kata-sandi-uji", card_uid=UID, pin="482913")
    account = operators.sign_in_with_card(workspace, reader, "482913")
    assert account.username == "siti.op"
    with pytest.raises(operators.AuthError):
        operators.sign_in_with_card(workspace, reader, "111111")
    assert reader.pin_tries_left() == 2          # the card counted the wrong PIN too

"""The virtual cards' APDU logic on its own (no pcscd), and the vpcd link over a real socket."""

from __future__ import annotations

import os
import socket
import struct
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sweet17.adapters.devices import vcard
from sweet17.adapters.devices.vcard import OPERATOR_AID, Apdu, VpcdLink, make_atr, operator_card


def sw(resp: bytes) -> str:
    return resp[-2:].hex().upper()


def select(aid: bytes = OPERATOR_AID) -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid + b"\x00"


def verify(pin: str | None) -> bytes:
    if pin is None:
        return bytes([0x00, 0x20, 0x00, 0x80])
    return bytes([0x00, 0x20, 0x00, 0x80, 0x08]) + vcard.encode_pin(pin)


def test_atr_checksum():
    atr = make_atr(b"S17")
    assert atr[:4] == bytes.fromhex("3B838001")
    x = 0
    for b in atr[1:]:
        x ^= b
    assert x == 0               # TCK makes the XOR of T0..TCK zero


def test_apdu_cases():
    assert Apdu.parse(bytes.fromhex("00A40400")) == Apdu(0, 0xA4, 4, 0)
    assert Apdu.parse(bytes.fromhex("FFCA000000")).le == 256
    assert Apdu.parse(bytes.fromhex("0020008002AABB")).data == b"\xAA\xBB"
    case4 = Apdu.parse(bytes.fromhex("00A4040002F05300"))
    assert case4.data == b"\xF0\x53" and case4.le == 256
    for bad in ("00A4", "0020008005AABB", "00A40400000001"):
        with pytest.raises(ValueError):
            Apdu.parse(bytes.fromhex(bad))


def test_operator_applet_flow(tmp_path):
    state = tmp_path / "tries.json"
    card = operator_card("2468", "OP-9", max_tries=3, state=state)
    card.power_on()
    assert sw(card.process(verify("2468"))) == "6985"          # nothing selected yet
    assert sw(card.process(select(b"\xA0\x00\x00\x00\x03"))) == "6A82"
    resp = card.process(select())
    assert sw(resp) == "9000" and OPERATOR_AID in resp
    assert sw(card.process(bytes.fromhex("00CA5F2000"))) == "6982"     # PIN first
    assert sw(card.process(verify(None))) == "63C3"
    assert sw(card.process(verify("1111"))) == "63C2"
    assert sw(card.process(verify("2468"))) == "9000"
    assert card.process(bytes.fromhex("00CA5F2000")) == b"OP-9\x90\x00"
    assert card.process(bytes.fromhex("00CA5F2002")) == bytes.fromhex("6C04")
    card.reset()                                                # a reset forgets the verified PIN
    card.process(select())
    assert sw(card.process(bytes.fromhex("00CA5F2000"))) == "6982"
    for expected in ("63C2", "63C1", "63C0", "6983"):
        assert sw(card.process(verify("0000"))) == expected
    assert sw(card.process(verify("2468"))) == "6983"
    # the counter survives a restart of the card (kept in the state file)
    again = operator_card("2468", "OP-9", state=state)
    again.power_on()
    again.process(select())
    assert sw(again.process(verify(None))) == "6983"


def test_uid_and_contact_cards():
    ktp = vcard.ktp_card(bytes.fromhex("04112233445566"))
    assert ktp.process(bytes.fromhex("FFCA000000")) == bytes.fromhex("041122334455669000")
    assert ktp.process(bytes.fromhex("FFCA000004")) == bytes.fromhex("6C07")
    assert ktp.process(bytes.fromhex("FFCA010000"))[:-2] == vcard.KTP_HISTORICAL
    assert sw(ktp.process(select())) == "6A82"
    contact = operator_card("1234", "OP-1", contact=True)
    assert sw(contact.process(bytes.fromhex("FFCA000000"))) == "6A81"
    with pytest.raises(ValueError):
        vcard.ktp_card(b"\x01\x02")
    with pytest.raises(ValueError):
        operator_card("12", "OP-1")


def _answers(raw: bytes) -> None:
    card = operator_card("1234", "OP-1")
    card.power_on()
    card.process(select())
    resp = card.process(raw)
    assert len(resp) >= 2
    assert resp[-2] in (0x90, 0x61, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6C, 0x6D, 0x6E)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_any_bytes_get_a_status_word(raw):
    """Whatever an application sends, the card answers with a status word and never crashes."""
    _answers(raw)


@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("SWEET17_SOAK"), reason="soak run only")
@settings(max_examples=20_000, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_any_bytes_get_a_status_word_soak(raw):
    _answers(raw)


def test_vpcd_link_speaks_the_protocol():
    """A fake vpcd on a socket: control codes and APDUs, 2-byte big-endian length prefixes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    card = vcard.ktp_card(bytes.fromhex("04AABBCCDDEEFF"))
    link = VpcdLink(card, "127.0.0.1", port)
    t = threading.Thread(target=lambda: (link.connect(5), link.serve()), daemon=True)
    t.start()
    conn, _ = server.accept()
    conn.settimeout(5)

    def send(payload: bytes) -> None:
        conn.sendall(struct.pack("!H", len(payload)) + payload)

    def recv() -> bytes:
        (n,) = struct.unpack("!H", conn.recv(2))
        data = b""
        while len(data) < n:
            data += conn.recv(n - len(data))
        return data

    send(b"\x01")                                       # power on
    send(b"\x04")                                       # ATR please
    assert recv() == card.atr and card.powered
    send(bytes.fromhex("FFCA000000"))
    assert recv() == bytes.fromhex("04AABBCCDDEEFF9000")
    send(b"\x00")                                       # power off
    send(b"\x04")
    assert recv() == card.atr and not card.powered
    conn.close()                                        # vpcd went away: the link ends
    t.join(5)
    assert not t.is_alive()
    server.close()


def test_no_vpcd_is_a_connection_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError):
        VpcdLink(vcard.ktp_card(vcard.default_uid("x")), "127.0.0.1", port).connect(timeout=0.3)

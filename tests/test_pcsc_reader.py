"""PC/SC driver against a real pcscd with vsmartcard's vpcd reader and virtual cards (tests/pcsc_stack.py)."""

from __future__ import annotations

import time

import pytest

from sweet17.adapters.devices import registry
from sweet17.adapters.devices.base import CaptureRequest, Device, DeviceStatus, Modality
from sweet17.adapters.devices.pcsc import (
    CardRemoved,
    CardWatcher,
    NoCardPresented,
    NotOperatorCard,
    PcscReaderDevice,
    PcscServiceDown,
    PinBlocked,
    ReaderBusy,
    WrongPin,
    list_readers,
    reader_state,
)
from sweet17.adapters.devices.vcard import KTP_HISTORICAL, make_atr
from sweet17.errors import UserError

pytestmark = [pytest.mark.pcsc, pytest.mark.xdist_group("pcsc")]

UID = "04A1B2C3D4E5F6"


def test_readers_and_discovery(pcsc):
    readers = list_readers()
    assert pcsc.reader(0) in readers and pcsc.reader(1) in readers
    devices = registry.discover("pcsc", {"reader": "sweet17 virtual"})
    assert [d.describe().device_id for d in devices] == [pcsc.reader(0), pcsc.reader(1)]
    assert registry.discover("pcsc", {"reader": "no such reader"}) == []
    dev = devices[0]
    assert isinstance(dev, Device)
    info = dev.describe()
    assert (info.driver, info.modality, info.status) == ("pcsc", Modality.CARD, DeviceStatus.READY)
    assert info.make == "Sweet17" and info.model == "Virtual Reader" and info.extra["card_present"] is False


def test_ktp_card_atr_and_uid(pcsc):
    pcsc.insert("ktp", uid=UID)
    dev = PcscReaderDevice(pcsc.reader(0))
    info = dev.read_card(timeout_ms=3000)
    assert info.uid == bytes.fromhex(UID)
    assert info.atr == make_atr(KTP_HISTORICAL)
    assert info.historical == KTP_HISTORICAL
    assert info.contactless
    assert info.to_dict()["uid"] == UID
    assert reader_state(pcsc.reader(0)) == (True, info.atr)
    # the other slot is empty
    assert reader_state(pcsc.reader(1))[0] is False


def test_contact_card_has_no_uid_and_capture_gives_atr(pcsc):
    pcsc.insert("operator", contact=True)
    dev = PcscReaderDevice(pcsc.reader(0))
    result = dev.capture(CaptureRequest(Modality.CARD, timeout_ms=3000, transaction_id="tx-1"))
    rec = result.records[0]
    assert rec.sub_type == "ATR" and rec.extra["uid"] is None and rec.data == bytes.fromhex(rec.extra["atr"])
    assert rec.transaction_id == "tx-1" and rec.device.driver == "pcsc"


def test_capture_returns_uid_record(pcsc):
    pcsc.insert("ktp", uid=UID, slot=1)
    dev = PcscReaderDevice(pcsc.reader(1))
    rec = dev.capture(CaptureRequest(Modality.CARD, timeout_ms=3000)).records[0]
    assert (rec.modality, rec.sub_type, rec.data) == (Modality.CARD, "UID", bytes.fromhex(UID))
    assert rec.data_format == "application/x-card-uid"


def test_no_card_times_out_without_hanging(pcsc):
    dev = PcscReaderDevice(pcsc.reader(0))
    t0 = time.monotonic()
    with pytest.raises(NoCardPresented) as err:
        dev.read_card(timeout_ms=400)
    assert time.monotonic() - t0 < 3
    assert "kartu" in err.value.operator_message.lower()


def test_wait_then_card_arrives(pcsc):
    import threading

    dev = PcscReaderDevice(pcsc.reader(0))
    timer = threading.Timer(0.3, lambda: pcsc.insert("ktp", uid=UID, wait=False))
    timer.start()
    try:
        info = dev.read_card(timeout_ms=8000)
    finally:
        timer.join()
    assert info.uid == bytes.fromhex(UID)


def test_operator_sign_in_wrong_pin_then_blocked(pcsc, tmp_path):
    state = tmp_path / "tries.json"
    pcsc.insert("operator", pin="246810", operator_id="OP-BLG-007", tries=3, state=state)
    dev = PcscReaderDevice(pcsc.reader(0))
    ok = dev.verify_operator("246810", timeout_ms=3000)
    assert ok.operator_id == "OP-BLG-007" and ok.card.uid is not None
    assert dev.pin_tries_left() == 3              # the card was reset after sign-in: PIN not verified now
    with pytest.raises(WrongPin) as e1:
        dev.verify_operator("111111")
    assert e1.value.tries_left == 2 and "2" in e1.value.operator_message
    with pytest.raises(WrongPin) as e2:
        dev.verify_operator("222222")
    assert e2.value.tries_left == 1
    assert dev.pin_tries_left() == 1
    with pytest.raises(PinBlocked):               # the last try: 63C0
        dev.verify_operator("333333")
    with pytest.raises(PinBlocked):               # from now on: 6983, even with the right PIN
        dev.verify_operator("246810")
    assert dev.pin_tries_left() == 0
    # a blocked card stays blocked when it is taken away and put back (the counter is on the card)
    pcsc.remove_all_cards()
    pcsc.insert("operator", pin="246810", operator_id="OP-BLG-007", tries=3, state=state)
    with pytest.raises(PinBlocked) as blocked:
        dev.verify_operator("246810")
    assert "diblokir" in blocked.value.operator_message


def test_right_pin_resets_the_counter(pcsc):
    pcsc.insert("operator", pin="1234", tries=3)
    dev = PcscReaderDevice(pcsc.reader(0))
    with pytest.raises(WrongPin):
        dev.verify_operator("9999")
    assert dev.verify_operator("1234").operator_id == "OP-TEST-01"
    assert dev.pin_tries_left() == 3


def test_ktp_card_is_not_an_operator_card(pcsc):
    pcsc.insert("ktp", uid=UID)
    dev = PcscReaderDevice(pcsc.reader(0))
    with pytest.raises(NotOperatorCard):
        dev.verify_operator("123456")


def test_pin_format_is_a_user_error(pcsc):
    dev = PcscReaderDevice(pcsc.reader(0))
    for bad in ("12", "123456789", "12a4", ""):
        with pytest.raises(UserError):
            dev.verify_operator(bad)


def test_card_events_insert_and_remove(pcsc):
    with CardWatcher(readers=[pcsc.reader(0)], watch_readers=False) as watcher:
        card = pcsc.insert("ktp", uid=UID)
        ev = watcher.wait_for("inserted", 10, reader=pcsc.reader(0))
        assert ev is not None and ev.atr == make_atr(KTP_HISTORICAL)
        card.remove()
        ev = watcher.wait_for("removed", 10, reader=pcsc.reader(0))
        assert ev is not None and ev.to_dict()["event"] == "removed"


def test_reader_events(pcsc):
    with CardWatcher(watch_readers=True) as watcher:
        ev = watcher.wait_for("reader_added", 5, reader=pcsc.reader(0))
        assert ev is not None        # readers present when watching starts are reported once


def test_card_removed_mid_operation(pcsc):
    """A slow card taken away while the sign-in runs: a clear error, no hang."""
    card = pcsc.insert("operator", delay_ms=400)
    dev = PcscReaderDevice(pcsc.reader(0))
    import threading

    threading.Timer(0.5, lambda: card.remove(wait=False)).start()
    t0 = time.monotonic()
    with pytest.raises((CardRemoved, NoCardPresented)):
        dev.verify_operator("123456", timeout_ms=2000)
    assert time.monotonic() - t0 < 8


def test_slow_card_gives_timeout(pcsc):
    from sweet17.adapters.devices.base import DeviceTimeout

    pcsc.insert("ktp", uid=UID, delay_ms=3000)
    dev = PcscReaderDevice(pcsc.reader(0), {"command_timeout_ms": 800})
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout):
        dev.read_card(timeout_ms=2000)
    assert time.monotonic() - t0 < 2.5


def test_reader_held_exclusively_is_busy(pcsc):
    from sweet17.adapters.devices.pcsc import CardSession, pcsc_context

    pcsc.insert("ktp", uid=UID)
    dev = PcscReaderDevice(pcsc.reader(0))
    with pcsc_context() as ctx:
        other = CardSession(ctx, pcsc.reader(0), exclusive=True)
        try:
            with pytest.raises(ReaderBusy) as err:
                dev.read_card(timeout_ms=1000)
            assert "program lain" in err.value.operator_message
        finally:
            other.close()
    assert dev.read_card(timeout_ms=1000).uid == bytes.fromhex(UID)


def test_service_down_is_clear(pcsc):
    pcsc.stop()
    with pytest.raises(PcscServiceDown) as err:
        list_readers()
    assert "pcscd" in err.value.operator_message
    dev = PcscReaderDevice(pcsc.reader(0))
    assert dev.status() == DeviceStatus.NOT_READY
    pcsc.start()
    assert pcsc.reader(0) in list_readers()
    # the card monitor recovers after the service came back
    with CardWatcher(readers=[pcsc.reader(0)], watch_readers=False) as watcher:
        pcsc.insert("ktp", uid=UID)
        assert watcher.wait_for("inserted", 10) is not None

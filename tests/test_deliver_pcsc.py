"""KTPku Datang hand-over against the virtual smartcard stack (pcscd + vpcd + virtual KTP-el cards).

The card reader is the production PC/SC driver talking to a real pcscd; the confirmation comes
from a fake signature pad (a ``Device`` fake) in the service tests and from the SBI simulator's
fingerprint scanner (real HTTP, production SBI driver) in the CLI test.
"""

from __future__ import annotations

import json

import pcsc_stack as _stack
import pytest
from reports_world import BY_KEY, SLUG, UID_A2, UID_A3, build_world
from sqlalchemy import text

pytestmark = [pytest.mark.pcsc, pytest.mark.xdist_group("pcsc")]
pcsc_stack = _stack.pcsc_stack      # the stack's fixtures, by name
pcsc = _stack.pcsc

PASSWORD = "rahasia-antar-1"


@pytest.fixture
def world(tmp_path):
    from sweet17.adapters import crypto
    from sweet17.services import keys
    from sweet17.services.operators import create_operator
    from sweet17.services.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    w = build_world(ws, tmp_path, deliveries=False)
    hub_seal = crypto.new_sealing_key()
    keys.install_hub_keys(ws, keys.HubKeys(crypto.public_raw(hub_seal), crypto.public_raw(crypto.new_signing_key()),
                                           "", "hub-uji"))
    create_operator(ws, "antar1", PASSWORD, full_name="Petugas Antar")
    w.hub_seal = hub_seal
    yield w
    ws.close()


def _desk(world, pcsc):
    from fakes_devices import FakeDevice

    from sweet17.adapters.devices.base import Modality
    from sweet17.adapters.devices.pcsc import PcscReaderDevice
    from sweet17.services.delivery import DeliveryDesk
    from sweet17.services.drives import load_drive

    pad = FakeDevice(Modality.SIGNATURE, "pad-1")
    desk = DeliveryDesk(world.ws, load_drive(world.folder), "A", operator="antar1",
                        reader=PcscReaderDevice(pcsc.reader(0)), devices={"Signature": pad})
    return desk, pad


def _deliveries(ws):
    with ws.engine.connect() as c:
        return c.execute(text("SELECT nik, card_uid, uid_checked, receiver_name, receiver_relation, confirmation, "
                              "confirmation_sealed, id FROM delivery")).all()


def test_matching_card_is_handed_over(world, pcsc):
    from sweet17.adapters import crypto
    from sweet17.services.delivery import pending_deliveries

    desk, pad = _desk(world, pcsc)
    assert desk.counts() == {"printed": 2, "delivered": 0, "waiting": 2}
    card = pcsc.insert("ktp", uid=UID_A2)
    res = desk.deliver(BY_KEY["A2"].nisn, receiver="Hj. Siti Aisyah", relation="parent", card_timeout_ms=5000)
    card.remove()
    assert res["status"] == "delivered", res
    assert res["delivery"]["uid_checked"] is True and res["delivery"]["card_uid"] == UID_A2
    rows = _deliveries(world.ws)
    assert len(rows) == 1
    nik, uid, checked, receiver, relation, how, sealed, did = rows[0]
    assert (nik, uid, checked, receiver, relation, how) == (BY_KEY["A2"].nik, UID_A2, 1, "Hj. Siti Aisyah",
                                                            "parent", "signature")
    # the signature is sealed to the hub: the laptop cannot read it; the hub can, only for this delivery
    assert b"SYNTHETIC-BIOMETRIC" not in bytes(sealed)
    opened = json.loads(crypto.unseal(world.hub_seal, bytes(sealed), aad=f"delivery:{did}".encode()))
    assert opened["kind"] == "signature" and opened["delivery_id"] == did
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(world.hub_seal, bytes(sealed), aad=b"delivery:other")
    assert pad.calls == 1
    # the sync's view, and the audit trail without the NIK
    pend = pending_deliveries(world.ws)
    assert [p["id"] for p in pend] == [did] and pend[0]["confirmation_sealed"] == bytes(sealed)
    with world.ws.engine.connect() as c:
        audit = c.execute(text("SELECT action, details FROM audit_log WHERE action LIKE 'card.%'")).all()
    assert [a for a, _d in audit] == ["card.deliver"] and BY_KEY["A2"].nik not in audit[0][1]
    # a second hand-over of the same card is refused before any card is read
    again = desk.deliver(BY_KEY["A2"].nisn, card_timeout_ms=1000)
    assert again["status"] == "refused" and "sudah diserahkan" in again["message"]
    assert desk.counts() == {"printed": 2, "delivered": 1, "waiting": 1}


def test_wrong_cards_are_refused(world, pcsc):
    desk, pad = _desk(world, pcsc)
    # A3's card on the reader while handing over A2's
    card = pcsc.insert("ktp", uid=UID_A3)
    res = desk.deliver(BY_KEY["A2"].nisn, card_timeout_ms=5000)
    card.remove()
    assert res["status"] == "refused"
    assert "Kartu salah" in res["message"] and BY_KEY["A3"].name in res["message"] and "6311A0000001" in res["message"]
    # a card that is on no list at all
    card = pcsc.insert("ktp", uid="04FFFFFFFFFF01")
    res = desk.deliver(BY_KEY["A2"].nisn, card_timeout_ms=5000)
    card.remove()
    assert res["status"] == "refused" and "bukan kartu yang dicetak untuk" in res["message"]
    # a contact card (no contactless UID) is not a KTP-el
    card = pcsc.insert("operator", contact=True)
    res = desk.deliver(BY_KEY["A2"].nisn, card_timeout_ms=5000)
    card.remove()
    assert res["status"] == "refused" and "bukan KTP-el" in res["message"]
    assert _deliveries(world.ws) == [] and pad.calls == 0          # nobody was asked to sign
    with world.ws.engine.connect() as c:
        refused = c.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'card.refused'")).scalar()
    assert refused == 3
    # no card at all: a device message, nothing stored
    res = desk.deliver(BY_KEY["A2"].nisn, card_timeout_ms=500)
    assert res["status"] == "device_error" and _deliveries(world.ws) == []
    # students without a printed card are not candidates
    assert desk.deliver(BY_KEY["A4"].nisn)["status"] == "not_found"


def test_card_without_uid_on_the_list_is_checked_by_serial(world, pcsc):
    from sweet17.services.cards import import_cards

    lst = world.folder / "cetak-b.csv"
    lst.write_text(f"NIK,Tanggal Cetak,No Seri\n{BY_KEY['A4'].nik},2026-11-17,6311A0000004\n", encoding="utf-8")
    import_cards(world.ws, lst, actor="uji", drive_slug=SLUG)
    desk, _pad = _desk(world, pcsc)
    # A2's card (UID known for A2) is refused for A4 even though A4's UID is unknown
    card = pcsc.insert("ktp", uid=UID_A2)
    assert desk.deliver(BY_KEY["A4"].nisn, card_timeout_ms=5000)["status"] == "refused"
    card.remove()
    card = pcsc.insert("ktp", uid="04ABCDEF012345")
    res = desk.deliver("ahmad fauzan", card_timeout_ms=5000)        # found by name
    card.remove()
    assert res["status"] == "delivered" and res["delivery"]["uid_checked"] is False
    assert "6311A0000004" in res["message"]                           # the operator is told to check the serial
    assert _deliveries(world.ws)[0][1] == "04ABCDEF012345"


@pytest.fixture(scope="module")
def sbi(tmp_path_factory):
    from sbi_support import module_simulator

    yield from module_simulator(tmp_path_factory)


def test_cli_scripted_with_thumbprint(world, pcsc, sbi, cli, tmp_path, monkeypatch):
    from sbi_support import write_profile

    profile = write_profile(tmp_path / "kit.toml", sbi)
    script = tmp_path / "antar.toml"
    script.write_text(f'''[signin]
username = "antar1"
password_env = "UJI_ANTAR_PW"

[[delivery]]
find = "{BY_KEY['A3'].nisn}"
relation = "self"
confirm = "fingerprint"
card_timeout_s = 5
''', encoding="utf-8")
    monkeypatch.setenv("UJI_ANTAR_PW", PASSWORD)
    ws = world.ws.path
    card = pcsc.insert("ktp", uid=UID_A3)
    code, out, err = cli("--workspace", ws, "deliver", "--school", "A", "--kit", profile, "--reader",
                         pcsc.reader(0), "--script", script, "--json")
    card.remove()
    assert code == 0, err + out
    data = json.loads(out)
    r = data["results"][0]
    assert r["status"] == "delivered" and r["delivery"]["confirmation"] == "fingerprint"
    assert r["delivery"]["confirmation_quality"] is not None and r["delivery"]["receiver"] == BY_KEY["A3"].name
    assert data["counts"] == {"printed": 2, "delivered": 1, "waiting": 1}
    # the same script again: refused (already handed over), exit status 2, the message in Indonesian
    code, out, err = cli("--workspace", ws, "deliver", "--school", "A", "--reader", pcsc.reader(0),
                         "--script", script)
    assert code == 2 and "sudah diserahkan" in out
    # the status shows the hand-over
    code, out, err = cli("--workspace", ws, "status", BY_KEY["A3"].nisn, "--json")
    assert json.loads(out)["students"][0]["current"] == "delivered"
    # a wrong password stops before any card is read
    monkeypatch.setenv("UJI_ANTAR_PW", "salah")
    code, out, err = cli("--workspace", ws, "deliver", "--school", "A", "--reader", pcsc.reader(0),
                         "--script", script)
    assert code == 2 and "Traceback" not in err
    # an unknown school and a bad script are named
    monkeypatch.setenv("UJI_ANTAR_PW", PASSWORD)
    code, out, err = cli("--workspace", ws, "deliver", "--school", "ZZ", "--reader", pcsc.reader(0),
                         "--script", script)
    assert code == 2 and "ZZ" in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[[delivery]]\nfind = "x"\nconfirm = "smile"\n', encoding="utf-8")
    code, out, err = cli("--workspace", ws, "deliver", "--school", "A", "--script", bad)
    assert code == 2 and "bad.toml" in err and "confirm" in err

"""Card hand-overs (KTPku Datang) travel to the hub like recordings: over real HTTP on 127.0.0.1 and in
USB bundles, to a hub on SQLite and on PostgreSQL. Signed by the laptop, the receiver's confirmation
sealed to the hub, stored once whatever is retried or replayed, answered with signed receipts, and
shown as ``delivered`` in ``hub status``, the status pulled back by the laptops and the public page."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from recording_factory import make_many, make_recording
from sqlalchemy import text
from sync_fixtures import (  # noqa: F401  (fixtures)
    hand_over,
    hub,
    hub_count,
    hub_db,
    indonesian,
    laptop,
    make_laptop,
    pg_cluster,
    served,
)

from sweet17.errors import UserError
from sweet17.services.delivery import pending_deliveries
from sweet17.services.hub.bundles import import_bundle
from sweet17.services.hub.status import status_for_nik
from sweet17.services.sync import protocol as P
from sweet17.services.sync.laptop import import_receipts, sync_http, write_bundle

BIRTH = "2009-08-17"            # the birth date recording_factory gives every synthetic student
NIK_BEFORE = "6311064502090001"  # a student recorded before the drive: the hub holds no recording of them


def _one(ws, sql: str, **params):  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        return c.execute(text(sql), params).first()


def _recording(ws, rid: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return tuple(_one(ws, "SELECT nik, name FROM recording WHERE id = :i", i=rid))  # type: ignore[return-value]


def _delivered_events(hub, nik: str) -> int:  # type: ignore[no-untyped-def]
    return hub_count(hub, "SELECT COUNT(*) FROM status_event e JOIN hub_recording r ON r.recording_id = "
                          "e.recording_id WHERE r.nik = :n AND e.status = 'delivered'", n=nik)


def test_hand_overs_sync_over_http_once_and_show_delivered(hub, served, laptop):
    rids = make_many(laptop, 2, status="approved")
    assert sync_http(laptop).acknowledged == 2
    nik, name = _recording(laptop, rids[0])
    did = hand_over(laptop, nik, name)
    before = hand_over(laptop, NIK_BEFORE, "SITI NORJANAH UJI", relation="self")
    res = sync_http(laptop)
    assert (res.deliveries, res.deliveries_sent, res.deliveries_already, res.refused) == (2, 2, 0, [])
    assert res.to_dict()["deliveries_sent"] == 2
    # the laptop holds a receipt that verifies with the hub's key, and sends nothing again
    assert pending_deliveries(laptop) == []
    receipt = json.loads(_one(laptop, "SELECT hub_receipt FROM delivery WHERE id = :i", i=did)[0])
    rc = P.SignedReceipt.from_dict(receipt).open_delivery(hub.sign_public)
    assert (rc.delivery_id, rc.hub_id, rc.verified, rc.via) == (did, hub.hub_id, True, "http")
    # the hub: both hand-overs kept once, the recording of the NIK delivered, pulled back in the same run
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 2
    st = status_for_nik(hub, nik)
    assert st["recordings"][0]["status"] == "delivered"
    assert [e["status"] for e in st["recordings"][0]["events"]][-1] == "delivered"
    d = st["deliveries"][0]
    assert (d["delivery_id"], d["receiver_relation"], d["verified"], d["via"]) == (did, "parent", True, "http")
    assert _one(laptop, "SELECT hub_status FROM recording WHERE id = :i", i=rids[0])[0] == "delivered"
    assert _one(laptop, "SELECT hub_status FROM recording WHERE id = :i", i=rids[1])[0] == "verified"
    assert res.statuses >= 1
    # a student recorded before the drive: the hand-over is kept, no recording to mark
    other = status_for_nik(hub, NIK_BEFORE)
    assert other["recordings"] == [] and other["deliveries"][0]["delivery_id"] == before
    again = sync_http(laptop)
    assert (again.deliveries, again.deliveries_sent) == (0, 0)
    # a lost answer: the hub stored it, the laptop never heard; sent again, the same receipt, nothing twice
    with laptop.engine.begin() as c:
        c.execute(text("UPDATE delivery SET synced_at = NULL WHERE id = :i"), {"i": did})
    lost = sync_http(laptop)
    assert (lost.deliveries, lost.deliveries_sent, lost.deliveries_already) == (1, 0, 1)
    assert json.loads(_one(laptop, "SELECT hub_receipt FROM delivery WHERE id = :i", i=did)[0]) == receipt
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 2 and _delivered_events(hub, nik) == 1
    # the public status page in the same app: NIK and birth date, nothing else
    page = httpx.post(served.url + "/v1/public/status", json={"nik": nik, "birth_date": BIRTH}, timeout=5).json()
    assert page["found"] and page["status"] == "delivered" and name not in json.dumps(page)
    assert [s["status"] for s in page["steps"] if s["reached"]] == ["synced", "acknowledged", "delivered"]


def test_a_recording_arriving_after_its_hand_over_is_delivered_too(hub, served, laptop):
    from recording_factory import synthetic_nik

    nik = synthetic_nik(40)
    hand_over(laptop, nik, "AULIA SAPUTRA")
    assert sync_http(laptop).deliveries_sent == 1
    assert status_for_nik(hub, nik)["recordings"] == []
    rid = make_recording(laptop, i=40, nik=nik, status="approved")       # synced later (another USB stick...)
    res = sync_http(laptop)
    assert res.sent == 1 and res.deliveries == 0
    assert status_for_nik(hub, nik)["recordings"][0]["status"] == "delivered"
    assert _one(laptop, "SELECT status, hub_status FROM recording WHERE id = :i", i=rid) == ("acknowledged",
                                                                                            "delivered")


def _post(url: str, ws, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:  # type: ignore[no-untyped-def]
    from sweet17.services.keys import laptop_id
    from sweet17.services.sync.laptop import _signer

    headers = headers or P.signed_headers(_signer(ws), laptop_id(ws), "POST", "/v1/deliveries", body)
    return httpx.post(url + "/v1/deliveries", content=body, timeout=10,
                      headers={**headers, "Content-Type": P.DELIVERIES_CONTENT_TYPE})


def test_replayed_tampered_and_conflicting_hand_overs_are_refused(hub, served, laptop, tmp_path):
    from sweet17.adapters import crypto
    from sweet17.services.sync.deliveries import outgoing_deliveries

    rid = make_many(laptop, 1, status="approved")[0]
    sync_http(laptop)
    nik, name = _recording(laptop, rid)
    hand_over(laptop, nik, name)
    out = outgoing_deliveries(laptop)[0]
    body = P.pack_deliveries([(out.entry(), out.sealed)])
    from sweet17.services.keys import laptop_id
    from sweet17.services.sync.laptop import _signer

    headers = P.signed_headers(_signer(laptop), laptop_id(laptop), "POST", "/v1/deliveries", body)
    first = _post(served.url, laptop, body, headers)
    assert first.status_code == 200 and first.json()["deliveries"][0]["new"] is True
    # the very same request again: a replay
    replay = _post(served.url, laptop, body, headers)
    assert replay.status_code == 401 and replay.json()["error"] == "replay"
    # signed afresh: accepted, the same receipt, nothing stored twice
    fresh = _post(served.url, laptop, body).json()["deliveries"][0]
    assert fresh["new"] is False and fresh["receipt"] == first.json()["deliveries"][0]["receipt"]
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 1 and _delivered_events(hub, nik) == 1
    # another record under the same delivery id (receiver changed), signed by the laptop: a conflict
    m = json.loads(out.manifest)
    m["receiver_name"] = "ORANG LAIN"
    changed = P.canonical_json(m)
    entry = {"delivery_id": out.id, "manifest": changed.decode(), "signature": crypto.b64(_signer(laptop)(changed))}
    ans = _post(served.url, laptop, P.pack_deliveries([(entry, out.sealed)])).json()["deliveries"][0]
    assert ans["error"] == "delivery_conflict"
    # a confirmation altered on the way, a record signed by another key, one for another laptop
    bad = bytearray(out.sealed)
    bad[-1] ^= 0x55
    new_id = str(uuid.uuid4())
    m2 = {**json.loads(out.manifest), "delivery_id": new_id}
    text2 = P.canonical_json(m2)
    foreign = {**m2, "laptop_id": "laptop-lain"}
    other_key = crypto.new_signing_key()
    batch = [
        (out.entry(), bytes(bad)),
        ({"delivery_id": new_id, "manifest": text2.decode(), "signature": crypto.b64(crypto.sign(other_key, text2))},
         out.sealed),
        ({"delivery_id": new_id, "manifest": P.canonical_json(foreign).decode(),
          "signature": crypto.b64(_signer(laptop)(P.canonical_json(foreign)))}, out.sealed),
    ]
    answers = _post(served.url, laptop, P.pack_deliveries(batch)).json()["deliveries"]
    assert [a["error"] for a in answers] == ["confirmation_hash_mismatch", "bad_signature", "bad_delivery"]
    # a body that is not a batch of hand-overs
    r = _post(served.url, laptop, body + b"x")
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 1
    # the laptop's own sync after all this: already there, the same receipt
    res = sync_http(laptop)
    assert (res.deliveries_sent, res.deliveries_already, res.refused) == (0, 1, [])


def test_hand_overs_in_a_bundle_imported_twice(hub, tmp_path):
    from sweet17.entrypoints.hub.server import start_background

    ws = make_laptop(tmp_path / "ws", hub)
    rid = make_many(ws, 1, status="approved")[0]
    first = import_bundle(hub, write_bundle(ws, tmp_path / "rec.s17b").file)
    import_receipts(ws, first["receipts"])
    nik, name = _recording(ws, rid)
    dids = [hand_over(ws, nik, name), hand_over(ws, NIK_BEFORE, "SITI NORJANAH UJI")]
    res = write_bundle(ws, tmp_path / "kartu.s17b")
    assert (res.recordings, res.deliveries, res.deliveries_sent) == (0, 2, 2)
    bundle = Path(res.file)
    # a confirmation altered on the stick: the whole bundle is refused, nothing kept
    bad = tmp_path / "bad.s17b"
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == f"deliveries/{dids[0]}.bin":
                data = data[:-1] + bytes([data[-1] ^ 1])
            zout.writestr(info.filename, data)
    with pytest.raises(UserError) as e:
        import_bundle(hub, bad)
    assert "Tidak ada yang diimpor" in str(e.value)
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 0
    one = import_bundle(hub, bundle)
    two = import_bundle(hub, bundle, tmp_path / "again.receipts.json")
    assert (one["deliveries"], one["deliveries_imported"], one["deliveries_already"]) == (2, 2, 0)
    assert (two["deliveries_imported"], two["deliveries_already"]) == (0, 2)
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 2 and _delivered_events(hub, nik) == 1
    r1 = json.loads(Path(one["receipts"]).read_text())
    r2 = json.loads(Path(two["receipts"]).read_text())
    assert r1["delivery_receipts"] == r2["delivery_receipts"] and len(r1["delivery_receipts"]) == 2
    # a receipt altered: nothing applied on the laptop
    doc = json.loads(json.dumps(r1))
    inner = json.loads(doc["delivery_receipts"][1]["receipt"])
    inner["verified"] = not inner["verified"]
    doc["delivery_receipts"][1]["receipt"] = P.canonical_json(inner).decode()
    altered = tmp_path / "altered.receipts.json"
    altered.write_text(json.dumps(doc))
    with pytest.raises(UserError):
        import_receipts(ws, altered)
    assert len(pending_deliveries(ws)) == 2
    got = import_receipts(ws, one["receipts"])
    assert (got.deliveries, got.deliveries_sent, got.deliveries_already) == (2, 2, 0)
    assert got.to_dict()["deliveries"] == 2
    # the status in the receipts file brings "delivered" back to the laptop that recorded the student
    assert _one(ws, "SELECT hub_status FROM recording WHERE id = :i", i=rid)[0] == "delivered"
    again = import_receipts(ws, two["receipts"])
    assert (again.deliveries_sent, again.deliveries_already) == (0, 2)
    assert pending_deliveries(ws) == [] and write_bundle(ws, tmp_path / "none.s17b").file is None
    st = status_for_nik(hub, nik)
    assert st["recordings"][0]["status"] == "delivered" and st["deliveries"][0]["via"] == "bundle"
    # the hand-over sent over HTTP after the bundle (its receipts file lost): already at the hub
    with ws.engine.begin() as c:
        c.execute(text("UPDATE delivery SET synced_at = NULL"))
    srv = start_background(hub)
    try:
        out = sync_http(ws, srv.url)
    finally:
        srv.stop()
    assert (out.deliveries_sent, out.deliveries_already) == (0, 2)
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_delivery") == 2

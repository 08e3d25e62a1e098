"""Hub intake as a library, on SQLite and PostgreSQL: manifest checks, chunk offsets, hash checks,
verification of the sealed payload, signed receipts, duplicate NIKs, concurrency."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import threading

import pytest
from recording_factory import make_recording
from sqlalchemy import text
from sync_fixtures import hub, hub_count, hub_db, indonesian, make_laptop, pg_cluster  # noqa: F401  (fixtures)

from sweet17.services import keys as keysvc
from sweet17.services.hub import intake
from sweet17.services.hub.errors import HubRefusal
from sweet17.services.hub.laptops import get_laptop
from sweet17.services.sync import protocol as P


def _row(hub, ws):  # type: ignore[no-untyped-def]
    with hub.store.connect() as c:
        return get_laptop(c, keysvc.laptop_id(ws))


def _item(ws, rid):  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        m, s, sealed = c.execute(text("SELECT r.manifest, r.signature, p.sealed FROM recording r JOIN recording_payload "
                                      "p ON p.recording_id = r.id WHERE r.id = :i"), {"i": rid}).first()
    return {"recording_id": rid, "manifest": m, "signature": s}, bytes(sealed)


def _send(hub, lap, item, sealed, chunk=100_000):  # type: ignore[no-untyped-def]
    st = intake.accept_manifests(hub, lap, [item])[0]
    off = st["offset"]
    while st["state"] != "complete":
        st = intake.put_chunk(hub, lap, item["recording_id"], off, sealed[off:off + chunk])
        off = st["offset"]
    return st


def test_manifest_refusals(hub, tmp_path):
    ws = make_laptop(tmp_path / "a", hub)
    other = make_laptop(tmp_path / "b", hub, name="laptop-2")
    lap = _row(hub, ws)
    rid = make_recording(ws, i=1)
    item, _sealed = _item(ws, rid)
    forged = dict(item, signature=item["signature"][:-4] + "AAA=")
    changed = dict(item, manifest=item["manifest"].replace('"name":"', '"name":"X'))
    res = intake.accept_manifests(hub, lap, [forged, changed, {"recording_id": "x"}, "junk", item])
    assert [r.get("error") for r in res] == ["bad_signature", "bad_signature", "bad_request", "bad_request", None]
    assert res[4]["state"] == "receiving" and res[4]["offset"] == 0
    # the same manifest from another laptop does not belong to it
    res = intake.accept_manifests(hub, _row(hub, other), [item])
    assert res[0]["error"] == "manifest_mismatch"
    # a different, validly signed manifest under an id the hub holds is a conflict
    rid2 = make_recording(ws, i=2)
    item2, _ = _item(ws, rid2)
    import json

    from sweet17.adapters import crypto

    m = json.loads(item2["manifest"])
    m["recording_id"] = rid
    text2 = json.dumps(m, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    sig = crypto.b64(crypto.sign(keysvc.laptop_signing_key(ws), text2.encode()))
    res = intake.accept_manifests(hub, lap, [{"recording_id": rid, "manifest": text2, "signature": sig}])
    assert res[0]["error"] == "conflict"
    assert hub_count(hub, "SELECT COUNT(*) FROM access_log WHERE outcome IN ('bad_signature', 'conflict', "
                          "'manifest_mismatch', 'bad_request')") >= 5
    with pytest.raises(HubRefusal):
        intake.accept_manifests(hub, lap, "not a list")


def test_chunks_resume_at_the_hubs_offset_and_hash_is_checked(hub, tmp_path):
    ws = make_laptop(tmp_path / "a", hub)
    lap = _row(hub, ws)
    rid = make_recording(ws, i=1)
    item, sealed = _item(ws, rid)
    intake.accept_manifests(hub, lap, [item])
    st = intake.put_chunk(hub, lap, rid, 0, sealed[:1000])
    assert st["offset"] == 1000
    with pytest.raises(HubRefusal) as e:                     # a chunk re-sent after a lost answer
        intake.put_chunk(hub, lap, rid, 0, sealed[:1000])
    assert e.value.code == "offset_mismatch" and e.value.extra["offset"] == 1000
    with pytest.raises(HubRefusal) as e:                     # past the signed size
        intake.put_chunk(hub, lap, rid, 1000, sealed[1000:] + b"x")
    assert e.value.code == "too_large"
    # the rest, altered: the hash does not match -> everything dropped, start again
    tail = bytearray(sealed[1000:])
    tail[500] ^= 1
    with pytest.raises(HubRefusal) as e:
        intake.put_chunk(hub, lap, rid, 1000, bytes(tail))
    assert e.value.code == "payload_hash_mismatch"
    assert intake.recording_state(hub, lap, rid)["offset"] == 0
    assert hub_count(hub, "SELECT COUNT(*) FROM upload_part") == 0
    st = _send(hub, lap, item, sealed)
    rc = P.SignedReceipt.from_dict(st["receipt"]).open(hub.sign_public)
    assert rc.verified and rc.payload_sha256 == P.sha256_hex(sealed) and rc.laptop_id == lap["laptop_id"]
    # complete: more chunks or manifests answer the same receipt
    assert intake.put_chunk(hub, lap, rid, 0, b"zz")["receipt"] == st["receipt"]
    assert intake.accept_manifests(hub, lap, [item])[0]["receipt"] == st["receipt"]
    with pytest.raises(HubRefusal) as e:
        intake.put_chunk(hub, lap, "unknown-id", 0, b"x")
    assert e.value.code == "unknown_recording"


def test_payload_sealed_to_another_key_is_kept_but_not_verified(hub, tmp_path):
    from sweet17.adapters import crypto

    ws = make_laptop(tmp_path / "a", hub)
    lap = _row(hub, ws)
    wrong = crypto.public_raw(crypto.new_sealing_key())
    rid = make_recording(ws, i=1, seal_public=wrong)
    item, sealed = _item(ws, rid)
    st = _send(hub, lap, item, sealed)
    rc = P.SignedReceipt.from_dict(st["receipt"]).open(hub.sign_public)
    assert not rc.verified and "cannot be opened" in rc.problem
    assert hub_count(hub, "SELECT COUNT(*) FROM status_event WHERE status = 'verified'") == 0


def test_same_nik_from_two_laptops_is_flagged_not_kept_twice_silently(hub, tmp_path):
    from sweet17.services.hub.status import list_duplicates, resolve_duplicate, status_for_nik

    a = make_laptop(tmp_path / "a", hub)
    b = make_laptop(tmp_path / "b", hub, name="laptop-tim-2")
    nik = "6311015708090001"
    r1 = make_recording(a, i=1, nik=nik, school="SMAN1PRG")
    r2 = make_recording(b, i=1, nik=nik, school="SMKN1BTM")
    _send(hub, _row(hub, a), *_item(a, r1))
    _send(hub, _row(hub, b), *_item(b, r2))
    dups = list_duplicates(hub)
    assert len(dups) == 1 and {dups[0]["recording_id"], dups[0]["other_recording_id"]} == {r1, r2}
    st = status_for_nik(hub, nik)
    assert {r["status"] for r in st["recordings"]} == {"verified", "duplicate"}
    res = resolve_duplicate(hub, nik, r2, "admin", "second visit had better fingerprints")
    assert res["superseded"] == [r1]
    assert list_duplicates(hub) == []
    st = status_for_nik(hub, nik)
    by = {r["recording_id"]: r for r in st["recordings"]}
    assert by[r1]["superseded_by"] == r2 and by[r2]["status"] == "verified"


def test_concurrent_chunks_for_one_recording_store_it_once(hub, tmp_path):
    ws = make_laptop(tmp_path / "a", hub)
    lap = _row(hub, ws)
    rid = make_recording(ws, i=1)
    item, sealed = _item(ws, rid)
    intake.accept_manifests(hub, lap, [item])
    outcomes: list[str] = []

    def push() -> None:
        try:
            intake.put_chunk(hub, lap, rid, 0, sealed)
            outcomes.append("ok")
        except HubRefusal as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=push) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") >= 1 and set(outcomes) <= {"ok", "offset_mismatch"}
    assert hub_count(hub) == 1
    assert hub_count(hub, "SELECT COUNT(*) FROM status_event WHERE recording_id = :r AND status = 'received'",
                     r=rid) == 1
    assert hub_count(hub, "SELECT COUNT(*) FROM payload") == 1

"""USB bundles: write on the laptop, import at the hub, receipts back to the laptop — idempotent,
all-or-nothing, and refused when tampered with or from a laptop the hub does not trust."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from recording_factory import make_many
from sqlalchemy import text
from sync_fixtures import hub, hub_count, hub_db, indonesian, make_laptop, pg_cluster  # noqa: F401  (fixtures)

from sweet17.errors import UserError
from sweet17.services.hub.bundles import import_bundle
from sweet17.services.sync.laptop import import_receipts, sync_http, write_bundle


def _statuses(ws) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        return dict(c.execute(text("SELECT status, COUNT(*) FROM recording GROUP BY status")).all())


def _rewrite(src: Path, dst: Path, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))


def test_bundle_round_trip_twice_is_idempotent(hub, tmp_path):
    ws = make_laptop(tmp_path / "ws", hub)
    ids = make_many(ws, 3, status="approved")
    make_many(ws, 1, start=20)                                    # not approved: stays out
    (tmp_path / "usb").mkdir()
    res = write_bundle(ws, tmp_path / "usb")                      # a folder: the file is named for us
    assert res.recordings == 3 and res.file and Path(res.file).exists()
    bundle = Path(res.file)
    assert _statuses(ws) == {"approved": 3, "captured": 1}          # nothing changes before the receipts
    first = import_bundle(hub, bundle)
    assert (first["imported"], first["already"]) == (3, 0)
    again = import_bundle(hub, bundle, tmp_path / "again.receipts.json")
    assert (again["imported"], again["already"]) == (0, 3)
    assert hub_count(hub) == 3 and hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 3
    assert hub_count(hub, "SELECT times FROM bundle_import") == 2
    # the receipts of the second import are the very same signed receipts
    r1 = json.loads(Path(first["receipts"]).read_text())["receipts"]
    r2 = json.loads(Path(again["receipts"]).read_text())["receipts"]
    assert r1 == r2
    got = import_receipts(ws, first["receipts"])
    assert (got.sent, got.already) == (3, 0) and got.acknowledged == 3
    got2 = import_receipts(ws, again["receipts"])
    assert (got2.sent, got2.already) == (0, 3)
    assert _statuses(ws) == {"acknowledged": 3, "captured": 1}
    # HTTP afterwards finds nothing to send; a second bundle would be empty
    assert write_bundle(ws, tmp_path / "empty.s17b").file is None
    with ws.engine.connect() as c:
        assert {r[0] for r in c.execute(text("SELECT via FROM sync_receipt"))} == {"bundle"}
        assert set(c.execute(text("SELECT recording_id FROM sync_bundle_item")).scalars()) == set(ids)


def test_bundle_then_http_gives_the_same_receipt(hub, tmp_path):
    from sweet17.entrypoints.hub.server import start_background

    ws = make_laptop(tmp_path / "ws", hub)
    make_many(ws, 2, status="approved")
    res = write_bundle(ws, tmp_path / "b.s17b")
    import_bundle(hub, res.file)                        # the receipts file never makes it back...
    srv = start_background(hub)
    try:
        out = sync_http(ws, srv.url)                   # ...so the laptop sends over HTTP later
    finally:
        srv.stop()
    assert (out.sent, out.already, out.bytes_sent) == (0, 2, 0)
    assert hub_count(hub) == 2 and _statuses(ws) == {"acknowledged": 2}


@pytest.mark.parametrize("what", ["payload", "header", "signature", "extra"])
def test_tampered_bundle_is_refused_whole(hub, tmp_path, what):
    ws = make_laptop(tmp_path / "ws", hub)
    make_many(ws, 3, status="approved")
    good = Path(write_bundle(ws, tmp_path / "good.s17b").file)
    bad = tmp_path / "bad.s17b"
    first_payload = None

    def change(name: str, data: bytes) -> bytes:
        nonlocal first_payload
        if what == "payload" and name.startswith("payloads/") and first_payload is None:
            first_payload = name
            return data[:-10] + bytes(b ^ 0x55 for b in data[-10:])
        if what == "header" and name == "bundle.json":
            return data.replace(b'"laptop_name":"', b'"laptop_name":"X', 1)
        if what == "signature" and name == "bundle.sig":
            return (b"B" if data[:1] == b"A" else b"A") + data[1:]   # always a different first character
        return data

    _rewrite(good, bad, change)
    if what == "extra":
        with zipfile.ZipFile(bad, "a") as z:
            z.writestr("payloads/../../evil.bin", b"x")
    with pytest.raises(UserError) as e:
        import_bundle(hub, bad)
    assert "Tidak ada yang diimpor" in str(e.value)
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 0
    # the untouched bundle still imports
    assert import_bundle(hub, good)["imported"] == 3


def test_bundle_from_unknown_laptop_enrols_it_pending_and_waits(hub, tmp_path):
    from sweet17.services import keys as keysvc
    from sweet17.services.hub.laptops import approve, list_laptops
    from sweet17.services.workspace import Workspace

    ws = Workspace.create(tmp_path / "new")
    keysvc.install_hub_keys(ws, hub.public_keys())
    make_many(ws, 2, status="approved")
    bundle = write_bundle(ws, tmp_path / "b.s17b").file
    with pytest.raises(UserError) as e:
        import_bundle(hub, bundle)
    assert "belum disetujui" in str(e.value)
    row = next(r for r in list_laptops(hub) if r["laptop_id"] == keysvc.laptop_id(ws))
    assert row["status"] == "pending"
    approve(hub, row["laptop_id"], "admin", row["fingerprint"])
    assert import_bundle(hub, bundle)["imported"] == 2


def test_bundle_from_revoked_laptop_is_refused(hub, tmp_path):
    from sweet17.services import keys as keysvc
    from sweet17.services.hub.laptops import revoke

    ws = make_laptop(tmp_path / "ws", hub)
    make_many(ws, 1, status="approved")
    bundle = write_bundle(ws, tmp_path / "b.s17b").file
    revoke(hub, keysvc.laptop_id(ws), "admin", "stolen")
    with pytest.raises(UserError) as e:
        import_bundle(hub, bundle)
    assert "dicabut" in str(e.value)
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 0


def test_receipts_file_checks(hub, tmp_path):
    ws = make_laptop(tmp_path / "ws", hub)
    other = make_laptop(tmp_path / "other", hub, name="laptop-tim-2")
    make_many(ws, 2, status="approved")
    res = import_bundle(hub, write_bundle(ws, tmp_path / "b.s17b").file)
    doc = json.loads(Path(res["receipts"]).read_text())
    # for another laptop
    with pytest.raises(UserError) as e:
        import_receipts(other, res["receipts"])
    assert "laptop lain" in str(e.value)
    # a receipt altered: nothing at all is applied
    r0 = json.loads(doc["receipts"][1]["receipt"])
    r0["verified"] = not r0["verified"]
    doc["receipts"][1]["receipt"] = json.dumps(r0, sort_keys=True, separators=(",", ":"))
    bad = tmp_path / "bad.receipts.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(UserError) as e:
        import_receipts(ws, bad)
    assert "tidak sah" in str(e.value)
    assert _statuses(ws) == {"approved": 2}
    with ws.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM sync_receipt")).scalar() == 0
    # not JSON at all
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(UserError):
        import_receipts(ws, junk)
    assert import_receipts(ws, res["receipts"]).sent == 2

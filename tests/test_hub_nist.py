"""ANSI/NIST-ITL 1-2011 export: transactions that parse back with every mandatory field, WSQ
fingerprints, amputations, a signed manifest, duplicates held back, and the validator itself."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import json
from pathlib import Path

import pytest
from recording_factory import make_recording
from sync_fixtures import hub, indonesian, laptop, served, sqlite_hub_db  # noqa: F401  (fixtures)

from sweet17.services.hub.nist import export_nist, validate_transaction
from sweet17.services.sync.laptop import sync_http


@pytest.fixture
def hub_db(sqlite_hub_db):
    return sqlite_hub_db


def test_export_writes_valid_transactions_and_marks_them_sent(hub, served, laptop, tmp_path):
    import nistitl

    from sweet17.adapters import crypto

    a = make_recording(laptop, i=1, status="approved")
    b = make_recording(laptop, i=2, status="approved", exceptions=("Finger:Left LittleFinger",))
    sync_http(laptop)
    res = export_nist(hub, tmp_path / "out")
    assert res["exported"] == 2 and res["skipped"] == []
    folder = Path(res["folder"])
    manifest = (folder / "manifest.json").read_bytes()
    crypto.verify(hub.sign_public, crypto.unb64((folder / "manifest.sig").read_text()), manifest)
    files = {t["recording_id"]: t for t in json.loads(manifest)["transactions"]}
    assert set(files) == {a, b}
    for rid, t in files.items():
        data = (folder / t["file"]).read_bytes()
        assert crypto.sha256_hex(data) == t["sha256"]
        assert validate_transaction(data) == []
        msg = nistitl.Message()
        msg.parse(data)
        types = [r.type for r in msg]
        assert types.count(1) == 1 and types.count(2) == 1 and types.count(10) == 1 and types.count(17) == 2
        assert types.count(14) == (10 if rid == a else 9)
        assert msg[0]["VER"].value == "0500" and msg[0]["TCN"].value == t["tcn"]
        for r in msg.iter(14):
            assert r[11].value == "WSQ20" and bytes(r[999].value).startswith(b"\xff\xa0")
        r2 = next(msg.iter(2))
        assert r2[3].value == t["nik"] and r2[32].value == rid
    amp = [r[18].value for r in nistitl_records(folder / files[b]["file"], 14) if r[18] is not None]
    assert amp == [[["10", "XX"]]]                         # Left little finger (ISO/ANSI position 10) missing
    # exported once: a second export finds nothing new
    assert export_nist(hub, tmp_path / "again")["exported"] == 0
    from sweet17.services.hub.status import status_for_nik

    st = status_for_nik(hub, files[a]["nik"])
    assert st["recordings"][0]["status"] == "sent" and st["recordings"][0]["export_tcn"] == files[a]["tcn"]


def nistitl_records(path, type_):  # type: ignore[no-untyped-def]
    import nistitl

    msg = nistitl.Message()
    msg.parse(Path(path).read_bytes())
    return list(msg.iter(type_))


def test_duplicates_are_held_back_until_resolved(hub, served, laptop, tmp_path):
    from sync_fixtures import make_laptop

    other = make_laptop(tmp_path / "o", hub, served.url, name="laptop-2")
    nik = "6311015708090007"
    a = make_recording(laptop, i=1, nik=nik, status="approved")
    b = make_recording(other, i=1, nik=nik, status="approved")
    sync_http(laptop)
    sync_http(other)
    res = export_nist(hub, tmp_path / "x")
    assert res["exported"] == 0 and {s["recording_id"] for s in res["skipped"]} == {a, b}
    from sweet17.services.hub.status import resolve_duplicate

    resolve_duplicate(hub, nik, a, "admin")
    res = export_nist(hub, tmp_path / "y")
    assert res["exported"] == 1 and res["transactions"][0]["recording_id"] == a


def test_validator_names_missing_mandatory_fields():
    import nistitl as n

    msg = n.Message()
    msg[0].VER = "0400"
    msg[0].DAT = "2026-11-23"
    r14 = n.AsciiRecord(14)
    r14.IDC = 1
    r14 += n.Field(14, 13, "7")
    r14.DATA = b"\x89PNG not wsq"
    msg += r14
    problems = validate_transaction(msg.NIST)
    text = " | ".join(problems)
    for expected in ("1.002 VER must be 0500", "1.005 DAT", "Type-14 field 14.011 missing", "14.999 is not a WSQ",
                     "one Type-1 and one Type-2"):
        assert expected in text, text
    assert validate_transaction(b"1.001:5\x1dgarbage")[0].startswith("does not parse")

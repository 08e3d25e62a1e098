"""The hub database on SQLite and PostgreSQL: its own schema versions, one hub per database,
configuration errors, and enrolment over HTTP (proof that the laptop holds its key)."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import inspect
from sync_fixtures import hub, hub_db, indonesian, laptop, make_hub, pg_cluster, served  # noqa: F401  (fixtures)

from sweet17.adapters.hubstore import open_store, redact_url, schema
from sweet17.errors import UserError

TABLES = {"hub_meta", "laptop", "access_log", "request_nonce", "hub_recording", "upload_part", "payload",
          "status_event", "nik_claim", "nik_flag", "bundle_import", "central_import", "export_batch",
          "hub_delivery", schema.TABLE}


def test_schema_is_versioned_and_upgrades_are_idempotent(hub_db, tmp_path):
    store = open_store(hub_db, migrate=False)
    try:
        assert schema.current_version(store) == 0
        assert schema.upgrade(store) == [m[0] for m in schema.MIGRATIONS]
        assert schema.upgrade(store) == []
        assert schema.current_version(store) == schema.head()
        assert set(inspect(store.engine).get_table_names()) == TABLES
        cols = {c["name"] for c in inspect(store.engine).get_columns("hub_recording")}
        assert {"recording_id", "manifest_sha256", "received_bytes", "receipt", "superseded_by"} <= cols
        cols = {c["name"] for c in inspect(store.engine).get_columns("hub_delivery")}
        assert {"delivery_id", "manifest_sha256", "nik", "sealed", "verified", "receipt"} <= cols
    finally:
        store.close()


def test_a_hub_of_the_first_version_upgrades_in_place(hub_db):
    """A hub database made before card hand-overs (version 1) gains the table, and keeps its rows."""
    from sqlalchemy import text

    store = open_store(hub_db, migrate=False)
    try:
        assert schema.upgrade(store, target=1) == [1]
        with store.begin() as c:
            c.execute(text("INSERT INTO hub_meta (key, value) VALUES ('hub_id', 'hub-lama')"))
        assert "hub_delivery" not in inspect(store.engine).get_table_names()
        assert schema.upgrade(store) == [2]
        assert "hub_delivery" in inspect(store.engine).get_table_names()
        assert store.scalar("SELECT value FROM hub_meta WHERE key = 'hub_id'") == "hub-lama"
    finally:
        store.close()


def test_a_database_belongs_to_one_hub(hub_db, tmp_path):
    from sweet17.services.hub.config import init_hub, open_hub

    h = init_hub(tmp_path / "one", db_url=hub_db)
    h.close()
    with pytest.raises(UserError) as e:
        init_hub(tmp_path / "two", db_url=hub_db)
    assert "milik hub lain" in str(e.value)
    again = open_hub(tmp_path / "one", hub_db)
    assert again.hub_id == h.hub_id
    again.close()


def test_configuration_errors_are_clear(tmp_path, pg_cluster):
    from sweet17.services.hub.config import init_hub, open_hub

    with pytest.raises(UserError) as e:
        open_hub(tmp_path / "none")
    assert "sweet17 hub init" in str(e.value)
    bad = f"postgresql://sweet17:secret@127.0.0.1:{pg_cluster.port}/no_such_db"
    with pytest.raises(UserError) as e:
        init_hub(tmp_path / "h", db_url=bad)
    assert "secret" not in str(e.value) and "***" in str(e.value)
    assert redact_url("postgresql://u:p@h:5/d") == "postgresql://u:***@h:5/d"


def test_enrolment_needs_proof_of_the_key(hub, served, tmp_path):
    from sweet17.adapters import crypto
    from sweet17.services.sync import protocol as P

    key, other = crypto.new_signing_key(), crypto.new_signing_key()
    body = P.canonical_json({"kind": P.ENROL_KIND, "laptop_id": "laptop-x1", "public_key": crypto.b64(
        crypto.public_raw(key)), "name": "x"})
    forged = P.signed_headers(lambda d: crypto.sign(other, d), "laptop-x1", "POST", "/v1/laptops/enrol", body)
    r = httpx.post(served.url + "/v1/laptops/enrol", content=body, headers=forged)
    assert r.status_code == 401 and r.json()["error"] == "bad_signature"
    good = P.signed_headers(lambda d: crypto.sign(key, d), "laptop-x1", "POST", "/v1/laptops/enrol", body)
    r = httpx.post(served.url + "/v1/laptops/enrol", content=body, headers=good)
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["hub"]["hub_id"] == hub.hub_id
    # the same id with another key is refused (someone else claiming this laptop)
    body2 = body.replace(crypto.b64(crypto.public_raw(key)).encode(), crypto.b64(crypto.public_raw(other)).encode())
    h2 = P.signed_headers(lambda d: crypto.sign(other, d), "laptop-x1", "POST", "/v1/laptops/enrol", body2)
    r = httpx.post(served.url + "/v1/laptops/enrol", content=body2, headers=h2)
    assert r.status_code == 409 and r.json()["error"] == "key_mismatch"
    assert httpx.get(served.url + "/v1/status").status_code == 405
    r = httpx.post(served.url + "/v1/status", content=b"{}")
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"


def test_oversized_bodies_are_refused_before_they_are_read(hub, served):
    r = httpx.put(served.url + "/v1/recordings/x/payload?offset=0", content=b"\0" * (5 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    def stream():  # no Content-Length: chunked transfer
        for _ in range(6):
            yield b"\0" * (1024 * 1024)

    r = httpx.put(served.url + "/v1/recordings/x/payload?offset=0", content=stream())
    assert r.status_code == 413

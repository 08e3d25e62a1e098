"""Sync over real HTTP on 127.0.0.1 to a hub on SQLite and on PostgreSQL, with faults and attacks:
connection cut mid-chunk, hub restarted mid-sync, 500s and lost answers, tampered chunks,
replayed requests, revoked and unknown laptops, clock skew. Each ends with every recording at the
hub exactly once, or a clear refusal, and nothing lost on the laptop."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from faults import CuttingProxy, FaultTransport
from recording_factory import make_many
from sqlalchemy import text
from sync_fixtures import (  # noqa: F401  (fixtures)
    fast_retry,
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
from sweet17.services.sync.client import HubRefused, HubUnreachable
from sweet17.services.sync.laptop import make_client, sync_http

CHUNK = 64 * 1024


def _local(ws, sql: str, **params):  # type: ignore[no-untyped-def]
    with ws.engine.connect() as c:
        return c.execute(text(sql), params).all()


def _status_counts(ws) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return dict(_local(ws, "SELECT status, COUNT(*) FROM recording GROUP BY status"))


def _assert_nothing_lost(ws, ids):  # type: ignore[no-untyped-def]
    """Every recording still has its payload on the laptop unless a verified receipt is held."""
    rows = _local(ws, "SELECT r.id, p.recording_id IS NOT NULL, c.verified FROM recording r LEFT JOIN "
                      "recording_payload p ON p.recording_id = r.id LEFT JOIN sync_receipt c ON c.recording_id = r.id")
    by = {r[0]: r for r in rows}
    for rid in ids:
        assert by[rid][1] or by[rid][2] == 1, rid


def test_sync_delivers_once_and_pulls_acknowledgement(hub, served, laptop):
    ids = make_many(laptop, 4, status="approved")
    make_many(laptop, 1, start=50)                      # captured, not approved: must stay
    res = sync_http(laptop, chunk_size=CHUNK)
    assert (res.sent, res.already, res.refused) == (4, 0, [])
    assert res.acknowledged == 4 and res.statuses >= 8
    assert _status_counts(laptop) == {"acknowledged": 4, "captured": 1}
    assert hub_count(hub) == 4
    _assert_nothing_lost(laptop, ids)
    hs = _local(laptop, "SELECT DISTINCT hub_status FROM recording WHERE status = 'acknowledged'")
    assert hs == [("verified",)]
    # receipts are stored and verify against the hub's key
    from sweet17.services.sync import protocol as P

    for (rid, receipt, sig) in _local(laptop, "SELECT recording_id, receipt, signature FROM sync_receipt"):
        rc = P.SignedReceipt(receipt, sig).open(hub.sign_public)
        assert rc.recording_id == rid and rc.verified
    # a second run sends nothing and duplicates nothing
    again = sync_http(laptop, chunk_size=CHUNK)
    assert (again.recordings, again.sent, again.bytes_sent) == (0, 0, 0)
    assert hub_count(hub) == 4 and hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 4
    # payloads are kept during retention
    assert len(_local(laptop, "SELECT * FROM recording_payload")) == 5
    audit = [r[0] for r in _local(laptop, "SELECT action FROM audit_log")]
    assert audit.count("recording.synced") == 4 and audit.count("recording.acknowledged") == 4


def test_connection_cut_mid_chunk_resumes_and_resends_at_most_one_chunk(hub, served, tmp_path):
    proxy = CuttingProxy(served.port).start()
    try:
        ws = make_laptop(tmp_path / "cut", hub, proxy.url)
        ids = make_many(ws, 3, status="approved")
        sizes = [r[0] for r in _local(ws, "SELECT payload_size FROM recording")]
        proxy.cut_after(sizes[0] + CHUNK // 2 + 3000)   # inside the second recording's first chunk
        client = make_client(ws, proxy.url, retry=fast_retry())
        res = sync_http(ws, client=client, chunk_size=CHUNK)
        client.close()
        assert proxy.cuts == 1 and client.stats.retries >= 1
        assert res.sent == 3 and not res.refused
        assert hub_count(hub) == 3
        # only the chunk that was cut went twice
        assert res.bytes_sent - sum(sizes) <= CHUNK
        assert _status_counts(ws) == {"acknowledged": 3}
        _assert_nothing_lost(ws, ids)
    finally:
        proxy.stop()


def test_hub_restarted_mid_sync(hub, tmp_path):
    from sweet17.entrypoints.hub.server import BackgroundServer, free_port
    from sweet17.services.hub.config import open_hub

    port = free_port()
    servers = [BackgroundServer(hub, "127.0.0.1", port).start()]
    url = f"http://127.0.0.1:{port}"
    ws = make_laptop(tmp_path / "restart", hub, url)
    make_many(ws, 3, status="approved")
    reopened = []
    lock = threading.Lock()

    def restart(why, attempt, delay):  # the hub process dies and comes back on the same port and database
        with lock:                     # (parallel uploads all notice the outage)
            if len(servers) == 1:
                servers[0].stop()
                h2 = open_hub(hub.data_dir, hub.store.url)
                reopened.append(h2)
                servers.append(BackgroundServer(h2, "127.0.0.1", port).start())

    state = {"puts": 0}

    def rule(request, n):  # the hub goes down right after the 3rd chunk arrived (its answer is lost)
        if request.method == "PUT":
            state["puts"] += 1
            if state["puts"] == 3:
                return "lose"
        return None

    client = make_client(ws, url, retry=fast_retry(), transport=FaultTransport(rule), on_retry=restart)
    try:
        res = sync_http(ws, client=client, chunk_size=CHUNK)
    finally:
        client.close()
        for s in servers:
            s.stop()
        for h in reopened:
            h.close()
    assert len(servers) == 2 and res.sent == 3 and not res.refused
    assert hub_count(hub) == 3
    assert _status_counts(ws) == {"acknowledged": 3}


def test_server_errors_and_lost_answers_are_retried_idempotently(hub, served, tmp_path):
    ws = make_laptop(tmp_path / "flaky", hub, served.url)
    make_many(ws, 3, status="approved")

    def rule(request, n):
        if n in (2, 5):
            return "500"
        if n in (3, 7, 9):
            return "lose"             # the hub stored it; the laptop never heard
        if n == 11:
            return "timeout"
        return None

    transport = FaultTransport(rule)
    client = make_client(ws, served.url, retry=fast_retry(6), transport=transport)
    res = sync_http(ws, client=client, chunk_size=CHUNK)
    client.close()
    assert res.sent + res.already == 3 and not res.refused
    assert client.stats.retries >= 5
    assert hub_count(hub) == 3 and hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 3
    assert hub_count(hub, "SELECT COUNT(*) FROM upload_part") == 0
    assert _status_counts(ws) == {"acknowledged": 3}


def test_hub_down_for_good_fails_clearly_and_keeps_everything(hub, served, tmp_path):
    ws = make_laptop(tmp_path / "down", hub, served.url)
    ids = make_many(ws, 2, status="approved")
    client = make_client(ws, served.url, retry=fast_retry(3), transport=FaultTransport(lambda r, n: "500"))
    with pytest.raises(HubUnreachable) as e:
        sync_http(ws, client=client)
    client.close()
    assert "3" in str(e.value)
    assert _status_counts(ws) == {"approved": 2}
    _assert_nothing_lost(ws, ids)
    assert _local(ws, "SELECT outcome FROM sync_run") == [("failed",)]


def test_tampered_chunk_is_refused_then_a_clean_retry_delivers(hub, served, tmp_path):
    ws = make_laptop(tmp_path / "tamper", hub, served.url)
    ids = make_many(ws, 2, status="approved")

    def flip(body: bytes) -> bytes:
        return body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]

    bad = FaultTransport(lambda r, n: flip if r.method == "PUT" else None)
    client = make_client(ws, served.url, retry=fast_retry(), transport=bad)
    with pytest.raises(HubRefused) as e:
        sync_http(ws, client=client, chunk_size=CHUNK)
    client.close()
    assert e.value.code == "bad_signature"
    assert hub_count(hub) == 0 and hub_count(hub, "SELECT COALESCE(SUM(received_bytes), 0) FROM hub_recording") == 0
    assert _status_counts(ws) == {"approved": 2}
    _assert_nothing_lost(ws, ids)
    res = sync_http(ws, chunk_size=CHUNK)
    assert res.sent == 2 and hub_count(hub) == 2


def test_locally_damaged_payload_is_not_sent_and_others_go(hub, served, laptop):
    ids = make_many(laptop, 3, status="approved")
    with laptop.engine.begin() as c:
        sealed = bytes(c.execute(text("SELECT sealed FROM recording_payload WHERE recording_id = :i"),
                                 {"i": ids[1]}).scalar())
        c.execute(text("UPDATE recording_payload SET sealed = :s WHERE recording_id = :i"),
                  {"s": sealed[:-1] + bytes([sealed[-1] ^ 1]), "i": ids[1]})
    res = sync_http(laptop, chunk_size=CHUNK)
    assert res.sent == 2 and [r["id"] for r in res.refused] == [ids[1]]
    assert "damaged" in res.refused[0]["detail"]
    assert hub_count(hub) == 2
    assert dict(_local(laptop, "SELECT id, status FROM recording"))[ids[1]] == "approved"


def test_replayed_request_is_refused_and_logged(hub, served, laptop):
    make_many(laptop, 1, status="approved")
    rec = FaultTransport()
    client = make_client(laptop, served.url, retry=fast_retry(), transport=rec)
    sync_http(laptop, client=client, chunk_size=CHUNK)
    client.close()
    method, url, headers, body = next(s for s in rec.sent if s[0] == "POST" and s[1].endswith("/v1/manifests"))
    r = httpx.request(method, url, headers=headers, content=body)
    assert r.status_code == 401 and r.json()["error"] == "replay"
    # a fresh nonce does not help: the signature covers it
    r = httpx.request(method, url, headers={**headers, "x-s17-nonce": "0" * 32}, content=body)
    assert r.json()["error"] == "bad_signature"
    log = hub_count(hub, "SELECT COUNT(*) FROM access_log WHERE outcome = 'replay'")
    assert log == 1


def test_revoked_laptop_is_refused_and_keeps_its_recordings(hub, served, laptop):
    from sweet17.services import keys as keysvc
    from sweet17.services.hub.laptops import list_laptops, revoke

    ids = make_many(laptop, 2, status="approved")
    revoke(hub, keysvc.laptop_id(laptop), "admin", "laptop stolen")
    with pytest.raises(HubRefused) as e:
        sync_http(laptop, chunk_size=CHUNK)
    assert e.value.code == "laptop_revoked" and "mencabut kunci" in str(e.value)
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 0
    assert _status_counts(laptop) == {"approved": 2}
    _assert_nothing_lost(laptop, ids)
    row = next(r for r in list_laptops(hub) if r["laptop_id"] == keysvc.laptop_id(laptop))
    assert row["status"] == "revoked" and row["refused_attempts"] >= 1


def test_unknown_and_pending_laptops_are_refused(hub, served, tmp_path):
    from sweet17.services import keys as keysvc
    from sweet17.services.workspace import Workspace

    pending = make_laptop(tmp_path / "pending", hub, served.url, approve=False)
    make_many(pending, 1, status="approved")
    with pytest.raises(HubRefused) as e:
        sync_http(pending)
    assert e.value.code == "laptop_pending"
    stranger = Workspace.create(tmp_path / "stranger")
    keysvc.install_hub_keys(stranger, hub.public_keys(served.url))
    make_many(stranger, 1, status="approved")
    with pytest.raises(HubRefused) as e:
        sync_http(stranger)
    assert e.value.code == "unknown_laptop"
    assert hub_count(hub, "SELECT COUNT(*) FROM hub_recording") == 0
    assert hub_count(hub, "SELECT COUNT(*) FROM access_log WHERE outcome IN ('unknown_laptop', 'laptop_pending')") >= 2


def test_clock_skew_on_offline_laptop(hub, served, tmp_path):
    ws = make_laptop(tmp_path / "skew", hub, served.url)
    ahead = datetime.now(UTC) + timedelta(hours=3)          # the laptop's clock runs 3 hours fast
    ids = make_many(ws, 2, status="approved", captured_at=ahead)
    import time

    client = make_client(ws, served.url, retry=fast_retry(), clock=lambda: time.time() + 3 * 3600)
    res = sync_http(ws, client=client, chunk_size=CHUNK)
    client.close()
    assert res.sent == 2 and abs(client.offset + 3 * 3600) < 60
    assert hub_count(hub) == 2
    flags = hub_count(hub, "SELECT COUNT(*) FROM hub_recording WHERE clock_flag <> ''")
    assert flags == 2                         # the office sees the recordings were stamped in the future
    assert hub_count(hub, "SELECT COUNT(*) FROM access_log WHERE outcome = 'clock_skew'") >= 1
    # receipts carry the hub's time; retention starts at the later of the two clocks
    from sweet17.services.sync.queue import list_queue

    item = next(i for i in list_queue(ws) if i.id == ids[0])
    assert item.held == "retention" and item.held_until is not None


def test_a_different_hub_at_the_url_is_refused(hub, served, tmp_path):
    from sync_fixtures import make_hub

    ws = make_laptop(tmp_path / "w", hub, served.url)
    make_many(ws, 1, status="approved")
    other = make_hub(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}")
    from sweet17.entrypoints.hub.server import start_background

    srv = start_background(other)
    try:
        with pytest.raises(Exception) as e:
            sync_http(ws, srv.url)
        assert "bukan hub" in str(e.value) or "not the hub" in str(e.value)
    finally:
        srv.stop()
        other.close()
    assert _status_counts(ws) == {"approved": 1}


def test_sync_cli_reports_and_progress_bar(hub, served, laptop, cli, monkeypatch):
    from sweet17.entrypoints.cli import common

    make_many(laptop, 2, status="approved")
    code, out, err = cli("--workspace", laptop.path, "sync")
    assert code == 0, err
    assert out.startswith("2 rekaman terkirim") and err == ""       # not a terminal: no bar in the log
    make_many(laptop, 1, start=30, status="approved")
    monkeypatch.setattr(common.err_console, "_force_terminal", True)
    code, out, err = cli("--workspace", laptop.path, "sync")
    assert code == 0 and "1 rekaman terkirim" in out and "Rekaman" in err and "Data" in err
    code, out, err = cli("--workspace", laptop.path, "sync", "--json")
    assert code == 0 and json.loads(out)["recordings"] == 0


def _tls_files(tmp_path):  # type: ignore[no-untyped-def]
    """A throw-away office CA and a certificate for 127.0.0.1 signed by it."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dukcapil Balangan test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "hub.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "hub.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return tmp_path / "ca.pem", tmp_path / "hub.pem", tmp_path / "hub.key"


def test_https_hub_with_the_office_certificate(hub, tmp_path):
    from sweet17.entrypoints.hub.server import start_background
    from sweet17.services.sync.laptop import enrol
    from sweet17.services.workspace import Workspace

    ca, cert, key = _tls_files(tmp_path)
    srv = start_background(hub, tls_cert=str(cert), tls_key=str(key))
    try:
        assert srv.url.startswith("https://")
        ws = Workspace.create(tmp_path / "tls")
        ws.config.setdefault("sync", {}).update({"retry_base_s": 0.01, "retry_attempts": 2})
        with pytest.raises(UserError) as e:          # not trusted: refused at once, not retried
            enrol(ws, srv.url)
        assert "--ca" in str(e.value)
        res = enrol(ws, srv.url, ca_file=str(ca))
        from sweet17.services.hub.laptops import approve

        approve(hub, res["laptop_id"], "admin")
        make_many(ws, 2, status="approved")
        out = sync_http(ws)                           # the certificate given at enrolment is remembered
        assert out.sent == 2 and hub_count(hub) == 2
        ws.close()
    finally:
        srv.stop()

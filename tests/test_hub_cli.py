"""The commands end to end, as the office and the field team use them: ``sweet17 hub serve`` in its own
process, enrolment and approval, supervisor approval, sync, statuses, the USB path, and errors."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from recording_factory import make_many, make_recording
from sync_fixtures import hand_over, indonesian  # noqa: F401  (fixture)


def _wait(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"hub serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("hub serve did not come up")


def test_office_and_field_commands(cli, tmp_path, monkeypatch):
    from sweet17.entrypoints.hub.server import free_port
    from sweet17.services.operators import create_operator
    from sweet17.services.workspace import Workspace

    data = tmp_path / "hub"
    code, out, err = cli("hub", "init", "--data", data, "--name", "Dukcapil Balangan", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["dialect"] == "sqlite" and (data / "hub_public.json").exists()
    code, out, err = cli("hub", "init", "--data", data)
    assert code == 2 and "Sudah ada hub" in err
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SWEET17_LANG": "en"}
    proc = subprocess.Popen([sys.executable, "-m", "sweet17", "hub", "serve", "--data", str(data), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait(url, proc)
        ws = tmp_path / "laptop"
        assert cli("--workspace", ws, "init")[0] == 0
        code, out, err = cli("--workspace", ws, "sync", "enrol", "--hub", url, "--name", "laptop-tim-1",
                             "--fingerprint", info["fingerprint"], "--json")
        assert code == 0, err
        enrol = json.loads(out)
        assert enrol["status"] == "pending" and enrol["hub_id"] == info["hub_id"]
        w = Workspace.open(ws)
        create_operator(w, "spv.rahmah", "rahasia-spv-17", role="supervisor")
        make_many(w, 3)
        flagged = make_recording(w, i=9, exceptions=("Finger:Right Thumb",))
        # not approved at the hub yet: a clear refusal, nothing lost
        monkeypatch.setenv("SWEET17_SUPERVISOR_PASSWORD", "rahasia-spv-17")
        assert cli("--workspace", ws, "queue", "approve", "--all-clean", "-s", "spv.rahmah")[0] == 0
        code, out, err = cli("--workspace", ws, "sync", "--no-progress")
        assert code == 2 and "belum menyetujui" in err
        code, out, err = cli("hub", "laptops", "list", "--data", data, "--json")
        lap = json.loads(out)["laptops"][0]
        assert lap["status"] == "pending" and lap["refused_attempts"] >= 1
        code, out, err = cli("hub", "laptops", "approve", lap["laptop_id"][:8], "--data", data,
                             "--fingerprint", enrol["laptop_fingerprint"], "--by", "admin.kantor")
        assert code == 0, err
        code, out, err = cli("--workspace", ws, "sync", "--json")
        assert code == 0, err
        res = json.loads(out)
        assert (res["sent"], res["acknowledged"], res["refused"]) == (3, 3, [])
        code, out, err = cli("--workspace", ws, "queue", "--json")
        q = json.loads(out)
        assert q["counts"]["acknowledged"] == 3 and q["counts"]["captured"] == 1
        assert q["recordings"][0]["id"] == flagged and q["recordings"][0]["held"] == "awaiting_approval"
        code, out, err = cli("--workspace", ws, "queue")
        assert "diverifikasi hub" in out
        # the flagged one travels by USB
        assert cli("--workspace", ws, "queue", "approve", flagged, "-s", "spv.rahmah")[0] == 0
        code, out, err = cli("--workspace", ws, "sync", "--bundle", tmp_path / "usb.s17b", "--json")
        assert code == 0 and json.loads(out)["recordings"] == 1
        code, out, err = cli("hub", "import-bundle", tmp_path / "usb.s17b", "--data", data, "--json")
        assert code == 0, err
        receipts = json.loads(out)["receipts"]
        code, out, err = cli("--workspace", ws, "sync", "import-receipts", receipts)
        assert code == 0 and "1 tanda terima baru" in out
        nik = json.loads(cli("--workspace", ws, "queue", "--json")[1])["recordings"][0]
        w2 = Workspace.open(ws)
        from sqlalchemy import text

        with w2.engine.connect() as c:
            nik = c.execute(text("SELECT nik FROM recording WHERE id = :i"), {"i": flagged}).scalar()
        code, out, err = cli("hub", "status", nik, "--data", data, "--json")
        assert code == 0 and json.loads(out)["recordings"][0]["via"] == "bundle"
        # the card is handed over at the school; the next sync carries the hand-over to the hub
        did = hand_over(w2, nik, "SISWA UJI")
        code, out, err = cli("--workspace", ws, "sync", "--json")
        assert code == 0, err
        res = json.loads(out)
        assert (res["deliveries"], res["deliveries_sent"], res["refused"]) == (1, 1, [])
        code, out, err = cli("hub", "status", nik, "--data", data, "--json")
        st = json.loads(out)
        assert st["recordings"][0]["status"] == "delivered" and st["deliveries"][0]["delivery_id"] == did
        code, out, err = cli("hub", "status", nik, "--data", data)
        assert code == 0 and "Hj. Siti Aisyah" in out and did in out, err
        # the public status page of `sweet17 hub serve`: NIK and birth date, nothing else, rate-limited
        with httpx.Client(base_url=url, timeout=5) as http:
            assert http.get("/status").status_code == 200
            found = http.post("/v1/public/status", json={"nik": nik, "birth_date": "17-08-2009"}).json()
            assert found["found"] and found["status"] == "delivered"
            page = http.post("/status", data={"nik": nik, "birth_date": "2009-08-17"})
            assert page.status_code == 200 and "SISWA UJI" not in page.text and nik not in page.text
            wrong = http.post("/v1/public/status", json={"nik": nik, "birth_date": "2009-08-18"}).json()
            assert wrong["found"] is False
            assert [http.post("/v1/public/status", json={"nik": nik, "birth_date": "2009-08-17"}).status_code
                    for _ in range(3)] == [200, 200, 429]          # five lookups of one NIK an hour
            other = "6311064502090001"
            codes = [http.post("/v1/public/status", json={"nik": other, "birth_date": "2009-08-17"}).status_code
                     for _ in range(5)]
            assert codes == [200, 200, 200, 200, 429]               # ten checks from one address in 10 minutes
            assert int(http.post("/status", data={"nik": other, "birth_date": "x"}).headers["retry-after"]) > 0
        code, out, err = cli("hub", "status", "123", "--data", data)
        assert code == 2 and "bukan NIK" in err
        code, out, err = cli("hub", "export-nist", "--data", data, "--out", tmp_path / "nist", "--json")
        assert code == 0 and json.loads(out)["exported"] == 4
        code, out, err = cli("--workspace", ws, "keys", "show", "--json")
        assert json.loads(out)["hub_id"] == info["hub_id"]
        code, out, err = cli("hub", "laptops", "revoke", lap["laptop_id"], "--data", data)
        assert code == 2 and "--reason" in err
        code, out, err = cli("hub", "log", "--refused", "--data", data, "--json")
        assert any(e["outcome"] == "laptop_pending" for e in json.loads(out)["entries"])
        w.close()
        w2.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_keys_import_hub_and_errors(cli, tmp_path):
    data = tmp_path / "hub"
    assert cli("hub", "init", "--data", data)[0] == 0
    ws = tmp_path / "w"
    assert cli("--workspace", ws, "init")[0] == 0
    code, out, err = cli("--workspace", ws, "keys", "import-hub", data / "hub_public.json", "--url",
                         "http://10.0.0.5:8717", "--json")
    assert code == 0, err
    assert json.loads(out)["hub_url"] == "http://10.0.0.5:8717"
    other = tmp_path / "hub2"
    assert cli("hub", "init", "--data", other)[0] == 0
    code, out, err = cli("--workspace", ws, "keys", "import-hub", other / "hub_public.json")
    assert code == 2 and "hub lain" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    code, out, err = cli("--workspace", ws, "keys", "import-hub", bad)
    assert code == 2 and "bukan berkas kunci hub" in err
    code, out, err = cli("hub", "laptops", "list", "--data", tmp_path / "nohub")
    assert code == 2 and "sweet17 hub init" in err
    code, out, err = cli("hub", "init", "--data", tmp_path / "h3", "--db", "mysql://x")
    assert code == 2 and "postgresql://" in err
    # English on request
    fresh = tmp_path / "fresh"
    assert cli("--workspace", fresh, "init")[0] == 0
    code, out, err = cli("--workspace", fresh, "sync", lang="en")
    assert code == 2 and "no hub key yet" in err
    assert Path(data / "keys" / "hub_seal.pem").stat().st_mode & 0o077 == 0

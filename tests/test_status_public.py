"""The hub's public status page over real HTTP on 127.0.0.1 (uvicorn), on a real hub store (SQLite)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from sqlalchemy import text

NIK = "6311065708080012"          # synthetic: born 17 Aug 2008 (female), Paringin
BIRTH = "2008-08-17"
NIK_DUP = "6311061203080001"


@pytest.fixture
def hub(tmp_path):
    from sweet17.services.hub.config import init_hub
    from sweet17.services.hub.events import add_event

    h = init_hub(tmp_path / "hub", name="Disdukcapil Uji")
    with h.store.begin() as c:
        c.execute(text("INSERT INTO laptop (laptop_id, public_key, fingerprint, status, enrolled_at) VALUES "
                       "('lap-1', 'x', 'x', 'approved', '2026-11-01T00:00:00Z')"))
        for rid, nik, bd in (("rec-1", NIK, BIRTH), ("rec-2", NIK_DUP, "2008-03-12")):
            c.execute(text(
                "INSERT INTO hub_recording (recording_id, laptop_id, manifest, manifest_sha256, signature, drive, "
                "school_code, nik, name, captured_at, payload_sha256, payload_size, state, status, via, manifest_at) "
                "VALUES (:r, 'lap-1', :m, 'h', 's', 'uji', 'A', :n, 'NAMA UJI', '2026-11-10T08:00:00Z', 'p', 10, "
                "'complete', 'received', 'http', '2026-11-10T18:00:00Z')"),
                {"r": rid, "n": nik, "m": json.dumps({"birth_date": bd, "name": "NAMA UJI"})})
        add_event(c, "rec-1", "received", "2026-11-10T18:00:00Z", "intake")
        add_event(c, "rec-1", "verified", "2026-11-10T18:00:01Z", "intake")
        add_event(c, "rec-1", "printed", "2026-11-15T09:00:00Z", "central")
        add_event(c, "rec-2", "received", "2026-11-10T18:00:00Z", "intake")
        add_event(c, "rec-2", "duplicate", "2026-11-10T18:00:02Z", "intake")
    yield h
    h.close()


@pytest.fixture
def served(hub):
    import uvicorn
    from fastapi import FastAPI

    from sweet17.entrypoints.hub.public_status import router
    from sweet17.entrypoints.hub.server import free_port
    from sweet17.i18n import set_language
    from sweet17.services.public_status import PublicStatusService

    set_language("id")              # the page speaks the hub's language (an earlier test may have chosen en)

    app = FastAPI()
    app.include_router(router(hub, PublicStatusService(hub.store, ip_limit=(8, 600), nik_limit=(4, 3600))))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_page_and_lookups(served):
    with httpx.Client(base_url=served, timeout=5) as http:
        page = http.get("/status")
        assert page.status_code == 200 and "Periksa perekaman KTP-el" in page.text
        assert page.headers["cache-control"] == "no-store" and "Disdukcapil Uji" in page.text
        r = http.post("/status", data={"nik": NIK, "birth_date": BIRTH})
        assert r.status_code == 200
        assert "KTP-el sudah dicetak" in r.text and "2026-11-15" in r.text
        assert "NAMA UJI" not in r.text and NIK not in r.text              # nothing but the status
        j = http.post("/v1/public/status", json={"nik": NIK, "birth_date": "17-08-2008"}).json()
        assert j["found"] is True and j["status"] == "printed"
        assert [(s["status"], s["reached"], s["date"]) for s in j["steps"]] == [
            ("synced", True, "2026-11-10"), ("acknowledged", True, "2026-11-10"), ("printed", True, "2026-11-15"),
            ("delivered", False, None)]
        dup = http.post("/v1/public/status", json={"nik": NIK_DUP, "birth_date": "2008-03-12"}).json()
        assert dup["status"] == "duplicate" and "Disdukcapil" in dup["next_step"]


def test_wrong_birth_date_looks_like_unknown_nik(served):
    with httpx.Client(base_url=served, timeout=5) as http:
        wrong = http.post("/v1/public/status", json={"nik": NIK, "birth_date": "2008-08-18"}).json()
        unknown = http.post("/v1/public/status", json={"nik": "6311060101080099", "birth_date": BIRTH}).json()
        assert wrong == unknown and wrong["found"] is False
        bad = http.post("/v1/public/status", json={"nik": "12345", "birth_date": BIRTH})
        assert bad.status_code == 400 and "16" in bad.json()["message"]
        assert http.post("/v1/public/status", content=b"not json").status_code == 400
        html = http.post("/status", data={"nik": "<script>alert(1)</script>", "birth_date": BIRTH})
        assert html.status_code == 400 and "<script>" not in html.text


def test_rate_limits(served):
    with httpx.Client(base_url=served, timeout=5) as http:
        # per NIK: 4 lookups an hour, whatever the birth date (guessing dates is pointless)
        days = [f"2008-08-{d:02d}" for d in range(10, 14)]
        for d in days:
            assert http.post("/v1/public/status", json={"nik": NIK, "birth_date": d}).status_code == 200
        r = http.post("/v1/public/status", json={"nik": NIK, "birth_date": BIRTH})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        # per client address: 8 requests in 10 minutes, then the page says to wait
        for _ in range(3):
            http.post("/v1/public/status", json={"nik": NIK_DUP, "birth_date": "2008-03-12"})
        r = http.post("/status", data={"nik": NIK_DUP, "birth_date": "2008-03-12"})
        assert r.status_code == 429 and "Terlalu banyak" in r.text


def test_sliding_window_forgets():
    from sweet17.services.public_status import RateLimited, SlidingWindow

    now = [0.0]
    w = SlidingWindow(2, 60, clock=lambda: now[0])
    w.hit("a")
    w.hit("a")
    with pytest.raises(RateLimited) as e:
        w.hit("a")
    assert e.value.retry_after == 61
    w.hit("b")
    now[0] = 61.0
    w.hit("a")

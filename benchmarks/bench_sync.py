"""Sync into the hub over loopback: recordings per second (SQLite and PostgreSQL), wire bytes per
recording against the sealed payload size, and what a sync cut in half sends again.

Baselines measured in the same run:
* throughput: the same payload bytes PUT over loopback HTTP to a server that stores nothing
  (no signatures, no database) — the ratio says what the protocol and the stores cost;
* wire bytes: the same payloads as base64 inside JSON (what the protocol avoids).

Targets (issue 7): >= 50 recordings/s into either store; wire bytes <= 1.1x the payload; a sync cut
in half re-sends at most one recording's chunks. PostgreSQL runs with fsync on (a throw-away cluster
from the installed binaries); the SQLite hub uses synchronous=FULL.

``SWEET17_BENCH_SYNC_N`` sets the number of recordings (default 200).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"


def _laptop(tmp: Path, hub, url: str, n: int, name: str):  # type: ignore[no-untyped-def]
    from recording_factory import make_many
    from sync_fixtures import make_laptop

    ws = make_laptop(tmp / name, hub, url, name=name)
    make_many(ws, n, status="approved")
    return ws


def _payload_sizes(ws) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with ws.engine.connect() as c:
        return [int(r[0]) for r in c.execute(text("SELECT payload_size FROM recording"))]


def _raw_baseline(payloads: list[bytes]) -> float:
    """Seconds to PUT the same bytes, in the same chunks, over loopback HTTP to the same server stack
    (uvicorn + FastAPI) with an endpoint that checks nothing and stores nothing."""
    import httpx
    import uvicorn
    from fastapi import FastAPI, Request

    from sweet17.entrypoints.hub.server import free_port

    app = FastAPI()

    @app.put("/r/{rid}")
    async def sink(rid: str, request: Request) -> dict:
        return {"n": len(await request.body())}

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    srv.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    while not srv.started:
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            t0 = time.perf_counter()
            for i, p in enumerate(payloads):
                for off in range(0, len(p), 512 * 1024):
                    c.put(f"/r/{i}?offset={off}", content=p[off:off + 512 * 1024])
            return time.perf_counter() - t0
    finally:
        srv.should_exit = True
        t.join(timeout=5)


def _run_store(label: str, url: str, tmp: Path, n: int) -> dict:
    from faults import CuttingProxy
    from sqlalchemy import text
    from sync_fixtures import make_hub

    from sweet17.entrypoints.hub.server import start_background
    from sweet17.services.sync.client import RetryPolicy
    from sweet17.services.sync.laptop import make_client, sync_http

    hub = make_hub(tmp / label, url)
    srv = start_background(hub)
    proxy = CuttingProxy(srv.port).start()
    try:
        ws = _laptop(tmp, hub, proxy.url, n, f"laptop-{label}")
        sizes = _payload_sizes(ws)
        with ws.engine.connect() as c:
            payloads = [bytes(r[0]) for r in c.execute(text("SELECT sealed FROM recording_payload"))]
        base_s = _raw_baseline(payloads)
        up0 = proxy.up
        t0 = time.perf_counter()
        res = sync_http(ws, purge_after=False)
        dt = time.perf_counter() - t0
        wire_up = proxy.up - up0
        assert res.sent == n and not res.refused, res.to_dict()
        # a second laptop, cut when half of its bytes have gone up
        ws2 = _laptop(tmp, hub, proxy.url, n // 4, f"cut-{label}")
        sizes2 = _payload_sizes(ws2)
        proxy.cut_after(sum(sizes2) // 2)
        client = make_client(ws2, proxy.url, retry=RetryPolicy(attempts=5, base_delay=0.05))
        res2 = sync_http(ws2, client=client, purge_after=False)
        client.close()
        resent = res2.bytes_sent - sum(sizes2)
        assert res2.sent == len(sizes2) and proxy.cuts == 1
        with hub.store.connect() as c:
            held = int(c.execute(text("SELECT COUNT(*) FROM hub_recording WHERE state = 'complete'")).scalar())
        assert held == n + len(sizes2)
        ws.close()
        ws2.close()
    finally:
        proxy.stop()
        srv.stop()
        hub.close()
    mean = sum(sizes) / len(sizes)
    return {"store": label, "n": n, "seconds": dt, "rec_per_s": n / dt, "raw_rec_per_s": n / base_s,
            "wire_ratio": wire_up / sum(sizes), "wire_per_rec": wire_up / n, "payload_mean": mean,
            "base64_json_ratio": sum(len(json.dumps({"payload": base64.b64encode(p).decode()})) for p in payloads)
            / sum(sizes), "resent_bytes": resent, "resent_vs_one_recording": resent / max(sizes2)}


def main() -> int:
    sys.path.insert(0, str(TESTS))
    os.environ.setdefault("SWEET17_LANG", "en")
    from pg import PgCluster

    n = int(os.environ.get("SWEET17_BENCH_SYNC_N", "200"))
    results = []
    with tempfile.TemporaryDirectory(prefix="sweet17-bench-sync-") as d:
        tmp = Path(d)
        results.append(_run_store("sqlite", f"sqlite:///{tmp / 'hub.db'}", tmp, n))
        pg = PgCluster(fsync=True).start()
        try:
            results.append(_run_store("postgresql", pg.create_database("bench"), tmp, n))
        finally:
            pg.stop()
    ok = True
    for r in results:
        print(f"{r['store']:>10}: {r['n']} recordings of {r['payload_mean'] / 1024:.0f} KiB in {r['seconds']:.2f} s = "
              f"{r['rec_per_s']:.0f} rec/s (target >= 50); raw loopback PUT of the same bytes {r['raw_rec_per_s']:.0f} "
              f"rec/s -> ratio {r['rec_per_s'] / r['raw_rec_per_s']:.2f}")
        print(f"{'':>10}  wire bytes up {r['wire_per_rec'] / 1024:.1f} KiB/recording = {r['wire_ratio']:.4f}x the sealed "
              f"payload (target <= 1.1; base64 in JSON would be {r['base64_json_ratio']:.3f}x)")
        print(f"{'':>10}  sync cut at half its bytes: {r['resent_bytes'] / 1024:.0f} KiB sent again = "
              f"{r['resent_vs_one_recording']:.2f} of the largest recording's payload (target <= 1)")
        ok = ok and r["rec_per_s"] >= 50 and r["wire_ratio"] <= 1.1 and r["resent_vs_one_recording"] <= 1
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

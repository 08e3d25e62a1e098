"""Randomised fault runs: many syncs through a proxy that cuts connections and a transport that
answers 500s, times out and loses answers, against a hub that is also restarted now and then.
Whatever happens, once a run gets through every recording is at the hub exactly once, acknowledged
on the laptop, with its receipt verified, and no payload was lost before its receipt.

The normal suite runs a small sample; ``make soak`` (SWEET17_SOAK=1) runs many trials on both
databases. A failing trial prints its seed."""

# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

import os
import random
import threading

import pytest
from faults import CuttingProxy, FaultTransport
from recording_factory import make_many
from sqlalchemy import text
from sync_fixtures import fast_retry, hub, hub_count, hub_db, indonesian, make_laptop, pg_cluster  # noqa: F401

from sweet17.services.sync.client import HubUnreachable
from sweet17.services.sync.laptop import make_client, sync_http

STATS: list[tuple[int, int, int]] = []      # per trial: connections cut, hub restarts, runs needed


def _trial(hub, tmp_path, seed: int) -> None:  # type: ignore[no-untyped-def]
    from sweet17.entrypoints.hub.server import BackgroundServer, free_port
    from sweet17.services.hub.config import open_hub

    rnd = random.Random(seed)
    port = free_port()
    servers = [BackgroundServer(hub, "127.0.0.1", port).start()]
    extra_hubs = []
    proxy = CuttingProxy(port).start()
    lock = threading.Lock()
    try:
        ws = make_laptop(tmp_path / f"w{seed}", hub, proxy.url)
        ids = make_many(ws, rnd.randint(1, 6), start=seed * 10, status="approved")
        p500, plose, ptime = rnd.random() * 0.2, rnd.random() * 0.2, rnd.random() * 0.1

        def rule(request, n):  # type: ignore[no-untyped-def]
            x = rnd.random()
            if x < p500:
                return "500"
            if x < p500 + plose:
                return "lose"
            if x < p500 + plose + ptime:
                return "timeout"
            return None

        def maybe_restart(why, attempt, delay):  # type: ignore[no-untyped-def]
            with lock:
                if rnd.random() < 0.15:
                    servers[-1].stop()
                    h = open_hub(hub.data_dir, hub.store.url)
                    extra_hubs.append(h)
                    servers.append(BackgroundServer(h, "127.0.0.1", port).start())

        for _run in range(12):
            if rnd.random() < 0.5:
                proxy.cut_after(rnd.randint(100, 400_000))
            client = make_client(ws, proxy.url, retry=fast_retry(5), transport=FaultTransport(rule),
                                 on_retry=maybe_restart)
            try:
                res = sync_http(ws, client=client, chunk_size=rnd.choice([32_768, 100_000, 512 * 1024]),
                                parallel=rnd.randint(1, 3))
                assert not res.refused, res.refused
                break
            except HubUnreachable:
                pass                          # nothing lost: the next run resumes
            finally:
                client.close()
            with ws.engine.connect() as c:    # between runs, nothing lost on the laptop
                held = set(c.execute(text("SELECT recording_id FROM recording_payload")).scalars())
            assert set(ids) <= held
        else:
            pytest.fail(f"seed {seed}: no run got through in 12 tries")
        with ws.engine.connect() as c:
            st = dict(c.execute(text("SELECT id, status FROM recording")).all())
            receipts = c.execute(text("SELECT COUNT(*) FROM sync_receipt WHERE verified = 1")).scalar()
        assert set(st.values()) == {"acknowledged"} and receipts == len(ids), f"seed {seed}"
        for rid in ids:
            assert hub_count(hub, "SELECT COUNT(*) FROM hub_recording WHERE recording_id = :r AND state = "
                                  "'complete'", r=rid) == 1, f"seed {seed}"
            assert hub_count(hub, "SELECT COUNT(*) FROM status_event WHERE recording_id = :r AND status = "
                                  "'received'", r=rid) == 1, f"seed {seed}"
        assert hub_count(hub, "SELECT COUNT(*) FROM upload_part") == 0, f"seed {seed}"
        STATS.append((proxy.cuts, len(servers) - 1, _run + 1))
        ws.close()
    finally:
        proxy.stop()
        for s in servers:
            s.stop()
        for h in extra_hubs:
            h.close()


def test_random_faults_sample(hub, tmp_path):
    base = random.randrange(1_000_000)
    for k in range(2):
        _trial(hub, tmp_path, base + k)


@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("SWEET17_SOAK"), reason="soak run only (make soak)")
def test_random_faults_soak(hub, tmp_path):
    base = random.randrange(1_000_000)
    for k in range(int(os.environ.get("SWEET17_SYNC_SOAK_TRIALS", "40"))):
        _trial(hub, tmp_path, base + k)

"""Fixtures shared by the sync and hub tests: a hub on SQLite or PostgreSQL, served over real HTTP on
127.0.0.1, and a laptop workspace enrolled and approved with it. Import the fixtures you use."""
# ruff: noqa: F811  (pytest fixtures are imported by name and used as arguments)

from __future__ import annotations

from pathlib import Path

import pytest
from pg import pg_cluster, pg_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request, tmp_path: Path) -> str:
    """The hub database URL: SQLite in the hub folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hubdata' / 'hub.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


@pytest.fixture
def sqlite_hub_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hubdata' / 'hub.db'}"


def make_hub(tmp_path: Path, url: str):  # type: ignore[no-untyped-def]
    from sweet17.services.hub.config import init_hub

    return init_hub(tmp_path / "hubdata", db_url=url, name="Dukcapil Balangan (test)")


@pytest.fixture
def hub(tmp_path: Path, hub_db: str):
    h = make_hub(tmp_path, hub_db)
    yield h
    h.close()


@pytest.fixture
def served(hub):
    from sweet17.entrypoints.hub.server import start_background

    srv = start_background(hub)
    yield srv
    srv.stop()


def make_laptop(path: Path, hub, url: str = "", approve: bool = True, name: str = "laptop-tim-1"):  # type: ignore[no-untyped-def]
    """A workspace with the hub's keys installed and its key enrolled (and approved) at the hub."""
    from sweet17.services import keys as keysvc
    from sweet17.services.hub import laptops
    from sweet17.services.workspace import Workspace

    ws = Workspace.create(path)
    ws.config.setdefault("sync", {}).update({"retry_base_s": 0.01, "retry_attempts": 4, "timeout_s": 5})
    ws.config["workspace"]["laptop_name"] = name
    keysvc.install_hub_keys(ws, hub.public_keys(url))
    laptops.enrol(hub, keysvc.laptop_id(ws), keysvc.laptop_public(ws), name)
    if approve:
        laptops.approve(hub, keysvc.laptop_id(ws), "admin")
    return ws


@pytest.fixture
def laptop(tmp_path: Path, hub, served):
    ws = make_laptop(tmp_path / "ws", hub, served.url)
    yield ws
    ws.close()


def hand_over(ws, nik: str, name: str, *, school: str = "SMAN1PRG", relation: str = "parent",  # type: ignore[no-untyped-def]
              uid: str | None = None) -> str:
    """One card hand-over made by the production desk (``services.delivery.DeliveryDesk``: the confirmation
    captured from a fake signature pad and sealed to the hub's key, the record written in one transaction),
    without a card reader or a drive folder; returns the delivery id."""
    import uuid
    from types import SimpleNamespace

    from fakes_devices import FakeDevice

    from sweet17.adapters.devices.base import Modality
    from sweet17.services.delivery import Candidate, CardCheck, DeliveryDesk

    sch = SimpleNamespace(code=school)
    drive = SimpleNamespace(slug="balangan-2026", schools=[sch], school=lambda code: sch)
    desk = DeliveryDesk(ws, SimpleNamespace(drive=drive), school, operator="antar1",
                        devices={"Signature": FakeDevice(Modality.SIGNATURE, "pad-1")})
    uid = uid or "04" + uuid.uuid4().hex[:12].upper()
    cand = Candidate(nik, "", name, school, "XII IPA 1", "2026-11-15", "6311A" + uid[-7:], uid)
    did = str(uuid.uuid4())
    desk.hand_over(cand, CardCheck(uid, True), "Hj. Siti Aisyah", relation, desk.confirm("signature", did), did)
    return did


def fast_retry(attempts: int = 4):  # type: ignore[no-untyped-def]
    from sweet17.services.sync.client import RetryPolicy

    return RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05)


def hub_count(hub, sql: str = "SELECT COUNT(*) FROM hub_recording WHERE state = 'complete'", **params) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with hub.store.connect() as c:
        return int(c.execute(text(sql), params).scalar())


@pytest.fixture(autouse=True)
def indonesian():
    """Messages in Indonesian, whatever an earlier test switched to (import this into each test module)."""
    from sweet17.i18n import set_language

    set_language("id")
    yield
    set_language("id")

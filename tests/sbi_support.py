"""Fixtures and helpers for the SBI tests: the simulator on a free port, over real HTTP.

A test module gets the fixtures ``sbi_sim`` (one simulator per module) and ``sim`` (that simulator,
reset around each test) by naming them at its top (an assignment rather than an import, so that
test arguments called ``sim`` do not read as redefinitions to the linter)::

    sbi_sim = sbi_support.sbi_sim
    sim = sbi_support.sim
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from sweet17.adapters.devices.sbi_sim import SbiSimulator


def module_simulator(tmp_path_factory):
    """For a module-scoped fixture: one simulator per test module (its own test CA), on a free port."""
    sim = SbiSimulator(tmp_path_factory.mktemp("sbi-sim"), port=0).start()
    yield sim
    sim.stop()


def reset_around(sim: SbiSimulator):
    """For a function-scoped fixture: the module's simulator, reset before and after the test."""
    sim.reset()
    yield sim
    sim.reset()


@pytest.fixture(scope="module")
def sbi_sim(tmp_path_factory):
    """One simulator per test module (its own test CA), on a free port."""
    yield from module_simulator(tmp_path_factory)


@pytest.fixture
def sim(sbi_sim):
    """The module's simulator, reset before and after the test."""
    yield from reset_around(sbi_sim)


def entry(sim: SbiSimulator, **overrides: Any) -> dict[str, Any]:
    """A device entry (as ``profiles.DeviceEntry.to_dict()`` gives it) for the simulator."""
    d = {"name": "sbi", "driver": "sbi", "host": "127.0.0.1", "ports": [sim.port], "trust_store": str(sim.trust_dir),
         "env": "Developer", "spec_version": "0.9.5", "max_skew_s": 120, "http_grace_ms": 500,
         "scan_timeout_ms": 500, "recompress": "wsq", "retries": 2,
         "thresholds": {"finger": 40, "iris": 50, "face": 40, "nfiq2_min": 0}}
    d.update(overrides)
    return d


def devices(sim: SbiSimulator, **overrides: Any) -> dict[str, Any]:
    """The simulator's devices by modality ("Finger", "Iris", "Face") through the production driver."""
    from sweet17.adapters.devices import registry

    found = registry.driver("sbi").discover(entry(sim, **overrides))
    return {str(d.describe().modality): d for d in found}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_profile(path: Path, sim: SbiSimulator | None = None, *, port: int | None = None, extra: str = "",
                  sim_dir: Path | None = None) -> Path:
    port = port if port is not None else (sim.port if sim else free_port())
    trust = sim.trust_dir if sim else (sim_dir / "trust" if sim_dir else path.parent / "trust")
    text = f'''name = "Test kit"
retries = 1
[thresholds]
finger = 40
iris = 50
face = 40
nfiq2_min = 10
[devices.sbi]
driver = "sbi"
port = {port}
env = "Developer"
spec_version = "auto"
trust_store = "{trust}"
http_grace_ms = 500
'''
    if sim_dir is not None:
        text += f'[simulator]\nport = {port}\ndir = "{sim_dir}"\n'
    path.write_text(text + extra, encoding="utf-8")
    return path

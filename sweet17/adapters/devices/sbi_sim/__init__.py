"""A simulated SBI device service (slap scanner 4-4-2, dual iris camera, face camera).

It speaks the same protocol as vendors' device services, so the production SBI client is what
gets tested against it. Use ``SbiSimulator(folder, port=0).start()`` in tests (or as a context
manager), or ``sweet17 devices simulate`` for rehearsals. See ``server`` for the admin endpoints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sweet17.adapters.devices.sbi_sim.server import FAULTS, AdminError, SbiSimulator

__all__ = ["FAULTS", "AdminError", "SbiSimulator", "from_profile"]


def from_profile(kit: Any, *, port: int | None = None, folder: Path | str | None = None) -> SbiSimulator:
    """A simulator configured by a kit profile's ``[simulator]`` table (``profiles.KitProfile``)."""
    sim = dict(getattr(kit, "simulator", {}) or {})
    base = Path(kit.path).parent if getattr(kit, "path", None) else Path.cwd()
    return SbiSimulator(
        Path(folder) if folder else Path(sim.get("dir") or base / ".sim"),
        host=sim.get("host", "127.0.0.1"),
        port=sim.get("port", 4501) if port is None else port,
        env=sim.get("env", "Developer"),
        seed=sim.get("seed", 17),
        quality=sim.get("quality", 80),
        finger_compression=sim.get("finger_compression", "raw"),
    )

"""Which driver family handles which profile, and discovery across all of them.

A device profile (``devices/*.toml``) names a driver: ``sbi`` (MOSIP SBI device services),
``opencv`` (UVC cameras, video files) or ``pcsc`` (smartcard readers). Driver modules are
imported only when used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from sweet17.adapters.devices.base import Device, DeviceDriver

DRIVERS: dict[str, str] = {
    "sbi": "sweet17.adapters.devices.sbi.driver:SbiDriver",
    "opencv": "sweet17.adapters.devices.camera:CameraDriver",
    "pcsc": "sweet17.adapters.devices.pcsc:PcscDriver",
}


def driver(name: str) -> DeviceDriver:
    try:
        target = DRIVERS[name]
    except KeyError:
        raise KeyError(f"unknown device driver {name!r}; known: {', '.join(DRIVERS)}") from None
    modname, clsname = target.split(":")
    return getattr(importlib.import_module(modname), clsname)()


def discover(name: str, profile: dict[str, Any] | None = None) -> list[Device]:
    return driver(name).discover(profile)


@dataclass
class EntryDiscovery:
    """What discovery found for one entry of a kit profile: its devices, or the error that stopped it."""

    name: str
    driver: str
    devices: list[Device] = field(default_factory=list)
    error: Exception | None = None


def discover_kit(kit: Any, drivers: tuple[str, ...] | None = None) -> list[EntryDiscovery]:
    """Discover every enabled entry of a ``profiles.KitProfile`` (optionally only some drivers).

    Device errors, a missing driver module and invalid driver settings are kept per entry (as
    ``error``), so one missing device does not hide the others. Anything else propagates.
    """
    from sweet17.adapters.devices.base import DeviceError
    from sweet17.errors import UserError

    out: list[EntryDiscovery] = []
    for entry in kit.devices:
        settings = entry.to_dict()
        if settings.get("enabled") is False or (drivers and entry.driver not in drivers):
            continue
        found = EntryDiscovery(entry.name, entry.driver)
        try:
            found.devices = list(discover(entry.driver, settings))
        except (DeviceError, UserError, ImportError, OSError) as e:
            found.error = e
        out.append(found)
    return out

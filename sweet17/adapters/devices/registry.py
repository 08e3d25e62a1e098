"""Which driver family handles which profile, and discovery across all of them.

A device profile (``devices/*.toml``) names a driver: ``sbi`` (MOSIP SBI device services),
``opencv`` (UVC cameras, video files) or ``pcsc`` (smartcard readers). Driver modules are
imported only when used.
"""

from __future__ import annotations

import importlib
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

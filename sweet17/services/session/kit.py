"""A recording kit as the session sees it: one device per modality, the quality rules, device status.

The session never knows which vendor is plugged in: it asks the kit for the device of a modality
and talks to it through ``adapters.devices.base.Device``. Exception proof photos (and, on kits
without a signature pad, a photo of the signature on paper) come from the face camera.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sweet17.adapters.devices.base import (
    Device,
    DeviceError,
    DeviceStatus,
)
from sweet17.domain.session import FACE, FINGER, IRIS, SIGNATURE, CaptureRules
from sweet17.i18n import N_, _

MODALITY_LABELS = {FACE: N_("Face camera"), FINGER: N_("Fingerprint scanner"), IRIS: N_("Iris camera"),
                   SIGNATURE: N_("Signature pad")}
STATUS_LABELS = {
    str(DeviceStatus.READY): N_("ready"), str(DeviceStatus.BUSY): N_("busy"),
    str(DeviceStatus.NOT_READY): N_("not ready"), str(DeviceStatus.NOT_REGISTERED): N_("not registered"),
    str(DeviceStatus.DISCONNECTED): N_("disconnected"), "missing": N_("missing from the kit"),
}


@dataclass
class Kit:
    """Devices by modality ("Face", "Finger", "Iris", "Signature") and the capture rules."""

    name: str
    devices: dict[str, Device]
    rules: CaptureRules = field(default_factory=CaptureRules)
    timeout_ms: int = 15_000
    source: str = ""                 # the profile file, for the record
    card_reader: Any = None          # smartcard reader for operator cards (PC/SC), if the kit has one
    problems: list[str] = field(default_factory=list)   # devices the profile names that were not found

    def device(self, modality: str) -> Device | None:
        return self.devices.get(modality)

    @property
    def proof_camera(self) -> Device | None:
        return self.devices.get(FACE)

    def missing(self) -> list[str]:
        """Modalities the capture sequence needs that the kit lacks (signature falls back to the camera)."""
        need = [FACE, FINGER, IRIS]
        if SIGNATURE not in self.devices and FACE not in self.devices:
            need.append(SIGNATURE)
        return [m for m in need if m not in self.devices]

    def status(self) -> list[dict[str, Any]]:
        """One line per modality: device identity and its status now (errors become 'disconnected')."""
        out = []
        for mod in (FACE, FINGER, IRIS, SIGNATURE):
            dev = self.devices.get(mod)
            if dev is None:
                if mod == SIGNATURE and FACE in self.devices:
                    continue
                out.append({"modality": mod, "status": "missing", "device": "", "ok": False})
                continue
            try:
                info = dev.describe()
                st = str(dev.status())
                name = " ".join(x for x in (info.make, info.model) if x) or info.device_id
            except DeviceError as e:
                st, name = str(DeviceStatus.DISCONNECTED), getattr(e, "device", "") or ""
            except Exception:  # noqa: BLE001  a driver that crashes is shown as disconnected, not fatal
                st, name = str(DeviceStatus.DISCONNECTED), ""
            out.append({"modality": mod, "status": st, "device": name, "ok": st == str(DeviceStatus.READY)})
        return out

    def describe(self) -> list[dict[str, Any]]:
        out = []
        for mod, dev in self.devices.items():
            try:
                d = dev.describe().to_dict()
            except Exception:  # noqa: BLE001
                d = {}
            d["role"] = mod
            out.append(d)
        return out


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def rules_from_profile(profile: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> CaptureRules:
    """Capture rules from a kit profile's ``[thresholds]`` and ``[session]`` (workspace settings as fallback)."""
    from sweet17.domain.session import rules_from_settings

    settings = settings or {}
    th = dict(settings.get("thresholds", {}) or {})
    th.update(profile.get("thresholds", {}) or {})
    sess = dict(settings)
    sess.update(profile.get("session", {}) or {})
    return rules_from_settings(th, sess.get("max_retries"), sess.get("force_capture_four_eyes"))


def load_kit(ws, profile: str | None = None) -> Kit:  # type: ignore[no-untyped-def]
    """Build the kit from a device profile (``--kit``: a path or a name in ``devices/``).

    Every enabled entry is discovered through its driver; each device found takes the place of its
    modality (an ``opencv`` camera is preferred for the face: it checks the KTP-el photo rules). A
    smartcard reader, if any, is kept for operator sign-in (``kit.card_reader``). Devices that cannot
    be found leave their modality empty: ``start_session`` then names what is missing.
    """
    from sweet17.adapters.devices import profiles, registry
    from sweet17.errors import UserError

    path = profiles.find_kit(profile)
    kp = profiles.load_kit(path)
    devices: dict[str, Device] = {}
    problems: list[str] = []
    card_reader = None
    for entry in kp.devices:
        settings = entry.to_dict()
        if settings.get("enabled") is False:
            continue
        try:
            found = registry.discover(entry.driver, settings)
        except DeviceError as e:
            problems.append(f"{entry.name}: {e.operator_message}")
            continue
        except (OSError, UserError) as e:
            problems.append(f"{entry.name}: {e}")
            continue
        except Exception as e:  # noqa: BLE001  a driver that cannot start (missing system library, ...)
            problems.append(f"{entry.name}: {type(e).__name__}: {e}")
            continue
        for dev in found:
            try:
                mod = str(dev.describe().modality)
            except DeviceError as e:
                problems.append(f"{entry.name}: {e.operator_message}")
                continue
            if mod == "Card":
                card_reader = card_reader or dev
            elif mod == FACE and entry.driver == "opencv":
                devices[FACE] = dev
            else:
                devices.setdefault(mod, dev)
    th = {k: v for k, v in kp.thresholds.items()}
    try:
        rules = rules_from_profile({"thresholds": th, "session": {"max_retries": kp.retries}},
                                   {"force_capture_four_eyes": ws.setting("session.force_capture_four_eyes", True)})
    except ValueError as e:
        raise UserError(_("Device profile {path}: {problem}").format(path=path, problem=e), path=path) from None
    kit = Kit(name=kp.name, devices=devices, rules=rules, source=str(path))
    kit.card_reader = card_reader
    kit.problems = problems
    return kit

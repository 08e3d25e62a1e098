"""The device interface every driver implements, its records and its typed errors.

A recording session only ever sees this module: ``discover`` -> ``Device`` objects that can
``describe()``, ``status()``, ``capture(CaptureRequest)`` and optionally ``preview()``. Errors are
subclasses of ``DeviceError`` whose ``operator_message`` is translated for the operator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from sweet17.errors import ValidationError
from sweet17.i18n import N_, _


class Modality(StrEnum):
    FINGER = "Finger"
    IRIS = "Iris"
    FACE = "Face"
    SIGNATURE = "Signature"
    CARD = "Card"          # smartcards (operator card, printed KTP-el)


class DeviceStatus(StrEnum):
    READY = "Ready"
    BUSY = "Busy"
    NOT_READY = "Not Ready"
    NOT_REGISTERED = "Not Registered"
    DISCONNECTED = "Disconnected"


# Finger positions as SBI names them.
LEFT_SLAP = ("Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger")
RIGHT_SLAP = ("Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger")
THUMBS = ("Left Thumb", "Right Thumb")
IRISES = ("Left", "Right")

# SBI deviceSubId -> the positions it captures (finger: 1 left slap, 2 right slap, 3 two thumbs;
# iris: 1 left, 2 right, 3 both; face: 0).
SUB_ID_POSITIONS: dict[tuple[str, int], tuple[str, ...]] = {
    ("Finger", 1): LEFT_SLAP, ("Finger", 2): RIGHT_SLAP, ("Finger", 3): THUMBS,
    ("Iris", 1): ("Left",), ("Iris", 2): ("Right",), ("Iris", 3): IRISES,
    ("Face", 0): ("",),
}


def default_sub_types(modality: Modality | str, sub_id: int) -> tuple[str, ...]:
    """The positions a capture with ``sub_id`` takes when the request names none ("" for a face)."""
    return SUB_ID_POSITIONS.get((str(modality), int(sub_id)), ())


@dataclass(frozen=True)
class DeviceInfo:
    """What a device says about itself (SBI device info, camera properties, reader name)."""

    driver: str                 # "sbi", "opencv", "pcsc", ...
    device_id: str              # stable id within the driver (SBI deviceId, camera index, reader name)
    modality: Modality
    make: str = ""
    model: str = ""
    serial: str = ""
    firmware: str = ""
    status: DeviceStatus = DeviceStatus.READY
    sub_ids: tuple[int, ...] = ()          # SBI deviceSubId values supported
    certification: str = ""                # SBI "L0"/"L1", camera "UVC", ...
    endpoint: str = ""                     # where it was found (http://127.0.0.1:4501, /dev/video0, reader)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "driver": self.driver, "device_id": self.device_id, "modality": str(self.modality),
            "make": self.make, "model": self.model, "serial": self.serial, "firmware": self.firmware,
            "status": str(self.status), "sub_ids": list(self.sub_ids), "certification": self.certification,
            "endpoint": self.endpoint,
        }


@dataclass(frozen=True)
class CaptureRequest:
    """What to capture. ``sub_types`` are the positions wanted; ``exceptions`` are missing ones."""

    modality: Modality
    sub_id: int = 0                        # SBI deviceSubId: finger 1 left slap, 2 right slap, 3 thumbs; iris 1/2/3
    sub_types: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    requested_score: int = 40              # 1-100
    timeout_ms: int = 10_000
    capture_time_ms: int | None = None
    transaction_id: str = ""
    previous_hash: str = ""                # SBI hash chain: "" means start a new chain

    @property
    def count(self) -> int:
        return len(self.wanted)

    @property
    def positions(self) -> tuple[str, ...]:
        """``sub_types``, or the positions of ``sub_id`` when none are named."""
        return self.sub_types or default_sub_types(self.modality, self.sub_id)

    @property
    def wanted(self) -> tuple[str, ...]:
        """The positions to capture: ``positions`` minus ``exceptions`` (4-4-2 minus missing fingers)."""
        return tuple(s for s in self.positions if s not in self.exceptions)


@dataclass(frozen=True)
class BiometricRecord:
    """One captured biometric: the standard record bytes and its quality and provenance."""

    modality: Modality
    sub_type: str                          # "Left IndexFinger", "Left" (iris), "" (face)
    data: bytes                            # ISO/IEC 19794-4/-6/-5 record, JPEG/PNG for photos, ...
    data_format: str                       # "ISO19794-4:2011", "ISO19794-6:2011", "ISO19794-5:2011", "image/png"
    quality: float | None                  # score reported by the device (0-100)
    nfiq2: int | None = None               # NIST NFIQ 2 re-score for fingerprints
    device: DeviceInfo | None = None
    hash: str = ""                         # SBI chain hash (uppercase hex)
    timestamp: str = ""
    transaction_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaptureResult:
    records: tuple[BiometricRecord, ...]
    last_hash: str = ""

    def quality_ok(self, threshold: float) -> bool:
        return all(r.quality is not None and r.quality >= threshold for r in self.records)


# ------------------------------------------------------------------------------- errors

class DeviceError(Exception):
    """Base of every device error. ``operator_message`` is for the operator, in their language."""

    message_id = N_("The device reported an error.")

    def __init__(self, detail: str = "", *, code: int | None = None, device: str = "",
                 message_id: str | None = None, message_args: dict[str, Any] | None = None) -> None:
        self.detail = detail
        self.code = code
        self.device = device
        if message_id:                      # a more precise message than the class's (e.g. per SBI code)
            self.message_id = message_id
        self.message_args = message_args or {}
        super().__init__(detail or self.message_id)

    @property
    def operator_message(self) -> str:
        msg = _(self.message_id)
        if self.message_args:
            msg = msg.format(**self.message_args)
        return f"{msg} ({self.device})" if self.device else msg


class DeviceNotReady(DeviceError):
    message_id = N_("The device is not ready. Check the cable and that the device service is running, then try again.")


class DeviceDisconnected(DeviceNotReady):
    message_id = N_("The device was disconnected during the capture. Check the cable and the device service, "
                    "then capture again.")


class DeviceBusy(DeviceError):
    message_id = N_("The device is busy with another capture. Wait a moment and try again.")


class DeviceTimeout(DeviceError):
    message_id = N_("The device did not answer in time. Check it is connected and try again.")


class QualityNotReached(DeviceError):
    """The capture worked but some records are below the quality asked for. ``result`` holds the
    capture anyway (for a forced capture after the retries), ``low`` the positions below it."""

    message_id = N_("The capture quality is too low. Clean the sensor, position again and retry.")

    def __init__(self, detail: str = "", *, result: CaptureResult | None = None, low: tuple[str, ...] = (),
                 **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.result = result
        self.low = low


class DeviceUntrusted(DeviceError):
    message_id = N_("The device's answer failed the security check (signature, certificate or hash). "
                    "Do not use this device; call the supervisor.")


class DeviceNotFound(DeviceError):
    message_id = N_("No such device was found. Check that it is plugged in.")


class CaptureFailed(DeviceError):
    message_id = N_("The capture failed. Try again; if it keeps failing, restart the device.")


# ------------------------------------------------------------------------------- the interface

@runtime_checkable
class Device(Protocol):
    """A capture device. Implementations: SBI devices, OpenCV cameras, PC/SC readers, fakes in tests."""

    def describe(self) -> DeviceInfo: ...

    def status(self) -> DeviceStatus: ...

    def capture(self, request: CaptureRequest) -> CaptureResult: ...

    def preview(self) -> Iterator[bytes]:
        """Live preview frames (JPEG bytes); may raise ``DeviceError`` if unsupported."""
        ...


class DeviceDriver(Protocol):
    """A family of devices (one per protocol) that can find its devices."""

    name: str

    def discover(self, profile: dict[str, Any] | None = None) -> list[Device]: ...


# ------------------------------------------------------------------------------- driver settings

def setting(profile: dict[str, Any], key: str, default: Any) -> Any:
    """A driver's profile setting; missing and ``None`` (profiles.py sets every known key) mean the default."""
    value = profile.get(key)
    return default if value is None else value


def bool_setting(profile: dict[str, Any], key: str, default: bool) -> bool:
    value = setting(profile, key, default)
    if not isinstance(value, bool):
        raise ValidationError(_("{field}: use true or false").format(field=key), field=key)
    return value


def int_setting(profile: dict[str, Any], key: str, default: int | None, lo: int, hi: int) -> int | None:
    """A whole number from ``lo`` to ``hi`` (``ValidationError`` naming the key otherwise)."""
    value = setting(profile, key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(_("{field}: '{value}' must be a whole number from {lo} to {hi}").format(
            field=key, value=value, lo=lo, hi=hi), field=key)
    return value

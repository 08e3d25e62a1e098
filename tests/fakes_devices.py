"""Fake capture devices implementing ``adapters.devices.base.Device`` (fakes, not mocks).

They answer like real drivers: one record per wanted position (positions minus exceptions), with
a quality chosen by a rule, device identity, and the typed errors when told to fail. The attempt
number is read from the session's transaction id (``xxxxxxxx-step-N``), so a rule can give low
scores to the first attempts and good ones later, the same way in every process (crash tests).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sweet17.adapters.devices.base import (
    BiometricRecord,
    CaptureRequest,
    CaptureResult,
    DeviceBusy,
    DeviceDisconnected,
    DeviceInfo,
    DeviceNotReady,
    DeviceStatus,
    Modality,
)
from sweet17.services.session.kit import Kit

FORMATS = {Modality.FINGER: "ISO19794-4:2011", Modality.IRIS: "ISO19794-6:2011", Modality.FACE: "ISO19794-5:2011",
           Modality.SIGNATURE: "image/png"}

QualityRule = Callable[[CaptureRequest, str, int], float | None]


def attempt_of(req: CaptureRequest) -> int:
    try:
        return int(req.transaction_id.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 1


def good(score: float = 80.0) -> QualityRule:
    return lambda req, pos, n: score


def low_until(attempt: int, low: float = 20.0, high: float = 85.0) -> QualityRule:
    """Below threshold until ``attempt`` (inclusive of earlier attempts), then good."""
    return lambda req, pos, n: high if n >= attempt else low


def always_low(score: float = 25.0) -> QualityRule:
    return lambda req, pos, n: score + n   # the best attempt is the latest


def image_bytes(tag: str, size: int = 256) -> bytes:
    """Deterministic stand-in for an ISO record or a JPEG (tests look for it in plaintext)."""
    seed = hashlib.sha256(tag.encode()).digest()
    return (b"SYNTHETIC-BIOMETRIC:" + tag.encode() + b":" + seed * (size // 32))[:size]


@dataclass
class FakeDevice:
    modality: Modality
    device_id: str
    quality: QualityRule = field(default_factory=good)
    fail_calls: set[int] = field(default_factory=set)     # 1-based capture calls that fail (device unplugged)
    busy_calls: set[int] = field(default_factory=set)
    latency: float = 0.0
    background: str | None = None        # face: the background colour the camera "measures"
    unplugged: bool = False
    calls: int = 0
    requests: list[CaptureRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self) -> DeviceInfo:
        if self.unplugged:
            raise DeviceNotReady("unplugged", device=self.device_id)
        return DeviceInfo(driver="fake", device_id=self.device_id, modality=self.modality, make="Fake",
                          model=f"{self.modality} 1", serial=f"SN-{self.device_id}", firmware="1.0",
                          certification="L0", endpoint="memory")

    def status(self) -> DeviceStatus:
        return DeviceStatus.DISCONNECTED if self.unplugged else DeviceStatus.READY

    def capture(self, request: CaptureRequest) -> CaptureResult:
        with self._lock:
            self.calls += 1
            n = self.calls
            self.requests.append(request)
        if self.latency:
            time.sleep(self.latency)
        if self.unplugged or n in self.fail_calls:
            raise DeviceDisconnected("unplugged mid-capture", device=self.device_id)
        if n in self.busy_calls:
            raise DeviceBusy("busy", device=self.device_id)
        attempt = attempt_of(request)
        positions = request.wanted if request.sub_types else ("",)
        info = self.describe()
        recs = []
        for pos in positions:
            extra = {}
            if self.modality == Modality.FACE and self.background:
                extra["background"] = self.background
            recs.append(BiometricRecord(
                modality=self.modality, sub_type=pos,
                data=image_bytes(f"{request.transaction_id}:{pos}"), data_format=FORMATS[self.modality],
                quality=self.quality(request, pos, attempt),
                nfiq2=60 if self.modality == Modality.FINGER else None, device=info,
                hash=hashlib.sha256(f"{request.transaction_id}{pos}".encode()).hexdigest().upper(),
                timestamp="2026-11-23T02:00:00Z", transaction_id=request.transaction_id, extra=extra))
        return CaptureResult(records=tuple(recs), last_hash=recs[-1].hash if recs else "")

    def preview(self) -> Iterator[bytes]:
        if self.unplugged:
            raise DeviceNotReady("unplugged", device=self.device_id)
        n = 0
        while True:
            n += 1
            yield b"\xff\xd8FAKEJPEG" + image_bytes(f"preview-{self.device_id}-{n}", 128)


def fake_kit(*, finger: QualityRule | None = None, iris: QualityRule | None = None, face: QualityRule | None = None,
             background: str | None = None, signature_pad: bool = False, latency: float = 0.0, rules=None,
             name: str = "fake-kit") -> Kit:
    devices = {
        "Face": FakeDevice(Modality.FACE, "cam0", quality=face or good(90), background=background, latency=latency),
        "Finger": FakeDevice(Modality.FINGER, "slap0", quality=finger or good(80), latency=latency),
        "Iris": FakeDevice(Modality.IRIS, "iris0", quality=iris or good(85), latency=latency),
    }
    if signature_pad:
        devices["Signature"] = FakeDevice(Modality.SIGNATURE, "pad0", quality=lambda r, p, n: None, latency=latency)
    kit = Kit(name=name, devices=devices)
    if rules is not None:
        kit.rules = rules
    return kit

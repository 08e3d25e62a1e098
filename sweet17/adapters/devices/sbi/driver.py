"""The SBI driver: finds SBI device services and captures through them.

Usage (what the recording session does)::

    from sweet17.adapters.devices import profiles, registry
    from sweet17.adapters.devices.base import CaptureRequest, Modality, QualityNotReached

    kit = profiles.load_kit(profiles.find_kit())
    entry = kit.entries("sbi")[0].to_dict()
    devices = registry.driver("sbi").discover(entry)
    slap = next(d for d in devices if d.describe().modality == Modality.FINGER)
    try:
        result = slap.capture(CaptureRequest(Modality.FINGER, sub_id=1, exceptions=("Left LittleFinger",),
                                             requested_score=40, previous_hash=last_hash))
    except QualityNotReached as e:
        result = e.result          # below the asked quality: retry, or keep it as a forced capture

Each record of ``result.records`` is a verified ISO/IEC 19794 record with the device's quality
score, the NFIQ 2 re-score for fingers, and the SBI hash; raw finger images are stored as WSQ.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sweet17.adapters.devices.base import (
    BiometricRecord,
    CaptureFailed,
    CaptureRequest,
    CaptureResult,
    DeviceError,
    DeviceInfo,
    DeviceStatus,
    DeviceUntrusted,
    Modality,
    QualityNotReached,
)
from sweet17.adapters.devices.sbi import codes
from sweet17.adapters.devices.sbi.client import DEFAULT_HOST, PORT_RANGE, SbiClient, SbiService, scan
from sweet17.adapters.devices.sbi.verify import (
    TrustStore,
    decode_unverified,
    verify_capture,
    verify_device_info,
)

log = logging.getLogger(__name__)

TRANSACTION_ID = re.compile(r"^[A-Za-z0-9-]{4,50}$")
PURPOSE = "Registration"
_STATUS = {s.value.lower(): s for s in DeviceStatus}
_ISO_KIND = {Modality.FINGER: "finger", Modality.IRIS: "iris", Modality.FACE: "face"}


def new_transaction_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class SbiSettings:
    """The SBI part of a device entry (``profiles.DeviceEntry.to_dict()``), with defaults."""

    host: str = DEFAULT_HOST
    ports: tuple[int, ...] = tuple(range(PORT_RANGE[0], PORT_RANGE[1] + 1))
    spec_version: str = "auto"
    trust_store: Path | None = None
    env: str = "Production"
    max_skew_s: float = 120
    http_grace_ms: int = 2_000
    scan_timeout_ms: int = 500
    recompress: str = "wsq"
    thresholds: dict[str, int] = field(default_factory=dict)
    retries: int = 2
    name: str = "sbi"

    @classmethod
    def from_profile(cls, profile: dict[str, Any] | None) -> SbiSettings:
        p = {k: v for k, v in (profile or {}).items() if v is not None}
        kw: dict[str, Any] = {}
        for key in ("host", "spec_version", "env", "max_skew_s", "http_grace_ms", "scan_timeout_ms",
                    "recompress", "retries", "name"):
            if key in p:
                kw[key] = p[key]
        if "ports" in p:
            kw["ports"] = tuple(p["ports"])
        elif "port" in p:
            kw["ports"] = (int(p["port"]),)
        if "trust_store" in p:
            kw["trust_store"] = Path(p["trust_store"])
        if "thresholds" in p:
            kw["thresholds"] = dict(p["thresholds"])
        return cls(**kw)


class SbiDriver:
    """Driver "sbi": every device of every SBI service found on the profile's ports."""

    name = "sbi"

    def discover(self, profile: dict[str, Any] | None = None) -> list[SbiDevice]:
        settings = SbiSettings.from_profile(profile)
        services = scan(settings.host, settings.ports, spec_version=settings.spec_version,
                        timeout_s=settings.scan_timeout_ms / 1000)
        trust, trust_error = _load_trust(settings)
        devices: list[SbiDevice] = []
        for service in services:
            infos = _device_infos(service, settings, trust, trust_error)
            for d in service.devices:
                devices.append(SbiDevice(service, d, settings, trust, trust_error, infos.get(str(d.get("deviceId")))))
        devices.sort(key=lambda dev: (dev.port, dev.sbi_device_id))
        return devices


def _load_trust(settings: SbiSettings) -> tuple[TrustStore | None, str]:
    if settings.trust_store is None:
        return None, "no trust store configured"
    try:
        return TrustStore.load(settings.trust_store), ""
    except DeviceUntrusted as e:
        return None, e.detail


def _device_infos(service: SbiService, settings: SbiSettings, trust: TrustStore | None,
                  trust_error: str) -> dict[str, dict[str, Any]]:
    """deviceId -> {"payload": verified deviceInfo or {}, "trusted": bool, "trust_error": str}."""
    out: dict[str, dict[str, Any]] = {}
    client = SbiClient(service.host, service.port, spec_version=service.spec_version,
                       timeout_s=max(1.0, settings.scan_timeout_ms / 1000 * 4))
    try:
        items = client.info()
    except DeviceError as e:
        log.debug("device info from %s failed: %s", service.url, e.detail)
        return out
    for item in items:
        token = item.get("deviceInfo")
        if codes.error_code(item.get("error")) not in (0, None) or not token:
            continue
        if isinstance(token, str) and token.count(".") == 2:
            try:
                payload = verify_device_info(token, trust) if trust else {}
                entry = {"payload": payload, "trusted": bool(trust), "trust_error": trust_error}
            except DeviceUntrusted as e:
                entry = {"payload": {}, "trusted": False, "trust_error": e.detail}
            if not entry["payload"]:
                entry["payload"] = decode_unverified(token)
        else:
            entry = {"payload": decode_unverified(token), "trusted": False,
                     "trust_error": "device info is not signed (device not registered)"}
        device_id = str(entry["payload"].get("deviceId", ""))
        if device_id:
            out[device_id] = entry
    return out


class SbiDevice:
    """One device of an SBI service (a slap scanner, an iris camera, a face camera)."""

    def __init__(self, service: SbiService, discovered: dict[str, Any], settings: SbiSettings,
                 trust: TrustStore | None, trust_error: str = "", info: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.port = service.port
        self.sbi_device_id = str(discovered.get("deviceId", ""))
        self.client = SbiClient(service.host, service.port, spec_version=service.spec_version)
        self._trust = trust
        self._trust_error = trust_error
        self._info = self._describe(service, discovered, info or {})

    # -------------------------------------------------------------------- description
    def _describe(self, service: SbiService, d: dict[str, Any], info: dict[str, Any]) -> DeviceInfo:
        payload = info.get("payload") or {}
        digital = payload.get("digitalId") if isinstance(payload.get("digitalId"), dict) else {}
        digital = digital or decode_unverified(d.get("digitalId"))
        modality_name = digital.get("type") or d.get("type") or d.get("deviceType") or ""
        try:
            modality = Modality(modality_name)
        except ValueError:
            modality = Modality.FINGER if "finger" in str(modality_name).lower() else Modality.FACE
        sub_ids = []
        for s in d.get("deviceSubId") or []:
            try:
                sub_ids.append(int(s))
            except (TypeError, ValueError):
                continue
        spec_versions = d.get("specVersion") or []
        return DeviceInfo(
            driver="sbi", device_id=f"{service.port}/{self.sbi_device_id}", modality=modality,
            make=str(digital.get("make", "")), model=str(digital.get("model", "")),
            serial=str(digital.get("serialNo", "")), firmware=str(payload.get("firmware", "")),
            status=_STATUS.get(str(d.get("deviceStatus", "")).lower(), DeviceStatus.NOT_READY),
            sub_ids=tuple(sub_ids), certification=str(d.get("certification", "")), endpoint=service.url,
            extra={"sbi_device_id": self.sbi_device_id, "port": service.port,
                   "spec_version": service.spec_version,
                   "spec_versions": list(spec_versions) if isinstance(spec_versions, list) else [],
                   "device_sub_type": digital.get("deviceSubType", ""), "device_code": d.get("deviceCode", ""),
                   "service_version": d.get("serviceVersion", ""), "provider": digital.get("deviceProvider", ""),
                   "trusted": info.get("trusted", False) if info else False,
                   "trust_error": info.get("trust_error", self._trust_error) if info else
                   (self._trust_error or "no signed device info"),
                   "thresholds": dict(self.settings.thresholds), "retries": self.settings.retries,
                   "entry": self.settings.name},
        )

    def describe(self) -> DeviceInfo:
        return self._info

    @property
    def label(self) -> str:
        i = self._info
        return " ".join(x for x in (i.make, i.model) if x) or i.device_id

    def status(self) -> DeviceStatus:
        """Asks the service again (discovery); a service that does not answer is ``Disconnected``."""
        try:
            found = self.client.discover(timeout_s=max(1.0, self.settings.scan_timeout_ms / 1000 * 4))
        except DeviceError:
            return DeviceStatus.DISCONNECTED
        for d in found:
            if str(d.get("deviceId")) == self.sbi_device_id:
                return _STATUS.get(str(d.get("deviceStatus", "")).lower(), DeviceStatus.NOT_READY)
        return DeviceStatus.DISCONNECTED

    # -------------------------------------------------------------------- capture
    def _request_body(self, req: CaptureRequest, txn: str) -> dict[str, Any]:
        positions = [p for p in req.positions if p]
        return {
            "env": self.settings.env,
            "purpose": PURPOSE,
            "specVersion": self.client.spec_version,
            "timeout": int(req.timeout_ms),
            "captureTime": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "transactionId": txn,
            "bio": [{
                "type": str(req.modality),
                "count": req.count,
                "bioSubType": positions,
                "exception": [e for e in req.exceptions if e in positions],
                "requestedScore": int(req.requested_score),
                "deviceId": self.sbi_device_id,
                "deviceSubId": str(req.sub_id),
                "previousHash": req.previous_hash or "",
            }],
            "customOpts": None,
        }

    def capture(self, request: CaptureRequest) -> CaptureResult:
        """Capture, verify, parse and score. Raises typed ``DeviceError``s; ``QualityNotReached``
        carries the (verified) result when some record is below ``request.requested_score`` or,
        for fingers, below the profile's ``nfiq2_min``."""
        info = self._info
        if request.modality != info.modality:
            raise ValueError(f"{info.device_id} captures {info.modality}, not {request.modality}")
        if (info.sub_ids and request.sub_id not in info.sub_ids) or not request.positions:
            raise CaptureFailed(f"deviceSubId {request.sub_id} not offered (offers {list(info.sub_ids)})",
                                code=109, device=self.label, message_id=codes.SBI_ERRORS[109][1])
        if not request.wanted:
            raise ValueError("nothing to capture: every position is an exception")
        if not 1 <= request.requested_score <= 100:
            raise ValueError("requested_score must be 1-100")
        txn = request.transaction_id or new_transaction_id()
        if not TRANSACTION_ID.match(txn):
            raise ValueError("transaction_id must be 4-50 letters, digits or hyphens")
        if self._trust is None:
            raise DeviceUntrusted(self._trust_error or "no trust store configured", device=self.label)
        body = self._request_body(request, txn)
        timeout_s = request.timeout_ms / 1000 + self.settings.http_grace_ms / 1000
        raw = self.client.capture(body, timeout_s)
        verified = verify_capture(raw, request=body, trust=self._trust, max_skew_s=self.settings.max_skew_s,
                                  device=self.label, serial=info.serial or None, wanted=request.wanted)
        records = tuple(self._record(v) for v in verified)
        result = CaptureResult(records=records, last_hash=verified[-1].hash)
        nfiq_min = self.settings.thresholds.get("nfiq2_min", 0) if request.modality == Modality.FINGER else 0
        low = tuple(r.sub_type for r in records
                    if (r.quality is None or r.quality < request.requested_score)
                    or (nfiq_min and (r.nfiq2 is None or r.nfiq2 < nfiq_min)))
        if low:
            detail = "; ".join(f"{r.sub_type or str(r.modality)}: device {r.quality:g}"
                               + (f", NFIQ2 {r.nfiq2}" if r.nfiq2 is not None else "")
                               for r in records if r.sub_type in low)
            raise QualityNotReached(f"below requested score {request.requested_score}"
                                    + (f" / NFIQ2 {nfiq_min}" if nfiq_min else "") + f": {detail}",
                                    result=result, low=low, device=self.label)
        return result

    def _record(self, v) -> BiometricRecord:  # v: VerifiedBiometric
        from sweet17.adapters.biometrics import iso19794, nfiq

        modality = Modality(v.bio_type)
        try:
            iso = iso19794.parse(v.bio_value)
        except iso19794.IsoRecordError as e:
            raise CaptureFailed(f"{v.sub_type or v.bio_type}: {e}", device=self.label) from None
        if iso.kind != _ISO_KIND.get(modality):
            raise DeviceUntrusted(f"{v.sub_type}: the record is a {iso.kind} record, not {modality}",
                                  device=self.label)
        if modality != Modality.FACE and iso.sub_type != v.sub_type:
            raise DeviceUntrusted(f"record position {iso.sub_type!r} differs from bioSubType {v.sub_type!r}",
                                  device=self.label)
        extra: dict[str, Any] = {
            "width": iso.width, "height": iso.height, "ppi": iso.ppi, "compression": iso.compression,
            "device_compression": iso.compression, "requested_score": v.requested_score,
            "spec_version": v.spec_version, "device_code": v.device_code, "service_version": v.service_version,
            "digital_id": v.digital_id, "certificate": v.certificate_subject,
            "signed_sha256": hashlib.sha256(v.bio_value).hexdigest(), "recompressed": None,
        }
        if modality == Modality.IRIS:
            extra["iris_diameter"] = iso.extra.get("iris_diameter")
        nfiq2_score = None
        data = v.bio_value
        if modality == Modality.FINGER:
            try:
                nfiq2_score = nfiq.nfiq2_of_record(iso).score
            except (nfiq.QualityError, iso19794.IsoRecordError) as e:
                extra["nfiq2_error"] = str(e)
            if iso.compression == "raw" and self.settings.recompress == "wsq":
                data = iso19794.recompress_finger(v.bio_value, "wsq")
                extra.update(recompressed="wsq", compression="wsq")
        return BiometricRecord(
            modality=modality, sub_type=v.sub_type, data=data, data_format=iso.format, quality=v.quality,
            nfiq2=nfiq2_score, device=self._info, hash=v.hash, timestamp=v.timestamp,
            transaction_id=v.transaction_id, extra=extra,
        )

    # -------------------------------------------------------------------- preview
    def preview(self, sub_id: int | None = None, *, duration_ms: int | None = None,
                timeout_s: float = 5.0) -> Iterator[bytes]:
        """JPEG frames of the SBI ``STREAM`` (MJPEG) until the caller stops iterating."""
        sid = sub_id if sub_id is not None else (self._info.sub_ids[0] if self._info.sub_ids else 0)
        return self.client.stream(self.sbi_device_id, sid, timeout_s=timeout_s, duration_ms=duration_ms)

    def __repr__(self) -> str:
        return f"<SbiDevice {self._info.device_id} {self.label} {self._info.modality}>"

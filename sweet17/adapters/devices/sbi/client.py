"""HTTP client for SBI device services (0.9.5 and 1.0) on 127.0.0.1.

SBI uses custom HTTP verbs with JSON bodies:

=============  ==========  ==============================================================
verb           path        use
=============  ==========  ==============================================================
MOSIPDISC      /device     discovery (0.9.5); SBIDISC in SBI 1.0
MOSIPDINFO     /info       signed device information (0.9.5); SBIINFO in SBI 1.0
RCAPTURE       /capture    registration capture (both versions)
STREAM         /stream     live preview, ``multipart/x-mixed-replace`` JPEG frames (MJPEG)
=============  ==========  ==============================================================

Transport failures become typed device errors: no service -> ``DeviceNotReady``, no answer in
time -> ``DeviceTimeout``, a connection dropped mid-request -> ``DeviceDisconnected``. Every call
has a timeout, so nothing hangs.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sweet17.adapters.devices.base import CaptureFailed, DeviceDisconnected, DeviceNotReady, DeviceTimeout

DEFAULT_HOST = "127.0.0.1"
PORT_RANGE = (4501, 4600)
VERBS = {"0.9.5": ("MOSIPDISC", "MOSIPDINFO"), "1.0": ("SBIDISC", "SBIINFO")}
SPEC_VERSIONS = tuple(VERBS)
USER_AGENT = "sweet17-sbi-client"


@dataclass
class SbiService:
    """One device service found on a port, with what its discovery said."""

    host: str
    port: int
    spec_version: str                     # the verb set it answered ("0.9.5" or "1.0")
    devices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class SbiClient:
    """Calls on one device service (``host``:``port``)."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = PORT_RANGE[0], *, spec_version: str = "0.9.5",
                 timeout_s: float = 5.0) -> None:
        if spec_version not in VERBS:
            raise ValueError(f"SBI spec version {spec_version!r} unknown; known: {', '.join(VERBS)}")
        self.host, self.port, self.spec_version, self.timeout_s = host, port, spec_version, timeout_s

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _request(self, verb: str, path: str, body: dict[str, Any] | None, timeout_s: float,
                 *, during: str = "request") -> Any:
        import httpx

        try:
            with httpx.Client(timeout=httpx.Timeout(timeout_s), trust_env=False) as http:
                resp = http.request(verb, self.url + path, content=json.dumps(body or {}).encode("utf-8"),
                                    headers={"Content-Type": "application/json", "User-Agent": USER_AGENT})
        except httpx.TimeoutException as e:
            raise DeviceTimeout(f"{verb} {path}: no answer within {timeout_s:.1f} s ({type(e).__name__})",
                                device=self.url) from None
        except httpx.ConnectError as e:
            cls = DeviceDisconnected if during == "capture" else DeviceNotReady
            raise cls(f"{verb} {path}: cannot connect to {self.url} ({e})", device=self.url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            raise DeviceDisconnected(f"{verb} {path}: connection lost ({type(e).__name__}: {e})",
                                     device=self.url) from None
        if resp.status_code != 200:
            raise CaptureFailed(f"{verb} {path}: HTTP {resp.status_code}", device=self.url)
        try:
            return resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CaptureFailed(f"{verb} {path}: the answer is not JSON", device=self.url) from None

    # ---------------------------------------------------------------------------- calls
    def discover(self, device_type: str = "Biometric Device", timeout_s: float | None = None) -> list[dict[str, Any]]:
        verb = VERBS[self.spec_version][0]
        data = self._request(verb, "/device", {"type": device_type}, timeout_s or self.timeout_s)
        if not isinstance(data, list):
            raise CaptureFailed(f"{verb}: the answer is not a list of devices", device=self.url)
        return [d for d in data if isinstance(d, dict)]

    def info(self, timeout_s: float | None = None) -> list[dict[str, Any]]:
        verb = VERBS[self.spec_version][1]
        data = self._request(verb, "/info", {}, timeout_s or self.timeout_s)
        if not isinstance(data, list):
            raise CaptureFailed(f"{verb}: the answer is not a list", device=self.url)
        return [d for d in data if isinstance(d, dict)]

    def capture(self, body: dict[str, Any], timeout_s: float) -> Any:
        return self._request("RCAPTURE", "/capture", body, timeout_s, during="capture")

    def stream(self, device_id: str, sub_id: int, *, timeout_s: float = 5.0,
               duration_ms: int | None = None) -> Iterator[bytes]:
        """JPEG frames of the device's live preview until the caller stops iterating."""
        import httpx

        body = {"deviceId": device_id, "deviceSubId": sub_id}
        if duration_ms:
            body["timeout"] = duration_ms
        try:
            with httpx.Client(timeout=httpx.Timeout(timeout_s), trust_env=False) as http, \
                    http.stream("STREAM", self.url + "/stream", content=json.dumps(body).encode(),
                                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT}) as resp:
                if resp.status_code != 200:
                    raise CaptureFailed(f"STREAM: HTTP {resp.status_code}", device=self.url)
                ctype = resp.headers.get("content-type", "")
                if "multipart/x-mixed-replace" not in ctype:
                    raise CaptureFailed(f"STREAM: content type {ctype!r} is not MJPEG", device=self.url)
                yield from parse_mjpeg(resp.iter_bytes())
        except httpx.TimeoutException:
            raise DeviceTimeout("STREAM: no frame in time", device=self.url) from None
        except httpx.ConnectError as e:
            raise DeviceNotReady(f"STREAM: cannot connect ({e})", device=self.url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as e:
            raise DeviceDisconnected(f"STREAM: connection lost ({e})", device=self.url) from None


def parse_mjpeg(chunks: Iterable[bytes], max_frame: int = 8 << 20) -> Iterator[bytes]:
    """JPEG frames from a ``multipart/x-mixed-replace`` body (each part has a Content-Length)."""
    buf = b""
    for chunk in chunks:
        buf += chunk
        while True:
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                break
            headers = buf[:head_end].decode("latin-1").split("\r\n")
            length = None
            for line in headers:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        length = None
            if length is None or not 0 < length <= max_frame:
                raise CaptureFailed("STREAM: a part has no usable Content-Length")
            start = head_end + 4
            if len(buf) < start + length:
                break
            yield buf[start:start + length]
            buf = buf[start + length:].lstrip(b"\r\n")
        if len(buf) > max_frame * 2:
            raise CaptureFailed("STREAM: frame too large")


# -------------------------------------------------------------------------------- discovery scan

def _port_open(host: str, port: int, timeout_s: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _probe(host: str, port: int, spec_version: str, timeout_s: float) -> SbiService | None:
    versions = SPEC_VERSIONS if spec_version == "auto" else (spec_version,)
    for version in versions:
        client = SbiClient(host, port, spec_version=version, timeout_s=timeout_s)
        try:
            devices = client.discover(timeout_s=timeout_s)
        except Exception:  # noqa: BLE001  anything on the port that is not an SBI service is skipped
            continue
        if devices and all("deviceId" in d for d in devices):
            return SbiService(host, port, version, devices)
    return None


def scan(host: str = DEFAULT_HOST, ports: Iterable[int] = range(PORT_RANGE[0], PORT_RANGE[1] + 1), *,
         spec_version: str = "auto", timeout_s: float = 0.5, workers: int = 32) -> list[SbiService]:
    """Device services on ``host`` among ``ports``, probed in parallel with short timeouts.

    A TCP connect finds the open ports (closed ports on 127.0.0.1 refuse at once); each open port
    then gets a discovery request. Ports whose answer is not an SBI device list are skipped.
    """
    ports = list(ports)
    if not ports:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ports)))) as pool:
        open_ports = [p for p, ok in zip(ports, pool.map(lambda p: _port_open(host, p, timeout_s), ports),
                                         strict=True) if ok]
        found = list(pool.map(lambda p: _probe(host, p, spec_version, timeout_s), open_ports))
    return [s for s in found if s is not None]

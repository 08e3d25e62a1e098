"""The SBI simulator: a device service on 127.0.0.1 that speaks SBI 0.9.5 and 1.0.

It hosts three devices behind one port, like a vendor's device service:

====  ======  ===========  =========  =====================================
id    type    subtype      sub ids    records
====  ======  ===========  =========  =====================================
1     Finger  Slap         1, 2, 3    ISO 19794-4, 500 ppi, one per finger
2     Iris    Double       1, 2, 3    ISO 19794-6, 640x480, one per eye
3     Face    Full face    0          ISO 19794-5, 480x640 colour
====  ======  ===========  =========  =====================================

Verbs: ``MOSIPDISC``/``SBIDISC`` on /device, ``MOSIPDINFO``/``SBIINFO`` on /info, ``RCAPTURE``
on /capture, ``STREAM`` on /stream (MJPEG). Every capture answer is signed (RS256 JWS with the
device certificate in ``x5c``, issued by the simulator's test CA, see ``pki``) and hash-chained.

Admin endpoints (plain JSON over GET/POST) let tests and rehearsals change a device::

    GET  /admin/state                    every device's state
    POST /admin/state  {"device": "finger"|"iris"|"face"|"1"|"all", "status": "Busy",
                        "quality": 30 | {"Left IndexFinger": 20}, "delay_ms": 5000,
                        "error_code": 101, "fault": "bad_signature", "subject": 42,
                        "compression": "raw"}
    POST /admin/unplug {"device": "finger"}   drops in-flight captures, device disappears
    POST /admin/plug   {"device": "finger"}
    POST /admin/reset

Faults (answers the client must refuse): ``bad_signature``, ``untrusted_cert``,
``wrong_transaction_id``, ``broken_hash``, ``stale_timestamp``, ``wrong_spec_version``,
``no_quality``, ``extra_position``, ``bad_record``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sweet17.adapters.devices.sbi import jws
from sweet17.adapters.devices.sbi_sim import pki as simpki

log = logging.getLogger(__name__)

SPEC_VERSIONS = ["0.9.5", "1.0"]
SERVICE_VERSION = "sweet17-sim 1.0"
FAULTS = ("", "bad_signature", "untrusted_cert", "wrong_transaction_id", "broken_hash", "stale_timestamp",
          "wrong_spec_version", "no_quality", "extra_position", "bad_record")
STATUSES = ("Ready", "Busy", "Not Ready", "Not Registered")
TXN = re.compile(r"^[A-Za-z0-9-]{4,50}$")
POSITIONS = {
    ("finger", 1): ("Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger"),
    ("finger", 2): ("Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger"),
    ("finger", 3): ("Left Thumb", "Right Thumb"),
    ("iris", 1): ("Left",), ("iris", 2): ("Right",), ("iris", 3): ("Left", "Right"),
    ("face", 0): ("",),
}
COMPRESSIONS = {"finger": ("raw", "wsq", "png", "jp2-lossless"), "iris": ("jp2-lossless", "png", "raw"),
                "face": ("jpeg", "jp2-lossless", "png")}
ERROR_TEXT = {0: "Success", 100: "Device not registered", 101: "Unable to detect a biometric object",
              102: "Technical error during extraction", 103: "Device tamper detected",
              106: "Device not found", 109: "Requested number of biometric not supported",
              110: "Device not ready", 111: "Device busy", 112: "Invalid transaction id",
              202: "No device connected"}


def now_iso(delta_s: float = 0) -> str:
    t = datetime.now(UTC) + timedelta(seconds=delta_s)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SimDevice:
    device_id: str
    kind: str                          # finger, iris, face
    modality: str                      # Finger, Iris, Face
    sub_type: str                      # Slap, Double, Full face
    sub_ids: list[int]
    serial: str
    model: str
    default_quality: int = 80
    default_compression: str = "raw"
    make: str = "sweet17 simulator"
    firmware: str = "sim-1.0.0"
    # state set through the admin endpoints
    status: str = "Ready"
    quality: int = 80
    qualities: dict[str, int] = field(default_factory=dict)
    delay_ms: int = 0
    error_code: int = 0
    fault: str = ""
    subject: int = 1
    compression: str = "raw"
    unplugged: bool = False
    captures: int = 0
    generation: int = 0                # bumped by reset/unplug: captures waiting on a delay give up
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    unplug_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def device_code(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_OID, "sweet17-sim/" + self.serial))

    def reset(self) -> None:
        self.status, self.quality, self.qualities = "Ready", self.default_quality, {}
        self.delay_ms = self.error_code = 0
        self.fault, self.compression = "", self.default_compression
        self.unplugged = False
        self.generation += 1
        self.unplug_event.clear()

    def state(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "kind": self.kind, "status": self.status, "quality": self.quality,
                "qualities": self.qualities, "delay_ms": self.delay_ms, "error_code": self.error_code,
                "fault": self.fault, "subject": self.subject, "compression": self.compression,
                "unplugged": self.unplugged, "captures": self.captures, "serial": self.serial}


class AdminError(ValueError):
    pass


class SbiSimulator:
    """Start with ``start()`` (a background thread) or use as a context manager; ``port=0`` picks
    a free port. ``folder`` holds the test PKI (``<folder>/trust`` is the trust store to use)."""

    def __init__(self, folder: Path | str, *, host: str = "127.0.0.1", port: int = 4501, env: str = "Developer",
                 seed: int = 17, quality: int = 80, finger_compression: str = "raw") -> None:
        self.folder = Path(folder)
        self.host, self.requested_port, self.env, self.seed = host, port, env, seed
        if finger_compression not in COMPRESSIONS["finger"]:
            raise ValueError(f"finger compression {finger_compression!r}: use {', '.join(COMPRESSIONS['finger'])}")
        serial_base = f"{seed:04d}"
        self.devices = {
            "1": SimDevice("1", "finger", "Finger", "Slap", [1, 2, 3], f"SIMF{serial_base}00000001", "SIM-SLAP-442",
                           default_quality=quality, default_compression=finger_compression),
            "2": SimDevice("2", "iris", "Iris", "Double", [1, 2, 3], f"SIMI{serial_base}00000002", "SIM-IRIS-D",
                           default_quality=quality, default_compression="jp2-lossless"),
            "3": SimDevice("3", "face", "Face", "Full face", [0], f"SIMC{serial_base}00000003", "SIM-FACE-HD",
                           default_quality=quality, default_compression="jpeg"),
        }
        for d in self.devices.values():
            d.subject = seed
            d.reset()
        self.pki: simpki.SimPki | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def trust_dir(self) -> Path:
        return self.folder / "trust"

    def bind(self) -> SbiSimulator:
        """Create the PKI and bind the port (``OSError`` if it is taken), without serving yet."""
        self.pki = simpki.ensure(self.folder)
        self._server = _Server((self.host, self.requested_port), _Handler)
        self._server.sim = self
        return self

    def start(self) -> SbiSimulator:
        if self._server is None:
            self.bind()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sbi-sim-{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (``devices simulate``) until ``stop()`` or Ctrl-C."""
        if self._server is None:
            self.bind()
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving; captures in flight are dropped (the client sees the device disappear)."""
        self.stopping.set()
        server = self._server
        if server is None:
            return
        if self._thread is not None:
            server.shutdown()
        server.abort_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> SbiSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ admin
    def _select(self, which: Any) -> list[SimDevice]:
        which = str(which or "all")
        if which == "all":
            return list(self.devices.values())
        found = [d for d in self.devices.values() if which in (d.device_id, d.kind, d.modality, d.serial)]
        if not found:
            raise AdminError(f"no device {which!r}; use finger, iris, face, 1, 2, 3 or all")
        return found

    def set_state(self, device: str = "all", **changes: Any) -> list[dict[str, Any]]:
        """What ``POST /admin/state`` does (also callable directly from tests)."""
        targets = self._select(device)
        for key, value in changes.items():
            if key == "status" and value not in STATUSES:
                raise AdminError(f"status {value!r}: use {', '.join(STATUSES)}")
            if key == "fault" and (value or "") not in FAULTS:
                raise AdminError(f"fault {value!r}: use {', '.join(f for f in FAULTS if f)}")
            if key == "quality" and not (isinstance(value, int | dict)):
                raise AdminError("quality: a number 0-100 or {position: number}")
            if key in ("delay_ms", "error_code", "subject") and (isinstance(value, bool) or not isinstance(value, int)):
                raise AdminError(f"{key}: a whole number")
            if key not in ("status", "fault", "quality", "delay_ms", "error_code", "subject", "compression"):
                raise AdminError(f"unknown setting {key!r}")
        for d in targets:
            for key, value in changes.items():
                if key == "quality":
                    if isinstance(value, dict):
                        d.qualities.update({str(k): int(v) for k, v in value.items()})
                    else:
                        d.quality, d.qualities = int(value), {}
                elif key == "compression":
                    if value not in COMPRESSIONS[d.kind]:
                        raise AdminError(f"{d.kind} compression {value!r}: use {', '.join(COMPRESSIONS[d.kind])}")
                    d.compression = value
                else:
                    setattr(d, key, value or ("" if key == "fault" else value))
        return [d.state() for d in targets]

    def unplug(self, device: str = "all") -> None:
        for d in self._select(device):
            d.unplugged = True
            d.generation += 1
            d.unplug_event.set()

    def plug(self, device: str = "all") -> None:
        for d in self._select(device):
            d.unplugged = False
            d.unplug_event.clear()

    def reset(self) -> None:
        for d in self.devices.values():
            d.reset()

    # ------------------------------------------------------------------ answers
    def digital_id(self, d: SimDevice) -> dict[str, Any]:
        return {"serialNo": d.serial, "make": d.make, "model": d.model, "type": d.modality,
                "deviceSubType": d.sub_type, "deviceProvider": "sweet17 simulator",
                "deviceProviderId": "SWEET17-SIM", "dateTime": now_iso()}

    def _signer(self, d: SimDevice) -> simpki.SimPki:
        return simpki.rogue() if d.fault == "untrusted_cert" else self.pki  # type: ignore[return-value]

    def discovery(self, device_type: str, spec_versions: list[str]) -> list[dict[str, Any]]:
        out = []
        for d in self.devices.values():
            if d.unplugged or device_type not in ("Biometric Device", d.modality, "", None):
                continue
            out.append({
                "deviceId": d.device_id, "deviceStatus": d.status, "certification": "L0",
                "serviceVersion": SERVICE_VERSION, "deviceSubId": [str(s) for s in d.sub_ids],
                "callbackId": self.url + "/", "digitalId": jws.b64url(json.dumps(self.digital_id(d)).encode()),
                "deviceCode": d.device_code, "specVersion": spec_versions, "purpose": "Registration",
                "error": {"errorCode": "0", "errorInfo": "Success"},
            })
        return out

    def device_info(self, spec_versions: list[str]) -> list[dict[str, Any]]:
        out = []
        for d in self.devices.values():
            if d.unplugged:
                continue
            signer = self._signer(d)
            info = {"specVersion": spec_versions, "env": self.env, "deviceId": d.device_id,
                    "deviceCode": d.device_code, "purpose": "Registration", "serviceVersion": SERVICE_VERSION,
                    "deviceStatus": d.status, "firmware": d.firmware, "certification": "L0",
                    "deviceSubId": [str(s) for s in d.sub_ids], "callbackId": self.url + "/"}
            if d.status == "Not Registered":
                info["digitalId"] = jws.b64url(json.dumps(self.digital_id(d)).encode())
                token = jws.b64url(json.dumps(info).encode())
            else:
                info["digitalId"] = jws.sign(self.digital_id(d), signer.device_key, signer.chain)
                token = jws.sign(info, signer.device_key, signer.chain)
            out.append({"deviceInfo": token, "error": {"errorCode": "0", "errorInfo": "Success"}})
        return out

    def _record(self, d: SimDevice, position: str, quality: int, noise: int) -> bytes:
        from sweet17.adapters.biometrics import iso19794
        from sweet17.adapters.devices.sbi_sim import images

        q = quality / 100
        if d.kind == "finger":
            img = images.finger(d.subject, position, q, noise)
            return iso19794.build_finger(img, position=position, ppi=500, compression=d.compression,
                                         quality=quality, impression=0)
        if d.kind == "iris":
            img, centre, diameter = images.iris(d.subject, position, q, noise)
            return iso19794.build_iris(img, eye=position, compression=d.compression, quality=quality,
                                       iris_diameter=diameter, iris_centre=centre)
        img = images.face(d.subject, q, noise)
        return iso19794.build_face(img, compression=d.compression, quality=quality)

    def capture(self, body: dict[str, Any]) -> tuple[dict[str, Any], SimDevice | None, int]:
        """(answer, device, delay in ms) for an RCAPTURE body; errors are SBI error answers."""
        def error(code: int, info: str | None = None) -> dict[str, Any]:
            return {"biometrics": [{"specVersion": spec, "data": "", "hash": "",
                                    "error": {"errorCode": str(code), "errorInfo": info or ERROR_TEXT.get(code, "Error")}}]}

        spec = str(body.get("specVersion", ""))
        bios = body.get("bio")
        if not isinstance(bios, list) or len(bios) != 1 or not isinstance(bios[0], dict):
            return error(102, "exactly one bio entry is supported"), None, 0
        bio = bios[0]
        txn = body.get("transactionId")
        if not isinstance(txn, str) or not TXN.match(txn):
            return error(112), None, 0
        if spec not in SPEC_VERSIONS:
            return error(501, f"spec version {spec!r} not supported"), None, 0
        d = self.devices.get(str(bio.get("deviceId", "")))
        if d is None or d.modality != bio.get("type"):
            return error(106), None, 0
        if d.unplugged:
            return error(202), d, 0
        if d.status == "Not Registered":
            return error(100), d, 0
        if d.status == "Busy":
            return error(111), d, 0
        if d.status == "Not Ready":
            return error(110), d, 0
        if d.error_code:
            return error(d.error_code), d, d.delay_ms
        try:
            sub_id = int(str(bio.get("deviceSubId", "0")))
        except ValueError:
            return error(109), d, 0
        if sub_id not in d.sub_ids:
            return error(109, f"deviceSubId {sub_id} not supported"), d, 0
        asked = [s for s in (bio.get("bioSubType") or []) if s] or list(POSITIONS[(d.kind, sub_id)])
        if any(s not in POSITIONS[(d.kind, sub_id)] for s in asked):
            return error(109, "bioSubType not on this sensor"), d, 0
        exceptions = list(bio.get("exception") or [])
        wanted = [s for s in asked if s not in exceptions]
        try:
            count = int(str(bio.get("count", len(wanted))))
            requested = int(str(bio.get("requestedScore", 0)))
        except ValueError:
            return error(109), d, 0
        if count != len(wanted) or not wanted:
            return error(109, f"count {count} but {len(wanted)} positions after exceptions"), d, 0
        if d.fault == "extra_position":
            extra = exceptions[0] if exceptions else wanted[0]
            wanted = wanted + [extra]

        signer = self._signer(d)
        digital_id = jws.sign(self.digital_id(d), signer.device_key, signer.chain)
        prev_hex = str(bio.get("previousHash") or "")
        try:
            previous = bytes.fromhex(prev_hex) if prev_hex else hashlib.sha256(b"").digest()
        except ValueError:
            return error(102, "previousHash is not hex"), d, 0
        d.captures += 1
        items = []
        for i, position in enumerate(wanted):
            quality = int(d.qualities.get(position, d.quality))
            record = b"not an ISO record" if d.fault == "bad_record" else \
                self._record(d, position, max(0, min(100, quality)), d.captures * 10 + i)
            link = hashlib.sha256(previous + hashlib.sha256(record).digest()).digest()
            previous = link
            payload = {
                "digitalId": digital_id, "deviceCode": d.device_code, "deviceServiceVersion": SERVICE_VERSION,
                "bioType": d.modality, "bioSubType": position, "purpose": body.get("purpose", "Registration"),
                "env": body.get("env", self.env), "bioValue": jws.b64url(record),
                "transactionId": str(uuid.uuid4()) if d.fault == "wrong_transaction_id" else txn,
                "timestamp": now_iso(-3600 if d.fault == "stale_timestamp" else 0),
                "requestedScore": requested, "qualityScore": "" if d.fault == "no_quality" else quality,
            }
            data = jws.sign(payload, signer.device_key, signer.chain)
            if d.fault == "bad_signature":
                head, sig = data.rsplit(".", 1)
                mid = len(sig) // 2
                data = head + "." + sig[:mid] + ("A" if sig[mid] != "A" else "B") + sig[mid + 1:]
            digest = link.hex().upper()
            if d.fault == "broken_hash":
                digest = hashlib.sha256(digest.encode()).hexdigest().upper()
            items.append({"specVersion": "0.9.2" if d.fault == "wrong_spec_version" else spec,
                          "data": data, "hash": digest, "error": {"errorCode": "0", "errorInfo": "Success"}})
        return {"biometrics": items}, d, d.delay_ms

    def stream_frames(self, d: SimDevice, sub_id: int) -> list[bytes]:
        """A few JPEG frames of the live view (cycled by the STREAM answer)."""
        import io

        from sweet17.adapters.devices.sbi_sim import images

        frames = []
        q = d.quality / 100
        for n in range(3):
            if d.kind == "finger":
                img = images.slap(d.subject, POSITIONS.get((d.kind, sub_id), POSITIONS[("finger", 1)]), q, n)
            elif d.kind == "iris":
                img = images.iris(d.subject, "Left" if sub_id != 2 else "Right", q, n)[0]
            else:
                img = images.face(d.subject, q, n)
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "JPEG", quality=80)
            frames.append(buf.getvalue())
        return frames


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: SbiSimulator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[no-untyped-def]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def abort_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        log.debug("simulator connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "sweet17-sbi-sim/1.0"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("sbi-sim: " + format, *args)

    # -------------------------------------------------------------- plumbing
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            raise AdminError("body too large")
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        return json.loads(raw)

    def _send_json(self, obj: Any, status: int = 200) -> None:
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without an answer (the device went away)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _wait(self, ms: int, d: SimDevice | None, generation: int) -> bool:
        """Sleep ``ms``; False if meanwhile the simulator stops or the device is unplugged or reset."""
        sim = self.server.sim
        end = time.monotonic() + ms / 1000

        def gone() -> bool:
            return sim.stopping.is_set() or (d is not None and d.generation != generation)

        while time.monotonic() < end:
            if gone():
                return False
            time.sleep(min(0.02, max(0.0, end - time.monotonic())))
        return not gone()

    def _parse(self) -> dict[str, Any] | None:
        try:
            body = self._body()
        except (ValueError, AdminError) as e:
            self._send_json({"error": f"bad request: {e}"}, 400)
            return None
        if not isinstance(body, dict):
            self._send_json({"error": "bad request: expected a JSON object"}, 400)
            return None
        return body

    # -------------------------------------------------------------- SBI verbs
    def _discover(self, versions: list[str]) -> None:
        if self.path.rstrip("/") != "/device":
            return self._send_json({"error": "not found"}, 404)
        body = self._parse()
        if body is not None:
            self._send_json(self.server.sim.discovery(str(body.get("type", "Biometric Device")), versions))

    def _info(self, versions: list[str]) -> None:
        if self.path.rstrip("/") != "/info":
            return self._send_json({"error": "not found"}, 404)
        if self._parse() is not None:
            self._send_json(self.server.sim.device_info(versions))

    def do_MOSIPDISC(self) -> None:  # noqa: N802
        self._discover(SPEC_VERSIONS)

    def do_SBIDISC(self) -> None:  # noqa: N802
        self._discover(SPEC_VERSIONS)

    def do_MOSIPDINFO(self) -> None:  # noqa: N802
        self._info(SPEC_VERSIONS)

    def do_SBIINFO(self) -> None:  # noqa: N802
        self._info(SPEC_VERSIONS)

    def do_RCAPTURE(self) -> None:  # noqa: N802
        if self.path.rstrip("/") != "/capture":
            return self._send_json({"error": "not found"}, 404)
        body = self._parse()
        if body is None:
            return
        sim = self.server.sim
        bio = (body.get("bio") or [{}])[0] if isinstance(body.get("bio"), list) else {}
        d = sim.devices.get(str(bio.get("deviceId", ""))) if isinstance(bio, dict) else None
        if d is not None and not d.lock.acquire(blocking=False):
            return self._send_json({"biometrics": [{"specVersion": body.get("specVersion"), "data": "", "hash": "",
                                                    "error": {"errorCode": "111", "errorInfo": "Device busy"}}]})
        try:
            generation = d.generation if d is not None else 0
            answer, _dev, delay = sim.capture(body)
            if not self._wait(delay, d, generation):
                return self._drop()
            self._send_json(answer)
        finally:
            if d is not None:
                d.lock.release()

    def do_STREAM(self) -> None:  # noqa: N802
        if self.path.rstrip("/") != "/stream":
            return self._send_json({"error": "not found"}, 404)
        body = self._parse()
        if body is None:
            return
        sim = self.server.sim
        d = sim.devices.get(str(body.get("deviceId", "")))
        if d is None or d.unplugged:
            return self._send_json({"error": {"errorCode": "106", "errorInfo": "Device not found"}}, 404)
        try:
            sub_id = int(str(body.get("deviceSubId", d.sub_ids[0])))
            duration = min(int(str(body.get("timeout", 60_000))), 600_000)
        except ValueError:
            return self._send_json({"error": "bad deviceSubId or timeout"}, 400)
        frames = sim.stream_frames(d, sub_id)
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=--BoundaryString")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        end = time.monotonic() + duration / 1000
        n = 0
        try:
            while time.monotonic() < end and not sim.stopping.is_set() and not d.unplug_event.is_set():
                frame = frames[n % len(frames)]
                self.wfile.write(b"--BoundaryString\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                 + str(len(frame)).encode() + b"\r\n\r\n" + frame + b"\r\n")
                self.wfile.flush()
                n += 1
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    # -------------------------------------------------------------- admin
    def do_GET(self) -> None:  # noqa: N802
        sim = self.server.sim
        if self.path.rstrip("/") == "/admin/state":
            return self._send_json({"port": sim.port, "env": sim.env,
                                    "devices": [d.state() for d in sim.devices.values()]})
        if self.path in ("/", ""):
            return self._send_json({"service": "sweet17 SBI simulator", "specVersion": SPEC_VERSIONS})
        self._send_json({"error": "not found"}, 404)

    def do_POST(self) -> None:  # noqa: N802
        sim = self.server.sim
        body = self._parse()
        if body is None:
            return
        path = self.path.rstrip("/")
        try:
            if path == "/admin/state":
                device = body.pop("device", "all")
                return self._send_json({"devices": sim.set_state(device, **body)})
            if path == "/admin/unplug":
                sim.unplug(body.get("device", "all"))
            elif path == "/admin/plug":
                sim.plug(body.get("device", "all"))
            elif path == "/admin/reset":
                sim.reset()
            else:
                return self._send_json({"error": "not found"}, 404)
        except AdminError as e:
            return self._send_json({"error": str(e)}, 400)
        self._send_json({"devices": [d.state() for d in sim.devices.values()]})

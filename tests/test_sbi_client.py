"""The production SBI client and driver against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sbi_support
from sbi_support import devices, entry, free_port, write_profile

from sweet17.adapters.biometrics import iso19794
from sweet17.adapters.devices import profiles, registry
from sweet17.adapters.devices.base import (
    LEFT_SLAP,
    RIGHT_SLAP,
    THUMBS,
    CaptureRequest,
    Device,
    DeviceStatus,
    Modality,
)
from sweet17.adapters.devices.sbi import client as sbi_client
from sweet17.adapters.devices.sbi.verify import EMPTY_HASH, chain_hash

sbi_sim = sbi_support.sbi_sim      # fixtures: one simulator per module, reset around each test
sim = sbi_support.sim


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401
        pass


@pytest.fixture
def other_services():
    """A plain web server and a port that accepts connections but never answers."""
    web = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    yield web.server_address[1], silent.getsockname()[1]
    web.shutdown()
    web.server_close()
    silent.close()


def test_discovery_scans_ports_in_parallel_and_skips_other_services(sim, other_services):
    web_port, silent_port = other_services
    closed = free_port()
    found = sbi_client.scan("127.0.0.1", [web_port, silent_port, closed, sim.port], timeout_s=0.3)
    assert [s.port for s in found] == [sim.port]
    assert found[0].spec_version == "0.9.5"             # "auto" tries MOSIPDISC first
    devs = registry.driver("sbi").discover(entry(sim, ports=[web_port, silent_port, closed, sim.port],
                                                 scan_timeout_ms=300))
    assert len(devs) == 3 and all(isinstance(d, Device) for d in devs)
    by_mod = {str(d.describe().modality): d.describe() for d in devs}
    slap = by_mod["Finger"]
    assert (slap.make, slap.model, slap.serial) == ("sweet17 simulator", "SIM-SLAP-442", sim.devices["1"].serial)
    assert slap.sub_ids == (1, 2, 3) and slap.status == DeviceStatus.READY
    assert slap.firmware == "sim-1.0.0"                  # from the signed device info
    assert slap.extra["trusted"] is True and slap.extra["device_sub_type"] == "Slap"
    assert by_mod["Iris"].sub_ids == (1, 2, 3) and by_mod["Face"].sub_ids == (0,)
    assert slap.device_id == f"{sim.port}/1" and slap.endpoint == f"http://127.0.0.1:{sim.port}"


def test_capture_442_minus_exceptions_with_nfiq2_wsq_and_hash_chain(sim):
    slap = devices(sim)["Finger"]
    last = ""
    counts = []
    for sub_id, exceptions in ((1, ("Left LittleFinger", "Left RingFinger")), (2, ()), (3, ("Right Thumb",))):
        req = CaptureRequest(Modality.FINGER, sub_id=sub_id, exceptions=exceptions, requested_score=40,
                             previous_hash=last, transaction_id=f"test-txn-{sub_id}")
        result = slap.capture(req)
        counts.append(len(result.records))
        expected = [p for p in {1: LEFT_SLAP, 2: RIGHT_SLAP, 3: THUMBS}[sub_id] if p not in exceptions]
        assert [r.sub_type for r in result.records] == expected
        prev = bytes.fromhex(last) if last else EMPTY_HASH
        for r in result.records:
            assert r.modality == Modality.FINGER and r.data_format == "ISO19794-4:2011"
            assert r.quality == 80.0 and r.transaction_id == f"test-txn-{sub_id}"
            assert isinstance(r.nfiq2, int) and 30 <= r.nfiq2 <= 100        # NFIQ 2 next to the device score
            assert r.extra["recompressed"] == "wsq" and r.extra["device_compression"] == "raw"
            iso = iso19794.parse(r.data)
            assert (iso.compression, iso.sub_type, iso.ppi, iso.width) == ("wsq", r.sub_type, 500, 288)
            assert iso.to_image().size == (288, 384)
            # The chain: SHA-256(previous || SHA-256(signed bioValue)), uppercase hex.
            link = hashlib.sha256(prev + bytes.fromhex(r.extra["signed_sha256"])).digest()
            assert r.hash == link.hex().upper()
            prev = link
            assert r.device is not None and r.device.serial == sim.devices["1"].serial
        assert result.last_hash == result.records[-1].hash
        last = result.last_hash
    assert counts == [2, 4, 1]                            # 4-4-2 minus the exceptions


def test_iris_and_face_capture(sim):
    devs = devices(sim)
    both = devs["Iris"].capture(CaptureRequest(Modality.IRIS, sub_id=3, requested_score=50))
    assert [r.sub_type for r in both.records] == ["Left", "Right"]
    for r in both.records:
        iso = iso19794.parse(r.data)
        assert (iso.kind, iso.width, iso.height, iso.compression) == ("iris", 640, 480, "jp2-lossless")
        assert r.nfiq2 is None and r.extra["iris_diameter"] > 150
        assert hashlib.sha256(r.data).hexdigest() == r.extra["signed_sha256"]
    one = devs["Iris"].capture(CaptureRequest(Modality.IRIS, sub_id=3, exceptions=("Left",), requested_score=50))
    assert [r.sub_type for r in one.records] == ["Right"]
    face = devs["Face"].capture(CaptureRequest(Modality.FACE, sub_id=0, requested_score=40))
    (rec,) = face.records
    iso = iso19794.parse(rec.data)
    assert rec.sub_type == "" and rec.data_format == "ISO19794-5:2011"
    assert (iso.width, iso.height, iso.bit_depth) == (480, 640, 24)


def test_sbi_10_verbs(sim):
    devs = devices(sim, spec_version="1.0")
    assert devs["Finger"].client.spec_version == "1.0"
    r = devs["Finger"].capture(CaptureRequest(Modality.FINGER, sub_id=3))
    assert r.records[0].extra["spec_version"] == "1.0"
    assert sbi_client.SbiClient("127.0.0.1", sim.port, spec_version="1.0").discover()[0]["deviceId"] == "1"


def test_stream_gives_mjpeg_frames(sim):
    from PIL import Image

    slap = devices(sim)["Finger"]
    frames = slap.preview(2)
    got = [next(frames) for _ in range(3)]
    frames.close()
    for f in got:
        assert f[:2] == b"\xff\xd8" and f[-2:] == b"\xff\xd9"
        assert Image.open(io.BytesIO(f)).size[0] > 400            # four fingers side by side


def test_status_is_asked_again(sim):
    slap = devices(sim)["Finger"]
    assert slap.status() == DeviceStatus.READY
    sim.set_state("finger", status="Busy")
    assert slap.status() == DeviceStatus.BUSY
    sim.unplug("finger")
    assert slap.status() == DeviceStatus.DISCONNECTED
    sim.plug("finger")


def test_discover_through_a_kit_profile(sim, tmp_path):
    kit = profiles.load_kit(write_profile(tmp_path / "kit.toml", sim))
    (e,) = kit.entries("sbi")
    d = e.to_dict()
    assert d["ports"] == [sim.port] and d["thresholds"]["nfiq2_min"] == 10 and d["retries"] == 1
    found = registry.discover_kit(kit)
    assert found[0].error is None and len(found[0].devices) == 3


def test_chain_hash_definition():
    bio = b"ISO record bytes"
    first = chain_hash(EMPTY_HASH, bio)
    assert first == hashlib.sha256(hashlib.sha256(b"").digest() + hashlib.sha256(bio).digest()).digest()
    assert chain_hash(first, bio) != first

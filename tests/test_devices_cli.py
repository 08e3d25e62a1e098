"""``sweet17 devices list|test|simulate`` and kit profile validation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sbi_support
from sbi_support import free_port, write_profile

from sweet17.adapters.devices import profiles
from sweet17.errors import ValidationError

sbi_sim = sbi_support.sbi_sim      # fixtures: one simulator per module, reset around each test
sim = sbi_support.sim


REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ profiles

def test_shipped_profiles_load():
    sim_kit = profiles.load_kit(REPO / "devices" / "sim-kit.toml")
    assert [e.driver for e in sim_kit.devices] == ["sbi", "opencv", "pcsc"]
    sbi = sim_kit.entries("sbi")[0].to_dict()
    assert sbi["ports"] == [4501] and sbi["trust_store"] == REPO / "devices" / ".sim" / "trust"
    assert sbi["thresholds"] == {"finger": 40, "iris": 50, "face": 40, "signature": 0, "nfiq2_min": 20}
    cam = sim_kit.entries("opencv")[0].to_dict()
    assert cam["source"] == str(REPO / "devices" / ".sim" / "face-camera.avi") and cam["loop"] is True
    assert sim_kit.simulator["dir"] == REPO / "devices" / ".sim"
    vendor = profiles.load_kit(REPO / "devices" / "vendor-sbi.toml")
    v = vendor.entries("sbi")[0].to_dict()
    assert v["ports"] == list(range(4501, 4601)) and v["env"] == "Production"
    assert v["trust_store"] == REPO / "devices" / "trust"
    assert vendor.entries("opencv")[0].settings["camera"] == 0


@pytest.mark.parametrize(("body", "field", "words"), [
    ('[devices.a]\ndriver = "sbi"\nport = 4501\ntrust_store = "t"\ncolour = 1\n', "devices.a.colour", "unknown field"),
    ('[devices.a]\ndriver = "sbi"\nports = "4600-4501"\ntrust_store = "t"\n', "devices.a.ports", "4600-4501"),
    ('[devices.a]\ndriver = "sbi"\nport = 70000\ntrust_store = "t"\n', "devices.a.port", "65535"),
    ('[devices.a]\ndriver = "sbi"\nport = 4501\n', "devices.a.trust_store", "trust"),
    ('[devices.a]\ndriver = "sbi"\nhost = "192.168.1.5"\ntrust_store = "t"\n', "devices.a.host", "127.0.0.1"),
    ('[devices.a]\ndriver = "sbi"\nenv = "Prod"\ntrust_store = "t"\n', "devices.a.env", "Production"),
    ('[devices.a]\ndriver = "usb"\n', "devices.a.driver", "sbi, opencv, pcsc"),
    ('[thresholds]\nfinger = 140\n[devices.a]\ndriver = "pcsc"\n', "thresholds.finger", "1-100"),
    ('[thresholds]\nfingers = 40\n[devices.a]\ndriver = "pcsc"\n', "thresholds.fingers", "unknown threshold"),
    ('retries = "two"\n[devices.a]\ndriver = "pcsc"\n', "retries", "0-10"),
    ('[devices.a]\ndriver = "opencv"\ncamera = 0\nsource = "x.avi"\n', "devices.a.camera", "not both"),
    ('name = "x"\n', "devices", "[devices.NAME]"),
])
def test_profile_errors_name_file_and_field(tmp_path, body, field, words):
    path = tmp_path / "kit.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        profiles.load_kit(path)
    assert e.value.field == field
    assert str(path) in str(e.value) and field in str(e.value)
    from sweet17.i18n import set_language

    set_language("en")
    with pytest.raises(ValidationError) as e:
        profiles.load_kit(path)
    assert words in str(e.value)
    set_language("id")


def test_driver_thresholds_pass_through_to_the_entry(tmp_path):
    path = tmp_path / "kit.toml"
    path.write_text('[thresholds]\nface = 50\n[devices.cam]\ndriver = "opencv"\nsource = "v.avi"\n'
                    '[devices.cam.thresholds]\nmin_face_ratio = 0.2\nface = 60\n', encoding="utf-8")
    kit = profiles.load_kit(path)
    assert kit.thresholds["face"] == 50                          # kit rules keep the known keys only
    th = kit.entries()[0].to_dict()["thresholds"]
    assert th["face"] == 60 and th["min_face_ratio"] == 0.2
    assert kit.entries()[0].to_dict()["source"] == str(tmp_path / "v.avi")


def test_bad_toml_and_missing_profile_are_user_errors(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n", encoding="utf-8")
    code, out, err = cli("devices", "list", "--profile", bad)
    assert code == 2 and str(bad) in err and "TOML" in err
    code, out, err = cli("devices", "list", "--profile", tmp_path / "none.toml")
    assert code == 2 and "tidak ada" in err


# ------------------------------------------------------------------------------ list / test

def test_list_json(cli, sim, tmp_path):
    path = write_profile(tmp_path / "kit.toml", sim)
    code, out, err = cli("devices", "list", "--profile", path, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["profile"] == str(path) and data["kit"] == "Test kit" and data["errors"] == []
    assert [d["modality"] for d in data["devices"]] == ["Finger", "Iris", "Face"]
    first = data["devices"][0]
    assert first["entry"] == "sbi" and first["status"] == "Ready" and first["trusted"] is True
    assert set(first) >= {"driver", "device_id", "make", "model", "serial", "firmware", "sub_ids", "endpoint"}
    code, out, err = cli("devices", "list", "--profile", path)
    assert code == 0 and "Perangkat kit Test kit" in out and "terverifikasi" in out


def test_list_reports_a_missing_service(cli, tmp_path):
    path = write_profile(tmp_path / "kit.toml", port=free_port())
    code, out, err = cli("devices", "list", "--profile", path, "--json", lang="en")
    assert code == 2
    (e,) = json.loads(out)["errors"]
    assert e["entry"] == "sbi" and "No SBI device service answered" in e["message"]


def test_test_capture_json(cli, sim, tmp_path):
    path = write_profile(tmp_path / "kit.toml", sim)
    code, out, err = cli("devices", "test", "finger", "--profile", path, "--json", "--exception", "Left LittleFinger")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["kind"] == "finger"
    assert [len(s["records"]) for s in data["steps"]] == [3, 4, 2]
    assert data["steps"][0]["exceptions"] == ["Left LittleFinger"]
    rec = data["steps"][1]["records"][0]
    assert rec["quality"] == 80.0 and isinstance(rec["nfiq2"], int) and rec["compression"] == "wsq"
    assert rec["ppi"] == 500 and rec["bytes"] > 0 and len(rec["hash"]) == 64
    assert "data" not in rec                                    # no biometric bytes in the output


def test_test_capture_low_quality_and_refusal(cli, sim, tmp_path):
    path = write_profile(tmp_path / "kit.toml", sim)
    sim.set_state("finger", quality={"Right RingFinger": 10})
    code, out, err = cli("devices", "test", "finger", "--profile", path, "--json")
    assert code == 2
    steps = json.loads(out)["steps"]
    assert [s["ok"] for s in steps] == [True, False, True]
    assert steps[1]["low"] == ["Right RingFinger"] and steps[1]["error"]["type"] == "QualityNotReached"
    sim.set_state("iris", fault="bad_signature")
    code, out, err = cli("devices", "test", "iris", "--profile", path)
    assert code == 2
    assert "pemeriksaan keamanan" in out and "Kedua mata" in out
    code, out, err = cli("devices", "test", "face", "--profile", path, "--score", "90", "--json")
    assert code == 2 and json.loads(out)["steps"][0]["requested_score"] == 90


def test_test_without_devices_is_a_user_error(cli, tmp_path):
    path = write_profile(tmp_path / "kit.toml", port=free_port())
    code, out, err = cli("devices", "test", "iris", "--profile", path)
    assert code == 2 and "kamera iris" in err and str(path) in err
    code, out, err = cli("devices", "test", "palm", "--profile", path)
    assert code == 2 and "palm" in err


# ------------------------------------------------------------------------------ simulate

def test_simulate_runs_until_interrupted(cli, tmp_path):
    sim_dir = tmp_path / "simdir"
    port = free_port()
    path = write_profile(tmp_path / "kit.toml", port=port, sim_dir=sim_dir)
    env = {**os.environ, "SWEET17_LANG": "en", "SWEET17_LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.Popen([sys.executable, "-m", "sweet17", "devices", "simulate", "--profile", str(path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.rstrip() == "}":
                break
        info = json.loads("".join(lines))
        assert info["port"] == port and info["trust_store"] == str(sim_dir / "trust")
        assert [d["modality"] for d in info["devices"]] == ["Finger", "Iris", "Face"]
        assert (sim_dir / "trust" / "sweet17-sim-ca.pem").is_file()
        assert oct((sim_dir / "keys" / "device.key").stat().st_mode & 0o777) == "0o600"
        code, out, err = cli("devices", "list", "--profile", path, "--json")
        assert code == 0, err
        assert len(json.loads(out)["devices"]) == 3
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0, proc.stderr.read()
    busy, busy_port = _listening()
    try:
        code, out, err = cli("devices", "simulate", "--profile", path, "--port", busy_port)
    finally:
        busy.close()
    assert code == 2 and str(busy_port) in err and "--port" in err


def _listening():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]

"""``sweet17 camera ...`` end to end (in-process CLI, real files)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def walkin(tmp_path_factory):
    from sweet17.adapters.devices import facegen

    d = tmp_path_factory.mktemp("cli-videos")
    return facegen.write_video(d / "walkin.avi", facegen.frames("walk-in", 30, background="blue", seed=11))


def test_fake_video_then_check_and_capture(cli, tmp_path):
    video = tmp_path / "face.avi"
    code, out, err = cli("camera", "fake-video", video, "--scenario", "walk-in", "--birth-year", "2008",
                         "--frames", "30", "--seed", "5", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made == {"path": str(video), "kind": "video", "frames": 30, "fps": 30.0, "size": [640, 480],
                    "scenario": "walk-in", "background": "blue", "seed": 5}
    assert video.stat().st_size > 10_000

    code, out, err = cli("camera", "check", video, "--birth-year", "2008", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["frames"] == 30 and 0 < summary["passed"] < 30
    assert summary["failures"]["one_face"] >= 4 and summary["background"] == "blue"
    assert summary["best"]["ok"] and summary["frames_per_second"] > 0

    photo = tmp_path / "out" / "photo.jpg"
    code, out, err = cli("camera", "capture", video, "--birth-year", "2008", "--out", photo, "--json")
    assert code == 0, err
    cap = json.loads(out)
    assert cap["quality"] >= 60 and cap["out"] == str(photo) and photo.read_bytes()[:2] == b"\xff\xd8"
    assert cap["kind"] == "face" and all(c["ok"] for c in cap["checks"].values())


def test_capture_refused_in_indonesian_and_english(cli, walkin):
    code, out, err = cli("camera", "capture", walkin, "--birth-year", "2007")   # odd year needs red
    assert code == 2
    assert "warna latar" in err and "Traceback" not in err
    code, out, err = cli("camera", "capture", walkin, "--birth-year", "2007", lang="en")
    assert code == 2 and "background colour" in err


def test_image_sequence_output(cli, tmp_path):
    folder = tmp_path / "frames"
    code, out, err = cli("camera", "fake-video", folder, "--scenario", "good", "--frames", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "images" and len(list(folder.glob("frame_*.png"))) == 3
    code, out, err = cli("camera", "capture", folder, "--background", "red", "--json")
    assert code == 0, err


@pytest.mark.parametrize("args", [
    ("camera", "fake-video", "x.avi", "--size", "big"),
    ("camera", "fake-video", "x.avi", "--scenario", "dancing"),
    ("camera", "fake-video", "x.mp4"),
    ("camera", "check", "missing.avi"),
    ("camera", "capture", "missing.avi", "--background", "purple"),
    ("camera", "capture", "missing.avi", "--birth-year", "2008", "--background", "red"),
])
def test_bad_options_are_user_errors(cli, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.strip().count("\n") == 0


def test_missing_video_names_the_file(cli, tmp_path):
    code, out, err = cli("camera", "capture", tmp_path / "nothing.avi")
    assert code == 2 and "nothing.avi" in err


def test_exception_photo_option(cli, walkin, tmp_path):
    code, out, err = cli("camera", "capture", walkin, "--exception-photo", "--out", tmp_path / "p.png", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["kind"] == "exception_photo" and res["format"] == "image/png"
    assert set(res["checks"]) == {"sharpness", "exposure"}


def test_camera_from_a_kit_profile(cli, walkin, tmp_path):
    kit = tmp_path / "kit.toml"
    kit.write_text(f'name = "test kit"\n[devices.face]\ndriver = "opencv"\nsource = "{walkin}"\n'
                   '[devices.face.thresholds]\nmin_sharpness = 5000\n', encoding="utf-8")
    code, out, err = cli("camera", "check", "--profile", kit, "--frames", "5", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["source"] == str(walkin) and summary["passed"] == 0   # the profile's strict threshold


def test_camera_list(cli):
    code, out, err = cli("camera", "list", "--json")
    assert code == 0 and isinstance(json.loads(out)["cameras"], list)

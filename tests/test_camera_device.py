"""The OpenCV camera device against synthetic videos and image sequences (and a fake live camera)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sweet17.adapters.devices import camera as cammod
from sweet17.adapters.devices import facegen, registry
from sweet17.adapters.devices.base import (
    CaptureRequest,
    Device,
    DeviceBusy,
    DeviceDisconnected,
    DeviceNotFound,
    DeviceStatus,
    Modality,
    QualityNotReached,
)
from sweet17.adapters.devices.camera import EXCEPTION_PHOTO, CameraDevice, FaceQualityNotReached, Source
from sweet17.errors import UserError, ValidationError

FACE = CaptureRequest(Modality.FACE, timeout_ms=10_000, transaction_id="tx-face-1")


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("videos")
    out = {}
    for name, scenario, bg, n in (("walkin", "walk-in", "red", 40), ("wrongbg", "wrong-background", "red", 8),
                                  ("noface", "no-face", "blue", 8), ("blurry", "blurry", "blue", 8)):
        out[name] = facegen.write_video(d / f"{name}.avi", facegen.frames(scenario, n, background=bg, seed=3))
    out["seq"] = Path(facegen.write_images(d / "seq", facegen.frames("good", 5, background="blue", seed=4)))
    return out


def test_video_file_capture_picks_a_good_frame(videos):
    dev = CameraDevice(videos["walkin"])
    assert isinstance(dev, Device)
    result = dev.capture(FACE, birth_year=2007)          # odd year: red background
    rec = result.records[0]
    assert rec.modality == Modality.FACE and rec.sub_type == "" and rec.data_format == "image/jpeg"
    assert rec.transaction_id == "tx-face-1" and rec.device.driver == "opencv"
    # the first 40 % of the walk-in has nobody, someone at the side, then a shaky moment
    assert rec.extra["frame_index"] >= 17 and rec.extra["frames_seen"] == rec.extra["frame_index"] + 1
    assert rec.quality >= 60 and rec.extra["ok"] and rec.extra["background"] == "red"
    assert rec.extra["checks"]["failed"] == []
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(rec.data, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (480, 640, 3)


def test_image_sequence_pattern_and_folder(videos):
    for src in (videos["seq"], videos["seq"].parent):
        dev = CameraDevice(str(src), {"format": "png"})
        rec = dev.capture(FACE, background="blue").records[0]
        assert rec.data_format == "image/png" and rec.data.startswith(b"\x89PNG")
        assert dev.describe().model == "image sequence"


def test_wrong_background_is_refused_with_the_best_frame(videos):
    dev = CameraDevice(videos["wrongbg"])
    with pytest.raises(FaceQualityNotReached) as err:
        dev.capture(FACE, birth_year=2007)
    e = err.value
    assert isinstance(e, QualityNotReached) and e.failed == ["background"] and e.low == ("",)
    rec = e.result.records[0]                        # kept for a supervisor's forced capture
    assert rec.extra["background"] == "blue" and rec.extra["ok"] is False
    msg = e.operator_message
    assert "warna latar" in msg and "merah untuk tahun lahir ganjil" in msg


def test_no_face_is_refused(videos):
    with pytest.raises(FaceQualityNotReached) as err:
        CameraDevice(videos["noface"]).capture(FACE, birth_year=2008)
    assert "one_face" in err.value.failed and err.value.frames == 8


def test_exception_photo_has_no_face_rules(videos):
    req = CaptureRequest(Modality.FACE, sub_types=(EXCEPTION_PHOTO,), requested_score=1)
    # a person on the wrong background: the face rules would refuse it, a proof photo is fine
    rec = CameraDevice(videos["wrongbg"]).capture(req, birth_year=2007).records[0]
    assert rec.sub_type == EXCEPTION_PHOTO and set(rec.extra["checks"]["checks"]) == {"sharpness", "exposure"}
    assert rec.extra["frame_index"] == 0
    with pytest.raises(QualityNotReached):      # a blurred picture or a blank wall is no proof
        CameraDevice(videos["blurry"]).capture(req)
    with pytest.raises(QualityNotReached):
        CameraDevice(videos["noface"]).capture(req)


def test_stable_frames_and_requested_score(videos):
    one = CameraDevice(videos["walkin"]).capture(FACE, background="red").records[0]
    five = CameraDevice(videos["walkin"], {"stable_frames": 5}).capture(FACE, background="red").records[0]
    assert five.extra["frames_seen"] == one.extra["frames_seen"] + 4
    with pytest.raises(QualityNotReached):         # nothing in this video is that good
        CameraDevice(videos["walkin"]).capture(CaptureRequest(Modality.FACE, requested_score=100), background="red")


def test_timeout_on_a_looping_video_does_not_hang(videos):
    dev = CameraDevice(videos["noface"], {"loop": True, "realtime": True})
    t0 = time.monotonic()
    with pytest.raises(FaceQualityNotReached) as err:
        dev.capture(CaptureRequest(Modality.FACE, timeout_ms=400))
    assert 0.35 < time.monotonic() - t0 < 2.0
    assert err.value.frames >= 8          # it looped past the 8 frames of the file


def test_busy_while_capturing(videos):
    dev = CameraDevice(videos["noface"], {"loop": True, "realtime": True})
    errors = []
    t = threading.Thread(target=lambda: errors.append(_capture_error(dev, 800)))
    t.start()
    time.sleep(0.2)
    assert dev.status() == DeviceStatus.BUSY
    with pytest.raises(DeviceBusy):
        dev.capture(FACE)
    t.join()
    assert isinstance(errors[0], QualityNotReached)
    assert dev.status() == DeviceStatus.READY


def _capture_error(dev, ms):
    try:
        dev.capture(CaptureRequest(Modality.FACE, timeout_ms=ms))
    except Exception as e:  # noqa: BLE001 - handed to the test
        return e
    return None


def test_missing_source(tmp_path):
    with pytest.raises(DeviceNotFound):
        CameraDevice(tmp_path / "nothing.avi")
    with pytest.raises(DeviceNotFound):
        CameraDevice(str(tmp_path / "frames_%04d.png"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DeviceNotFound):
        CameraDevice(empty)
    video = facegen.write_video(tmp_path / "gone.avi", facegen.frames("good", 2))
    dev = CameraDevice(video)
    assert dev.status() == DeviceStatus.READY
    video.unlink()
    assert dev.status() == DeviceStatus.DISCONNECTED


def test_source_parsing(tmp_path):
    assert cammod.parse_source(0) == Source("camera", 0, "0")
    assert cammod.parse_source("2").target == 2
    assert cammod.parse_source("/dev/video3") == Source("camera", 3, "/dev/video3")


def test_profile_settings_are_validated(videos):
    with pytest.raises(ValidationError):
        CameraDevice(videos["walkin"], {"width": "wide"})
    with pytest.raises(ValidationError):
        CameraDevice(videos["walkin"], {"format": "gif"})
    with pytest.raises(ValidationError):
        CameraDevice(videos["walkin"], {"loop": "yes"})
    with pytest.raises(ValidationError):
        CameraDevice(videos["walkin"], {"thresholds": {"min_sharpness": -1}})


def test_discovery_through_the_registry(videos):
    # profiles.py hands every known key over, None when not set
    entry = {"driver": "opencv", "camera": None, "source": str(videos["walkin"]), "width": None, "loop": None,
             "format": None, "thresholds": {"face": 40, "finger": 40, "min_sharpness": 50}, "label": "Meja 1"}
    devs = registry.discover("opencv", entry)
    assert len(devs) == 1
    info = devs[0].describe()
    assert (info.driver, info.modality, info.model, info.status) == ("opencv", Modality.FACE, "video file",
                                                                     DeviceStatus.READY)
    assert devs[0].config.min_sharpness == 50
    assert all(isinstance(d, Device) for d in registry.discover("opencv", {}))


def test_preview_frames_are_jpegs_with_the_checks(videos):
    frames = list(CameraDevice(videos["walkin"]).preview(background="red", max_frames=3))
    assert len(frames) == 3 and all(f.startswith(b"\xff\xd8") for f in frames)


def test_no_display_means_a_clear_error(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(UserError) as err:
        cammod.open_preview_window("test")
    assert "--preview" in str(err.value)


def test_preview_callback_can_cancel(videos):
    from sweet17.adapters.devices.base import CaptureFailed

    class Window:
        shown = 0

        def show(self, frame):
            Window.shown += 1
            return Window.shown < 3

    with pytest.raises(CaptureFailed):
        CameraDevice(videos["walkin"]).capture(FACE, background="red",
                                               on_frame=cammod.preview_callback(Window(), "red"))
    assert Window.shown == 3


# ---------------------------------------------------------------------- a live camera that fails

class FakeLiveCapture:
    """Stands in for cv2.VideoCapture on /dev/videoN: good frames, then unplugged or hung."""

    def __init__(self, frames: int, then: str) -> None:
        self.frames = list(facegen.frames("no-face", frames, background="red"))
        self.then = then
        self.released = threading.Event()

    def get(self, prop):
        return 30.0

    def read(self):
        if self.frames:
            time.sleep(0.01)
            return True, self.frames.pop()
        if self.then == "hang":
            self.released.wait(30)
        return False, None

    def release(self):
        self.released.set()


@pytest.mark.parametrize("then", ["unplugged", "hang"])
def test_live_camera_lost_mid_capture(monkeypatch, then):
    fake = FakeLiveCapture(5, then)
    monkeypatch.setattr(cammod, "open_capture", lambda *a, **k: fake)
    monkeypatch.setattr(cammod, "FRAME_GAP_S", 0.3)
    dev = CameraDevice(0)
    t0 = time.monotonic()
    with pytest.raises(DeviceDisconnected) as err:
        dev.capture(CaptureRequest(Modality.FACE, timeout_ms=10_000))
    assert time.monotonic() - t0 < 3.0
    assert "kabel" in err.value.operator_message
    fake.release()

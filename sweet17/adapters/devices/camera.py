"""Face cameras through OpenCV: UVC webcams, video files and image sequences (driver ``opencv``).

``CameraDriver().discover(profile)`` returns ``CameraDevice`` objects implementing the device
interface of ``base.py``. A capture reads frames until the KTP-el photo checks of
``facecheck.py`` pass on ``stable_frames`` frames in a row (and the quality reaches the requested
score), then returns one ``BiometricRecord`` (modality FACE, a JPEG or PNG of the best frame of
that run, the checks in ``extra["checks"]``). Frames are read by a background thread, so a camera
that stops answering (unplugged, hung driver) ends the capture with a typed error at the request's
timeout instead of hanging.

Sources (a profile's ``source``, or ``camera`` for an index):

* a camera index (``0``) or device path (``/dev/video0``);
* a video file (``face.avi``, ``face.mp4``): frames are read as fast as the checks run, or at the
  file's frame rate with ``realtime = true``; ``loop = true`` starts again at the end;
* an image sequence: a printf pattern (``frames/frame_%04d.png``) or a folder of such files.

Profile keys read here (``profiles.py`` hands them over, ``None`` meaning "not set"):
``source``/``camera``, ``width``, ``height``, ``fps``, ``loop``, ``realtime``, ``stable_frames``,
``format`` (``jpeg``/``png``), ``jpeg_quality``, ``label``/``name``, and the numeric keys of the
``thresholds`` table that ``FaceCheckConfig`` knows (others, such as the kit's ``face``, are left
to the session). See docs/camera-pcsc.md.
"""

from __future__ import annotations

import logging
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sweet17.adapters.devices.base import (
    BiometricRecord,
    CaptureFailed,
    CaptureRequest,
    CaptureResult,
    Device,
    DeviceBusy,
    DeviceDisconnected,
    DeviceError,
    DeviceInfo,
    DeviceNotFound,
    DeviceNotReady,
    DeviceStatus,
    DeviceTimeout,
    Modality,
    QualityNotReached,
    bool_setting,
    int_setting,
    setting,
)
from sweet17.adapters.devices.facecheck import CHECK_LABELS, FaceCheckConfig, FaceChecker, FrameCheck
from sweet17.errors import UserError, ValidationError
from sweet17.i18n import N_, _

log = logging.getLogger(__name__)

EXCEPTION_PHOTO = "ExceptionPhoto"      # sub type asking for a plain proof photo (no face rules)
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_SEQ_RE = re.compile(r"^(.*?)(\d+)(\.[A-Za-z]+)$")
FRAME_GAP_S = 2.0                        # a live camera silent this long is treated as unplugged


class CameraDisconnected(DeviceDisconnected):
    message_id = N_("The camera stopped sending pictures. Check its cable, then try again.")


class PreviewUnavailable(UserError):
    """No window can be opened (no display, or no GUI toolkit)."""


# ---------------------------------------------------------------------- sources

@dataclass(frozen=True)
class Source:
    """Where frames come from. ``kind``: ``camera``, ``video`` or ``images``."""

    kind: str
    target: int | str           # camera index, file path, or printf pattern
    label: str                  # as given (for messages)

    @property
    def is_live(self) -> bool:
        return self.kind == "camera"


def parse_source(value: int | str | Path) -> Source:
    """Turn a profile's ``source`` (or a command-line argument) into a ``Source``.

    Raises ``DeviceNotFound`` for a file or folder that does not exist."""
    if isinstance(value, bool):
        raise DeviceNotFound(f"camera source {value!r}")
    if isinstance(value, int):
        return Source("camera", value, str(value))
    text = str(value).strip()
    if text.isdigit():
        return Source("camera", int(text), text)
    m = re.fullmatch(r"/dev/video(\d+)", text)
    if m:
        return Source("camera", int(m.group(1)), text)
    path = Path(text).expanduser()
    if "%" in path.name:
        first = _first_of_pattern(path)
        if first is None:
            raise DeviceNotFound(f"no image matches {text}", device=text)
        return Source("images", str(path), text)
    if path.is_dir():
        pattern = _pattern_in_folder(path)
        if pattern is None:
            raise DeviceNotFound(f"no numbered images (frame_0000.png ...) in {text}", device=text)
        return Source("images", pattern, text)
    if not path.is_file():
        raise DeviceNotFound(f"{text} does not exist", device=text)
    return Source("video", str(path), text)


def _first_of_pattern(pattern: Path) -> Path | None:
    for start in (0, 1):
        try:
            candidate = Path(str(pattern) % start)
        except TypeError:
            return None
        if candidate.is_file():
            return candidate
    return None


def _pattern_in_folder(folder: Path) -> str | None:
    """``folder/frame_%04d.png`` from the numbered image files in ``folder`` (the first series found)."""
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() not in IMAGE_EXTS:
            continue
        m = _SEQ_RE.match(f.name)
        if m:
            prefix, digits, ext = m.groups()
            pattern = folder / f"{prefix}%0{len(digits)}d{ext}"
            if _first_of_pattern(pattern) is not None:
                return str(pattern)
    return None


def open_capture(source: Source, width: int | None = None, height: int | None = None,
                 fps: float | None = None):  # type: ignore[no-untyped-def]
    """An opened ``cv2.VideoCapture`` for ``source`` or ``DeviceNotReady``."""
    import cv2

    if source.kind == "camera":
        cap = cv2.VideoCapture(int(source.target))
        if cap.isOpened():
            if width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            if height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if fps:
                cap.set(cv2.CAP_PROP_FPS, fps)
    elif source.kind == "images":
        cap = cv2.VideoCapture(str(source.target), cv2.CAP_IMAGES)
    else:
        cap = cv2.VideoCapture(str(source.target))
    if not cap.isOpened():
        cap.release()
        raise DeviceNotReady(f"cannot open camera source {source.label}", device=source.label)
    return cap


# ---------------------------------------------------------------------- frame grabbing

_END = object()


class FrameGrabber:
    """Reads frames in a daemon thread. Live cameras keep only the newest frames (a slow consumer
    sees the present, not a backlog); files deliver every frame in order."""

    def __init__(self, source: Source, *, width: int | None = None, height: int | None = None,
                 fps: float | None = None, loop: bool = False, realtime: bool = False) -> None:
        self.source = source
        self._cap = open_capture(source, width, height, fps)
        self._loop = loop and not source.is_live
        self._realtime = realtime and not source.is_live
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2 if source.is_live else 4)
        self._stop = threading.Event()
        self.error: str = ""
        self.frames_read = 0
        fps = self._cap.get(5)  # cv2.CAP_PROP_FPS
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self._thread = threading.Thread(target=self._run, name=f"camera-{source.label}", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            if self.source.is_live and item is not _END:
                try:
                    self._queue.put_nowait(item)
                    return True
                except queue.Full:
                    try:
                        self._queue.get_nowait()        # drop the oldest frame
                    except queue.Empty:
                        pass
                    continue
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        cap = self._cap
        period = 1.0 / self.fps
        next_t = time.monotonic()
        try:
            while not self._stop.is_set():
                ok, frame = cap.read()
                if not ok or frame is None:
                    if self._loop and self.frames_read > 0:
                        cap.set(1, 0)  # cv2.CAP_PROP_POS_FRAMES
                        if self.source.kind == "images":   # CAP_IMAGES does not rewind: reopen
                            cap.release()
                            cap = self._cap = open_capture(self.source)
                        continue
                    if self.source.is_live:
                        self.error = "read failed"
                    break
                self.frames_read += 1
                if self._realtime:
                    next_t += period
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                if not self._put(frame):
                    break
        except Exception as e:  # a driver error must not kill the process: report it to the reader
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._put(_END)

    def get(self, timeout: float) -> Any | None:
        """The next frame, ``None`` at the end of the source; ``DeviceTimeout`` after ``timeout`` s."""
        try:
            item = self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise DeviceTimeout(f"no frame from {self.source.label} in {timeout:.1f} s",
                                device=self.source.label) from None
        return None if item is _END else item

    def close(self) -> None:
        self._stop.set()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        self._thread.join(timeout=0.5)
        if not self._thread.is_alive():
            self._cap.release()
        # else: the driver is stuck inside read(); the daemon thread releases nothing and dies
        # with the process rather than blocking the operator.


# ---------------------------------------------------------------------- the device

def _sysfs_info(index: int) -> dict[str, str]:
    """Name, maker and serial of /dev/videoN from sysfs (Linux; empty elsewhere)."""
    base = Path(f"/sys/class/video4linux/video{index}")
    info: dict[str, str] = {}

    def read(p: Path) -> str:
        try:
            return p.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""

    info["name"] = read(base / "name")
    usb = (base / "device").resolve().parent if (base / "device").exists() else None
    if usb is not None:
        info["manufacturer"] = read(usb / "manufacturer")
        info["product"] = read(usb / "product")
        info["serial"] = read(usb / "serial")
        info["firmware"] = read(usb / "bcdDevice")
    return info


class CameraDevice:
    """One face camera (or a video file standing in for one)."""

    driver = "opencv"

    def __init__(self, source: int | str | Path | Source, profile: dict[str, Any] | None = None) -> None:
        profile = dict(profile or {})
        self.source = source if isinstance(source, Source) else parse_source(source)
        self.width = int_setting(profile, "width", None, 16, 8192)
        self.height = int_setting(profile, "height", None, 16, 8192)
        self.loop = bool_setting(profile, "loop", False)
        self.realtime = bool_setting(profile, "realtime", False)
        self.stable_frames = int_setting(profile, "stable_frames", 3 if self.source.is_live else 1, 1, 100) or 1
        self.jpeg_quality = int_setting(profile, "jpeg_quality", 95, 50, 100) or 95
        fps = setting(profile, "fps", None)
        if fps is not None and (isinstance(fps, bool) or not isinstance(fps, int | float) or not 0 < fps <= 240):
            raise ValidationError(_("{field}: '{value}' must be a whole number from {lo} to {hi}").format(
                field="fps", value=fps, lo=1, hi=240), field="fps")
        self.fps = fps
        fmt = str(setting(profile, "format", "jpeg")).lower()
        if fmt not in ("jpeg", "png"):
            raise ValidationError(_("{field}: '{value}' must be jpeg or png").format(field="format", value=fmt),
                                  field="format")
        self.format = fmt
        self.name = str(setting(profile, "label", None) or setting(profile, "name", ""))
        self.config = FaceCheckConfig.from_mapping(setting(profile, "thresholds", None))
        self._checker: FaceChecker | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ interface
    @property
    def checker(self) -> FaceChecker:
        if self._checker is None:
            self._checker = FaceChecker(self.config)
        return self._checker

    def describe(self) -> DeviceInfo:
        src = self.source
        if src.is_live:
            sys_info = _sysfs_info(int(src.target))
            return DeviceInfo(
                driver="opencv", device_id=str(src.target), modality=Modality.FACE,
                make=sys_info.get("manufacturer", ""),
                model=sys_info.get("product") or sys_info.get("name") or self.name or "UVC camera",
                serial=sys_info.get("serial", ""), firmware=sys_info.get("firmware", ""),
                status=self.status(), certification="UVC", endpoint=f"/dev/video{src.target}",
                extra={"width": self.width, "height": self.height, "name": self.name})
        return DeviceInfo(
            driver="opencv", device_id=src.label, modality=Modality.FACE, make="sweet17",
            model="video file" if src.kind == "video" else "image sequence", status=self.status(),
            endpoint=str(src.target), extra={"loop": self.loop, "realtime": self.realtime, "name": self.name})

    def status(self) -> DeviceStatus:
        if self._lock.locked():
            return DeviceStatus.BUSY
        src = self.source
        if src.is_live:
            if sys.platform.startswith("linux"):
                return DeviceStatus.READY if Path(f"/dev/video{src.target}").exists() else DeviceStatus.DISCONNECTED
            return DeviceStatus.READY       # elsewhere: known only when opened
        if src.kind == "images":
            return DeviceStatus.READY if _first_of_pattern(Path(str(src.target))) else DeviceStatus.DISCONNECTED
        return DeviceStatus.READY if Path(str(src.target)).is_file() else DeviceStatus.DISCONNECTED

    def _grabber(self) -> FrameGrabber:
        return FrameGrabber(self.source, width=self.width, height=self.height, fps=self.fps, loop=self.loop,
                            realtime=self.realtime)

    def capture(self, request: CaptureRequest, *, birth_year: int | None = None, background: str | None = None,
                on_frame: Callable[[Any, FrameCheck], bool | None] | None = None) -> CaptureResult:
        """Capture a face photo (or an exception proof photo, sub type ``ExceptionPhoto``).

        ``birth_year`` selects the background rule (red odd, blue even); ``background`` gives it
        directly; with neither, the background is not checked. ``on_frame(frame, check)`` is called
        for every frame (the preview); returning ``False`` cancels the capture (``CaptureFailed``).
        """
        if request.modality != Modality.FACE:
            raise ValueError(f"a camera captures faces, not {request.modality}")
        if background is None and birth_year is not None:
            from sweet17.adapters.devices.facecheck import required_background

            background = required_background(birth_year)
        if background not in (None, "red", "blue"):
            raise ValueError(f"background must be red or blue, not {background!r}")
        photo_mode = EXCEPTION_PHOTO in request.sub_types
        if not self._lock.acquire(blocking=False):
            raise DeviceBusy("capture already running", device=self.source.label)
        try:
            return self._capture(request, background, photo_mode, on_frame)
        finally:
            self._lock.release()

    def _capture(self, request: CaptureRequest, background: str | None, photo_mode: bool,
                 on_frame: Callable[[Any, FrameCheck], bool | None] | None) -> CaptureResult:
        started = time.monotonic()
        deadline = started + max(0.1, request.timeout_ms / 1000.0)
        checker = self.checker
        grabber = self._grabber()
        seen = 0
        run: list[tuple[float, int, Any, FrameCheck]] = []     # the current run of passing frames
        best: tuple[float, int, Any, FrameCheck] | None = None  # best frame overall (for the error)
        accepted: tuple[float, int, Any, FrameCheck] | None = None
        try:
            while accepted is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self.source.is_live and remaining > FRAME_GAP_S:
                    try:
                        frame = grabber.get(FRAME_GAP_S)
                    except DeviceTimeout:       # a live camera that sends nothing is gone
                        raise CameraDisconnected(f"no frame for {FRAME_GAP_S:.0f} s",
                                                 device=self.source.label) from None
                else:
                    frame = grabber.get(remaining)
                if frame is None:
                    if self.source.is_live or grabber.error:
                        raise CameraDisconnected(grabber.error or "stream ended", device=self.source.label)
                    break
                seen += 1
                result = checker.check_photo(frame) if photo_mode else checker.check(frame, background)
                if on_frame is not None and on_frame(frame, result) is False:
                    raise CaptureFailed("cancelled by the operator", device=self.source.label)
                entry = (result.quality, seen - 1, frame, result)
                if best is None or result.quality > best[0]:
                    best = entry
                if result.ok and result.quality >= request.requested_score:
                    run.append(entry)
                    if len(run) >= self.stable_frames:
                        accepted = max(run, key=lambda e: e[0])
                else:
                    run = []
        except DeviceTimeout:
            if seen == 0:
                raise DeviceTimeout(f"no frame from {self.source.label} in {request.timeout_ms} ms",
                                    device=self.source.label) from None
        finally:
            grabber.close()
        if accepted is None:
            if seen == 0:
                raise DeviceNotReady(f"{self.source.label} gave no frame", device=self.source.label)
            assert best is not None
            # the best frame travels with the error: a supervisor may still force-capture it
            best_result = CaptureResult(records=(self._record(best, request, background, photo_mode, seen,
                                                              started),))
            raise FaceQualityNotReached(best[3], seen, request.requested_score, result=best_result,
                                        device=self.source.label)
        record = self._record(accepted, request, background, photo_mode, seen, started)
        return CaptureResult(records=(record,))

    def _record(self, entry: tuple[float, int, Any, FrameCheck], request: CaptureRequest, background: str | None,
                photo_mode: bool, seen: int, started: float) -> BiometricRecord:
        quality, index, frame, result = entry
        data, mime = self.encode(frame)
        extra = {
            "checks": result.to_dict(), "background": result.background or None,
            "background_required": background, "ok": result.ok, "frame_index": index, "frames_seen": seen,
            "seconds": round(time.monotonic() - started, 3),
            "width": int(frame.shape[1]), "height": int(frame.shape[0]),
        }
        return BiometricRecord(
            modality=Modality.FACE, sub_type=EXCEPTION_PHOTO if photo_mode else "", data=data, data_format=mime,
            quality=quality, device=self.describe(), timestamp=datetime.now(UTC).isoformat(timespec="milliseconds"),
            transaction_id=request.transaction_id, extra=extra)

    def encode(self, frame) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
        import cv2

        if self.format == "png":
            ok, buf = cv2.imencode(".png", frame)
            mime = "image/png"
        else:
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            mime = "image/jpeg"
        if not ok:
            raise CaptureFailed("cannot encode the frame", device=self.source.label)
        return buf.tobytes(), mime

    def frames(self, *, background: str | None = None, max_frames: int | None = None,
               timeout_s: float = 10.0) -> Iterator[tuple[Any, FrameCheck]]:
        """Frames with their checks until the source ends, ``max_frames``, or no frame for ``timeout_s``."""
        if not self._lock.acquire(blocking=False):
            raise DeviceBusy("capture already running", device=self.source.label)
        grabber = self._grabber()
        try:
            n = 0
            while max_frames is None or n < max_frames:
                frame = grabber.get(timeout_s)
                if frame is None:
                    if self.source.is_live or grabber.error:
                        raise CameraDisconnected(grabber.error or "stream ended", device=self.source.label)
                    return
                n += 1
                yield frame, self.checker.check(frame, background)
        finally:
            grabber.close()
            self._lock.release()

    def preview(self, *, background: str | None = None, max_frames: int | None = None) -> Iterator[bytes]:
        """JPEG frames with the checks drawn on them (for a UI that shows a live picture)."""
        import cv2

        from sweet17.adapters.devices.facecheck import draw_checks

        for frame, result in self.frames(background=background, max_frames=max_frames):
            ok, buf = cv2.imencode(".jpg", draw_checks(frame, result, background), [cv2.IMWRITE_JPEG_QUALITY, 80])
            if ok:
                yield buf.tobytes()


class FaceQualityNotReached(QualityNotReached):
    """No frame passed the checks; ``check`` is the best frame's, ``failed`` its failed checks."""

    message_id = N_("No picture met the KTP-el photo rules in time.")

    def __init__(self, check: FrameCheck, frames: int, requested: int, *, result: CaptureResult | None = None,
                 device: str = "") -> None:
        self.check = check
        self.frames = frames
        self.failed = check.failed
        detail = (f"no frame passed every check and reached quality {requested} in {frames} frames; "
                  f"best: quality {check.quality:.0f}, failed: {', '.join(self.failed) or '-'}")
        super().__init__(detail, result=result, low=("",), device=device)

    @property
    def operator_message(self) -> str:
        base = super().operator_message
        if not self.failed:
            return base
        labels = ", ".join(_(CHECK_LABELS[n]) for n in self.failed)
        hint = " ".join(self.check.advice())
        return _("{message} Failed checks: {checks}. {advice}").format(message=base, checks=labels, advice=hint)


# ---------------------------------------------------------------------- the driver

def list_camera_indexes() -> list[tuple[int, str]]:
    """V4L2 capture nodes (``/dev/videoN`` whose sysfs ``index`` is 0) with their names."""
    root = Path("/sys/class/video4linux")
    out: list[tuple[int, str]] = []
    if not root.is_dir():
        return out
    for node in sorted(root.iterdir(), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
        m = re.fullmatch(r"video(\d+)", node.name)
        if not m:
            continue
        try:
            if (node / "index").read_text().strip() not in ("", "0"):
                continue    # metadata node of the same camera
            name = (node / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = ""
        out.append((int(m.group(1)), name))
    return out


class CameraDriver:
    """Driver ``opencv``: the camera a profile names, or every V4L2 camera found."""

    name = "opencv"

    def discover(self, profile: dict[str, Any] | None = None) -> list[Device]:
        profile = dict(profile or {})
        source = setting(profile, "source", None)
        if source is None:
            source = setting(profile, "camera", None)
        if source is not None:
            return [CameraDevice(source, profile)]
        return [CameraDevice(index, {**profile, "name": name}) for index, name in list_camera_indexes()]


# ---------------------------------------------------------------------- preview window

class _CvWindow:
    def __init__(self, title: str) -> None:
        import cv2

        self.title = title
        cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE)

    def show(self, frame) -> bool:  # type: ignore[no-untyped-def]
        import cv2

        cv2.imshow(self.title, frame)
        key = cv2.waitKey(1) & 0xFF
        try:
            visible = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:
            visible = False
        return key not in (27, ord("q")) and visible

    def close(self) -> None:
        import cv2

        cv2.destroyWindow(self.title)
        cv2.waitKey(1)


class _TkWindow:
    """The window through Tk when OpenCV has no GUI (the headless wheel)."""

    def __init__(self, title: str) -> None:
        import tkinter

        self.root = tkinter.Tk()
        self.root.title(title)
        self.label = tkinter.Label(self.root)
        self.label.pack()
        self.closed = False
        self.root.protocol("WM_DELETE_WINDOW", self._close)
        self.root.bind("<Escape>", lambda _e: self._close())
        self.root.bind("q", lambda _e: self._close())

    def _close(self) -> None:
        self.closed = True

    def show(self, frame) -> bool:  # type: ignore[no-untyped-def]
        import cv2
        from PIL import Image, ImageTk

        if self.closed:
            return False
        image = ImageTk.PhotoImage(Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
        self.label.configure(image=image)
        self.label.image = image      # keep a reference or Tk shows nothing
        self.root.update()
        return not self.closed

    def close(self) -> None:
        try:
            self.root.destroy()
        except Exception:  # already gone
            pass


def open_preview_window(title: str = "sweet17"):  # type: ignore[no-untyped-def]
    """A window with ``show(frame) -> bool`` (False once the operator closes it) and ``close()``.

    OpenCV's own window when the OpenCV build has a GUI; otherwise a Tk window; otherwise
    ``PreviewUnavailable`` (a ``UserError``)."""
    import cv2

    reasons = []
    try:
        return _CvWindow(title)
    except cv2.error:
        reasons.append("OpenCV has no GUI")
    try:
        return _TkWindow(title)
    except Exception as e:  # tkinter missing or no display
        reasons.append(f"Tk: {e}")
    log.debug("no preview window: %s", "; ".join(reasons))
    raise PreviewUnavailable(_("Cannot open the preview window (no screen or no window toolkit). "
                               "Run without --preview."))


def preview_callback(window, background: str | None) -> Callable[[Any, FrameCheck], bool]:  # type: ignore[no-untyped-def]
    """An ``on_frame`` for ``CameraDevice.capture`` that draws the checks in ``window``."""
    from sweet17.adapters.devices.facecheck import draw_checks

    def on_frame(frame, result: FrameCheck) -> bool:  # type: ignore[no-untyped-def]
        return bool(window.show(draw_checks(frame, result, background)))

    return on_frame


def device_error_line(err: DeviceError) -> str:
    """One line for the operator: the translated message and the technical detail."""
    return f"{err.operator_message} [{err.detail}]" if err.detail else err.operator_message

"""Live checks of a face-camera frame against the KTP-el photo rules (OpenCV, one frame at a time).

For each frame: exactly one face (the Haar frontal-face cascade shipped with the OpenCV 4.x
wheel, run on a frame downscaled to ``detect_width`` after local contrast equalisation), the
face's size and position, sharpness
(variance of the Laplacian on the face, resampled to a fixed width so that the figure does not
depend on the face size or sensor noise), exposure (mean grey level of the face and the share of
clipped pixels) and the background colour of the KTP-el rule: **red for odd birth years, blue for
even ones**, sampled outside the head (left and right of it and above it).

``FaceChecker.check(frame, background)`` returns a ``FrameCheck`` with every check's value,
limits and verdict, and a quality score (0-100):

* a frame where some check fails scores ``50 * passed / total`` (below 50);
* a frame where every check passes scores ``60 + 40 * margin``, where ``margin`` (0-1) grows with
  sharpness above the minimum, exposure near the middle of its range and a well-centred face.

So a requested score of 60 or less means "every check passes"; a higher one asks for a sharper,
better-centred photo. Everything here is pure computation on numpy arrays (no camera I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sweet17.errors import ValidationError
from sweet17.i18n import N_, _

# Check names, in the order they are shown.
CHECKS = ("one_face", "face_size", "face_position", "sharpness", "exposure", "background")
PHOTO_CHECKS = ("sharpness", "exposure")      # exception proof photos: no face rules

CHECK_LABELS = {
    "one_face": N_("one face"),
    "face_size": N_("face size"),
    "face_position": N_("face position"),
    "sharpness": N_("sharpness"),
    "exposure": N_("exposure"),
    "background": N_("background colour"),
}

# What the operator should do when a check fails.
CHECK_ADVICE = {
    "one_face": N_("Make sure exactly one person faces the camera."),
    "face_size": N_("Move the person closer to or further from the camera."),
    "face_position": N_("Centre the face in the frame."),
    "sharpness": N_("Hold still and check the focus."),
    "exposure": N_("Fix the lighting: the face is too dark or too bright."),
    "background": N_("Use the right background: red for odd birth years, blue for even."),
}

BACKGROUND_LABELS = {"red": N_("red"), "blue": N_("blue"), "other": N_("other")}


def required_background(birth_year: int) -> str:
    """The KTP-el background rule: ``"red"`` for odd birth years, ``"blue"`` for even ones."""
    return "red" if birth_year % 2 else "blue"


@dataclass(frozen=True)
class FaceCheckConfig:
    """Thresholds of the checks. Device profiles override them in their ``[thresholds]`` table."""

    detect_width: int = 320             # the frame is downscaled to this width for detection
    scale_factor: float = 1.15          # Haar cascade pyramid step
    min_neighbors: int = 5              # Haar cascade: overlapping hits needed for a face
    min_face_ratio: float = 0.18        # face box width / frame width
    max_face_ratio: float = 0.60
    max_offset_x: float = 0.12          # |face centre x - frame centre x| / frame width
    min_center_y: float = 0.28          # face centre y / frame height
    max_center_y: float = 0.60
    min_sharpness: float = 60.0         # Laplacian variance of the face resampled to 128 px wide
    min_brightness: float = 70.0        # mean grey level of the face (0-255)
    max_brightness: float = 210.0
    max_clipped: float = 0.05           # share of face pixels at <= 5 or >= 250
    min_background: float = 0.60        # share of sampled background pixels of the required colour
    min_saturation: int = 90            # HSV saturation for a pixel to count as red/blue
    min_value: int = 50                 # HSV value (brightness) for a pixel to count as red/blue

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, where: str = "thresholds") -> FaceCheckConfig:
        """Build from a profile's ``[thresholds]`` table; unknown keys and bad values are refused."""
        cfg = cls()
        if not values:
            return cfg
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                continue            # thresholds of other drivers may share the table
            default = getattr(cfg, key)
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            if isinstance(default, int) and not isinstance(default, bool):
                ok = ok and float(value).is_integer()
            if not ok:
                raise ValidationError(
                    _("{field}: '{value}' is not a valid number").format(field=f"{where}.{key}", value=value),
                    field=f"{where}.{key}")
            changes[key] = type(default)(value)
        cfg = replace(cfg, **changes)
        pairs = (("min_face_ratio", "max_face_ratio"), ("min_center_y", "max_center_y"),
                 ("min_brightness", "max_brightness"))
        for lo, hi in pairs:
            if getattr(cfg, lo) >= getattr(cfg, hi):
                raise ValidationError(
                    _("{field}: must be smaller than {other}").format(field=f"{where}.{lo}", other=hi),
                    field=f"{where}.{lo}")
        if cfg.detect_width < 80 or cfg.scale_factor <= 1.0:
            raise ValidationError(
                _("{field}: must be at least 80 (detect_width) or above 1 (scale_factor)").format(
                    field=f"{where}.detect_width/scale_factor"), field=f"{where}.detect_width")
        return cfg


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    value: float | str | None
    limits: str = ""                    # human-readable limits, e.g. "0.18-0.60"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "value": self.value, "limits": self.limits}


@dataclass(frozen=True)
class FrameCheck:
    """Every check on one frame. ``face_box`` is ``(x, y, w, h)`` in full-frame pixels."""

    faces: int
    face_box: tuple[int, int, int, int] | None
    checks: dict[str, CheckResult]
    quality: float
    background: str = ""                # colour seen: red / blue / other / "" (not sampled)
    frame_size: tuple[int, int] = (0, 0)
    all_boxes: tuple[tuple[int, int, int, int], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, c in self.checks.items() if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "quality": self.quality, "faces": self.faces,
            "face_box": list(self.face_box) if self.face_box else None,
            "background": self.background, "frame_size": list(self.frame_size),
            "checks": {name: c.to_dict() for name, c in self.checks.items()},
            "failed": self.failed,
        }

    def advice(self) -> list[str]:
        """Translated advice for each failed check."""
        return [_(CHECK_ADVICE[name]) for name in self.failed]


def _band(value: float, lo: float, hi: float) -> float:
    """1 inside [lo, hi], falling to 0 one band-width outside it."""
    if lo <= value <= hi:
        return 1.0
    width = max(hi - lo, 1e-9)
    dist = lo - value if value < lo else value - hi
    return max(0.0, 1.0 - dist / width)


class FaceChecker:
    """Runs the checks. One instance per camera (the cascade is loaded once)."""

    def __init__(self, config: FaceCheckConfig | None = None) -> None:
        import cv2

        self.config = config or FaceCheckConfig()
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        self._clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        if self._cascade.empty():
            raise RuntimeError(f"cannot load the Haar cascade {path} (use an OpenCV 4.x wheel that ships it)")

    # ------------------------------------------------------------------ detection
    def detect(self, grey, scale: float):  # type: ignore[no-untyped-def]
        """Faces on the downscaled grey image, as full-frame ``(x, y, w, h)`` boxes. Faces smaller
        than 80 % of the minimum size are not looked for (that keeps detection fast); larger ones
        are, so that "too close" is reported as such."""
        cfg = self.config
        h, w = grey.shape[:2]
        lo = max(24, int(cfg.min_face_ratio * w * 0.8))
        hi = max(lo + 1, min(w, h))
        # local contrast (CLAHE): holds up in dim or bright light and for dark skin framed by a
        # white hijab, where a global stretch leaves the face too flat for the cascade
        grey = self._clahe.apply(grey)
        boxes = self._cascade.detectMultiScale(grey, scaleFactor=cfg.scale_factor, minNeighbors=cfg.min_neighbors,
                                               minSize=(lo, lo), maxSize=(hi, hi))
        inv = 1.0 / scale
        return [tuple(int(round(v * inv)) for v in b) for b in boxes]

    # ------------------------------------------------------------------ the checks
    def check(self, frame, background: str | None = None) -> FrameCheck:  # type: ignore[no-untyped-def]
        """Check one BGR frame. ``background`` is ``"red"``, ``"blue"`` or ``None`` (not checked)."""
        import cv2

        cfg = self.config
        fh, fw = frame.shape[:2]
        scale = min(1.0, cfg.detect_width / fw)
        small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else frame
        grey_small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        boxes = self.detect(grey_small, scale)
        checks: dict[str, CheckResult] = {}
        checks["one_face"] = CheckResult("one_face", len(boxes) == 1, len(boxes), "1")
        box = max(boxes, key=lambda b: b[2] * b[3]) if boxes else None
        bg_seen = ""
        margin_parts: list[float] = []
        if box is None:
            for name in CHECKS[1:]:
                if name == "background" and background is None:
                    continue
                checks[name] = CheckResult(name, False, None)
        else:
            x, y, w, h = box
            ratio = w / fw
            checks["face_size"] = CheckResult("face_size", cfg.min_face_ratio <= ratio <= cfg.max_face_ratio,
                                              round(ratio, 3), f"{cfg.min_face_ratio:g}-{cfg.max_face_ratio:g}")
            off_x = abs((x + w / 2) / fw - 0.5)
            cy = (y + h / 2) / fh
            pos_ok = off_x <= cfg.max_offset_x and cfg.min_center_y <= cy <= cfg.max_center_y
            checks["face_position"] = CheckResult(
                "face_position", pos_ok, f"dx={off_x:.3f} y={cy:.3f}",
                f"dx<={cfg.max_offset_x:g} y={cfg.min_center_y:g}-{cfg.max_center_y:g}")
            margin_parts.append(1.0 - min(1.0, off_x / max(cfg.max_offset_x, 1e-9)))

            x0, y0 = max(0, x), max(0, y)
            face = frame[y0:y0 + h, x0:x0 + w]
            grey_face = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
            sharp = sharpness(grey_face)
            checks["sharpness"] = CheckResult("sharpness", sharp >= cfg.min_sharpness, round(sharp, 1),
                                              f">={cfg.min_sharpness:g}")
            margin_parts.append(min(1.0, max(0.0, (sharp - cfg.min_sharpness) / max(cfg.min_sharpness, 1e-9))))

            mean, clipped = exposure(grey_face)
            exp_ok = cfg.min_brightness <= mean <= cfg.max_brightness and clipped <= cfg.max_clipped
            checks["exposure"] = CheckResult(
                "exposure", exp_ok, f"mean={mean:.0f} clipped={clipped:.3f}",
                f"{cfg.min_brightness:g}-{cfg.max_brightness:g}, clipped<={cfg.max_clipped:g}")
            mid = (cfg.min_brightness + cfg.max_brightness) / 2
            margin_parts.append(1.0 - min(1.0, abs(mean - mid) / max(mid - cfg.min_brightness, 1e-9)))

            if background is not None:
                sbox = tuple(int(round(v * scale)) for v in box)
                bg_seen, share = background_colour(small, sbox, background, cfg)
                checks["background"] = CheckResult(
                    "background", share >= cfg.min_background and bg_seen == background,
                    f"{bg_seen} {share:.2f}", f"{background}>={cfg.min_background:g}")
        passed = sum(c.ok for c in checks.values())
        if passed == len(checks):
            margin = sum(margin_parts) / len(margin_parts) if margin_parts else 0.0
            quality = round(60 + 40 * margin, 1)
        else:
            quality = round(50 * passed / len(checks), 1)
        return FrameCheck(faces=len(boxes), face_box=box, checks=checks, quality=quality, background=bg_seen,
                          frame_size=(fw, fh), all_boxes=tuple(boxes))

    def check_photo(self, frame) -> FrameCheck:  # type: ignore[no-untyped-def]
        """Checks for a plain photo (exception proof): sharpness and exposure of the whole frame."""
        import cv2

        cfg = self.config
        fh, fw = frame.shape[:2]
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        sharp = sharpness(grey)
        mean, clipped = exposure(grey)
        checks = {
            "sharpness": CheckResult("sharpness", sharp >= cfg.min_sharpness, round(sharp, 1),
                                     f">={cfg.min_sharpness:g}"),
            "exposure": CheckResult("exposure", cfg.min_brightness <= mean <= cfg.max_brightness
                                    and clipped <= cfg.max_clipped, f"mean={mean:.0f} clipped={clipped:.3f}",
                                    f"{cfg.min_brightness:g}-{cfg.max_brightness:g}"),
        }
        passed = sum(c.ok for c in checks.values())
        if passed == len(checks):
            quality = round(60 + 40 * min(1.0, (sharp - cfg.min_sharpness) / max(cfg.min_sharpness, 1e-9)), 1)
        else:
            quality = round(50 * passed / len(checks), 1)
        return FrameCheck(faces=0, face_box=None, checks=checks, quality=quality, frame_size=(fw, fh))


# ---------------------------------------------------------------------- measures

SHARPNESS_WIDTH = 128


def sharpness(grey) -> float:  # type: ignore[no-untyped-def]
    """Variance of the Laplacian of ``grey`` resampled to 128 px wide (area averaging)."""
    import cv2

    h, w = grey.shape[:2]
    if w < 8 or h < 8:
        return 0.0
    if w != SHARPNESS_WIDTH:
        grey = cv2.resize(grey, (SHARPNESS_WIDTH, max(8, round(h * SHARPNESS_WIDTH / w))),
                          interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def exposure(grey) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Mean grey level and the share of clipped pixels (<= 5 or >= 250)."""
    import numpy as np

    if grey.size == 0:
        return 0.0, 1.0
    clipped = float(np.count_nonzero((grey <= 5) | (grey >= 250))) / grey.size
    return float(grey.mean()), clipped


def background_mask(small, box: tuple[int, int, int, int]):  # type: ignore[no-untyped-def]
    """Where the background is sampled: left and right of the head down to the chin, and above it."""
    import numpy as np

    h, w = small.shape[:2]
    x, y, bw, bh = box
    mask = np.zeros((h, w), dtype=bool)
    head_l = max(0, int(x - 0.40 * bw))
    head_r = min(w, int(x + bw + 0.40 * bw))
    chin = min(h, int(y + 1.1 * bh))
    top = max(0, int(y - 0.50 * bh))
    mask[:chin, :head_l] = True
    mask[:chin, head_r:] = True
    mask[:top, :] = True
    return mask


def classify_pixels(small, cfg: FaceCheckConfig):  # type: ignore[no-untyped-def]
    """Boolean masks of the red and the blue pixels (HSV: hue, and enough saturation and value)."""
    import cv2

    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    vivid = (sat >= cfg.min_saturation) & (val >= cfg.min_value)
    red = vivid & ((hue <= 10) | (hue >= 170))
    blue = vivid & (hue >= 95) & (hue <= 130)
    return red, blue


def background_colour(small, box: tuple[int, int, int, int], wanted: str,
                      cfg: FaceCheckConfig) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    """The background colour seen outside the head and the share of sampled pixels of ``wanted``."""
    import numpy as np

    mask = background_mask(small, box)
    n = int(mask.sum())
    if n < 0.02 * mask.size:        # the head fills the frame: no background to judge
        return "other", 0.0
    red, blue = classify_pixels(small, cfg)
    red_share = float(np.count_nonzero(red & mask)) / n
    blue_share = float(np.count_nonzero(blue & mask)) / n
    seen = "other"
    if max(red_share, blue_share) >= 0.5:
        seen = "red" if red_share >= blue_share else "blue"
    return seen, red_share if wanted == "red" else blue_share


# ---------------------------------------------------------------------- drawing (preview)

def draw_checks(frame, result: FrameCheck, background: str | None = None):  # type: ignore[no-untyped-def]
    """A copy of ``frame`` with the face boxes and the check verdicts drawn on it (for the preview)."""
    import cv2

    out = frame.copy()
    green, red, white = (60, 200, 60), (40, 40, 230), (255, 255, 255)
    for b in result.all_boxes:
        colour = green if result.ok else red
        x, y, w, h = b
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, 2)
    fh, fw = out.shape[:2]
    # the target zone for the face centre
    cx0, cx1 = int(fw * (0.5 - 0.12)), int(fw * (0.5 + 0.12))
    cv2.rectangle(out, (cx0, int(fh * 0.28)), (cx1, int(fh * 0.60)), (200, 200, 200), 1)
    quality_label = _("quality")
    lines = [(f"{quality_label}: {result.quality:.0f}", green if result.ok else red)]
    for name, c in result.checks.items():
        mark = "OK" if c.ok else "X"
        value = "" if c.value is None else f" {c.value}"
        label = _(CHECK_LABELS[name])
        lines.append((f"{mark} {label}{value}", green if c.ok else red))
    if background:
        bg_label, colour_label = _("required background"), _(BACKGROUND_LABELS.get(background, background))
        lines.append((f"{bg_label}: {colour_label}", white))
    y = 18
    for text, colour in lines:
        # OpenCV's Hershey fonts are ASCII only; Indonesian labels are ASCII.
        cv2.putText(out, text, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, text, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
        y += 17
    return out

"""Synthetic face videos: a fake camera for tests and rehearsals (only synthetic people).

OpenCV ships no sample face image, so the face is drawn: a shaded skin ellipse with hair or a
hijab, eye sockets darker than the cheeks, eyebrows, a nose shadow and a mouth, on a shirt and
shoulders, over a KTP-el background, then softened (Gaussian blur) and given sensor noise. The
Haar frontal-face cascade keys on exactly those contrasts (eye band darker than cheeks and nose
bridge), and it finds these drawn faces at every size and position the checks accept; the tests
in ``tests/test_camera_*.py`` hold that for many generated people.

A ``Scene`` says what the camera sees in one frame (background, face positions and sizes as
fractions of the frame, blur, exposure gain, noise); a scenario is a list of scenes over time
(``SCENARIOS``). ``write_video`` writes frames as an MJPG ``.avi`` (``cv2.VideoWriter``) and
``write_images`` as a ``frame_%04d.png`` sequence; both open with ``cv2.VideoCapture``.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

# BGR colours
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "red": (38, 32, 196),       # KTP-el red (odd birth years)
    "blue": (196, 112, 28),     # KTP-el blue (even birth years)
    "grey": (150, 150, 150),
    "white": (232, 232, 232),
}
SKIN_TONES = [(140, 170, 215), (120, 155, 205), (105, 140, 190), (95, 125, 175), (130, 165, 220), (85, 115, 160)]
HAIR = [(20, 20, 25), (25, 30, 40), (15, 15, 15), (30, 40, 55)]
HIJAB = [(235, 235, 235), (30, 30, 30), (120, 60, 40), (90, 90, 140), (60, 110, 60)]
SHIRTS = [(235, 235, 235), (220, 225, 230), (60, 60, 60), (110, 80, 50)]


@dataclass(frozen=True)
class Person:
    """The look of one synthetic person (drawn, not anyone real)."""

    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    hijab: tuple[int, int, int] | None
    shirt: tuple[int, int, int]
    eye_gap: float          # eye distance as a share of the face width
    face_aspect: float      # face height / width

    @classmethod
    def from_seed(cls, seed: int) -> Person:
        r = random.Random(seed)
        return cls(skin=r.choice(SKIN_TONES), hair=r.choice(HAIR),
                   hijab=r.choice(HIJAB) if r.random() < 0.4 else None, shirt=r.choice(SHIRTS),
                   eye_gap=r.uniform(0.36, 0.44), face_aspect=r.uniform(1.22, 1.36))


@dataclass(frozen=True)
class Scene:
    """One frame's content. Face ``(cx, cy, w)``: centre as fractions of the frame width and height,
    face width as a fraction of the frame width."""

    background: str | tuple[int, int, int] = "red"
    faces: tuple[tuple[float, float, float], ...] = ((0.5, 0.45, 0.27),)
    blur: float = 0.0           # extra Gaussian blur sigma in pixels (defocus, motion)
    gain: float = 1.0           # exposure: 0.3 is dark, 2.0 is blown out
    noise: float = 2.0          # sensor noise sigma (grey levels)


def _shade(colour: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * f))) for c in colour)  # type: ignore[return-value]


def draw_person(img, person: Person, cx: int, cy: int, fw: int) -> None:  # type: ignore[no-untyped-def]
    """Draw ``person`` with the face centred on (cx, cy) and ``fw`` pixels wide, in place."""
    import cv2

    fh = int(fw * person.face_aspect)
    skin = person.skin
    # shoulders and shirt, neck
    cv2.ellipse(img, (cx, cy + int(fh * 1.05)), (int(fw * 1.15), int(fh * 0.55)), 0, 180, 360, person.shirt, -1)
    cv2.rectangle(img, (cx - fw // 5, cy + fh // 3), (cx + fw // 5, cy + int(fh * 0.8)), _shade(skin, 0.85), -1)
    if person.hijab is not None:
        # a hijab frames the face and covers hair, ears and neck
        cv2.ellipse(img, (cx, cy + fh // 8), (int(fw * 0.66), int(fh * 0.66)), 0, 0, 360, person.hijab, -1)
        cv2.ellipse(img, (cx, cy + int(fh * 0.75)), (int(fw * 0.75), int(fh * 0.35)), 0, 180, 360,
                    person.hijab, -1)
    else:
        cv2.ellipse(img, (cx, cy - fh // 10), (int(fw * 0.58), int(fh * 0.58)), 0, 0, 360, person.hair, -1)
    # the face, lit from the front: a lighter centre
    cv2.ellipse(img, (cx, cy + fh // 20), (fw // 2, fh // 2), 0, 0, 360, _shade(skin, 0.92), -1)
    cv2.ellipse(img, (cx, cy + fh // 12), (int(fw * 0.36), int(fh * 0.38)), 0, 0, 360, skin, -1)
    if person.hijab is not None:     # the cloth's edge over the forehead
        cv2.ellipse(img, (cx, cy - int(fh * 0.42)), (int(fw * 0.5), int(fh * 0.14)), 0, 0, 360, person.hijab, -1)
    ex = int(fw * person.eye_gap / 2)
    ey = cy - fh // 10
    for sx in (-1, 1):
        ecx = cx + sx * ex
        cv2.ellipse(img, (ecx, ey), (fw // 7, fh // 14), 0, 0, 360, _shade(skin, 0.62), -1)     # eye socket
        cv2.ellipse(img, (ecx, ey), (fw // 12, fh // 26), 0, 0, 360, (238, 238, 238), -1)      # eye white
        cv2.circle(img, (ecx, ey), max(2, fw // 28), (30, 20, 20), -1)                         # iris
        cv2.ellipse(img, (ecx, ey - fh // 9), (fw // 8, fh // 30), 0, 0, 360, (30, 30, 40), -1)  # eyebrow
    cv2.ellipse(img, (cx, cy + fh // 8), (fw // 14, fh // 20), 0, 0, 360, _shade(skin, 0.78), -1)   # nose
    cv2.ellipse(img, (cx, cy + fh // 4), (fw // 6, fh // 28), 0, 0, 360, (70, 70, 150), -1)        # mouth


def render(scene: Scene, person: Person, size: tuple[int, int] = (640, 480),
           rng: Any = None) -> Any:
    """One BGR frame (numpy array, ``size`` = (width, height)) showing ``scene``."""
    import cv2
    import numpy as np

    w, h = size
    bg = BACKGROUNDS[scene.background] if isinstance(scene.background, str) else scene.background
    img = np.empty((h, w, 3), np.uint8)
    img[:] = bg
    # a soft light fall-off towards the top corners, as on a real backdrop
    ramp = np.linspace(0.9, 1.0, h, dtype=np.float32)[:, None, None]
    img = (img.astype(np.float32) * ramp).astype(np.uint8)
    for fx, fy, fwr in scene.faces:
        draw_person(img, person, int(fx * w), int(fy * h), max(8, int(fwr * w)))
    img = cv2.GaussianBlur(img, (0, 0), 1.2 + scene.blur)
    out = img.astype(np.float32) * scene.gain
    if scene.noise > 0:
        rng = rng if rng is not None else np.random.default_rng(0)
        out += rng.normal(0.0, scene.noise, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------- scenarios

GOOD = (0.5, 0.45, 0.27)


def _scenes(name: str, n: int, background: str) -> list[Scene]:
    good = Scene(background=background)
    other = "blue" if background == "red" else "red"
    fixed = {
        "good": good,
        "no-face": Scene(background=background, faces=()),
        "two-faces": Scene(background=background, faces=((0.27, 0.45, 0.22), (0.73, 0.45, 0.22))),
        "blurry": replace(good, blur=6.0),
        "dark": replace(good, gain=0.42),
        "bright": replace(good, gain=2.4),
        "far": Scene(background=background, faces=((0.5, 0.45, 0.11),)),
        "close": Scene(background=background, faces=((0.5, 0.5, 0.48),)),
        "off-centre": Scene(background=background, faces=((0.22, 0.45, 0.25),)),
        "wrong-background": Scene(background=other),
        "grey-background": Scene(background="grey"),
    }
    if name in fixed:
        return [fixed[name]] * n
    if name == "walk-in":
        # nobody, then someone coming in from the side, a shaky moment, then a steady pose
        parts = [(0.15, Scene(background=background, faces=())),
                 (0.15, Scene(background=background, faces=((0.2, 0.5, 0.18),))),
                 (0.15, replace(good, blur=6.0)),
                 (0.55, good)]
        out: list[Scene] = []
        for share, scene in parts:
            out += [scene] * max(1, round(share * n))
        return (out + [good] * n)[:n]
    raise KeyError(name)


SCENARIOS = ("good", "walk-in", "no-face", "two-faces", "blurry", "dark", "bright", "far", "close",
             "off-centre", "wrong-background", "grey-background")


def frames(scenario: str = "walk-in", n: int = 60, *, background: str = "red", size: tuple[int, int] = (640, 480),
           seed: int = 17, sway: bool = True) -> Iterator[Any]:
    """The frames of a scenario: ``n`` frames, one synthetic person chosen by ``seed``."""
    import numpy as np

    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    if background not in BACKGROUNDS:
        raise KeyError(f"unknown background {background!r}; known: {', '.join(BACKGROUNDS)}")
    person = Person.from_seed(seed)
    rng = np.random.default_rng(seed)
    for i, scene in enumerate(_scenes(scenario, n, background)):
        if sway and scene.faces:        # a person breathes and sways a little
            dx = 0.006 * math.sin(i / 5.0)
            dy = 0.004 * math.sin(i / 7.0)
            scene = replace(scene, faces=tuple((x + dx, y + dy, s) for x, y, s in scene.faces))
        yield render(scene, person, size, rng)


def write_video(path: Path | str, frame_iter: Iterable[Any], fps: float = 30.0) -> Path:
    """Write BGR frames as an MJPG ``.avi`` (atomically: a temporary file renamed at the end)."""
    import cv2

    path = Path(path)
    if path.suffix.lower() != ".avi":
        raise ValueError(f"{path}: the video must be an .avi file (MJPG)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.avi")
    writer = None
    count = 0
    try:
        for frame in frame_iter:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
                if not writer.isOpened():
                    raise OSError(f"{path}: OpenCV cannot write an MJPG video here")
            writer.write(frame)
            count += 1
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        tmp.unlink(missing_ok=True)
        raise ValueError("no frames to write")
    os.replace(tmp, path)
    return path


def write_images(folder: Path | str, frame_iter: Iterable[Any], ext: str = "png") -> str:
    """Write frames as ``folder/frame_0000.png`` ...; returns the ``%04d`` pattern for VideoCapture."""
    import cv2

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frame_iter):
        if not cv2.imwrite(str(folder / f"frame_{i:04d}.{ext}"), frame):
            raise OSError(f"{folder}: cannot write frame {i}")
    return str(folder / f"frame_%04d.{ext}")

"""Synthetic biometric images for the simulator: no real person is ever drawn.

* Fingers: 500 ppi grey images of ridges whose phase follows a whorl/loop-like field; spiral
  phase singularities (whole turns, so no seams) make ridge endings and bifurcations the way
  real minutiae do. ``subject`` and the finger position fix the pattern (the same "person" gives
  the same fingers every capture); ``noise_seed`` varies the sensor noise per capture.
  ``quality`` (0-1) lowers contrast, adds noise, dry patches and blur; NFIQ 2 follows it
  (measured: 49-65 at 0.8-1.0, 23-51 at 0.6, 16-44 at 0.4, not computable at 0.2).
* Irises: 640x480 grey eye with pupil, a radially textured iris with crypts, sclera and lids.
* Faces: 480x640 colour cartoon portrait on a plain background.
"""

from __future__ import annotations

import zlib

import numpy as np

FINGER_SIZE = (288, 384)          # width, height at 500 ppi: about 14.6 x 19.5 mm
IRIS_SIZE = (640, 480)
FACE_SIZE = (480, 640)


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(map(str, parts)).encode()))


def finger(subject: int, position: str, quality: float = 0.85, noise_seed: int = 0,
           size: tuple[int, int] = FINGER_SIZE):
    """A grey Pillow image of one synthetic fingerprint."""
    from PIL import Image, ImageFilter

    w, h = size
    rng = _rng("finger", subject, position)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w * (0.5 + rng.uniform(-0.08, 0.08)), h * (0.42 + rng.uniform(-0.06, 0.06))
    dx, dy = x - cx, y - cy
    period = rng.uniform(8.5, 10.0)                       # ridge period in pixels (~0.45 mm)
    g = np.hypot(dx * rng.uniform(0.9, 1.1), dy * rng.uniform(1.1, 1.4)) + rng.uniform(0.2, 0.5) * np.maximum(dy, 0)
    g += 6 * np.sin(x / rng.uniform(40, 70) + rng.uniform(0, 6)) + 5 * np.cos(y / rng.uniform(35, 60) + rng.uniform(0, 6))
    phase = (2 * np.pi / period) * g
    for _ in range(int(rng.integers(18, 30))):            # minutiae: +-1 turn phase spirals
        mx, my = rng.uniform(0.15 * w, 0.85 * w), rng.uniform(0.1 * h, 0.9 * h)
        phase += (1.0 if rng.random() < 0.5 else -1.0) * np.arctan2(y - my, x - mx)
    ridges = np.cos(phase)
    r = np.hypot(dx / (w * 0.44), (y - h * 0.5) / (h * 0.47))
    mask = np.clip((1 - r) * 12, 0, 1)
    q = float(min(1.0, max(0.0, quality)))
    nrng = _rng("noise", subject, position, noise_seed)
    contrast = 0.2 + 0.8 * q
    img = 255 - mask * (127 + 60 * contrast * ridges)
    if q < 0.7:                                           # dry or smudged patches
        for _ in range(int((0.7 - q) * 20)):
            bx, by, rr = nrng.uniform(0, w), nrng.uniform(0, h), nrng.uniform(10, 40)
            patch = np.hypot(x - bx, y - by) < rr
            img[patch] = np.maximum(img[patch], 200)
    img = img + nrng.normal(0, 4 + (1 - q) * 45, img.shape)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L")
    if q < 0.5:
        im = im.filter(ImageFilter.GaussianBlur(radius=(0.5 - q) * 6))
    return im


def slap(subject: int, positions: tuple[str, ...], quality: float = 0.85, noise_seed: int = 0):
    """The fingers of a slap side by side (for the live preview), at half resolution."""
    from PIL import Image

    w, h = FINGER_SIZE[0] // 2, FINGER_SIZE[1] // 2
    canvas = Image.new("L", (max(1, len(positions)) * (w + 8) + 8, h + 16), 255)
    for i, pos in enumerate(positions):
        f = finger(subject, pos, quality, noise_seed).resize((w, h))
        canvas.paste(f, (8 + i * (w + 8), 8 + (i % 2) * 4))
    return canvas


def iris(subject: int, eye: str, quality: float = 0.85, noise_seed: int = 0, size: tuple[int, int] = IRIS_SIZE):
    """A grey Pillow image of a synthetic eye; returns (image, iris centre, iris diameter)."""
    from PIL import Image, ImageFilter

    w, h = size
    rng = _rng("iris", subject, eye)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w / 2 + rng.uniform(-10, 10), h / 2 + rng.uniform(-8, 8)
    r_iris = rng.uniform(105, 120)
    r_pupil = r_iris * rng.uniform(0.3, 0.45)
    dx, dy = x - cx, y - cy
    r = np.hypot(dx, dy)
    theta = np.arctan2(dy, dx)
    texture = np.zeros_like(r)
    for _ in range(40):
        k = int(rng.integers(8, 90))
        texture += rng.uniform(0.3, 1.0) * np.cos(k * theta + rng.uniform(0, 6.28) + rng.uniform(-3, 3) * r / r_iris)
    texture /= 40
    radial = np.sin((r - r_pupil) / (r_iris - r_pupil) * np.pi * rng.uniform(3, 6))
    iris_v = 95 + 45 * texture + 12 * radial
    for _ in range(12):                                  # crypts
        a, rad = rng.uniform(0, 6.28), rng.uniform(r_pupil * 1.2, r_iris * 0.9)
        px, py = cx + rad * np.cos(a), cy + rad * np.sin(a)
        iris_v -= 35 * np.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * rng.uniform(3, 7) ** 2))
    img = np.full((h, w), 205.0, dtype=np.float32)       # sclera
    skin = 150 + 8 * np.sin(x / 30)
    lid_top = cy - 0.9 * r_iris - 40 * (1 - (dx / (w / 2)) ** 2)
    lid_bot = cy + 0.95 * r_iris + 35 * (1 - (dx / (w / 2)) ** 2)
    img = np.where(r < r_iris, iris_v, img)
    img = np.where(r < r_pupil, 18.0, img)
    img = np.where((y < lid_top) | (y > lid_bot), skin, img)
    img = np.where(np.hypot(x - (cx + r_pupil * 0.4), y - (cy - r_pupil * 0.4)) < 6, 250.0, img)   # glint
    q = float(min(1.0, max(0.0, quality)))
    nrng = _rng("irisnoise", subject, eye, noise_seed)
    img = img + nrng.normal(0, 3 + (1 - q) * 25, img.shape)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L")
    if q < 0.7:
        im = im.filter(ImageFilter.GaussianBlur(radius=(0.7 - q) * 8))
    return im, (int(cx), int(cy)), int(2 * r_iris)


def face(subject: int, quality: float = 0.85, noise_seed: int = 0, background: tuple[int, int, int] = (30, 80, 200),
         size: tuple[int, int] = FACE_SIZE):
    """A colour Pillow image of a synthetic (cartoon) portrait on a plain background."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    rng = _rng("face", subject)
    img = Image.new("RGB", (w, h), background)
    d = ImageDraw.Draw(img)
    t = rng.uniform(0, 1)                                 # between a dark and a light skin tone
    skin = tuple(int(a + (b - a) * t) for a, b in zip((120, 80, 55), (235, 195, 165), strict=True))
    hair = tuple(int(v) for v in rng.uniform([10, 5, 0], [70, 50, 40]))
    cx, top = w // 2, int(h * 0.18)
    fw, fh = int(w * rng.uniform(0.40, 0.46)), int(h * rng.uniform(0.48, 0.54))
    d.rectangle([cx - int(w * 0.42), int(h * 0.78), cx + int(w * 0.42), h], fill=(40, 40, 45))      # shoulders
    d.rectangle([cx - fw // 5, top + fh - 10, cx + fw // 5, int(h * 0.86)], fill=skin)            # neck
    d.ellipse([cx - fw // 2 - 8, top - 22, cx + fw // 2 + 8, top + fh // 2], fill=hair)            # hair
    d.ellipse([cx - fw // 2, top, cx + fw // 2, top + fh], fill=skin)                              # face
    ey = top + int(fh * 0.42)
    for sx in (-1, 1):
        ex = cx + sx * int(fw * 0.22)
        d.ellipse([ex - 22, ey - 10, ex + 22, ey + 10], fill=(245, 245, 240))
        d.ellipse([ex - 8, ey - 8, ex + 8, ey + 8], fill=(60, 40, 25))
        d.line([ex - 26, ey - 26, ex + 24, ey - 30], fill=hair, width=6)                          # brows
    d.line([cx, ey + 10, cx - 8, ey + 58, cx + 6, ey + 60], fill=tuple(max(0, c - 40) for c in skin), width=3)
    my = top + int(fh * 0.78)
    d.arc([cx - 38, my - 18, cx + 38, my + 14], 20, 160, fill=(150, 60, 60), width=5)
    q = float(min(1.0, max(0.0, quality)))
    arr = np.asarray(img).astype(np.float32)
    arr += _rng("facenoise", subject, noise_seed).normal(0, 2 + (1 - q) * 20, arr.shape)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    if q < 0.7:
        out = out.filter(ImageFilter.GaussianBlur(radius=(0.7 - q) * 10))
    return out

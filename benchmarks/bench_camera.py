"""Face-camera checks: frames per second at 640x480 on one core, against a baseline in the same run.

Baseline: grey conversion + Laplacian variance of the whole 640x480 frame.
Measured: ``FaceChecker.check`` (downscaled Haar detection, size, position, sharpness, exposure,
background colour) on two frame sets — the synthetic walk-in video (plain KTP-el backdrop, with
nobody, someone at the side, a shaky moment, then a steady pose) and a cluttered scene (the same
people in front of a busy room, the worst case for the cascade) — and, for comparison, Haar
detection on the full-size frame. The target is 30 frames per second (a 30 fps camera).
"""

from __future__ import annotations

import time

TARGET_FPS = 30.0
N_FRAMES = 60
REPEAT = 3


def _cluttered(n: int, seed: int = 7) -> list:
    import cv2
    import numpy as np

    from sweet17.adapters.devices import facegen

    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        img = (rng.random((480, 640, 3)) * 255).astype(np.uint8)
        img = cv2.GaussianBlur(img, (0, 0), 3)
        for _ in range(25):        # furniture, posters, window frames
            x, y = int(rng.integers(0, 600)), int(rng.integers(0, 440))
            w, h = int(rng.integers(20, 200)), int(rng.integers(20, 200))
            colour = tuple(int(c) for c in rng.integers(0, 255, 3))
            cv2.rectangle(img, (x, y), (x + w, y + h), colour, int(rng.choice([-1, 2, 4])))
        facegen.draw_person(img, facegen.Person.from_seed(i), 320 + int(rng.integers(-20, 20)), 215, 170)
        frames.append(cv2.GaussianBlur(img, (0, 0), 1.2))
    return frames


def _fps(fn, frames) -> float:  # type: ignore[no-untyped-def]
    best = 0.0
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        for f in frames:
            fn(f)
        best = max(best, len(frames) / (time.perf_counter() - t0))
    return best


def main() -> int:
    import cv2

    from sweet17.adapters.devices import facegen
    from sweet17.adapters.devices.facecheck import FaceChecker

    cv2.setNumThreads(1)
    walkin = list(facegen.frames("walk-in", N_FRAMES, background="red", seed=17))
    clutter = _cluttered(N_FRAMES)
    checker = FaceChecker()
    cascade = checker._cascade

    def baseline(f):  # type: ignore[no-untyped-def]
        return cv2.Laplacian(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var()

    def full_res_haar(f):  # type: ignore[no-untyped-def]
        # the usual tutorial settings, without downscaling (for comparison)
        return cascade.detectMultiScale(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), 1.1, 5, minSize=(80, 80))

    rows = []
    base = _fps(baseline, walkin)
    rows.append(("baseline: grey + Laplacian variance", base))
    for label, frames in (("checks, walk-in video", walkin), ("checks, cluttered room", clutter)):
        rows.append((label, _fps(lambda f: checker.check(f, "red"), frames)))
    rows.append(("Haar alone, full frame (1.1/5/80px), cluttered", _fps(full_res_haar, clutter)))
    found = sum(checker.check(f, None).faces == 1 for f in clutter)
    print(f"640x480, one OpenCV thread, {N_FRAMES} frames per set, best of {REPEAT}")
    print(f"{'':48s} {'frames/s':>9s} {'x baseline':>11s}")
    for label, fps in rows:
        print(f"{label:48s} {fps:9.1f} {fps / base:11.3f}")
    worst = min(fps for label, fps in rows[1:3])
    print(f"face found in {found}/{N_FRAMES} cluttered frames")
    print(f"target {TARGET_FPS:.0f} frames/s: {'met' if worst >= TARGET_FPS else 'NOT met'} "
          f"(slowest check set {worst:.1f} frames/s = {worst / TARGET_FPS:.2f} x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Face photo checks (facecheck.py) on synthetic frames (facegen.py)."""

from __future__ import annotations

import os

import pytest

from sweet17.adapters.devices import facegen
from sweet17.adapters.devices.facecheck import (
    CHECKS,
    FaceCheckConfig,
    FaceChecker,
    draw_checks,
    required_background,
    sharpness,
)
from sweet17.errors import ValidationError


@pytest.fixture(scope="module")
def checker() -> FaceChecker:
    return FaceChecker()


def frame(scenario: str = "good", background: str = "red", seed: int = 17, size=(640, 480)):
    return next(facegen.frames(scenario, 1, background=background, seed=seed, size=size))


def test_background_rule():
    assert required_background(2007) == "red"
    assert required_background(2008) == "blue"
    assert required_background(2009) == "red"


@pytest.mark.parametrize("background", ["red", "blue"])
def test_drawn_faces_pass_every_check(checker, background):
    """The generator's people are found by the Haar cascade and pass, across many looks."""
    failures = []
    for seed in range(16):
        for i, f in enumerate(facegen.frames("good", 3, background=background, seed=seed)):
            res = checker.check(f, background)
            if not res.ok or res.faces != 1:
                failures.append((seed, i, res.failed))
            assert 60 <= res.quality <= 100
    assert not failures


@pytest.mark.soak
def test_drawn_faces_pass_every_check_large_sample(checker):
    if not os.environ.get("SWEET17_SOAK"):
        pytest.skip("soak run only")
    bad = [seed for seed in range(500) for bg in ("red", "blue")
           if not checker.check(frame("good", bg, seed), bg).ok]
    assert not bad


@pytest.mark.parametrize(("scenario", "expected"), [
    ("no-face", {"one_face"}),
    ("two-faces", {"one_face"}),
    ("blurry", {"sharpness"}),
    ("bright", {"exposure"}),
    ("off-centre", {"face_position"}),
    ("wrong-background", {"background"}),
    ("grey-background", {"background"}),
])
def test_each_fault_fails_its_check(checker, scenario, expected):
    for seed in (1, 2, 3):
        res = checker.check(frame(scenario, "red", seed), "red")
        assert not res.ok
        assert expected <= set(res.failed), (seed, res.failed)
        if scenario not in ("no-face", "two-faces"):
            assert res.faces == 1
        assert res.quality < 50


def test_dark_and_size_faults(checker):
    dark = checker.check(frame("dark", "blue", 4), "blue")
    assert "exposure" in dark.failed and dark.faces == 1
    far = checker.check(frame("far", "blue", 4), "blue")
    assert "face_size" in far.failed and far.faces == 1
    close = checker.check(frame("close", "blue", 4), "blue")
    assert "face_size" in close.failed and close.faces == 1


def test_no_face_scores_zero_and_two_faces_are_counted(checker):
    res = checker.check(frame("no-face"), "red")
    assert res.faces == 0 and res.quality == 0 and res.face_box is None
    assert set(res.failed) == set(CHECKS)
    two = checker.check(frame("two-faces"), "red")
    assert two.faces == 2 and len(two.all_boxes) == 2


def test_background_seen_and_not_checked_without_a_rule(checker):
    res = checker.check(frame("good", "blue"), None)
    assert "background" not in res.checks and res.ok
    red = checker.check(frame("good", "red"), "blue")
    assert red.background == "red" and red.failed == ["background"]
    d = red.to_dict()
    assert d["checks"]["background"]["ok"] is False and d["failed"] == ["background"]


def test_other_frame_sizes(checker):
    for size in ((1280, 720), (800, 600)):
        res = checker.check(frame("good", "red", 5, size), "red")
        assert res.ok, (size, res.failed)
    # a 320x240 camera gives a face about 110 px wide: too little detail for a KTP-el photo
    low = checker.check(frame("good", "red", 5, (320, 240)), "red")
    assert low.faces == 1 and low.failed == ["sharpness"]


def test_quality_orders_sharper_frames_higher(checker):
    sharp = checker.check(frame("good", "red", 6), "red")
    softer = checker.check(facegen.render(facegen.Scene(background="red", blur=1.2),
                                          facegen.Person.from_seed(6)), "red")
    assert sharp.ok and softer.quality < sharp.quality


def test_sharpness_measure_separates_blur():
    import cv2

    grey = cv2.cvtColor(frame("good"), cv2.COLOR_BGR2GRAY)
    assert sharpness(grey) > 3 * sharpness(cv2.GaussianBlur(grey, (0, 0), 4))
    assert sharpness(grey[:4, :4]) == 0.0


def test_photo_mode_checks_only_sharpness_and_exposure(checker):
    res = checker.check_photo(frame("no-face"))
    assert set(res.checks) == {"sharpness", "exposure"}
    assert not checker.check_photo(facegen.render(facegen.Scene(background="grey", faces=(), blur=8.0, noise=0),
                                                  facegen.Person.from_seed(1))).ok


def test_thresholds_from_profile():
    cfg = FaceCheckConfig.from_mapping({"min_sharpness": 500, "face": 40, "finger": 40, "min_face_ratio": 0.1})
    assert cfg.min_sharpness == 500.0 and cfg.min_face_ratio == 0.1
    strict = FaceChecker(cfg).check(frame("good"), "red")
    assert strict.failed == ["sharpness"]
    with pytest.raises(ValidationError) as err:
        FaceCheckConfig.from_mapping({"min_sharpness": "high"})
    assert "thresholds.min_sharpness" in str(err.value)
    with pytest.raises(ValidationError) as err:
        FaceCheckConfig.from_mapping({"min_face_ratio": 0.7})
    assert "min_face_ratio" in str(err.value)
    with pytest.raises(ValidationError):
        FaceCheckConfig.from_mapping({"min_neighbors": 2.5})


def test_overlay_draws_on_a_copy(checker):
    f = frame("two-faces")
    res = checker.check(f, "red")
    out = draw_checks(f, res, "red")
    assert out.shape == f.shape and (out != f).any()
    assert (f == frame("two-faces")).all()      # the input is untouched


def test_generator_is_deterministic_and_validates():
    a, b = frame("good", seed=9), frame("good", seed=9)
    assert (a == b).all()
    assert not (a == frame("good", seed=10)).all()
    with pytest.raises(KeyError):
        next(facegen.frames("dancing"))
    with pytest.raises(KeyError):
        next(facegen.frames("good", background="pink"))

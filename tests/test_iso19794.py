"""ISO/IEC 19794-4/-5/-6 records, NFIQ 2 and WSQ on synthetic images (no real person anywhere)."""

from __future__ import annotations

import io
import os
import struct
from datetime import UTC, datetime

import numpy as np
import pytest

from sweet17.adapters.biometrics import iso19794, nfiq
from sweet17.adapters.devices.sbi_sim import images


@pytest.fixture(scope="module")
def finger_img():
    return images.finger(7, "Left IndexFinger", 0.9, noise_seed=1)


def _psnr(a, b) -> float:
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return 10 * np.log10(255 ** 2 / max(np.mean(d ** 2), 1e-9))


@pytest.mark.parametrize("compression", ["raw", "wsq", "png", "jp2-lossless"])
def test_finger_record_round_trip(finger_img, compression):
    when = datetime(2026, 11, 22, 9, 30, 15, 250_000, tzinfo=UTC)
    rec = iso19794.build_finger(finger_img, position="Left IndexFinger", ppi=500, compression=compression,
                                quality=77, captured_at=when)
    assert rec[:8] == b"FIR\x00020\x00"
    assert struct.unpack(">I", rec[8:12])[0] == len(rec)           # record length field
    iso = iso19794.parse(rec)
    assert (iso.kind, iso.format, iso.sub_type, iso.position) == ("finger", "ISO19794-4:2011", "Left IndexFinger", 7)
    assert (iso.width, iso.height, iso.ppi, iso.bit_depth) == (288, 384, 500, 8)
    assert iso.compression == compression and iso.quality_score == 77
    assert iso.captured_at == when
    img = iso.to_image()
    assert img.size == finger_img.size
    if compression == "wsq":
        assert _psnr(img, finger_img) > 25
    else:
        assert np.array_equal(np.asarray(img.convert("L")), np.asarray(finger_img))


def test_iris_and_face_records_round_trip():
    eye, centre, diameter = images.iris(3, "Right", 0.9)
    rec = iso19794.build_iris(eye, eye="Right", compression="png", quality=66, iris_diameter=diameter,
                              iris_centre=centre)
    iso = iso19794.parse(rec)
    assert (iso.kind, iso.sub_type, iso.position, iso.width, iso.height) == ("iris", "Right", 1, 640, 480)
    assert iso.quality_score == 66 and iso.extra["iris_diameter"] == diameter
    assert np.array_equal(np.asarray(iso.to_image()), np.asarray(eye))

    face = images.face(3)
    rec = iso19794.build_face(face, compression="jpeg", quality=55)
    iso = iso19794.parse(rec)
    assert rec[:8] == b"FAC\x00030\x00"
    assert (iso.kind, iso.width, iso.height, iso.bit_depth, iso.compression) == ("face", 480, 640, 24, "jpeg")
    assert iso.to_image().size == (480, 640) and iso.quality_score == 55


def test_parse_refuses_broken_records(finger_img):
    rec = iso19794.build_finger(finger_img, position=2, compression="png")
    with pytest.raises(iso19794.IsoRecordError, match="format identifier"):
        iso19794.parse(b"XYZ\x00" + rec[4:])
    with pytest.raises(iso19794.IsoRecordError, match="record length"):
        iso19794.parse(rec[:-10])                                  # truncated
    bad = bytearray(rec)
    bad[4:8] = b"010\x00"
    with pytest.raises(iso19794.IsoRecordError, match="version"):
        iso19794.parse(bytes(bad))
    # Image length field pointing past the end of the record.
    data_len_at = len(rec) - len(iso19794.parse(rec).image_data) - 4
    bad = bytearray(rec)
    bad[data_len_at:data_len_at + 4] = struct.pack(">I", 10_000_000)
    with pytest.raises(iso19794.IsoRecordError, match="image data"):
        iso19794.parse(bytes(bad))
    with pytest.raises(iso19794.IsoRecordError, match="too short"):
        iso19794.parse(b"FIR\x00")
    # A raw image whose size does not match the header cannot be decoded.
    raw = iso19794.build_finger(finger_img.crop((0, 0, 100, 100)), position=2, compression="raw")
    iso = iso19794.parse(raw)
    with pytest.raises(iso19794.IsoRecordError, match="raw image"):
        iso19794.decode_image(iso.image_data[:-1], "raw", iso.width, iso.height, 8)


def test_recompress_raw_to_wsq_keeps_header(finger_img):
    raw = iso19794.build_finger(finger_img, position="Right Thumb", compression="raw", quality=81)
    wsq_rec = iso19794.recompress_finger(raw, "wsq")
    a, b = iso19794.parse(raw), iso19794.parse(wsq_rec)
    assert b.compression == "wsq" and b.image_data[:2] == b"\xff\xa0"      # WSQ start of image
    assert (b.sub_type, b.width, b.height, b.ppi, b.quality_score, b.captured_at) == \
        (a.sub_type, a.width, a.height, a.ppi, a.quality_score, a.captured_at)
    assert len(wsq_rec) * 5 < len(raw)                                      # WSQ compresses well
    assert _psnr(b.to_image(), finger_img) > 25


def test_wsq_round_trip(finger_img):
    data = nfiq.wsq_encode(finger_img)
    back = nfiq.wsq_decode(data)
    assert back.size == finger_img.size and back.mode == "L"
    assert _psnr(back, finger_img) > 25
    assert len(data) < len(finger_img.tobytes()) / 5


def test_nfiq2_follows_image_quality():
    good = [nfiq.nfiq2(images.finger(s, "Left IndexFinger", 0.9, s)).score for s in range(3)]
    poor = []
    for s in range(3):
        try:
            poor.append(nfiq.nfiq2(images.finger(s, "Left IndexFinger", 0.3, s)).score)
        except nfiq.QualityError:
            poor.append(0)
    assert all(0 <= g <= 100 for g in good)
    assert min(good) >= 40, good
    assert max(poor) < min(good), (poor, good)


def test_nfiq2_resamples_and_refuses_tiny_images(finger_img):
    score_500 = nfiq.nfiq2(finger_img, 500).score
    big = finger_img.resize((finger_img.width * 2, finger_img.height * 2))
    score_1000 = nfiq.nfiq2(big, 1000).score          # resampled back to 500 ppi
    assert abs(score_1000 - score_500) <= 15
    with pytest.raises(nfiq.QualityError):
        nfiq.nfiq2(finger_img.crop((0, 0, 40, 40)))
    rec = iso19794.build_finger(finger_img, position=7, compression="png")
    assert nfiq.nfiq2_of_record(iso19794.parse(rec)).score == score_500
    face = iso19794.parse(iso19794.build_face(images.face(1), compression="png"))
    with pytest.raises(nfiq.QualityError):
        nfiq.nfiq2_of_record(face)


def test_encode_image_png_is_lossless():
    from PIL import Image

    img = Image.fromarray((np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64), "L")
    data = iso19794.encode_image(img, "png")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(img))


def _mutations(n: int, seed: int = 5) -> int:
    """Random flips, truncations and insertions of valid records: parsing either works or raises
    ``IsoRecordError`` (never another exception), and decoding a parsed image does the same."""
    import random

    rng = random.Random(seed)
    small = images.finger(1, "Right Thumb", 0.8).crop((0, 0, 96, 96))
    eye = images.iris(1, "Left", 0.8)[0].resize((64, 48))
    records = [iso19794.build_finger(small, position=1, compression="raw"),
               iso19794.build_finger(small, position=1, compression="png"),
               iso19794.build_iris(eye, eye="Left", compression="png"),
               iso19794.build_face(images.face(1).resize((60, 80)), compression="png")]
    parsed = 0
    for _ in range(n):
        data = bytearray(rng.choice(records))
        for _ in range(rng.randint(1, 4)):
            op, at = rng.random(), rng.randrange(len(data))
            if op < 0.6:
                data[at] = rng.randrange(256)
            elif op < 0.8:
                del data[at:at + rng.randint(1, 8)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        try:
            rec = iso19794.parse(bytes(data))
            rec.to_image()
            parsed += 1
        except iso19794.IsoRecordError:
            pass
    return parsed


def test_mutated_records_fail_cleanly():
    _mutations(300)


@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("SWEET17_SOAK"), reason="soak run only (make soak)")
def test_mutated_records_fail_cleanly_soak():
    _mutations(30_000, seed=17)

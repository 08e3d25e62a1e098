"""Fingerprint quality with NIST NFIQ 2 (the ``nbis`` module of ``nbis-py``) and WSQ compression.

NFIQ 2 is defined for 8-bit grey images at 500 ppi: images at another resolution are resampled
first. ``nbis`` reads PNG/BMP bytes, not WSQ, so images are handed over as PNG. Scores are 0-100
(higher is better); NIST's guidance reads roughly: below 20 poor, 20-40 fair, above 40 good.

WSQ (the FBI's wavelet compression for 500 ppi fingerprints) comes from the ``wsq`` Pillow plugin.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

NFIQ2_PPI = 500

_lock = threading.Lock()


class QualityError(ValueError):
    """NFIQ 2 could not score the image (too small, empty, not a fingerprint)."""


@dataclass(frozen=True)
class Nfiq2Score:
    score: int                                   # 0-100
    actionable: dict[str, float] = field(default_factory=dict)   # e.g. UniformImage, EmptyImageOrContrastTooLow

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "actionable": self.actionable}


@lru_cache(maxsize=1)
def _extractor():
    import nbis

    return nbis.new_nbis_extractor(nbis.NbisExtractorSettings(
        min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=True, ppi=float(NFIQ2_PPI)))


def _as_grey_500(img, ppi: int | None):
    if img.mode != "L":
        img = img.convert("L")
    if ppi and ppi != NFIQ2_PPI:
        from PIL import Image

        scale = NFIQ2_PPI / ppi
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS)
    return img


def nfiq2(img, ppi: int | None = NFIQ2_PPI) -> Nfiq2Score:
    """NFIQ 2 score of a Pillow fingerprint image sampled at ``ppi``."""
    import nbis

    img = _as_grey_500(img, ppi)
    if img.width < 64 or img.height < 64:
        raise QualityError(f"image {img.width}x{img.height} is too small for NFIQ 2")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    try:
        with _lock:                               # one native extractor, used from any thread
            result = _extractor().extract_minutiae(buf.getvalue()).quality()
    except (nbis.NbisError, nbis.InternalError) as e:   # type: ignore[misc]
        raise QualityError(f"NFIQ 2 failed: {e}") from None
    return Nfiq2Score(score=int(result.score), actionable={v.name: float(v.value) for v in result.actionable})


def nfiq2_of_record(iso) -> Nfiq2Score:
    """NFIQ 2 of a parsed ISO/IEC 19794-4 finger image (``iso19794.IsoImage``)."""
    if iso.kind != "finger":
        raise QualityError(f"NFIQ 2 scores fingerprints, not {iso.kind} images")
    return nfiq2(iso.to_image(), iso.ppi or NFIQ2_PPI)


def wsq_encode(img) -> bytes:
    """WSQ bytes of a grey Pillow image (the plugin's default ratio, about 15:1 on 500 ppi fingers)."""
    import wsq  # noqa: F401  (registers the plugin)

    buf = io.BytesIO()
    img.convert("L").save(buf, "WSQ")
    return buf.getvalue()


def wsq_decode(data: bytes):
    import wsq  # noqa: F401
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    img.load()
    return img

"""IKM, the Indeks Kepuasan Masyarakat (public satisfaction index), as Permenpan RB 14/2017 defines it.

A survey respondent scores the nine standard service elements (unsur pelayanan) from 1 (not good)
to 4 (very good). For each element the average score over the respondents who answered it is the
element's NRR (nilai rata-rata). Every element weighs the same (1/9), so the index on the 1-4
scale is the weighted sum of the nine averages, i.e. their mean; times 25 it is the 25-100 scale
(nilai interval konversi). The category follows the guideline's table:

====  ===============  ================  ================
cat.  index (1-4)      converted         quality
====  ===============  ================  ================
D     1.00 - 2.5996    25.00 - 64.99     tidak baik
C     2.60 - 3.064     65.00 - 76.60     kurang baik
B     3.0644 - 3.532   76.61 - 88.30     baik
A     3.5324 - 4.00    88.31 - 100.00    sangat baik
====  ===============  ================  ================

The table's bounds are the converted bounds divided by 25 and meet only at two decimals of the
converted value, so the category is read from the converted value rounded half-up to two decimals
(an index of 3.0642 converts to 76.605, rounded 76.61: B). Everything here is pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sweet17.i18n import N_

# The nine standard elements, in the guideline's order (U1-U9).
ELEMENTS: tuple[str, ...] = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")
ELEMENT_LABELS: dict[str, str] = {
    "u1": N_("Requirements"),
    "u2": N_("Systems, mechanisms and procedures"),
    "u3": N_("Completion time"),
    "u4": N_("Cost / tariff"),
    "u5": N_("Service products"),
    "u6": N_("Staff competence"),
    "u7": N_("Staff conduct"),
    "u8": N_("Handling of complaints, suggestions and feedback"),
    "u9": N_("Facilities and infrastructure"),
}
# Indonesian names as printed on the standard questionnaire (used to recognise survey headers).
ELEMENT_NAMES_ID: dict[str, str] = {
    "u1": "Persyaratan",
    "u2": "Sistem, Mekanisme, dan Prosedur",
    "u3": "Waktu Penyelesaian",
    "u4": "Biaya/Tarif",
    "u5": "Produk Spesifikasi Jenis Pelayanan",
    "u6": "Kompetensi Pelaksana",
    "u7": "Perilaku Pelaksana",
    "u8": "Penanganan Pengaduan, Saran dan Masukan",
    "u9": "Sarana dan Prasarana",
}

MIN_SCORE, MAX_SCORE = 1, 4
CONVERSION = 25

# Category thresholds on the converted scale (two decimals), highest first.
CATEGORIES: tuple[tuple[str, Decimal, str], ...] = (
    ("A", Decimal("88.31"), N_("very good")),
    ("B", Decimal("76.61"), N_("good")),
    ("C", Decimal("65.00"), N_("not quite good")),
    ("D", Decimal("25.00"), N_("not good")),
)
CATEGORY_LABELS: dict[str, str] = {c: label for c, _lo, label in CATEGORIES}

PERIODS = ("month", "quarter", "semester", "year", "all")


def convert(index: float | Fraction | Decimal) -> Decimal:
    """The converted value (25-100 scale) rounded half-up to two decimals."""
    d = Decimal(index.numerator) / Decimal(index.denominator) if isinstance(index, Fraction) else Decimal(str(index))
    return (d * CONVERSION).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def category(index: float | Fraction | Decimal) -> str:
    """The letter category (A-D) of an index on the 1-4 scale."""
    conv = convert(index)
    for letter, lower, _label in CATEGORIES:
        if conv >= lower:
            return letter
    return "D"


@dataclass(frozen=True)
class Response:
    """One respondent's questionnaire: a date and a score 1-4 (or None, unanswered) per element."""

    responded_on: date
    scores: dict[str, int | None]
    school_code: str = ""
    respondent: str = ""

    def score(self, element: str) -> int | None:
        return self.scores.get(element)


def invalid_scores(scores: dict[str, object]) -> list[str]:
    """The elements whose value is not an integer score 1-4 or empty (None)."""
    bad = []
    for e in ELEMENTS:
        v = scores.get(e)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or not MIN_SCORE <= v <= MAX_SCORE:
            bad.append(e)
    return bad


@dataclass(frozen=True)
class ElementScore:
    element: str
    answers: int
    total: int
    average: Fraction | None        # NRR, exact; None when nobody answered

    @property
    def average_float(self) -> float | None:
        return float(self.average) if self.average is not None else None

    @property
    def converted(self) -> Decimal | None:
        return convert(self.average) if self.average is not None else None

    def to_dict(self) -> dict:
        return {
            "element": self.element,
            "answers": self.answers,
            "average": round(float(self.average), 4) if self.average is not None else None,
            "converted": float(self.converted) if self.converted is not None else None,
            "category": category(self.average) if self.average is not None else None,
        }


@dataclass(frozen=True)
class IkmResult:
    """The index of one period: respondents, the nine element scores, the index and category."""

    period: str                      # "2026-11", "2026-Q4", "2026-S2", "2026", or "all"
    start: date | None
    end: date | None
    respondents: int
    elements: tuple[ElementScore, ...]
    index: Fraction | None           # 1-4 scale, exact; None without answers
    weakest: tuple[str, ...] = ()    # the element(s) with the lowest average
    strongest: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = field(default=())   # elements nobody answered (left out of the index)

    @property
    def index_float(self) -> float | None:
        return float(self.index) if self.index is not None else None

    @property
    def converted(self) -> Decimal | None:
        return convert(self.index) if self.index is not None else None

    @property
    def category(self) -> str | None:
        return category(self.index) if self.index is not None else None

    def element(self, code: str) -> ElementScore:
        for e in self.elements:
            if e.element == code:
                return e
        raise KeyError(code)

    def to_dict(self) -> dict:
        return {
            "period": self.period,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "respondents": self.respondents,
            "index": round(float(self.index), 4) if self.index is not None else None,
            "converted": float(self.converted) if self.converted is not None else None,
            "category": self.category,
            "elements": [e.to_dict() for e in self.elements],
            "weakest": list(self.weakest),
            "strongest": list(self.strongest),
            "incomplete": list(self.incomplete),
        }


def compute(responses: Iterable[Response], period: str = "all", start: date | None = None,
            end: date | None = None) -> IkmResult:
    """The IKM of a set of responses (exact fractions; rounding only for display).

    Each element's NRR is the mean of the scores given for it; unanswered scores are left out of
    that element's mean. The index is the equally weighted sum of the NRRs of the answered
    elements (weight 1/9 when all nine have answers).
    """
    rs = list(responses)
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for r in rs:
        for e in ELEMENTS:
            s = r.score(e)
            if s is not None:
                totals[e] += s
                counts[e] += 1
    elements = tuple(
        ElementScore(e, counts[e], totals[e], Fraction(totals[e], counts[e]) if counts[e] else None)
        for e in ELEMENTS
    )
    answered = [el for el in elements if el.average is not None]
    index: Fraction | None = None
    weakest: tuple[str, ...] = ()
    strongest: tuple[str, ...] = ()
    if answered:
        weight = Fraction(1, len(answered))
        index = sum((el.average * weight for el in answered), Fraction(0))  # type: ignore[operator]
        lo = min(el.average for el in answered)  # type: ignore[type-var]
        hi = max(el.average for el in answered)  # type: ignore[type-var]
        weakest = tuple(el.element for el in answered if el.average == lo)
        strongest = tuple(el.element for el in answered if el.average == hi)
    return IkmResult(period=period, start=start, end=end, respondents=len(rs), elements=elements, index=index,
                     weakest=weakest, strongest=strongest,
                     incomplete=tuple(el.element for el in elements if el.average is None))


def period_of(d: date, kind: str) -> tuple[str, date, date]:
    """The label and bounds of the period of ``kind`` that contains ``d``."""
    if kind == "month":
        start = d.replace(day=1)
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return f"{d.year}-{d.month:02d}", start, date.fromordinal(nxt.toordinal() - 1)
    if kind == "quarter":
        q = (d.month - 1) // 3 + 1
        start = date(d.year, 3 * q - 2, 1)
        end = date(d.year, 12, 31) if q == 4 else date.fromordinal(date(d.year, 3 * q + 1, 1).toordinal() - 1)
        return f"{d.year}-Q{q}", start, end
    if kind == "semester":
        s = 1 if d.month <= 6 else 2
        return f"{d.year}-S{s}", date(d.year, 1 if s == 1 else 7, 1), date(d.year, 6, 30) if s == 1 \
            else date(d.year, 12, 31)
    if kind == "year":
        return str(d.year), date(d.year, 1, 1), date(d.year, 12, 31)
    raise ValueError(f"unknown period kind {kind!r}")


def by_period(responses: Iterable[Response], kind: str = "all") -> list[IkmResult]:
    """One result per period (oldest first); ``kind="all"`` gives one result over everything."""
    rs = list(responses)
    if kind == "all":
        if not rs:
            return [compute([], "all")]
        return [compute(rs, "all", min(r.responded_on for r in rs), max(r.responded_on for r in rs))]
    groups: dict[tuple[str, date, date], list[Response]] = defaultdict(list)
    for r in rs:
        groups[period_of(r.responded_on, kind)].append(r)
    return [compute(groups[k], k[0], k[1], k[2]) for k in sorted(groups, key=lambda k: k[1])]

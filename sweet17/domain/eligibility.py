"""Who is eligible for recording on a date (pure).

A student is eligible on ``on`` when aged ``min_age`` or more that day (29 February births
handled by ``sweet17.domain.ages``) and not yet recorded. Those who reach the age in the
``within_days`` days after ``on`` are the next sweep. A student without any birth date (the
roster has none and the NIK is unusable) cannot be placed and is counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from sweet17.domain.ages import age_on, anniversary
from sweet17.i18n import N_

T = TypeVar("T")


class AgeClass(StrEnum):
    ELIGIBLE = "eligible"       # min_age or older on the date
    SOON = "soon"               # reaches min_age within the window after the date
    LATER = "later"             # reaches it later
    UNKNOWN = "unknown"         # no birth date


AGE_CLASS_LABELS = {AgeClass.ELIGIBLE: N_("eligible"), AgeClass.SOON: N_("next sweep"),
                    AgeClass.LATER: N_("too young"), AgeClass.UNKNOWN: N_("age unknown")}


def turns_age_on(birth: date | None, min_age: int) -> date | None:
    """The date on which someone born on ``birth`` reaches ``min_age`` (None without a birth date)."""
    return anniversary(birth, min_age) if birth is not None else None


def is_eligible(birth: date | None, on: date, min_age: int) -> bool:
    return birth is not None and birth <= on and age_on(birth, on) >= min_age


def classify(birth: date | None, on: date, min_age: int, within_days: int = 0) -> AgeClass:
    if birth is None:
        return AgeClass.UNKNOWN
    turn = anniversary(birth, min_age)
    if turn <= on:
        return AgeClass.ELIGIBLE
    if within_days > 0 and turn <= on + timedelta(days=within_days):
        return AgeClass.SOON
    return AgeClass.LATER


@dataclass
class Counts:
    """Counts for one school or kecamatan (or the whole drive)."""

    students: int = 0           # on the roster (counted rows)
    recorded: int = 0           # already recorded (registry extract or a local recording)
    eligible: int = 0           # not recorded, old enough on the date
    blocked: int = 0            # of ``eligible``: a data problem blocks recording
    soon: int = 0               # not recorded, reaches the age within the window
    unknown_age: int = 0        # not recorded, no birth date at all
    review: int = 0             # not recorded as far as known, a possible match awaits a decision
    foreign: int = 0            # foreign students (KITAS): no e-KTP, not counted as eligible
    as_of: set[date] = field(default_factory=set)

    def add(self, other: Counts) -> None:
        for k in ("students", "recorded", "eligible", "blocked", "soon", "unknown_age", "review", "foreign"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.as_of |= other.as_of

    def to_dict(self) -> dict:
        return {"students": self.students, "recorded": self.recorded, "eligible": self.eligible,
                "blocked": self.blocked, "soon": self.soon, "unknown_age": self.unknown_age,
                "review": self.review, "foreign": self.foreign, "as_of": sorted(d.isoformat() for d in self.as_of)}


def count(students: Iterable[tuple[date | None, bool, bool, bool]], on: date, min_age: int,
          within_days: int) -> Counts:
    """Counts from (birth date, recorded, blocking, in review) tuples."""
    return tally(((b, rec, blk, rev, None) for b, rec, blk, rev in students), on, min_age, within_days)[0]


def tally(students: Iterable[tuple[date | None, bool, bool, bool, T]], on: date, min_age: int, within_days: int,
          turns: dict[date, date] | None = None) -> tuple[Counts, list[T], list[T]]:
    """``count`` of (birth date, recorded, blocking, in review, item) tuples, with the items of the students to
    call (not recorded, ``min_age`` or older on ``on``) and of the next sweep. ``turns`` caches the day each
    birth date reaches ``min_age`` (pass one dict per ``min_age`` to share it between calls)."""
    c = Counts(as_of={on})
    call: list[T] = []
    soon: list[T] = []
    turns = {} if turns is None else turns
    sweep_end = on + timedelta(days=within_days) if within_days > 0 else None
    for birth, recorded, blocking, review, item in students:
        c.students += 1
        if recorded:
            c.recorded += 1
            continue
        if review:
            c.review += 1
        if birth is None:
            c.unknown_age += 1
            continue
        turn = turns.get(birth)
        if turn is None:
            turn = turns[birth] = anniversary(birth, min_age)
        if turn <= on:
            c.eligible += 1
            if blocking:
                c.blocked += 1
            call.append(item)
        elif sweep_end is not None and turn <= sweep_end:
            c.soon += 1
            soon.append(item)
    return c, call, soon

"""A student's way through the drive, end to end. Pure.

Main line::

    on roster -> eligible -> called -> recorded -> approved -> synced -> acknowledged -> printed -> delivered

Side outcomes: absent (called, did not come), rejected (the supervisor rejected the recording),
duplicate (the hub or the central system found the NIK recorded already), moved (left the school),
already recorded (the registry extract says the student was recorded before the drive), and
not yet of age.

``build`` takes the dated facts found in the workspace and gives the timeline and the current
status: the furthest main-line stage reached, unless a side outcome happened after it (a student
marked absent on Monday and recorded on Thursday is recorded; a recording rejected after
approval is rejected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sweet17.i18n import N_


class Stage(StrEnum):
    ON_ROSTER = "on_roster"
    ELIGIBLE = "eligible"
    CALLED = "called"
    RECORDED = "recorded"
    APPROVED = "approved"
    SYNCED = "synced"
    ACKNOWLEDGED = "acknowledged"
    PRINTED = "printed"
    DELIVERED = "delivered"
    # side outcomes
    NOT_YET_OF_AGE = "not_yet_of_age"
    ALREADY_RECORDED = "already_recorded"
    ABSENT = "absent"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    MOVED = "moved"


MAIN_LINE: tuple[Stage, ...] = (
    Stage.ON_ROSTER, Stage.ELIGIBLE, Stage.CALLED, Stage.RECORDED, Stage.APPROVED, Stage.SYNCED,
    Stage.ACKNOWLEDGED, Stage.PRINTED, Stage.DELIVERED,
)
SIDE: tuple[Stage, ...] = (Stage.NOT_YET_OF_AGE, Stage.ALREADY_RECORDED, Stage.ABSENT, Stage.REJECTED,
                           Stage.DUPLICATE, Stage.MOVED)

STAGE_LABELS: dict[Stage, str] = {
    Stage.ON_ROSTER: N_("on the roster"),
    Stage.ELIGIBLE: N_("eligible"),
    Stage.CALLED: N_("called"),
    Stage.RECORDED: N_("recorded"),
    Stage.APPROVED: N_("approved"),
    Stage.SYNCED: N_("sent to the hub"),
    Stage.ACKNOWLEDGED: N_("acknowledged by the hub"),
    Stage.PRINTED: N_("card printed"),
    Stage.DELIVERED: N_("card handed over"),
    Stage.NOT_YET_OF_AGE: N_("not yet of age"),
    Stage.ALREADY_RECORDED: N_("already recorded before the drive"),
    Stage.ABSENT: N_("absent"),
    Stage.REJECTED: N_("recording rejected"),
    Stage.DUPLICATE: N_("duplicate recording"),
    Stage.MOVED: N_("moved or left the school"),
}

# What the student (or parent) should do next, by current status; shown on the public page too.
NEXT_STEP: dict[Stage, str] = {
    Stage.ON_ROSTER: N_("Nothing to do yet: the school will be told the recording date."),
    Stage.ELIGIBLE: N_("Wait for the school's recording day; the school will tell you the date."),
    Stage.CALLED: N_("Come to the recording at your school on the announced day."),
    Stage.RECORDED: N_("Your recording is being checked by the office."),
    Stage.APPROVED: N_("Your recording is approved and will be sent on."),
    Stage.SYNCED: N_("Your recording has reached the office's registry."),
    Stage.ACKNOWLEDGED: N_("Your recording is verified; the card will be printed."),
    Stage.PRINTED: N_("Your card is printed and will be handed over at your school."),
    Stage.DELIVERED: N_("Your card has been handed over."),
    Stage.NOT_YET_OF_AGE: N_("You are not yet of age for the e-KTP; you will be called in a later round."),
    Stage.ALREADY_RECORDED: N_("You were recorded before; ask the Dukcapil office about your card."),
    Stage.ABSENT: N_("You missed the recording; you will be called at the next visit, or come to the Dukcapil "
                     "office."),
    Stage.REJECTED: N_("Your recording must be repeated; you will be called at the next visit."),
    Stage.DUPLICATE: N_("Your data was already recorded; please contact the Dukcapil office."),
    Stage.MOVED: N_("You left the school; please come to the Dukcapil office."),
}


@dataclass(frozen=True)
class Event:
    stage: Stage
    at: date | datetime | None       # None: known to have happened, date unknown
    detail: str = ""                 # short, plain (school, operator, card serial); never biometrics

    @property
    def sort_key(self) -> str:
        if self.at is None:
            return ""
        return self.at.isoformat() if isinstance(self.at, datetime) else self.at.isoformat() + "T00:00:00"

    def to_dict(self) -> dict:
        return {"stage": str(self.stage), "at": self.at.isoformat() if self.at else None, "detail": self.detail}


@dataclass(frozen=True)
class Lifecycle:
    current: Stage
    events: tuple[Event, ...]                      # chronological (undated events by stage order)
    reached: dict[Stage, Event] = field(default_factory=dict)   # latest event per stage

    @property
    def main_line(self) -> list[tuple[Stage, Event | None]]:
        return [(s, self.reached.get(s)) for s in MAIN_LINE]

    def to_dict(self) -> dict:
        return {
            "current": str(self.current),
            "main_line": [{"stage": str(s), "reached": e is not None,
                           "at": e.at.isoformat() if e and e.at else None} for s, e in self.main_line],
            "events": [e.to_dict() for e in self.events],
        }


_RANK = {s: i for i, s in enumerate(MAIN_LINE)}


def build(events: list[Event]) -> Lifecycle:
    """The timeline and current status from dated facts (any order).

    The events are replayed in time order (undated ones first, same instant by stage order): a
    main-line stage moves the status forward (or back onto the main line after a side outcome, e.g.
    recorded again after a rejection); a side outcome becomes the status, except an absence once
    the student is recorded. Undated side outcomes (registry, age) only describe a student who got
    no further than being called.
    """
    if not events:
        raise ValueError("no events")

    def order(e: Event) -> tuple[str, int]:
        rank = _RANK[e.stage] if e.stage in _RANK else len(MAIN_LINE) + SIDE.index(e.stage)
        return (e.sort_key, rank)

    evs = sorted(events, key=order)
    reached: dict[Stage, Event] = {}
    main: Stage | None = None
    current: Stage | None = None
    undated_side: Stage | None = None
    for e in evs:
        reached[e.stage] = e
        if e.stage in _RANK:
            if main is None or current not in _RANK or _RANK[e.stage] >= _RANK[main]:
                main = current = e.stage
        elif e.at is None:
            undated_side = e.stage
        elif e.stage == Stage.ABSENT and main is not None and current in _RANK \
                and _RANK[main] >= _RANK[Stage.RECORDED]:
            continue
        else:
            current = e.stage
    if undated_side is not None and (current is None or (current in _RANK and _RANK[current] <= _RANK[Stage.CALLED])):
        current = undated_side
    return Lifecycle(current=current or evs[-1].stage, events=tuple(evs), reached=reached)

"""The lifecycle's current status from dated facts (pure)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sweet17.domain.lifecycle import MAIN_LINE, Event, Stage, build

D = date(2026, 11, 2)


def ev(stage: Stage, day: int, hour: int = 0, detail: str = "") -> Event:
    return Event(stage, datetime(2026, 11, day, hour), detail)


def test_full_main_line():
    events = [ev(s, 2 + i) for i, s in enumerate(MAIN_LINE)]
    lc = build(list(reversed(events)))
    assert lc.current == Stage.DELIVERED
    assert [e.stage for e in lc.events] == list(MAIN_LINE)
    assert all(e is not None for _s, e in lc.main_line)
    d = lc.to_dict()
    assert d["current"] == "delivered" and [m["reached"] for m in d["main_line"]] == [True] * 9


def test_absent_then_recorded_later_is_recorded():
    lc = build([ev(Stage.ON_ROSTER, 1), ev(Stage.ELIGIBLE, 1), ev(Stage.CALLED, 3), ev(Stage.ABSENT, 3, 12),
                ev(Stage.CALLED, 6), ev(Stage.RECORDED, 6, 9)])
    assert lc.current == Stage.RECORDED


def test_absent_is_current_until_recorded():
    lc = build([ev(Stage.ON_ROSTER, 1), ev(Stage.ELIGIBLE, 1), ev(Stage.CALLED, 3), ev(Stage.ABSENT, 3, 12)])
    assert lc.current == Stage.ABSENT
    # the same instant: the student came later that day
    assert build([ev(Stage.CALLED, 3, 8), ev(Stage.ABSENT, 3, 8), ev(Stage.RECORDED, 3, 8)]).current == Stage.RECORDED


def test_rejected_after_approval_and_rerecorded():
    base = [ev(Stage.ON_ROSTER, 1), ev(Stage.RECORDED, 3, 9), ev(Stage.APPROVED, 3, 17)]
    assert build([*base, ev(Stage.REJECTED, 4)]).current == Stage.REJECTED
    assert build([*base, ev(Stage.REJECTED, 4), ev(Stage.RECORDED, 10)]).current == Stage.RECORDED


@pytest.mark.parametrize("side", [Stage.DUPLICATE, Stage.MOVED])
def test_later_side_outcomes_win(side):
    lc = build([ev(Stage.ON_ROSTER, 1), ev(Stage.SYNCED, 5), ev(side, 7)])
    assert lc.current == side
    assert build([ev(Stage.ON_ROSTER, 1), ev(side, 2), ev(Stage.SYNCED, 5)]).current == Stage.SYNCED


def test_undated_outcomes_before_the_recording():
    roster = Event(Stage.ON_ROSTER, D)
    assert build([roster, Event(Stage.ALREADY_RECORDED, None)]).current == Stage.ALREADY_RECORDED
    assert build([roster, Event(Stage.NOT_YET_OF_AGE, None)]).current == Stage.NOT_YET_OF_AGE
    # a student the registry lists but who was recorded again in the drive: the recording counts
    assert build([roster, Event(Stage.ALREADY_RECORDED, None), ev(Stage.RECORDED, 5)]).current == Stage.RECORDED
    with pytest.raises(ValueError):
        build([])

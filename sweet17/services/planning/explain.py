"""Why no plan fits: our own capacity analysis, in words a coordinator can act on.

Each check is a necessary condition of any plan, computed from the calendars and capacities
(not from the solver), so a shortfall it reports is a real one:

- ``unreachable``: the ride and the setup leave no minute to record at the school;
- ``forced``: an agreed visit falls on a day the school is closed or the team is off;
- ``no_day``: no day in the horizon when the school is open and a team works;
- ``school``: even every kit on every such day could not record the school's students;
- ``period``: the schools that can only be visited within a period need more kit-days than
  the teams have in that period (e.g. exams leave one open week and a team is off that week);
- ``total``: the whole drive needs more kit-days than the teams have.

The students counted are the fewest a school can have (those due on its first possible day),
and a kit-day's room uses the shortest way to the school, so the checks never overstate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sweet17.i18n import N_
from sweet17.services.planning.instance import Instance

MESSAGES = {
    "unreachable": N_("{school}: the ride from the office ({travel} min) and setting up ({setup} min) leave no "
                      "time to record in the school day ({window} min)."),
    "forced": N_("{school}: the agreed visit on {date} cannot take place ({reason})."),
    "no_day": N_("{school}: {students} students are due, but from {first} to {last} there is no day when the "
                 "school is open and a team works."),
    "school": N_("{school}: {students} students need about {need} kit-days, but the school is open on only "
                 "{n} day(s) when teams work ({dates}), room for at most {have} students: {short} students "
                 "short."),
    "period": N_("From {first} to {last}: {n} school(s) can only be visited in this period ({schools}); they "
                 "need at least {need} kit-days but the teams have {have} kit-days then: {short} kit-days short."),
    "total": N_("The drive needs at least {need} kit-days, but from {first} to {last} the teams have only "
                "{have} kit-days: {short} kit-days short."),
    "packing": N_("No plan fits in whole team-days. The tightest period is {first} to {last}: about {need} of "
                  "{have} kit-days are needed there, with little room to spare for rides and setups."),
}
REASON_CLOSED = N_("the school is closed that day")
REASON_TEAM = N_("the team does not work that day")
REASON_NO_STUDENTS = N_("no students are due that day")


@dataclass(frozen=True)
class Shortfall:
    kind: str                            # a key of MESSAGES
    school: str | None = None
    first: date | None = None
    last: date | None = None
    days: tuple[date, ...] = ()
    need: float = 0                      # students (school) or kit-days (period, total)
    have: float = 0
    schools: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def short(self) -> float:
        return self.need - self.have

    def to_dict(self) -> dict:
        return {"kind": self.kind, "school": self.school, "first": self.first, "last": self.last,
                "days": list(self.days), "need": round(self.need, 1), "have": round(self.have, 1),
                "short": round(self.short, 1), "schools": list(self.schools), **self.extra}


def _possible_days(inst: Instance) -> dict[str, list[date]]:
    out = {}
    for s in inst.schools:
        out[s.code] = [d for d in inst.visit_days(s) if any(d in t.work_days for t in inst.teams)]
    return out


def diagnose(inst: Instance, include_packing: bool = False) -> list[Shortfall]:
    """Every shortfall the capacity analysis finds (empty: none of the checks fails)."""
    p = inst.params
    out: list[Shortfall] = []
    sp = inst.shortest_travel()
    possible = _possible_days(inst)
    need_visit = [s for s in inst.schools if inst.needs_visit(s)]
    kits_on = {d: sum(t.k for t in inst.teams if d in t.work_days) for d in inst.days()}
    # agreed visits
    for f in inst.forced:
        s = inst.by_code.get(f.school)
        if s is None:
            continue
        teams = [t for t in inst.teams if not f.team or t.id == f.team]
        reason = None
        if f.day not in s.open_days:
            reason = REASON_CLOSED
        elif not any(f.day in t.work_days for t in teams):
            reason = REASON_TEAM
        elif s.demand_on(f.day) <= 0:
            reason = REASON_NO_STUDENTS
        if reason:
            out.append(Shortfall("forced", f.school, f.day, f.day, (f.day,), extra={"reason": reason}))
    fractional: dict[str, float] = {}
    for s in need_visit:
        avail = p.window - p.setup - sp[s.code]
        if inst.cap(s.code) <= 0:
            out.append(Shortfall("unreachable", s.code, extra={"travel": s.travel, "setup": p.setup,
                                                                "window": p.window}))
            continue
        days = possible[s.code]
        if not days:
            out.append(Shortfall("no_day", s.code, inst.start, inst.end, need=s.demand_on(inst.end)))
            continue
        n = s.demand_on(days[0])
        per_kit = math.floor(avail / p.minutes_per_student)
        have = sum(kits_on[d] for d in days) * per_kit
        if have < n:
            out.append(Shortfall("school", s.code, days[0], days[-1], tuple(days), need=n, have=have,
                                 extra={"kit_days": math.ceil(n / max(per_kit, 1))}))
        fractional[s.code] = n * p.minutes_per_student / avail
    if any(x.kind in ("unreachable", "no_day", "school", "forced") for x in out):
        return out
    # periods: schools whose possible days all fall inside [a, b]
    spans = {c: (possible[c][0], possible[c][-1]) for c in fractional}
    starts = sorted({a for a, _b in spans.values()})
    ends = sorted({b for _a, b in spans.values()})
    worst: Shortfall | None = None
    tightest: tuple[float, Shortfall] | None = None
    for a in starts:
        for b in ends:
            if b < a:
                continue
            inside = [c for c, (x, y) in spans.items() if a <= x and y <= b]
            if not inside:
                continue
            need = sum(fractional[c] for c in inside)
            open_days = set().union(*(set(possible[c]) for c in inside))
            have = sum(kits_on[d] for d in open_days)
            sf = Shortfall("period", None, a, b, need=need, have=have, schools=tuple(sorted(inside)))
            if need > have + 1e-9 and (worst is None or sf.short > worst.short):
                worst = sf
            ratio = need / have if have else math.inf
            if tightest is None or ratio > tightest[0]:
                tightest = (ratio, sf)
    if worst is not None:
        if len(worst.schools) == len(fractional):
            out.append(Shortfall("total", None, worst.first, worst.last, need=math.ceil(worst.need - 1e-9),
                                 have=worst.have))
        else:
            out.append(worst)
    elif include_packing and tightest is not None:
        sf = tightest[1]
        out.append(Shortfall("packing", None, sf.first, sf.last, need=sf.need, have=sf.have, schools=sf.schools))
    return out

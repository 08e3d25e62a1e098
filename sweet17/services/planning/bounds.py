"""A lower bound on the plan's kit-days and end date, computed without the solver.

Kit-days: every student at school ``s`` takes ``minutes_per_student`` of one kit's day, and a
kit's day at ``s`` has at most ``window - setup - ride`` minutes to record, ``ride`` being the
shortest way from the office to ``s`` (directly, or through a nearer school the team records at
first). Summing ``students x minutes / available minutes`` over schools gives the fractional
kit-days no plan can go below (a two-school day is covered: its two shares add up to less than
one kit-day). Each school counts the students due on the first day it could be visited, the
fewest it can ever have.

End date: the later of (a) the first day by which the kits' working days add up to those
kit-days, and (b) for each school, the first day by which all kits working on its open days
could have recorded its students -- the far school with little time per day and few open
days is where this binds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sweet17.services.planning.instance import Instance


@dataclass(frozen=True)
class Bound:
    kit_days: int                  # ceil of the fractional kit-days
    fractional_kit_days: float
    end: date | None               # None: not reachable inside the horizon
    capacity_end: date | None      # (a)
    school_end: date | None        # (b), the latest school
    binding_school: str | None     # the school of (b)

    def to_dict(self) -> dict:
        return {"kit_days": self.kit_days, "fractional_kit_days": round(self.fractional_kit_days, 2),
                "end": self.end, "capacity_end": self.capacity_end, "school_end": self.school_end,
                "binding_school": self.binding_school}


def lower_bound(inst: Instance) -> Bound:
    p = inst.params
    sp = inst.shortest_travel()
    days = inst.days()
    work = {d: [t for t in inst.teams if d in t.work_days] for d in days}
    fractional = 0.0
    school_end: date | None = None
    binding: str | None = None
    unreachable = False
    need_any = [s for s in inst.schools if inst.needs_visit(s)]
    for s in need_any:
        possible = [d for d in inst.visit_days(s) if work[d]]
        if not possible:
            unreachable = True
            continue
        n = s.demand_on(possible[0])
        avail = p.window - p.setup - sp[s.code]
        if avail <= 0:
            unreachable = True
            continue
        fractional += n * p.minutes_per_student / avail
        # (b) all kits that work on the school's open days, each at most cap students a day
        cap = math.floor(avail / p.minutes_per_student)
        done, finish = 0, None
        for d in possible:
            done += sum(t.k for t in work[d]) * cap
            if done >= s.demand_on(possible[0]):
                finish = d
                break
        if finish is None:
            unreachable = True
        elif school_end is None or finish > school_end:
            school_end, binding = finish, s.code
    kit_days = math.ceil(fractional - 1e-9)
    # (a) cumulative kit-days available on days some school needing a visit is open
    open_any = set().union(*(s.open_days for s in need_any)) if need_any else set()
    cum, capacity_end = 0, None
    for d in days:
        if d in open_any:
            cum += sum(t.k for t in work[d])
        if cum >= fractional - 1e-9 and fractional > 0:
            capacity_end = d
            break
    if fractional == 0:
        capacity_end = None
    if unreachable or (fractional > 0 and capacity_end is None):
        end = None
    else:
        cands = [x for x in (capacity_end, school_end) if x is not None]
        end = max(cands) if cands else None
    return Bound(kit_days=kit_days, fractional_kit_days=fractional, end=end, capacity_end=capacity_end,
                 school_end=school_end, binding_school=binding)


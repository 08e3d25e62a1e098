"""A lower bound on the plan's kit-days and end date, computed independently of the planner's model.

Every plan the planner may store passes ``verify_plan``, so the bound only relies on the rules
checked there. Notation: ``W`` the school-day window, ``S`` the setup minutes, ``m`` the minutes
per student, ``t(s)`` the ride from the office to school ``s``, ``t(a,b)`` the ride between two
schools. A *kit-day* is one kit used by a team on one day (what ``metrics`` counts); by the rules
every kit-day is one of:

- a *solo* kit-day: the kit records at one school ``s`` only (a team's day at one school, or one
  side of a day with the kits divided). It records at most
  ``C(s) = floor((W - S - r(s)) / m)`` students, ``r(s)`` the shortest ride to ``s``: direct, or
  through a near school when the kits are divided;
- a *shared* kit-day on a near pair ``(a, b)`` (``t(a,b) <= pair_max_travel``, nearer school
  ``a`` first): the kit records ``u_a`` at ``a`` then ``u_b`` at ``b`` with
  ``ceil(u_a/k) + ceil(u_b/k) <= (W - t(a) - t(a,b) - 2S) / m`` per kit, hence (summed over the
  ``k`` kits) ``u_a + u_b <= k P(a,b)``, ``P(a,b) = floor((W - t(a) - t(a,b) - 2S) / m)``.
  ``P(a,b) <= C(a)`` and ``P(a,b) <= C(b)``.

Each school ``s`` has at least ``n(s)`` students to record: those due on the first day it could be
visited (a later first visit only adds students), or the fixed number left in a replan.

**Kit-days.** Three valid bounds, the largest is used; each is computed per *component* (schools
linked by near pairs: a kit-day never serves two components, so the components' bounds add up,
and each component's kit-days are a whole number, so each is rounded up):

1. *fractional*: charge each student at ``s`` ``1/C(s)`` of a kit-day. A solo kit-day is charged
   at most 1; a shared one at most ``u_a/C(a) + u_b/C(b) <= (u_a + u_b)/P <= 1``. So
   ``kit-days >= sum n(s)/C(s)``.
2. *charged*: for a ``theta`` in [0, 1] charge a shared kit-day ``theta u/P + (1 - theta)/2`` to each
   of its two schools (together at most ``theta (u_a + u_b)/P + 1 - theta <= 1``) and a solo kit-day 1
   to its school. Whatever a plan does at ``s`` -- ``x`` solo kit-days and shared ones carrying the
   remaining ``R = n - x C(s)`` students -- is charged at least
   ``g_theta(s) = min over x of x + theta R/P(s) + ceil(R/P(s)) (1 - theta)/2`` (``P(s)`` the best
   pair of ``s``; ``R <= 0`` costs nothing). So ``kit-days >= sum g_theta(s)`` for every theta;
   the best theta of a grid is taken per component. Unlike (1) this sees that a school with 110
   students and 37 a kit-day takes 3 kit-days and a shared one, not 2.97.
3. *exact relaxation* (components of at most ``EXACT_MAX_SCHOOLS`` schools): the integer program
   min ``sum x_s + sum y_ab`` subject to ``C(s) x_s + sum_b u_sb >= n(s)``, ``u_ab + u_ba <=
   P(a,b) y_ab`` (integers), which every plan satisfies with its own solo and shared kit-days.
   It is solved by CP-SAT (a small program over the schools, not the planner's model); only the
   bound CP-SAT *proves* is used, so a time-out weakens the bound but never makes it wrong.

**Team-days.** A team's kits travel together: ``k`` the kits of the largest team, every team-day is
charged at most 1: a day at one school ``s`` 1 (it records at most ``k C(s)``), a day with the kits
divided ``j/k`` to the school of its ``j`` kits (at most ``j C(s)`` there), a shared day
``theta u/(k P) + (1 - theta)/2`` to each of its schools (``u_a + u_b <= k P``). A school is charged
at least ``h_theta(s) = min over x, y of x + y/k + theta R/(k P) + ceil(R/(k P)) (1 - theta)/2``,
``R = n - k C x - C y`` the students left for shared days (``team_charged``). Summed per group of
schools joined by *any* near pair (a day with the kits divided joins its two schools even when no
shared day fits, so only such groups' team-days are whole), best theta, rounded up; and at least
the group's kit-days / ``k``.

**End date.** The later of (a) the first day by which the kits of the teams working on days when
some school needing a visit is open add up to the kit-days bound (a kit-day is used on such a day),
and those teams to the team-days bound;
(b) per school, the first day by which all kits working on its possible days, ``C(s)`` students
each, could have recorded ``n(s)`` -- this binds for a far school with few open days.

Tests compare the bound with plans CP-SAT proves optimal and with brute force on tiny instances
(``tests/test_planning_bounds.py``).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sweet17.services.planning.instance import Instance

# Components up to this many schools also get the exact relaxation (CP-SAT, proven bound only).
EXACT_MAX_SCHOOLS = 60
EXACT_SECONDS = 1.5
THETAS = tuple(i / 20 for i in range(21))


@dataclass(frozen=True)
class Bound:
    kit_days: int                  # the kit-days bound (the largest of the three, rounded up per component)
    team_days: int                 # the team-days bound (teams of at most the largest team's kits)
    fractional_kit_days: float     # bound 1 (no rounding)
    end: date | None               # None: not reachable inside the horizon
    capacity_end: date | None      # (a)
    school_end: date | None        # (b), the latest school
    binding_school: str | None     # the school of (b)
    detail: dict = field(default_factory=dict, compare=False)   # per method: kit-days, seconds

    def to_dict(self) -> dict:
        return {"kit_days": self.kit_days, "team_days": self.team_days,
                "fractional_kit_days": round(self.fractional_kit_days, 2), "end": self.end, "capacity_end": self.capacity_end, "school_end": self.school_end,
                "binding_school": self.binding_school, "detail": self.detail}


@dataclass(frozen=True)
class Relaxation:
    """The per-school figures the kit-day bound works with (see the module docstring)."""
    need: dict[str, int]                            # n(s)
    solo: dict[str, int]                            # C(s)
    pairs: dict[tuple[str, str], int]               # (nearer, farther) -> P(a,b) > 0
    possible: dict[str, list[date]]                 # days s could be visited (open, a team works)
    unreachable: tuple[str, ...]                    # no possible day, or no minute to record
    near: tuple[tuple[str, str], ...] = ()          # every near pair of schools in ``need`` (kits may be divided)

    def components(self, linked: bool = False) -> list[list[str]]:
        """Schools linked by shared-day pairs (``pairs``); ``linked``: by any near pair (``near``), which
        also joins the two schools of a day with the kits divided."""
        parent = {c: c for c in self.need}

        def find(c: str) -> str:
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        for a, b in (self.near if linked else self.pairs):
            parent[find(a)] = find(b)
        comps: dict[str, list[str]] = defaultdict(list)
        for c in sorted(self.need):
            comps[find(c)].append(c)
        return sorted(comps.values(), key=lambda cs: (len(cs), cs[0]))

    def best_pair(self) -> dict[str, int]:
        out = {c: 0 for c in self.need}
        for (a, b), p in self.pairs.items():
            out[a] = max(out[a], p)
            out[b] = max(out[b], p)
        return out


def relaxation(inst: Instance) -> Relaxation:
    p = inst.params
    work_any = set().union(*(t.work_days for t in inst.teams)) if inst.teams else set()
    schools = [s for s in inst.schools if inst.needs_visit(s)]
    codes = {s.code for s in schools}
    near = {k: t for k, t in inst.between.items()
            if t <= p.pair_max_travel and k[0] in codes and k[1] in codes}
    ride = {s.code: s.travel for s in schools}
    for (a, b), t_ab in near.items():
        first, second = inst.pair_order(a, b)
        ride[second] = min(ride[second], inst.by_code[first].travel + t_ab)
    need, solo, possible = {}, {}, {}
    unreachable = []
    for s in schools:
        days = [d for d in inst.visit_days(s) if d in work_any]
        cap = math.floor((p.window - p.setup - ride[s.code]) / p.minutes_per_student)
        if not days or cap <= 0:
            unreachable.append(s.code)
            continue
        need[s.code] = s.fixed_demand if s.fixed_demand is not None else s.demand_on(days[0])
        solo[s.code] = cap
        possible[s.code] = days
    pairs = {}
    for (a, b), t_ab in near.items():
        if a not in need or b not in need:
            continue
        first, second = inst.pair_order(a, b)
        pp = math.floor((p.window - inst.by_code[first].travel - t_ab - 2 * p.setup) / p.minutes_per_student)
        if pp > 0:
            pairs[(first, second)] = pp
    linked = tuple(sorted(inst.pair_order(a, b) for a, b in near if a in need and b in need))
    return Relaxation(need, solo, pairs, possible, tuple(unreachable), linked)


def charged(n: int, cap: int, pair: int, theta: float) -> float:
    """``g_theta``: the least a school with ``n`` students is charged (bound 2 of the module docstring)."""
    if n <= 0:
        return 0.0
    best = float(math.ceil(n / cap))
    if pair <= 0:
        return best
    for x in range(0, math.ceil(n / cap)):
        rest = n - cap * x
        best = min(best, x + theta * rest / pair + math.ceil(rest / pair) * (1 - theta) / 2)
    return best


def team_charged(n: int, cap: int, pair: int, theta: float, k: int) -> float:
    """``h_theta``: the least team-days charged to a school with ``n`` students (teams of at most ``k`` kits).

    A day at the school alone is charged 1 and records at most ``k cap``; a day with the kits divided
    is charged ``j/k`` for the ``j`` kits at the school, each recording at most ``cap``; a shared day
    ``theta u/(k P) + (1 - theta)/2`` for the ``u`` students it brings (see the module docstring).
    """
    if n <= 0:
        return 0.0
    best = float(math.ceil(n / (k * cap)))
    for x in range(0, math.ceil(n / (k * cap)) + 1):
        for y in range(0, k):
            rest = n - k * cap * x - cap * y
            c = x + y / k
            if rest <= 0:
                best = min(best, c)
            elif pair > 0:
                best = min(best, c + theta * rest / (k * pair) + math.ceil(rest / (k * pair)) * (1 - theta) / 2)
    return best


def exact_relaxation(rel: Relaxation, codes: list[str], seconds: float) -> tuple[int, bool]:
    """Bound 3 on the schools ``codes`` (one component): (proven lower bound, proven optimal)."""
    from ortools.sat.python import cp_model

    cs = set(codes)
    m = cp_model.CpModel()
    cover: dict[str, list] = defaultdict(list)
    obj = []
    for c in codes:
        x = m.new_int_var(0, math.ceil(rel.need[c] / rel.solo[c]), "")
        cover[c].append(rel.solo[c] * x)
        obj.append(x)
    for (a, b), pp in rel.pairs.items():
        if a not in cs:
            continue
        y = m.new_int_var(0, math.ceil((rel.need[a] + rel.need[b]) / pp), "")
        ua = m.new_int_var(0, rel.need[a], "")
        ub = m.new_int_var(0, rel.need[b], "")
        m.add(ua + ub <= pp * y)
        cover[a].append(ua)
        cover[b].append(ub)
        obj.append(y)
    for c in codes:
        m.add(sum(cover[c]) >= rel.need[c])
    m.minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.random_seed = 17
    status = solver.solve(m)
    if status == cp_model.OPTIMAL:
        return int(round(solver.objective_value)), True
    if status == cp_model.FEASIBLE:
        return math.ceil(solver.best_objective_bound - 1e-6), False
    return 0, False


def kit_day_bound(rel: Relaxation, exact_seconds: float = EXACT_SECONDS, k: int = 1) -> tuple[int, float, dict]:
    """(kit-days bound, fractional bound, detail); ``detail["team_days"]``: the team-days bound for
    teams of at most ``k`` kits."""
    t0 = time.perf_counter()
    best_pair = rel.best_pair()
    total = 0
    frac_total = 0.0
    charged_total = 0
    exact_used = 0
    exact_proved = 0
    kits_in: dict[str, int] = {}                  # kit-days bound per component, by its first school
    for comp in rel.components():
        frac = sum(rel.need[c] / rel.solo[c] for c in comp)
        frac_total += frac
        ch = max(sum(charged(rel.need[c], rel.solo[c], best_pair[c], th) for c in comp) for th in THETAS)
        comp_bound = max(math.ceil(frac - 1e-9), math.ceil(ch - 1e-9))
        charged_total += math.ceil(ch - 1e-9)
        if len(comp) > 1 and len(comp) <= EXACT_MAX_SCHOOLS and exact_seconds > 0:
            ex, proved = exact_relaxation(rel, comp, exact_seconds)
            exact_used += 1
            exact_proved += int(proved)
            comp_bound = max(comp_bound, ex)
        total += comp_bound
        kits_in[comp[0]] = comp_bound
    # team-days: per group linked by any near pair (a day with the kits divided joins its two schools,
    # so only these groups' team-days are whole numbers), the team-day charge or the kit-days / k
    team_total = 0
    for group in rel.components(linked=True):
        team = max(sum(team_charged(rel.need[c], rel.solo[c], best_pair[c], th, k) for c in group) for th in THETAS)
        kits = sum(kits_in.get(c, 0) for c in group)
        team_total += max(math.ceil(team - 1e-9), math.ceil(kits / k))
    detail = {"fractional": round(frac_total, 2), "charged": charged_total, "components": len(rel.components()),
              "exact_components": exact_used, "exact_proved": exact_proved, "team_days": team_total,
              "seconds": round(time.perf_counter() - t0, 3)}
    return total, frac_total, detail


def lower_bound(inst: Instance, exact_seconds: float = EXACT_SECONDS) -> Bound:
    rel = relaxation(inst)
    days = inst.days()
    kits_on = {d: sum(t.k for t in inst.teams if d in t.work_days) for d in days}
    teams_on = {d: sum(1 for t in inst.teams if d in t.work_days) for d in days}
    k_max = max((t.k for t in inst.teams), default=1)
    kit_days, fractional, detail = kit_day_bound(rel, exact_seconds, k_max)
    team_days = detail["team_days"]
    unreachable = bool(rel.unreachable)
    school_end: date | None = None
    binding: str | None = None
    for code, possible in rel.possible.items():
        # (b) all kits that work on the school's possible days, at most C(s) students each a day
        done, finish = 0, None
        for d in possible:
            done += kits_on[d] * rel.solo[code]
            if done >= rel.need[code]:
                finish = d
                break
        if finish is None:
            unreachable = True
        elif school_end is None or finish > school_end:
            school_end, binding = finish, code
    # (a) cumulative kit-days on days some school needing a visit is open
    need_any = [s for s in inst.schools if s.code in rel.need]
    open_any = set().union(*(s.open_days for s in need_any)) if need_any else set()
    cum, cum_teams, capacity_end = 0, 0, None
    if kit_days > 0:
        for d in days:
            if d in open_any:
                cum += kits_on[d]
                cum_teams += teams_on[d]
            if cum >= kit_days and cum_teams >= team_days:
                capacity_end = d
                break
    if unreachable or (kit_days > 0 and capacity_end is None):
        end = None
    else:
        cands = [x for x in (capacity_end, school_end) if x is not None]
        end = max(cands) if cands else None
    return Bound(kit_days=kit_days, team_days=team_days, fractional_kit_days=fractional, end=end,
                 capacity_end=capacity_end, school_end=school_end, binding_school=binding, detail=detail)

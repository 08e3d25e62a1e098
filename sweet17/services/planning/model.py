"""The CP-SAT model of visit planning, solved lexicographically.

Variables (one set per team, day and school the team could visit that day):

- ``y[s,t,d]`` team ``t`` spends day ``d`` at school ``s`` alone, with room for
  ``kits x cap(s)`` students, ``cap(s) = (window - ride - setup) / minutes per student``;
- ``p[a,b,t,d]`` team ``t`` records at two near schools that day one after the other, nearer one
  first (``ra + rb <= kits x pair_cap(a,b)``, both at least one student);
- ``z[a,b,t,d]`` team ``t`` divides its kits between two near schools for the day (``ka`` kits at
  the nearer one, the rest at the other);
- a team does at most one of these a day;
- ``visited[s,d]``: some team is at ``s`` on ``d``; ``started[s,d]``: the first visit of ``s`` is
  on or before ``d`` (monotone; it can only switch on on a visit day, and is on by the end);
- demand: the room of the school's visits covers every student of age on its first visit day
  (``due(s, first)`` is linear in ``started``), the date the eligible list uses. Students are
  then placed visit by visit (``allocate``): later visits also take, as far as room allows,
  students who came of age since; the others go to the follow-up sweep;
- ``going[d]``: the drive is still on at ``d`` (monotone, at least every visit's day).

Objectives, one after the other, each phase keeping the optimum of the ones before and starting
from their solution: (replan only: fewest changed announced visits), the earliest end
(``sum going``, bounded below by the independent lower bound), the least travel (office to
school(s) and back, per team-day), the fewest visit-days (a school prefers one visit).

Large instances (the province) are decomposed: the schools are split into geographic sectors,
one per team, balanced by the team's kit-days, and each sector is planned by the same model.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sweet17.services.planning.bounds import lower_bound
from sweet17.services.planning.greedy import best_greedy, greedy_plan, repair
from sweet17.services.planning.instance import (
    Instance,
    TeamDay,
    Visit,
    allocate,
    materialize,
    prune,
    team_days_of,
)

WORKERS = 2
# Replan: a changed announced date costs this many team changes.
CHANGE_WEIGHT = 20
# Above this many visit variables a model is split by team (see solve_decomposed).
MAX_FULL_MODEL_VARS = 40_000


@dataclass
class Phase:
    name: str
    status: str          # optimal | feasible | infeasible | unknown
    value: int | None
    seconds: float

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "value": self.value, "seconds": round(self.seconds, 2)}


@dataclass
class SolveResult:
    visits: list[Visit]
    status: str                      # optimal | feasible | infeasible | unknown
    method: str                      # cp-sat | cp-sat-decomposed | greedy
    phases: list[Phase] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible")


_STATUS = {4: "optimal", 2: "feasible", 3: "infeasible", 0: "unknown", 1: "invalid"}


class CpPlanner:
    """One CP-SAT model over a set of teams and schools of ``inst``, days up to ``horizon_end``."""

    def __init__(self, inst: Instance, horizon_end: date | None = None, teams: list[str] | None = None,
                 schools: list[str] | None = None, previous: list[TeamDay] | None = None) -> None:
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.inst = inst
        self.m = cp_model.CpModel()
        m = self.m
        self.teams = [t for t in inst.teams if teams is None or t.id in teams]
        codes = set(schools) if schools is not None else {s.code for s in inst.schools}
        self.schools = [s for s in inst.schools if s.code in codes and inst.needs_visit(s)
                        and inst.cap(s.code) > 0]
        end = min(horizon_end or inst.end, inst.end)
        work_any = set().union(*(t.work_days for t in self.teams)) if self.teams else set()
        self.days = [d for d in inst.days() if d <= end and d in work_any]
        self.di = {d: i for i, d in enumerate(self.days)}
        cand: dict[str, list[date]] = {}
        for s in self.schools:
            agreed = inst.first_agreed(s.code)   # an agreed visit is the school's first
            cand[s.code] = [d for d in self.days if d in s.open_days and s.demand_on(d) > 0
                            and (agreed is None or d >= agreed)]
        self.cand = cand
        self.y: dict[tuple[str, str, date], object] = {}
        self.p: dict[tuple[str, str, str, date], object] = {}
        self.rp: dict[tuple[str, str, str, date], tuple[object, object]] = {}
        self.z: dict[tuple[str, str, str, date], object] = {}       # kits divided between a and b
        self.rz: dict[tuple[str, str, str, date], tuple[object, object, object]] = {}
        items: dict[tuple[str, date], list] = defaultdict(list)       # (s, d) -> visit booleans
        recs: dict[tuple[str, date], list] = defaultdict(list)       # (s, d) -> room terms (coef, var)
        team_day: dict[tuple[str, date], list] = defaultdict(list)
        cand_set = {c: set(v) for c, v in cand.items()}
        travel_terms = []
        for t in self.teams:
            for d in self.days:
                if d not in t.work_days:
                    continue
                for s in self.schools:
                    if d not in cand_set[s.code]:
                        continue
                    y = m.new_bool_var("")
                    self.y[(s.code, t.id, d)] = y
                    items[(s.code, d)].append(y)
                    recs[(s.code, d)].append((t.k * inst.cap(s.code), y))
                    team_day[(t.id, d)].append(y)
                    travel_terms.append((2 * s.travel, y))
        school_codes = {s.code for s in self.schools}
        self.pairs = [(a, b, tab) for a, b, tab in inst.pairs() if a in school_codes and b in school_codes]
        for a, b, tab in self.pairs:
            pc = inst.pair_cap(a, b)
            both = cand_set[a] & cand_set[b]
            for t in self.teams:
                if pc < 2:
                    break
                for d in self.days:
                    if d not in both or d not in t.work_days:
                        continue
                    cap = t.k * pc
                    pv = m.new_bool_var("")
                    ra = m.new_int_var(0, cap, "")
                    rb = m.new_int_var(0, cap, "")
                    m.add(ra + rb <= cap * pv)
                    m.add(ra >= pv)
                    m.add(rb >= pv)
                    self.p[(a, b, t.id, d)] = pv
                    self.rp[(a, b, t.id, d)] = (ra, rb)
                    items[(a, d)].append(pv)
                    items[(b, d)].append(pv)
                    recs[(a, d)].append((1, ra))
                    recs[(b, d)].append((1, rb))
                    team_day[(t.id, d)].append(pv)
                    travel_terms.append((inst.by_code[a].travel + tab + inst.by_code[b].travel, pv))
            ca, cb = inst.split_cap(a, b)
            if ca < 1 or cb < 1:
                continue
            for t in self.teams:
                if t.k < 2:
                    continue
                for d in self.days:
                    if d not in both or d not in t.work_days:
                        continue
                    zv = m.new_bool_var("")
                    ka = m.new_int_var(0, t.k - 1, "")
                    ra = m.new_int_var(0, (t.k - 1) * ca, "")
                    rb = m.new_int_var(0, (t.k - 1) * cb, "")
                    m.add(ka >= zv)
                    m.add(ka <= (t.k - 1) * zv)
                    m.add(ra <= ca * ka)
                    m.add(rb <= cb * (t.k * zv - ka))
                    m.add(ra >= zv)
                    m.add(rb >= zv)
                    self.z[(a, b, t.id, d)] = zv
                    self.rz[(a, b, t.id, d)] = (ka, ra, rb)
                    items[(a, d)].append(zv)
                    items[(b, d)].append(zv)
                    recs[(a, d)].append((1, ra))
                    recs[(b, d)].append((1, rb))
                    team_day[(t.id, d)].append(zv)
                    travel_terms.append((2 * (inst.by_code[a].travel + tab), zv))
        for vs in team_day.values():
            if len(vs) > 1:
                m.add_at_most_one(vs)
        self.n_vars = len(self.y) + len(self.p) + len(self.z)
        # visited / started / demand
        self.visited: dict[tuple[str, date], object] = {}
        self.started: dict[tuple[str, date], object] = {}
        self.going = [m.new_bool_var("") for _ in self.days]
        for i in range(len(self.days) - 1):
            m.add(self.going[i] >= self.going[i + 1])
        self.infeasible_schools: list[str] = []

        def room(terms: list) -> object:
            return cp_model.LinearExpr.weighted_sum([v for _c, v in terms], [c for c, _v in terms])

        for s in self.schools:
            days_s = [d for d in cand[s.code] if items.get((s.code, d))]
            if not days_s:
                self.infeasible_schools.append(s.code)
                continue
            vis = []
            for d in days_s:
                vs = items[(s.code, d)]
                v = m.new_bool_var("")
                for x in vs:
                    m.add_implication(x, v)
                m.add(v <= sum(vs))
                m.add(v <= self.going[self.di[d]])
                self.visited[(s.code, d)] = v
                vis.append(v)
            if s.fixed_demand is not None:      # replan: the students left at a school already started
                m.add_bool_or(vis)
                m.add(room([x for d in days_s for x in recs[(s.code, d)]]) >= s.fixed_demand)
                continue
            # started[j]: the school's first visit is on days_s[j] or earlier (monotone, switches on with a visit)
            started = [m.new_bool_var("") for _ in days_s]
            m.add(started[-1] == 1)
            e = [s.demand_on(d) for d in days_s]
            for k, d in enumerate(days_s):
                m.add(started[k] >= vis[k])
                if k == 0:
                    m.add(started[0] <= vis[0])
                else:
                    m.add(started[k] >= started[k - 1])
                    m.add(started[k] - started[k - 1] <= vis[k])
                self.started[(s.code, d)] = started[k]
            # everybody of age on the first visit day fits in the school's room:
            # due(first) = e[last] - sum_k (e[k+1] - e[k]) x started[k]
            drops = [(e[k + 1] - e[k], started[k]) for k in range(len(days_s) - 1) if e[k + 1] > e[k]]
            all_room = room([x for d in days_s for x in recs[(s.code, d)]])
            m.add(all_room + room(drops) >= e[-1] if drops else all_room >= e[-1])
        # agreed visits
        self.forced_missing: list = []
        for f in inst.forced:
            if f.school not in school_codes or (teams is not None and f.team and f.team not in teams):
                continue
            v = self.visited.get((f.school, f.day))
            if v is None:
                self.forced_missing.append(f)
                continue
            m.add(v == 1)
            if f.team:
                own = [x for (c, tid, d), x in self.y.items() if c == f.school and tid == f.team and d == f.day]
                own += [x for (a, b, tid, d), x in list(self.p.items()) + list(self.z.items())
                        if f.school in (a, b) and tid == f.team and d == f.day]
                if not own:
                    self.forced_missing.append(f)
                    continue
                m.add(sum(own) == 1)
        # objectives as (terms, constant), terms = [(coefficient, variable)]
        self.obj_end = ([(1, g) for g in self.going], 0)
        self.obj_travel = (travel_terms, 0)
        self.obj_visits = ([(1, v) for v in self.visited.values()], 0)
        # replan: announced visits kept or changed. A changed date weighs CHANGE_WEIGHT, the same date
        # with another team, pairing or order 1 (arrival times and the teams' calendars change).
        ann = {(c, d) for c, d, _t in inst.announced if c in school_codes}
        ann_schools = {c for c, _d in ann}
        change_terms = []
        const = 0
        for c, d in ann:
            const += CHANGE_WEIGHT            # an announced visit counts as changed ...
            v = self.visited.get((c, d))
            if v is not None:
                change_terms.append((-CHANGE_WEIGHT, v))  # ... unless it is kept
        for (c, d), v in self.visited.items():
            if c in ann_schools and (c, d) not in ann:
                change_terms.append((CHANGE_WEIGHT, v))   # a new visit day for a school that had a letter
        for td in previous or ():
            if any(c not in school_codes for c, _r in td.stops) or td.day not in self.di:
                continue
            const += 1                        # and each announced team-day not kept exactly as it was
            if len(td.stops) == 1:
                x = self.y.get((td.stops[0][0], td.team, td.day))
            else:
                key = (td.stops[0][0], td.stops[1][0], td.team, td.day)
                x = (self.z if td.split else self.p).get(key)
            if x is not None:
                change_terms.append((-1, x))
        self.obj_changes = (change_terms, const)
        self._hint: dict | None = None

    # ---------------------------------------------------------------- hints and extraction
    def all_vars(self) -> list:
        out = list(self.y.values()) + list(self.p.values()) + list(self.z.values())
        for ra, rb in self.rp.values():
            out += [ra, rb]
        for ka, ra, rb in self.rz.values():
            out += [ka, ra, rb]
        out += list(self.visited.values()) + list(self.started.values()) + list(self.going)
        return out

    def hint_team_days(self, team_days: list[TeamDay], partial: bool = False) -> bool:
        """Hint a solution given as team-days; False if it does not fit the model's variables.

        ``partial``: only the given visits are hinted (the rest is left to the solver)."""
        vals: dict = {v: 0 for v in self.all_vars()}
        visited_days: dict[str, set[date]] = defaultdict(set)
        last = -1
        for td in team_days:
            d, tid = td.day, td.team
            if len(td.stops) == 1:
                c, _r = td.stops[0]
                key = (c, tid, d)
                if key not in self.y:
                    return False
                vals[self.y[key]] = 1
            else:
                (a, ra), (b, rb) = td.stops
                key4 = (a, b, tid, d)
                if td.split:
                    if key4 not in self.z:
                        return False
                    vals[self.z[key4]] = 1
                    kav, rav, rbv = self.rz[key4]
                    vals[kav], vals[rav], vals[rbv] = td.split[0], ra, rb
                else:
                    if key4 not in self.p:
                        return False
                    vals[self.p[key4]] = 1
                    vals[self.rp[key4][0]] = ra
                    vals[self.rp[key4][1]] = rb
            for c, _r in td.stops:
                visited_days[c].add(d)
            last = max(last, self.di.get(d, 10**9))
        if last >= len(self.days):
            return False
        for (c, d), v in self.visited.items():
            vals[v] = int(d in visited_days[c])
        for s in self.schools:
            first = min(visited_days[s.code], default=None)
            for d in self.cand[s.code]:
                if (s.code, d) in self.started:
                    vals[self.started[(s.code, d)]] = int(first is not None and d >= first)
        for i, g in enumerate(self.going):
            vals[g] = int(i <= last)
        if partial:
            keep = set(self.y.values()) | set(self.p.values()) | set(self.z.values())
            vals = {v: x for v, x in vals.items() if v in keep and x}
        self._hint = vals
        return True

    def _apply_hint(self, vals: dict) -> None:
        self.m.clear_hints()
        for var, val in vals.items():
            self.m.add_hint(var, val)

    def _values(self, solver) -> dict:  # type: ignore[no-untyped-def]
        return {v: solver.value(v) for v in self.all_vars()}

    def team_days(self, vals: dict) -> list[TeamDay]:
        """The solution's team-days; each stop's number is its room (students placed by ``allocate``)."""
        out: list[TeamDay] = []
        for (c, tid, d), y in self.y.items():
            if vals[y]:
                out.append(TeamDay(d, tid, ((c, self.inst.team_by_id[tid].k * self.inst.cap(c)),)))
        for (a, b, tid, d), pv in self.p.items():
            if vals[pv]:
                ra, rb = self.rp[(a, b, tid, d)]
                out.append(TeamDay(d, tid, ((a, vals[ra]), (b, vals[rb]))))
        for (a, b, tid, d), zv in self.z.items():
            if vals[zv]:
                ka, ra, rb = self.rz[(a, b, tid, d)]
                k = self.inst.team_by_id[tid].k
                out.append(TeamDay(d, tid, ((a, vals[ra]), (b, vals[rb])), (vals[ka], k - vals[ka])))
        out.sort()
        return out

    # ---------------------------------------------------------------- solving
    def solve(self, objectives: list[str], time_limit: float, lower_end: date | None = None,
              shares: dict[str, float] | None = None) -> tuple[list[TeamDay] | None, list[Phase], str]:
        """Lexicographic solve. Returns (team-days or None, phases, status of the first objective)."""
        if self.infeasible_schools or self.forced_missing:
            return None, [Phase("build", "infeasible", None, 0.0)], "infeasible"
        exprs = {"end": self.obj_end, "travel": self.obj_travel, "visit_days": self.obj_visits,
                 "changes": self.obj_changes}
        if lower_end is not None and "end" in objectives:
            n_low = sum(1 for d in self.days if d <= lower_end)
            self.m.add(self._expr(self.obj_end) >= n_low)
        shares = shares or {}
        default_share = {"changes": 0.5, "end": 0.6, "travel": 0.25, "visit_days": 0.15}
        deadline = time.perf_counter() + time_limit
        phases: list[Phase] = []
        best: dict | None = self._hint
        first_status = "unknown"
        for k, name in enumerate(objectives):
            left = deadline - time.perf_counter()
            rest = objectives[k:]
            total_share = sum(shares.get(n, default_share[n]) for n in rest)
            budget = max(0.2, left * shares.get(name, default_share[name]) / total_share) if k < len(objectives) - 1 \
                else max(0.2, left)
            terms, const = exprs[name]
            if not terms:
                phases.append(Phase(name, "optimal", const, 0.0))
                continue
            expr = self._expr((terms, const))
            self.m.minimize(expr)
            if best is not None:
                self._apply_hint(best)
            solver = self.cp.CpSolver()
            solver.parameters.num_workers = WORKERS
            solver.parameters.max_time_in_seconds = budget
            solver.parameters.random_seed = 17
            t0 = time.perf_counter()
            code = solver.solve(self.m)
            secs = time.perf_counter() - t0
            status = _STATUS.get(int(code), "unknown")
            if status in ("optimal", "feasible"):
                value = int(round(solver.objective_value))
                phases.append(Phase(name, status, value, secs))
                best = self._values(solver)
                self.m.add(expr <= value)
            elif best is not None and status == "unknown":
                # keep the previous solution (or the hint): evaluate its value and fix it
                value = const + sum(c * best[v] for c, v in terms)
                phases.append(Phase(name, "feasible", value, secs))
                self.m.add(expr <= value)
            else:
                phases.append(Phase(name, status, None, secs))
                return None, phases, status
            if k == 0:
                first_status = phases[-1].status
        return (self.team_days(best) if best is not None else None), phases, first_status

    def _expr(self, obj):  # type: ignore[no-untyped-def]
        terms, const = obj
        return self.cp.LinearExpr.weighted_sum([v for _c, v in terms], [c for c, _v in terms]) + const


# -------------------------------------------------------------------- entry points

def solve(inst: Instance, time_limit: float = 10.0, objectives: list[str] | None = None,
          horizon_end: date | None = None, decompose: bool | None = None,
          previous: list[TeamDay] | None = None) -> SolveResult:
    """Plan ``inst``: CP-SAT (whole, or decomposed when large), greedy as hint and fallback.

    ``previous`` (replan): the announced plan's team-days; repaired with the greedy, they are the
    solver's starting point, and the horizon ends a little after them.
    """
    t0 = time.perf_counter()
    objectives = objectives or ["end", "travel", "visit_days"]
    if not any(inst.needs_visit(s) for s in inst.schools):
        return SolveResult([], "optimal", "cp-sat", [], time.perf_counter() - t0)
    g = best_greedy(inst)
    bound = lower_bound(inst)
    size = estimate_size(inst, g)
    if decompose is None:
        decompose = size > MAX_FULL_MODEL_VARS and len(inst.teams) > 1
    if decompose:
        res = solve_decomposed(inst, time_limit, objectives, previous)
        res.seconds = time.perf_counter() - t0
        return res
    h_end = horizon_end
    phases: list[Phase] = []
    status = None
    hint = g.team_days if g.complete else None
    if previous is not None:
        fixed_up = repair(inst, previous)
        if fixed_up:
            hint = fixed_up
            if h_end is None:   # a moved visit rarely needs more than two weeks past the old end
                last = max([td.day for td in fixed_up] + ([v.day for v in g.visits] if g.complete else []))
                h_end = min(inst.end, last + timedelta(days=14))
    if objectives[0] == "end" and g.complete and g.visits:
        share = 0.6 if len(objectives) > 1 else 1.0
        hint, end_phase = shrink_end(inst, g.team_days, t0 + share * time_limit, bound.end)
        phases.append(end_phase)
        status = end_phase.status
        h_end = max(td.day for td in hint)
        objectives = objectives[1:]
    if h_end is not None and inst.forced:
        h_end = max([h_end] + [f.day for f in inst.forced])
    planner = CpPlanner(inst, horizon_end=h_end, previous=previous)
    if hint is not None:
        planner.hint_team_days(hint)
    left = time_limit - (time.perf_counter() - t0)
    if objectives:
        tds, more, st = planner.solve(objectives, max(0.5, left), lower_end=bound.end)
        phases += more
        status = status or st
    else:
        tds = hint
    if tds is None:
        if g.complete and status != "infeasible":
            return SolveResult(g.visits, "feasible", "greedy", phases, time.perf_counter() - t0)
        return SolveResult([], status, "cp-sat", phases, time.perf_counter() - t0)
    return SolveResult(materialize(inst, allocate(inst, prune(inst, tds))), status, "cp-sat", phases,
                       time.perf_counter() - t0)


def shrink_end(inst: Instance, start: list[TeamDay], deadline: float, lower_end: date | None
               ) -> tuple[list[TeamDay], Phase]:
    """Earliest end: from a complete plan, ask CP-SAT for one ending a working day earlier, again and again.

    Each step is a feasibility model over the shorter horizon (smaller than one model with an
    end objective, and hinted with the current plan cut at the new horizon). Stops when a step
    is proven impossible or reaches the lower bound (the end is then optimal), or at the deadline.
    """
    t0 = time.perf_counter()
    work = set().union(*(t.work_days for t in inst.teams)) if inst.teams else set()
    days = [d for d in inst.days() if d in work]
    best = sorted(start)
    status = "feasible"
    while True:
        end = max(td.day for td in best)
        earlier = [d for d in days if d < end]
        agreed = max((f.day for f in inst.forced), default=None)
        if not earlier or (lower_end is not None and end <= lower_end) or (agreed is not None and end <= agreed):
            status = "optimal"
            break
        left = deadline - time.perf_counter()
        if left < 0.2:
            break
        target = earlier[-1]
        planner = CpPlanner(inst, horizon_end=target)
        if planner.infeasible_schools or planner.forced_missing:
            status = "optimal"
            break
        planner.hint_team_days([td for td in best if td.day <= target], partial=True)
        solver = planner.cp.CpSolver()
        solver.parameters.num_workers = WORKERS
        solver.parameters.max_time_in_seconds = left
        solver.parameters.random_seed = 17
        code = _STATUS.get(int(solver.solve(planner.m)), "unknown")
        if code in ("optimal", "feasible"):
            best = planner.team_days(planner._values(solver))
            continue
        if code == "infeasible":
            status = "optimal"
        break
    n = sum(1 for d in days if d <= max(td.day for td in best))
    return best, Phase("end", status, n, time.perf_counter() - t0)


def estimate_size(inst: Instance, g=None) -> int:  # type: ignore[no-untyped-def]
    """Number of visit variables of the full model (over the greedy's horizon when it succeeded)."""
    end = max((v.day for v in g.visits), default=inst.end) if g is not None and g.complete else inst.end
    days = [d for d in inst.days() if d <= end]
    n = 0
    for t in inst.teams:
        wd = [d for d in days if d in t.work_days]
        for s in inst.schools:
            n += sum(1 for d in wd if d in s.open_days)
    return n + n * len(inst.pairs()) // max(1, len(inst.schools))


def _angle_order(inst: Instance, codes: list[str]) -> list[str]:
    coords = inst.coords or {}
    o = coords.get("office")
    schools = [inst.by_code[c] for c in codes]
    if o and all(s.code in coords for s in schools):
        def key(s):  # type: ignore[no-untyped-def]
            la, lo = coords[s.code]
            return (math.atan2(la - o[0], (lo - o[1]) * math.cos(math.radians(o[0]))), s.travel, s.code)
    else:
        def key(s):  # type: ignore[no-untyped-def]
            return (s.travel, s.code)
    return [s.code for s in sorted(schools, key=key)]


def sub_instance(inst: Instance, team, codes: list[str]) -> Instance:  # type: ignore[no-untyped-def]
    """The part of ``inst`` one team plans alone: its schools and the pairs among them."""
    cs = set(codes)
    return Instance(start=inst.start, end=inst.end, schools=tuple(inst.by_code[c] for c in codes), teams=(team,),
                    params=inst.params, between={k: v for k, v in inst.between.items() if k[0] in cs and k[1] in cs},
                    forced=tuple(f for f in inst.forced if f.school in cs and f.team in ("", team.id)),
                    announced=frozenset(x for x in inst.announced if x[0] in cs and x[2] == team.id),
                    coords=inst.coords)


def sectors(inst: Instance, deadline: float | None = None) -> dict[str, list[str]]:
    """Split the schools into one geographic sector per team, balanced by when each team would finish.

    Schools are ordered by bearing from the office (by travel without coordinates); each team
    gets a contiguous run sized by its share of the kits' working days. Then the boundaries
    move one school at a time from the team that finishes last to a neighbouring team, as long
    as that brings the later of the two ends forward (each sector judged by its greedy plan,
    which takes milliseconds). Schools with an agreed visit by a given team stay with it.
    """
    p = inst.params
    pinned: dict[str, str] = {f.school: f.team for f in inst.forced if f.team}
    free = [s.code for s in inst.schools if s.code not in pinned]
    order = _angle_order(inst, free)
    load = {}
    for c in order:
        s = inst.by_code[c]
        vd = inst.visit_days(s)
        n = s.demand_on(vd[0]) if vd else 0
        load[c] = n * p.minutes_per_student / max(1, p.window - p.setup - s.travel)
    teams = list(inst.teams)
    weights = [t.k * len(t.work_days) for t in teams]
    total_w = sum(weights) or 1
    total = sum(load.values())
    cuts = [0]
    acc, ti = 0.0, 0
    target = total * weights[0] / total_w
    for idx, c in enumerate(order):
        if acc + load[c] / 2 > target and ti < len(teams) - 1 and idx > cuts[-1]:
            cuts.append(idx)
            ti += 1
            acc = 0.0
            target = total * weights[ti] / total_w
        acc += load[c]
    while len(cuts) < len(teams):
        cuts.append(len(order))
    cuts.append(len(order))

    def part(i: int) -> list[str]:
        return order[cuts[i]:cuts[i + 1]] + [c for c, t in pinned.items() if t == teams[i].id]

    def finish(i: int) -> tuple[int, date]:
        codes = part(i)
        if not codes:
            return (0, inst.start)
        g = greedy_plan(sub_instance(inst, teams[i], codes))
        end = max((v.day for v in g.visits), default=inst.start)
        return (sum(g.unmet.values()), end)

    ends = [finish(i) for i in range(len(teams))]
    for _ in range(20 * len(teams)):
        if deadline is not None and time.perf_counter() > deadline:
            break
        worst = max(range(len(teams)), key=lambda i: ends[i])
        best_move = None
        for nb, side in ((worst - 1, "left"), (worst + 1, "right")):
            if not 0 <= nb < len(teams) or cuts[worst + 1] - cuts[worst] <= 1:
                continue
            trial = list(cuts)
            if side == "left":
                trial[worst] += 1          # the worst sector's first school goes to the left neighbour
            else:
                trial[worst + 1] -= 1      # its last school goes to the right neighbour
            saved = cuts
            cuts = trial
            e_w, e_n = finish(worst), finish(nb)
            cuts = saved
            if max(e_w, e_n) < max(ends[worst], ends[nb]) and (best_move is None or max(e_w, e_n) < best_move[0]):
                best_move = (max(e_w, e_n), trial, nb, e_w, e_n)
        if best_move is None:
            break
        _m, cuts, nb, e_w, e_n = best_move
        ends[worst], ends[nb] = e_w, e_n
    return {t.id: part(i) for i, t in enumerate(teams)}


def solve_decomposed(inst: Instance, time_limit: float, objectives: list[str],
                     previous: list[TeamDay] | None = None) -> SolveResult:
    """One model per team over its sector (see ``sectors``), each solved like a whole drive."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    parts = sectors(inst, deadline=t0 + 0.15 * time_limit)
    all_tds: list[TeamDay] = []
    phases: list[Phase] = []
    teams = [t for t in inst.teams if parts[t.id]]
    for n, t in enumerate(teams):
        sub = sub_instance(inst, t, parts[t.id])
        left = deadline - time.perf_counter()
        budget = max(0.3, left / (len(teams) - n))
        prev = [td for td in previous or () if td.team == t.id and all(c in parts[t.id] for c, _r in td.stops)]
        res = solve(sub, time_limit=budget, objectives=objectives, decompose=False,
                    previous=prev if previous is not None else None)
        if not res.found:
            return SolveResult([], res.status if res.status == "infeasible" else "unknown", "cp-sat-decomposed",
                               phases + res.phases, time.perf_counter() - t0)
        all_tds += team_days_of(sub, res.visits)
        for x in res.phases:
            phases.append(Phase(f"{t.id}:{x.name}", x.status, x.value, x.seconds))
    visits = materialize(inst, allocate(inst, all_tds))
    # a sector plan proves nothing about the whole: report "feasible"
    return SolveResult(visits, "feasible", "cp-sat-decomposed", phases, time.perf_counter() - t0)


def plan_from_visits(inst: Instance, visits: list[Visit]) -> list[TeamDay]:
    return team_days_of(inst, visits)

"""The CP-SAT model of visit planning and how it is solved.

Variables (one set per team, day and school the team could visit that day):

- ``y[s,t,d]`` team ``t`` spends day ``d`` at school ``s`` alone, with room for
  ``kits x cap(s)`` students, ``cap(s) = (window - ride - setup) / minutes per student``;
- ``p[a,b,t,d]`` team ``t`` records at two near schools that day one after the other, nearer one
  first (``ra + rb <= pair_room(a, b, kits)``, both at least one student);
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

**The earliest end** is searched with a fixed horizon (``search_end``): a *soft* model over the days
up to a target date, where a school may be left short by ``slack`` students, minimising the
students left short (``soft_attempt``). From the best complete plan (the greedy's), CP-SAT is asked
for a plan ending one working day earlier, starting from that plan cut at the target: the shortfall
gives the local search (LNS, seeded, 2 workers; restarted with the next seed when it stalls) a
measure of progress that a hard horizon lacks. The end is ``optimal`` when it reaches the
independent lower bound (``bounds.py``) or CP-SAT proves the working day before impossible.

**Then**, on that horizon, one after the other, each phase keeping the optimum of the ones before
and starting from their solution: (replan only: fewest changed announced visits first, then the
end with the model's ``going`` objective), the least travel (office to school(s) and back, per
team-day), the fewest visit-days (a school prefers one visit).

**Large instances with interchangeable teams** (same kits, no agreed visits, not a replan) are
planned with the teams pooled (``pooled.py``: patterns first, then days); when that fails, and for
the other large instances, they are decomposed (``solve_decomposed``): one geographic sector of
schools per team, balanced in sweeps over the sector boundaries; each sector starts from its greedy
plan; the sectors that end last are asked to end a working day earlier, one at a time, and a sector
that cannot is planned together with its neighbour (both teams in one model) -- the repair step.

Kits of a team are not modelled one by one (a team-day has room for ``kits x cap``), so there is no
symmetry between identical kits to break; teams with the same kits and calendar are rare (days off
differ) and are not symmetric in the decomposition (each has its own sector).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sweet17.services.planning import pooled
from sweet17.services.planning.bounds import Bound, lower_bound
from sweet17.services.planning.greedy import best_greedy, repair
from sweet17.services.planning.instance import (
    Instance,
    TeamDay,
    Visit,
    allocate,
    materialize,
    metrics,
    prune,
    team_days_of,
    verify_plan,
)

WORKERS = 2
# Replan: a changed announced date costs this many team changes.
CHANGE_WEIGHT = 20
# Above this many visit variables a model is split by team (see solve_decomposed).
MAX_FULL_MODEL_VARS = 40_000
# Large drives with interchangeable teams (pooled.py): the share of the time limit it may take.
POOLED_SHARE = 0.95


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
                 schools: list[str] | None = None, previous: list[TeamDay] | None = None,
                 soft: bool = False) -> None:
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.inst = inst
        self.soft = soft
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
            both = cand_set[a] & cand_set[b]
            for t in self.teams:
                cap = inst.pair_room(a, b, t.k)
                if cap < 2:
                    continue
                for d in self.days:
                    if d not in both or d not in t.work_days:
                        continue
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
        # going[i]: the drive is still on at days[i] (only for the end objective; a soft model has a fixed horizon)
        self.going = [] if soft else [m.new_bool_var("") for _ in self.days]
        for i in range(len(self.going) - 1):
            m.add(self.going[i] >= self.going[i + 1])
        self.infeasible_schools: list[str] = []
        # soft model: students of a school the visits leave unrecorded by the horizon (the shortfall)
        self.slack: dict[str, object] = {}
        self.due: dict[str, list[int]] = {}

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
                if self.going:
                    m.add(v <= self.going[self.di[d]])
                self.visited[(s.code, d)] = v
                vis.append(v)
            if s.fixed_demand is not None:      # replan: the students left at a school already started
                left = room([x for d in days_s for x in recs[(s.code, d)]])
                self.due[s.code] = [s.fixed_demand]
                if soft:
                    sl = m.new_int_var(0, s.fixed_demand, "")
                    self.slack[s.code] = sl
                    m.add(left + sl >= s.fixed_demand)
                else:
                    m.add_bool_or(vis)
                    m.add(left >= s.fixed_demand)
                continue
            # started[j]: the school's first visit is on days_s[j] or earlier (monotone, switches on with a visit)
            started = [m.new_bool_var("") for _ in days_s]
            if not soft:
                m.add(started[-1] == 1)
            e = [s.demand_on(d) for d in days_s]
            self.due[s.code] = e
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
            if soft:   # a school not started owes everybody due at the horizon
                sl = m.new_int_var(0, e[-1], "")
                self.slack[s.code] = sl
                all_room = all_room + sl
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
        out += list(self.slack.values())
        return out

    def hint_team_days(self, team_days: list[TeamDay], partial: bool = False) -> bool:
        """Hint a solution given as team-days; False if it does not fit the model's variables.

        ``partial``: only the given visits are hinted (the rest is left to the solver)."""
        vals: dict = {v: 0 for v in self.all_vars()}
        visited_days: dict[str, set[date]] = defaultdict(set)
        rooms: dict[str, int] = defaultdict(int)
        busy: set[tuple[str, date]] = set()
        last = -1
        for td in team_days:
            d, tid = td.day, td.team
            if (tid, d) in busy:
                return False
            if len(td.stops) == 1:
                c, _r = td.stops[0]
                key = (c, tid, d)
                if key not in self.y:
                    return False
                vals[self.y[key]] = 1
                rooms[c] += self.inst.team_by_id[tid].k * self.inst.cap(c)
            else:
                (a, ra), (b, rb) = td.stops
                key4 = (a, b, tid, d)
                if td.split:
                    if key4 not in self.z:
                        return False
                    kav, rav, rbv = self.rz[key4]
                    k = self.inst.team_by_id[tid].k
                    ca, cb = self.inst.split_cap(a, b)
                    ka = td.split[0]
                    ra, rb = min(ra, ca * ka), min(rb, cb * (k - ka))
                    if ra < 1 or rb < 1:
                        return False
                    vals[self.z[key4]] = 1
                    vals[kav], vals[rav], vals[rbv] = ka, ra, rb
                else:
                    if key4 not in self.p:
                        return False
                    cap = self.inst.pair_room(a, b, self.inst.team_by_id[tid].k)
                    if ra < 1 or rb < 1 or ra + rb > cap:
                        return False
                    vals[self.p[key4]] = 1
                    vals[self.rp[key4][0]] = ra
                    vals[self.rp[key4][1]] = rb
                rooms[a] += ra
                rooms[b] += rb
            busy.add((tid, d))
            for c, _r in td.stops:
                visited_days[c].add(d)
            last = max(last, self.di.get(d, 10**9))
        if last >= len(self.days):
            return False
        for code, sl in self.slack.items():
            e = self.due[code]
            if len(e) == 1 and self.inst.by_code[code].fixed_demand is not None:
                owed = e[0]
            else:
                first = min(visited_days[code], default=None)
                cand = self.cand[code]
                owed = e[-1] if first is None else e[cand.index(first)] if first in cand else e[-1]
            vals[sl] = max(0, owed - rooms[code])
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

    def shortfall(self, vals: dict) -> int:
        return sum(vals[v] for v in self.slack.values())

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
          previous: list[TeamDay] | None = None, bound: Bound | None = None) -> SolveResult:
    """Plan ``inst``: CP-SAT (whole, or decomposed when large), greedy as hint and fallback.

    The earliest end is searched first with a fixed horizon (``search_end``); the other objectives
    are then solved one after the other on that horizon, each starting from the previous solution.
    ``previous`` (replan): the announced plan's team-days; repaired with the greedy, they are the
    solver's starting point, and the horizon ends a little after them. ``bound``: the lower bound
    when the caller has it already (else computed here).
    """
    t0 = time.perf_counter()
    objectives = objectives or ["end", "travel", "visit_days"]
    if not any(inst.needs_visit(s) for s in inst.schools):
        return SolveResult([], "optimal", "cp-sat", [], time.perf_counter() - t0)
    g = best_greedy(inst)
    size = estimate_size(inst, g)
    if decompose is None:
        decompose = size > MAX_FULL_MODEL_VARS and len(inst.teams) > 1
    if decompose and previous is None and objectives[0] == "end" and pooled.applicable(inst):
        # interchangeable teams: patterns first, then days (pooled.py); the sectors when that fails
        tds, info = pooled.plan_pooled(inst, t0 + POOLED_SHARE * time_limit)
        if tds:
            visits = materialize(inst, allocate(inst, prune(inst, tds)))
            if not verify_plan(inst, visits):
                m, mg = metrics(inst, visits), metrics(inst, g.visits)
                if not g.complete or (m.end, m.kit_days) <= (mg.end, mg.kit_days):
                    work = set().union(*(t.work_days for t in inst.teams))
                    n_days = sum(1 for d in inst.days() if d in work and d <= m.end)
                    phases = [Phase("patterns", "feasible", info.get("team_days"), info.get("patterns_s", 0.0)),
                              Phase("end", "feasible", n_days, info.get("schedule_s", 0.0))]
                    return SolveResult(visits, "feasible", "cp-sat-pooled", phases, time.perf_counter() - t0)
    if decompose:
        left = max(1.0, time_limit - (time.perf_counter() - t0))   # what the pooled planner left
        res = solve_decomposed(inst, left, objectives, previous, t0=time.perf_counter())
        res.seconds = time.perf_counter() - t0
        return res
    bound = bound or lower_bound(inst)
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
    if objectives[0] == "end":
        share = 0.8 if len(objectives) > 1 else 1.0
        found, end_phase = search_end(inst, g.team_days, g.complete, t0 + share * time_limit, bound.end)
        phases.append(end_phase)
        status = end_phase.status
        if found is None:
            return SolveResult([], status, "cp-sat", phases, time.perf_counter() - t0)
        hint = found
        h_end = max(td.day for td in hint)
        objectives = objectives[1:]
    if h_end is not None and inst.forced:
        h_end = max([h_end] + [f.day for f in inst.forced])
    tds = hint
    if objectives:
        planner = CpPlanner(inst, horizon_end=h_end, previous=previous)
        if hint is not None:
            planner.hint_team_days(hint)
        left = time_limit - (time.perf_counter() - t0)
        got, more, st = planner.solve(objectives, max(0.5, left), lower_end=bound.end)
        phases += more
        status = status or st
        tds = got if got is not None else (hint if status != "infeasible" and hint is not None
                                           and phases[0].name == "end" else None)
    if tds is None:
        if g.complete and status != "infeasible":
            return SolveResult(g.visits, "feasible", "greedy", phases, time.perf_counter() - t0)
        return SolveResult([], status or "unknown", "cp-sat", phases, time.perf_counter() - t0)
    return SolveResult(materialize(inst, allocate(inst, prune(inst, tds))), status, "cp-sat", phases,
                       time.perf_counter() - t0)


@dataclass
class Attempt:
    """One fixed-horizon try: the best team-days found, the students they leave short, proof of impossibility."""
    team_days: list[TeamDay] | None
    shortfall: float
    impossible: bool
    seconds: float


def soft_attempt(inst: Instance, end_day: date, hints: list[list[TeamDay]], budget: float, seed: int = 17,
                 teams: list[str] | None = None, schools: list[str] | None = None) -> Attempt:
    """Can every school be covered by ``end_day``? CP-SAT minimises the students left short (0: yes).

    A shortfall objective (instead of a hard horizon) gives the solver's local search a measure of
    progress from the hint (the best of ``hints`` cut at the horizon). The time is used in chunks; a chunk that
    stalls is restarted with the next seed from the best solution so far, which never gets worse.
    ``impossible``: CP-SAT proved that some student is always short (the horizon is too short).
    """
    t0 = time.perf_counter()
    planner = CpPlanner(inst, horizon_end=end_day, teams=teams, schools=schools, soft=True)
    if planner.infeasible_schools or planner.forced_missing:
        return Attempt(None, math.inf, True, time.perf_counter() - t0)
    obj = sum(planner.slack.values()) if planner.slack else 0
    planner.m.minimize(obj)
    best_vals: dict | None = None
    best = math.inf
    for hint in hints:
        if hint and planner.hint_team_days([td for td in hint if td.day <= end_day]):
            if planner.shortfall(planner._hint) < best:
                best_vals = planner._hint
                best = planner.shortfall(best_vals)
    if best == 0:
        return Attempt(planner.team_days(best_vals), 0, False, time.perf_counter() - t0)
    k = 0
    while True:
        left = budget - (time.perf_counter() - t0)
        if left < 0.3:
            break
        # from a starting solution, local search alone (LNS) closes the shortfall far more often than the
        # full portfolio in the same time (measured on the sample regency); the full solver, which can
        # also prove a horizon impossible, takes every other chunk
        lns = best_vals is not None and k % 2 == 0
        chunk = min(left, max(3.0, 0.6 * budget)) if lns else left if k > 0 and left < 4.0 else min(left, max(2.5, budget / 3))
        if best_vals is not None:
            planner._apply_hint(best_vals)
        solver = planner.cp.CpSolver()
        solver.parameters.num_workers = WORKERS
        solver.parameters.max_time_in_seconds = chunk
        solver.parameters.random_seed = seed + k
        solver.parameters.use_lns_only = lns
        code = _STATUS.get(int(solver.solve(planner.m)), "unknown")
        k += 1
        if code == "infeasible":
            return Attempt(None, math.inf, True, time.perf_counter() - t0)
        if code in ("optimal", "feasible"):
            value = int(round(solver.objective_value))
            if value < best:
                best, best_vals = value, planner._values(solver)
            if best == 0:
                break
            if code == "optimal" or solver.best_objective_bound > 0.5:
                return Attempt(planner.team_days(best_vals), best, True, time.perf_counter() - t0)
            planner.m.add(obj <= best)    # a restart may only improve
    return Attempt(planner.team_days(best_vals) if best_vals is not None else None, best, False,
                   time.perf_counter() - t0)


def search_end(inst: Instance, start: list[TeamDay], complete: bool, deadline: float, lower_end: date | None,
               teams: list[str] | None = None, schools: list[str] | None = None, seed: int = 17
               ) -> tuple[list[TeamDay] | None, Phase]:
    """The earliest end, with a fixed horizon per try (``soft_attempt``).

    From the best complete plan known (``start`` when ``complete``, e.g. the greedy plan), one
    working day earlier at a time while time remains, each try starting from the plan before it
    (when that plan is far from the bound, the bound's end is tried first, briefly). The end is
    ``optimal`` when it reaches the lower bound, or when CP-SAT proved that no plan of the model
    ends a working day earlier.
    """
    t0 = time.perf_counter()
    team_set = [t for t in inst.teams if teams is None or t.id in teams]
    work = set().union(*(t.work_days for t in team_set)) if team_set else set()
    days = [d for d in inst.days() if d in work]
    agreed = max((f.day for f in inst.forced if schools is None or f.school in schools), default=None)
    floor = 0
    if lower_end is not None:
        floor = next((i for i, d in enumerate(days) if d >= lower_end), len(days))
    if agreed is not None:
        floor = max(floor, next((i for i, d in enumerate(days) if d >= agreed), len(days)))
    best = sorted(start) if complete and start else None
    partial: list[TeamDay] | None = sorted(start) if start and not complete else None
    top = days.index(max(td.day for td in best)) if best else None
    tries = 0

    tried: set[int] = set()

    def attempt(i: int, budget: float) -> Attempt:
        nonlocal tries, partial
        tries += 1
        tried.add(i)
        a = soft_attempt(inst, days[i], [x for x in (best, partial) if x], budget, seed + 100 * tries, teams,
                         schools)
        if a.shortfall > 0 and a.team_days:
            partial = a.team_days      # nearly there: the best start for a later horizon
        return a

    if floor < len(days) and (top is None or top - floor > 3):
        # far from the bound: an optimistic try at the bound first (often right on small drives)
        left = deadline - time.perf_counter()
        a = attempt(floor, left * (0.3 if top is not None else 0.4))
        if a.shortfall == 0:
            best, top = a.team_days, floor
        elif a.impossible:
            floor += 1
    if top is None and floor < len(days):
        # no complete plan yet: the whole horizon first
        a = attempt(len(days) - 1, (deadline - time.perf_counter()) * 0.6)
        if a.shortfall == 0:
            best, top = a.team_days, days.index(max(td.day for td in a.team_days))
        elif a.impossible:
            return None, Phase("end", "infeasible", None, time.perf_counter() - t0)
    while top is not None and top > floor:
        left = deadline - time.perf_counter()
        if left < 0.5:
            break
        i = top - 1
        last = i == floor or (i - 1 == floor and floor in tried)
        # one day earlier than a complete plan is usually quick; the last step to the bound gets the rest
        a = attempt(i, left if last else left * 0.4)
        if a.shortfall == 0:
            best, top = a.team_days, min(i, days.index(max(td.day for td in a.team_days)))
            continue
        if a.impossible:
            floor = top
        break
    if best is None:
        return None, Phase("end", "unknown", None, time.perf_counter() - t0)
    end = max(td.day for td in best)
    n = sum(1 for d in days if d <= end)
    status = "optimal" if top is not None and top <= floor else "feasible"
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
    gets a contiguous run sized by its share of the kits' working days. Then, in sweeps over the
    boundaries, one school at a time crosses a boundary when that brings the later of the two
    sectors forward (each sector judged by its best greedy plan: students left out, last day,
    team-days), so load flows from sector to sector. Schools with an agreed visit by a given team
    stay with it.
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

    cache: dict[tuple[int, tuple[str, ...]], tuple[int, date, int]] = {}

    def finish(i: int, cut: list[int]) -> tuple[int, date, int]:
        """(students the greedy leaves out, its last day, its team-days) for team i's sector under ``cut``."""
        codes = tuple(order[cut[i]:cut[i + 1]] + [c for c, t in pinned.items() if t == teams[i].id])
        if (i, codes) not in cache:
            if not codes:
                cache[(i, codes)] = (0, inst.start, 0)
            else:
                g = best_greedy(sub_instance(inst, teams[i], list(codes)), tries=1)
                cache[(i, codes)] = (sum(g.unmet.values()), max((td.day for td in g.team_days), default=inst.start),
                                     len(g.team_days))
        return cache[(i, codes)]

    # sweeps over the boundaries: one school crosses a boundary when that brings the later of the two
    # sectors forward (fewer students left out, then an earlier end, then fewer team-days); load flows
    # from sector to sector over the sweeps
    for _sweep in range(40):
        moved = False
        for i in range(len(teams) - 1):
            if deadline is not None and time.perf_counter() > deadline:
                break
            now = max(finish(i, cuts), finish(i + 1, cuts))
            best_move = None
            for delta in (1, -1):
                trial = list(cuts)
                trial[i + 1] += delta
                if not trial[i] < trial[i + 1] < trial[i + 2]:
                    continue
                after = max(finish(i, trial), finish(i + 1, trial))
                if after < now and (best_move is None or after < best_move[0]):
                    best_move = (after, trial)
            if best_move is not None:
                cuts = best_move[1]
                moved = True
        if not moved or (deadline is not None and time.perf_counter() > deadline):
            break
    return {t.id: part(i) for i, t in enumerate(teams)}


def group_instance(inst: Instance, team_ids: list[str], codes: list[str]) -> Instance:
    """The part of ``inst`` some teams plan together: their schools and the pairs among them."""
    cs, ts = set(codes), set(team_ids)
    return Instance(start=inst.start, end=inst.end, schools=tuple(inst.by_code[c] for c in codes),
                    teams=tuple(t for t in inst.teams if t.id in ts), params=inst.params,
                    between={k: v for k, v in inst.between.items() if k[0] in cs and k[1] in cs},
                    forced=tuple(f for f in inst.forced if f.school in cs and f.team in ("", *ts)),
                    announced=frozenset(x for x in inst.announced if x[0] in cs and x[2] in ts),
                    coords=inst.coords)


@dataclass
class _Group:
    teams: list[str]
    schools: list[str]
    plan: list[TeamDay]
    end: int                       # index of its last visit in the drive's working days


def _debug(*a) -> None:  # noqa: ANN002
    """The decomposed search's steps, for tuning (logger ``sweet17.services.planning.model``, level DEBUG)."""
    import logging

    log = logging.getLogger(__name__)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(" ".join(str(x) for x in a))


# Decomposed search: a group of teams is planned together by at most this many teams.
MAX_GROUP_TEAMS = 3


def solve_decomposed(inst: Instance, time_limit: float, objectives: list[str],
                     previous: list[TeamDay] | None = None, t0: float | None = None) -> SolveResult:
    """Large drives: one sector of schools per team (``sectors``), planned apart, then repaired together.

    Each sector starts from its greedy plan. Then, again and again, the sectors that end last are
    asked (``soft_attempt``, one team each) to end one working day earlier; a sector that cannot is
    planned together with its neighbour that ends earliest (both teams in one model, which moves
    schools between them) -- the repair step. When that fails too, the end stays; the remaining
    time lowers each group's travel. A sector plan proves nothing about the whole: ``feasible``.
    """
    t0 = t0 or time.perf_counter()
    deadline = t0 + time_limit
    if previous is not None or objectives[0] != "end":
        return _solve_sectors_apart(inst, time_limit, objectives, previous, t0)
    parts = sectors(inst, deadline=t0 + 0.1 * time_limit)
    work = set().union(*(t.work_days for t in inst.teams))
    days = [d for d in inst.days() if d in work]
    index = {d: i for i, d in enumerate(days)}
    groups: list[_Group] = []
    for t in inst.teams:
        codes = parts[t.id]
        if not codes:
            continue
        g = best_greedy(group_instance(inst, [t.id], codes), tries=4)
        if not g.complete:
            return _solve_sectors_apart(inst, time_limit, objectives, previous, t0)
        plan = sorted(g.team_days)
        groups.append(_Group([t.id], list(codes), plan, index[max(td.day for td in plan)] if plan else -1))
    phases: list[Phase] = []
    _debug("sectors+greedy", round(time.perf_counter() - t0, 1), sorted((g.end for g in groups), reverse=True))
    end_deadline = t0 + 0.9 * time_limit
    seed = 17
    tries = merges = 0
    t_end = time.perf_counter()
    while True:
        top = max(g.end for g in groups)
        if top <= 0:
            break
        target = days[top - 1]
        worst = [g for g in groups if g.end == top]
        stuck: list[tuple[_Group, Attempt]] = []
        for n, g in enumerate(worst):       # each alone first: most take a second or two
            left = end_deadline - time.perf_counter()
            if left < 1.0:
                break
            budget = min(left / (len(worst) - n), 4.0 * len(g.teams))
            tries += 1
            a = soft_attempt(group_instance(inst, g.teams, g.schools), target, [g.plan], budget, seed + tries)
            _debug("single", g.teams, top, a.shortfall, round(a.seconds, 1), round(budget, 1))
            if a.shortfall == 0 and a.team_days is not None:
                g.plan, g.end = a.team_days, index[max(td.day for td in a.team_days)]
            else:
                stuck.append((g, a))
        for n, (g, a) in enumerate(stuck):
            # repair: plan the sector with a neighbour that ends earlier (both teams in one model)
            if g not in groups or g.end < top:
                continue
            i = groups.index(g)
            nbs = [groups[j] for j in (i - 1, i + 1) if 0 <= j < len(groups) and groups[j].end < top
                   and len(groups[j].teams) + len(g.teams) <= MAX_GROUP_TEAMS]
            for nb in sorted(nbs, key=lambda x: (x.end, len(x.teams))):
                left = end_deadline - time.perf_counter()
                if left < 1.0:
                    break
                lo, hi = sorted((g, nb), key=groups.index)
                merged = _Group(lo.teams + hi.teams, lo.schools + hi.schools, sorted(lo.plan + hi.plan), top)
                tries += 1
                # start from the sector's own best try (short of a few students) with the neighbour's plan
                hints = [merged.plan] + ([sorted(a.team_days + nb.plan)] if a.team_days else [])
                b = soft_attempt(group_instance(inst, merged.teams, merged.schools), target, hints,
                                 min(left / (len(stuck) - n), 6.0 * len(merged.teams)), seed + tries)
                _debug("merge", merged.teams, top, b.shortfall, round(b.seconds, 1))
                if b.shortfall == 0 and b.team_days is not None:
                    merged.plan, merged.end = b.team_days, index[max(td.day for td in b.team_days)]
                    j = groups.index(lo)
                    groups[j:j + 2] = [merged]
                    merges += 1
                    break
        if max(g.end for g in groups) >= top:
            break
    phases.append(Phase("end", "feasible", max(g.end for g in groups) + 1, time.perf_counter() - t_end))
    phases.append(Phase("end:tries", "feasible", tries, 0.0))
    phases.append(Phase("end:merged", "feasible", merges, 0.0))
    # the least travel per group, in the time left, on the group's own horizon
    rest = [x for x in objectives[1:] if x in ("travel", "visit_days")]
    t_rest = time.perf_counter()
    done = 0
    if rest:
        for n, g in enumerate(sorted(groups, key=lambda x: -len(x.schools))):
            left = deadline - time.perf_counter()
            budget = left / (len(groups) - n)
            if budget < 1.5:
                continue
            sub = group_instance(inst, g.teams, g.schools)
            planner = CpPlanner(sub, horizon_end=days[g.end])
            planner.hint_team_days(g.plan)
            got, _more, _st = planner.solve(rest, budget)
            if got is not None:
                g.plan = got
                done += 1
        phases.append(Phase("travel", "feasible", done, time.perf_counter() - t_rest))
    all_tds = [td for g in groups for td in g.plan]
    visits = materialize(inst, allocate(inst, prune(inst, all_tds)))
    return SolveResult(visits, "feasible", "cp-sat-decomposed", phases, time.perf_counter() - t0)


def _solve_sectors_apart(inst: Instance, time_limit: float, objectives: list[str],
                         previous: list[TeamDay] | None, t0: float) -> SolveResult:
    """One model per team over its sector, each solved like a whole drive (replans, incomplete greedy)."""
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
                    previous=prev if previous is not None else None, bound=lower_bound(sub, exact_seconds=0))
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

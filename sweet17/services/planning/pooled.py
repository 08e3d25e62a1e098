"""Large drives whose teams all carry the same number of kits: the days' patterns first, then the days.

When every team has ``k`` kits, *which* team does a team-day changes nothing the plan is judged on:
each team-day starts and ends at the office, so its travel, its room and its kit-days depend only on
where it goes. The planner's per-team model carries that symmetry twenty times over at province
scale, and cutting the drive into one sector per team (``model.solve_decomposed``) gives every sector
its own rounding and its own tail. ``plan_pooled`` works with the teams as a pool instead:

1. **Patterns** (no calendar): how many team-days go to each school alone (room ``k x cap(s)``), to
   each near pair one school after the other (room ``pair_room``, divided between the two), and to
   each near pair with the kits divided (``ka`` kits at the nearer school, the rest at the other),
   so that each school's room covers its students, with the fewest team-days and then the least
   travel. An integer program per window of near schools (SCIP through OR-Tools, CP-SAT where SCIP
   is missing; hinted with the current solution; schools outside the window keep their patterns and
   what shared days with them bring): the first sweep covers the drive with disjoint windows, later
   sweeps take windows around random schools, so sharing across window borders is found too -- a
   large-neighbourhood search, two windows with no school in common at once.
2. **Days** (CP-SAT): each pattern's team-days go to days on which its schools are open and teams
   of the pool work, at most as many on a day as teams working; the earliest end first, then the
   fewest visit-days per school. A school's first visit must come while its room still covers
   everybody of age on that day (students reaching the age later add to the demand). CP-SAT starts
   from a list schedule (earliest first-visit deadline first), which also stands in when CP-SAT
   finds nothing in the time left (``_list_schedule``).
3. **Teams**: each day's team-days go to the teams working that day, in order of bearing from the
   office, so a team tends to ride the same way day after day.

The result is placed with ``allocate`` and checked like every plan (``verify_plan`` in the callers).
"""

from __future__ import annotations

import functools
import logging
import math
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sweet17.services.planning.instance import Instance, TeamDay, allocate, prune

log = logging.getLogger(__name__)    # the search's steps, for tuning (level DEBUG)

# Weight of a team-day against a minute of travel in the pattern objective (a day always wins).
DAY_WEIGHT = 10_000
WINDOW = 14
MARGIN_DAYS = 10
PATTERN_SHARE = 0.85
MIP = True   # windows solved by SCIP when OR-Tools has it (else CP-SAT)
THREADS = 2  # SCIP windows solved at once


@functools.cache
def _scip_available() -> bool:
    from ortools.linear_solver import pywraplp

    return pywraplp.Solver.CreateSolver("SCIP") is not None


def applicable(inst: Instance) -> bool:
    """The pooled planner applies: several teams, all with the same kits, no agreed or announced visits."""
    ks = {t.k for t in inst.teams}
    return len(inst.teams) > 1 and len(ks) == 1 and not inst.forced and not inst.announced \
        and all(s.fixed_demand is None for s in inst.schools)


@dataclass
class Patterns:
    """Team-days by kind; loads are the students the shared days carry to each school (totals)."""
    solo: dict[str, int] = field(default_factory=dict)
    seq: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)          # count, ua, ub
    split: dict[tuple[str, str, int], tuple[int, int, int]] = field(default_factory=dict)   # count, va, vb

    def team_days(self) -> int:
        return sum(self.solo.values()) + sum(c for c, _a, _b in self.seq.values()) + \
            sum(c for c, _a, _b in self.split.values())


class _Pool:
    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.k = inst.teams[0].k
        self.codes = [s.code for s in inst.schools if inst.needs_visit(s) and inst.cap(s.code) > 0]
        cs = set(self.codes)
        self.cap = {c: inst.cap(c) for c in self.codes}
        self.travel = {c: inst.by_code[c].travel for c in self.codes}
        self.adj: dict[str, list[str]] = defaultdict(list)
        self.seq_room: dict[tuple[str, str], int] = {}
        self.split_caps: dict[tuple[str, str], tuple[int, int]] = {}
        self.tab: dict[tuple[str, str], int] = {}
        for a, b, t_ab in inst.pairs():
            if a not in cs or b not in cs:
                continue
            room = inst.pair_room(a, b, self.k)
            ca, cb = inst.split_cap(a, b)
            ok_split = self.k >= 2 and ca >= 1 and cb >= 1
            if room < 2 and not ok_split:
                continue
            self.tab[(a, b)] = t_ab
            if room >= 2:
                self.seq_room[(a, b)] = room
            if ok_split:
                self.split_caps[(a, b)] = (ca, cb)
            self.adj[a].append(b)
            self.adj[b].append(a)
        for c in self.adj:
            self.adj[c].sort()

    # travel of one team-day of each kind (what ``metrics`` counts)
    def t_solo(self, c: str) -> int:
        return 2 * self.travel[c]

    def t_seq(self, a: str, b: str) -> int:
        return self.travel[a] + self.tab[(a, b)] + self.travel[b]

    def t_split(self, a: str, b: str) -> int:
        return 2 * (self.travel[a] + self.tab[(a, b)])

    def rooms(self, pat: Patterns) -> dict[str, int]:
        r = {c: self.k * self.cap[c] * n for c, n in pat.solo.items()}
        for (a, b), (_n, ua, ub) in pat.seq.items():
            r[a] = r.get(a, 0) + ua
            r[b] = r.get(b, 0) + ub
        for (a, b, _ka), (_n, va, vb) in pat.split.items():
            r[a] = r.get(a, 0) + va
            r[b] = r.get(b, 0) + vb
        return r

    # ------------------------------------------------------------------ stage 1: patterns
    def window(self, seed: str, size: int, rnd: random.Random, free: set[str] | None = None) -> list[str]:
        out, seen, frontier = [seed], {seed}, [seed]
        while frontier and len(out) < size:
            u = frontier.pop(0)
            nbs = [v for v in self.adj[u] if v not in seen and (free is None or v in free)]
            rnd.shuffle(nbs)
            for v in nbs:
                if len(out) >= size:
                    break
                seen.add(v)
                out.append(v)
                frontier.append(v)
        return out

    def _program(self, pat: Patterns, win: list[str], need: dict[str, int], new_int, add):  # type: ignore[no-untyped-def]
        """The window's integer program, for either solver (``new_int(lo, hi)``, ``add(constraint)``).

        Returns (solo variables, shared days as (a, b, ka or None, days, load at a, load at b),
        objective as (coefficient, variable) pairs, hints as (variable, value) pairs). Shared days
        with schools outside the window stay as they are; the room they bring is taken off the need.
        """
        w = set(win)
        k = self.k
        ext: dict[str, int] = defaultdict(int)
        for (a, b), (_n, ua, ub) in pat.seq.items():
            if (a in w) != (b in w):
                ext[a] += ua
                ext[b] += ub
        for (a, b, _ka), (_n, va, vb) in pat.split.items():
            if (a in w) != (b in w):
                ext[a] += va
                ext[b] += vb
        cover: dict[str, list] = defaultdict(list)
        inc: dict[str, list] = defaultdict(list)
        obj: list[tuple[int, object]] = []
        hints: list[tuple[object, int]] = []
        xs = {}
        for c in win:
            ub = max(0, math.ceil((need[c] - ext[c]) / (k * self.cap[c])))
            x = new_int(0, ub)
            xs[c] = x
            cover[c].append(k * self.cap[c] * x)
            inc[c].append(x)
            obj.append((DAY_WEIGHT + self.t_solo(c), x))
            hints.append((x, min(ub, pat.solo.get(c, 0))))
        made: list[tuple[str, str, int | None, object, object, object]] = []
        for a, b in [(a, b) for (a, b) in self.tab if a in w and b in w]:
            kinds: list[tuple[int | None, int, int, int, int]] = []    # ka, room at a, room at b, room, days
            if (a, b) in self.seq_room:
                room = self.seq_room[(a, b)]
                kinds.append((None, room, room, room, max(1, math.ceil((need[a] + need[b]) / room))))
            if (a, b) in self.split_caps:
                ca, cb = self.split_caps[(a, b)]
                for ka in range(1, k):
                    kinds.append((ka, ka * ca, (k - ka) * cb, 0,
                                  max(1, math.ceil(need[a] / (ka * ca)) + 1, math.ceil(need[b] / ((k - ka) * cb)) + 1)))
            for ka, room_a, room_b, room, most in kinds:
                y = new_int(0, most)
                la = new_int(0, need[a])
                lb = new_int(0, need[b])
                if ka is None:
                    add(la + lb <= room * y)
                    obj.append((DAY_WEIGHT + self.t_seq(a, b), y))
                    n0, h_a, h_b = pat.seq.get((a, b), (0, 0, 0))
                else:
                    add(la <= room_a * y)
                    add(lb <= room_b * y)
                    obj.append((DAY_WEIGHT + self.t_split(a, b), y))
                    n0, h_a, h_b = pat.split.get((a, b, ka), (0, 0, 0))
                cover[a].append(la)
                cover[b].append(lb)
                inc[a].append(y)
                inc[b].append(y)
                made.append((a, b, ka, y, la, lb))
                hints += [(y, min(n0, most)), (la, min(h_a, need[a])), (lb, min(h_b, need[b]))]
        for c in win:
            rest = need[c] - ext[c]
            if rest > 0:
                add(sum(cover[c]) >= rest)
                # no day brings a school more than a whole team's room: a valid cut that helps the solver
                add(sum(inc[c]) >= math.ceil(rest / (k * self.cap[c])))
        return xs, made, obj, hints

    def _write(self, pat: Patterns, win: list[str], solo: dict[str, int],
               shared: list[tuple[str, str, int | None, int, int, int]]) -> None:
        """Replace the window's patterns by a solution: solo days per school, shared days with loads."""
        w = set(win)
        for c in win:
            if solo[c]:
                pat.solo[c] = solo[c]
            else:
                pat.solo.pop(c, None)
        for key in [key for key in pat.seq if key[0] in w and key[1] in w]:
            del pat.seq[key]
        for key in [key for key in pat.split if key[0] in w and key[1] in w]:
            del pat.split[key]
        for a, b, ka, n, la, lb in shared:
            if not n:
                continue
            if ka is None:
                spare = self.seq_room[(a, b)] * n - la - lb     # room left: half to each school
                pat.seq[(a, b)] = (n, la + spare - spare // 2, lb + spare // 2)
            else:
                ca, cb = self.split_caps[(a, b)]
                pat.split[(a, b, ka)] = (n, ka * ca * n, (self.k - ka) * cb * n)

    def improve(self, pat: Patterns, win: list[str], need: dict[str, int], seconds: float, seed: int) -> bool:
        """Re-solve the patterns inside ``win`` with CP-SAT (the rest fixed); True when the window got better."""
        from ortools.sat.python import cp_model

        m = cp_model.CpModel()
        xs, made, obj, hints = self._program(pat, win, need, lambda lo, hi: m.new_int_var(lo, hi, ""), m.add)
        m.minimize(cp_model.LinearExpr.weighted_sum([v for _c, v in obj], [c for c, _v in obj]))
        for v, val in hints:
            m.add_hint(v, val)
        old = self._window_cost(pat, set(win))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.random_seed = seed
        st = solver.solve(m)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value >= old - 0.5:
            return False
        self._write(pat, win, {c: int(solver.value(x)) for c, x in xs.items()},
                    [(a, b, ka, int(solver.value(y)), int(solver.value(la)), int(solver.value(lb)))
                     for a, b, ka, y, la, lb in made])
        return True

    def improve_mip(self, pat: Patterns, win: list[str], need: dict[str, int], seconds: float,
                    lock: threading.Lock | None = None) -> bool:
        """``improve`` with a MIP solver (SCIP through OR-Tools): its LP bound proves small windows fast.

        ``lock``: held while the window's model is read from ``pat`` and while its result is written
        back, not while it is solved -- so two threads can work on two windows with no school in common
        (a window changes only its schools' own days and the days shared inside it).
        """
        from contextlib import nullcontext

        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver("SCIP")
        if solver is None:
            return False
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
        with lock or nullcontext():
            xs, made, obj, hints = self._program(pat, win, need, lambda lo, hi: solver.IntVar(lo, hi, ""),
                                                 solver.Add)
            old = self._window_cost(pat, set(win))
        solver.Minimize(sum(c * v for c, v in obj))
        solver.SetHint([v for v, _x in hints], [float(x) for _v, x in hints])
        st = solver.Solve()
        if st not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE) or solver.Objective().Value() >= old - 0.5:
            return False

        def val(v) -> int:  # type: ignore[no-untyped-def]
            return round(v.solution_value())

        with lock or nullcontext():
            self._write(pat, win, {c: val(x) for c, x in xs.items()},
                        [(a, b, ka, val(y), val(la), val(lb)) for a, b, ka, y, la, lb in made])
        return True

    def _window_cost(self, pat: Patterns, w: set[str]) -> float:
        cost = sum((DAY_WEIGHT + self.t_solo(c)) * n for c, n in pat.solo.items() if c in w)
        cost += sum((DAY_WEIGHT + self.t_seq(a, b)) * n for (a, b), (n, _x, _y) in pat.seq.items()
                    if a in w and b in w)
        cost += sum((DAY_WEIGHT + self.t_split(a, b)) * n for (a, b, _k), (n, _x, _y) in pat.split.items()
                    if a in w and b in w)
        return cost

    def patterns(self, need: dict[str, int], deadline: float, seed: int = 17,
                 start: Patterns | None = None, threads: int = THREADS) -> tuple[Patterns, int]:
        """The LNS of stage 1: (patterns, windows improved).

        With SCIP, ``threads`` windows are solved at once (SCIP runs outside the GIL), never two
        with a school in common; CP-SAT windows use its own two workers, one at a time.
        """
        rnd = random.Random(seed)
        pat = start or Patterns(solo={c: math.ceil(need[c] / (self.k * self.cap[c])) for c in self.codes
                                      if need[c] > 0})
        linked = [c for c in self.codes if self.adj[c]]
        if not linked:
            return pat, 0
        # sweep 1: disjoint windows covering the drive (fewest free neighbours first)
        free = set(linked)
        first: list[list[str]] = []
        while free:
            s = min(free, key=lambda c: (sum(1 for v in self.adj[c] if v in free), c))
            win = self.window(s, WINDOW, rnd, free)
            free -= set(win)
            if len(win) > 1:
                first.append(win)
        lock = threading.Lock()
        busy: set[str] = set()
        counts = {"tried": 0, "improved": 0}

        errors: list[BaseException] = []

        def next_window(worker_rnd: random.Random) -> tuple[list[str], float]:
            """(window, seconds); an empty window when none is free just now."""
            with lock:
                if first:               # the first sweep's windows have no school in common
                    win = first.pop(0)
                    busy.update(win)
                    return win, 1.0
                for _try in range(20):      # later sweeps: a window around a random school
                    win = self.window(worker_rnd.choice(linked), WINDOW + worker_rnd.randrange(-3, 4), worker_rnd)
                    if len(win) > 1 and not busy & set(win):
                        busy.update(win)
                        return win, 0.6
                return [], 0.0

        def work(worker: int) -> None:
            worker_rnd = random.Random(seed * 1000 + worker)
            while not errors:
                left = deadline - time.perf_counter()
                if left < 0.2:
                    return
                win, budget = next_window(worker_rnd)
                if not win:
                    time.sleep(0.01)
                    continue
                ok = False
                try:
                    if MIP and _scip_available():
                        ok = self.improve_mip(pat, win, need, min(budget, left), lock)
                    else:
                        ok = self.improve(pat, win, need, min(budget, left), seed + counts["tried"])
                except BaseException as e:      # noqa: BLE001 -- raised again in the caller's thread
                    errors.append(e)
                finally:
                    with lock:
                        busy.difference_update(win)
                        counts["tried"] += 1
                        counts["improved"] += int(ok)

        n_threads = threads if MIP and _scip_available() else 1
        workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n_threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        if errors:
            raise errors[0]
        log.debug("windows %d, improved %d: %d team-days", counts["tried"], counts["improved"], pat.team_days())
        return pat, counts["improved"]

    # ------------------------------------------------------------------ stage 2: days
    def instances(self, pat: Patterns) -> list[tuple[tuple, int]]:
        """(key, team-days) per pattern: ("solo", s), ("seq", a, b) or ("split", a, b, ka)."""
        return ([(("solo", c), n) for c, n in sorted(pat.solo.items())]
                + [(("seq", a, b), n) for (a, b), (n, _x, _y) in sorted(pat.seq.items())]
                + [(("split", a, b, ka), n) for (a, b, ka), (n, _x, _y) in sorted(pat.split.items())])

    def stops(self, pat: Patterns, key: tuple, n: int) -> list[tuple[int, int]]:
        """The rooms (first school, second school) of each of a pattern's ``n`` team-days."""
        if key[0] == "solo":
            return [(self.k * self.cap[key[1]], 0)] * n
        if key[0] == "split":
            ca, cb = self.split_caps[(key[1], key[2])]
            return [(key[3] * ca, (self.k - key[3]) * cb)] * n
        _n, ra, rb = pat.seq[(key[1], key[2])]
        # evenly, so that every day brings both schools students when there are enough; the odd ones
        # to the first days at the first school and to the last days at the second, so no day has
        # both and each stays within the day's room (ra + rb <= n x room)
        out = []
        for j in range(n):
            out.append((ra // n + (1 if j < ra % n else 0), rb // n + (1 if j >= n - rb % n else 0)))
        return out


def _schools_of(key: tuple) -> tuple[str, ...]:
    return (key[1],) if key[0] == "solo" else (key[1], key[2])


def _frame(inst: Instance, pool: _Pool, pat: Patterns) -> tuple[list, dict[str, int], dict[date, list[str]],
                                                        list[date], dict[str, date | None]]:
    """The patterns' team-days, rooms, teams per day, horizon and each school's latest first visit."""
    items = [x for x in pool.instances(pat) if x[1] > 0]
    rooms = pool.rooms(pat)
    teams_on: dict[date, list[str]] = defaultdict(list)
    for t in inst.teams:
        for d in t.work_days:
            teams_on[d].append(t.id)
    days = [d for d in inst.days() if teams_on.get(d)]
    total = sum(n for _k, n in items)
    # horizon: enough days for every team-day and a margin
    cum, horizon = 0, []
    for d in days:
        horizon.append(d)
        cum += len(teams_on[d])
        if cum >= 1.25 * total + 5 * len(inst.teams):
            break
    # latest first visit per school: its room must cover everybody of age on that day
    latest: dict[str, date | None] = {}
    for c in pool.codes:
        s = inst.by_code[c]
        ok = [d for d in horizon if d in s.open_days and 0 < s.demand_on(d) <= rooms.get(c, 0)]
        latest[c] = ok[-1] if ok else None
    return items, rooms, teams_on, horizon, latest


def schedule(inst: Instance, pool: _Pool, pat: Patterns, deadline: float) -> list[TeamDay] | None:
    """Stage 2 and 3: the patterns' team-days on days and teams; None when they do not fit the horizon."""
    from ortools.sat.python import cp_model

    items, rooms, teams_on, horizon, latest = _frame(inst, pool, pat)
    m = cp_model.CpModel()
    going = [m.new_bool_var("") for _ in horizon]
    for i in range(len(going) - 1):
        m.add(going[i] >= going[i + 1])
    by_day: dict[int, list] = defaultdict(list)
    first_ok: dict[str, list] = defaultdict(list)
    visit: dict[tuple[str, int], list] = defaultdict(list)
    nv: dict[tuple[int, int], object] = {}
    for p, (key, n) in enumerate(items):
        schools = [inst.by_code[c] for c in _schools_of(key)]
        vars_p = []
        for i, d in enumerate(horizon):
            if not all(d in s.open_days and s.demand_on(d) > 0 for s in schools):
                continue
            x = m.new_int_var(0, min(n, len(teams_on[d])), "")
            nv[(p, i)] = x
            vars_p.append(x)
            by_day[i].append(x)
            m.add(x <= n * going[i])
            for s in schools:
                visit[(s.code, i)].append(x)
                lt = latest.get(s.code)
                if lt is not None and d <= lt:
                    first_ok[s.code].append(x)
        if not vars_p:
            return None
        m.add(sum(vars_p) == n)
    for c in pool.codes:
        if inst.by_code[c].demand_on(inst.end) > 0 and rooms.get(c, 0) > 0:
            if not first_ok.get(c):
                return None
            m.add(sum(first_ok[c]) >= 1)
    for i, xs in by_day.items():
        m.add(sum(xs) <= len(teams_on[horizon[i]]))
    # visit-days: a boolean per school and day, on when some team-day is there
    vis_terms = []
    for xs in visit.values():
        v = m.new_bool_var("")
        for x in xs:
            m.add(x == 0).only_enforce_if(v.Not())
        vis_terms.append(v)
    # a list schedule (earliest deadline first) hints CP-SAT and stands in when it finds nothing in time
    listed = _list_schedule(inst, items, horizon, teams_on, latest)
    if listed is not None:
        last = max((i for (_p, i) in listed), default=-1)
        for (pi, i), x in nv.items():
            m.add_hint(x, listed.get((pi, i), 0))
        for i, g in enumerate(going):
            m.add_hint(g, int(i <= last))
    # no plan ends before the day by which the teams working add up to the team-days (helps CP-SAT prove it)
    cum, least, total = 0, len(horizon), sum(n for _k, n in items)
    for i, d in enumerate(horizon):
        cum += len(teams_on[d])
        if cum >= total:
            least = i + 1
            break
    m.add(sum(going) >= least)
    m.minimize(sum(going))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    left = deadline - time.perf_counter()
    solver.parameters.max_time_in_seconds = max(0.5, left * 0.6)
    st = solver.solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if listed is None:
            return None
        log.debug("pooled: schedule by the list (CP-SAT %s)", solver.status_name(st))
        return _to_team_days(inst, pool, pat, items, horizon, teams_on, listed)
    end_n = int(round(solver.objective_value))
    # second phase: that end, the fewest visit-days
    m.add(sum(going) <= end_n)
    for x in list(nv.values()) + going:
        m.add_hint(x, solver.value(x))
    m.minimize(sum(vis_terms))
    solver2 = cp_model.CpSolver()
    solver2.parameters.num_workers = 2
    solver2.parameters.max_time_in_seconds = max(0.3, deadline - time.perf_counter())
    st2 = solver2.solve(m)
    use = solver2 if st2 in (cp_model.OPTIMAL, cp_model.FEASIBLE) else solver
    return _to_team_days(inst, pool, pat, items, horizon, teams_on, {pi: int(use.value(x)) for pi, x in nv.items()})


def _list_schedule(inst: Instance, items: list, horizon: list[date], teams_on: dict[date, list[str]],
                   latest: dict[str, date | None]) -> dict[tuple[int, int], int] | None:
    """Team-days per (pattern, day) by a list schedule, or None when a school would miss its deadline.

    Day by day, the teams working go to the patterns allowed that day, those with a school not yet
    visited and the earliest latest-first-visit first, a pattern's team-days together (one visit-day).
    """
    left = {p: n for p, (_key, n) in enumerate(items)}
    schools = {p: _schools_of(key) for p, (key, _n) in enumerate(items)}
    started: set[str] = set()
    far = date.max
    counts: dict[tuple[int, int], int] = {}
    for i, d in enumerate(horizon):
        if not left:
            break
        free = len(teams_on[d])

        def urgency(p: int) -> tuple:
            due = min((latest[c] or far for c in schools[p] if c not in started), default=far)
            return (due, -left[p], p)

        allowed = [p for p in left if all(d in inst.by_code[c].open_days and inst.by_code[c].demand_on(d) > 0
                                          for c in schools[p])]
        for p in sorted(allowed, key=urgency):
            if free == 0:
                break
            take = min(left[p], free)
            counts[(p, i)] = take
            free -= take
            left[p] -= take
            if not left[p]:
                del left[p]
            started.update(schools[p])
        if any(c not in started and latest.get(c) is not None and latest[c] <= d
               for p in left for c in schools[p]):
            return None
    return counts if not left else None


def _bearing(inst: Instance, code: str) -> float:
    coords = inst.coords or {}
    o, c = coords.get("office"), coords.get(code)
    if not o or not c:
        return float(inst.by_code[code].travel)
    return math.atan2(c[0] - o[0], (c[1] - o[1]) * math.cos(math.radians(o[0])))


def _to_team_days(inst: Instance, pool: _Pool, pat: Patterns, items: list, horizon: list[date],
                  teams_on: dict[date, list[str]], counts: dict[tuple[int, int], int]) -> list[TeamDay]:
    per_pattern = {p: pool.stops(pat, key, n) for p, (key, n) in enumerate(items)}
    used: dict[int, int] = defaultdict(int)
    out: list[TeamDay] = []
    for i, d in enumerate(horizon):
        todays = []
        for p, (key, _n) in enumerate(items):
            for _ in range(counts.get((p, i), 0)):
                todays.append((key, per_pattern[p][used[p]]))
                used[p] += 1
        # in order of bearing: a team tends to ride the same way day after day
        todays.sort(key=lambda x: (_bearing(inst, x[0][1]), x[0]))
        for (key, (ra, rb)), tid in zip(todays, sorted(teams_on[d]), strict=False):
            if key[0] == "solo":
                out.append(TeamDay(d, tid, ((key[1], ra),)))
            elif key[0] == "seq":
                out.append(TeamDay(d, tid, ((key[1], ra), (key[2], rb))))
            else:
                out.append(TeamDay(d, tid, ((key[1], ra), (key[2], rb)), (key[3], pool.k - key[3])))
    return out


def plan_pooled(inst: Instance, deadline: float, seed: int = 17) -> tuple[list[TeamDay] | None, dict]:
    """Stages 1-3 within ``deadline`` (perf_counter): (team-days or None, figures for the phases).

    Stage 1 plans each school's students of age ``MARGIN_DAYS`` after its first possible day (a few
    come of age while the drive goes on); stage 2 makes sure each school's first visit comes while
    its room covers everybody of age; a school that still comes out short (a shared day that brings
    it nobody) gets one more day at the first free team after its first visit (``_top_up``).
    """
    t0 = time.perf_counter()
    pool = _Pool(inst)
    need = {}
    for c in pool.codes:
        s = inst.by_code[c]
        vd = inst.visit_days(s)
        need[c] = s.demand_on(vd[min(len(vd) - 1, MARGIN_DAYS)]) if vd else 0
    pat, improved = pool.patterns(need, t0 + PATTERN_SHARE * (deadline - t0), seed)
    info = {"team_days": pat.team_days(), "windows": improved, "patterns_s": round(time.perf_counter() - t0, 2)}
    t1 = time.perf_counter()
    tds = schedule(inst, pool, pat, deadline)
    info["schedule_s"] = round(time.perf_counter() - t1, 2)
    if tds is None:
        return None, info
    topped, info["topped_up"] = _top_up(inst, pool, prune(inst, allocate(inst, tds)))
    log.debug("pooled: %s", info)
    return topped, info


def _top_up(inst: Instance, pool: _Pool, tds: list[TeamDay]) -> tuple[list[TeamDay] | None, int]:
    """Add a day for each school whose visits leave students of age on its first visit unrecorded."""
    placed: dict[str, int] = defaultdict(int)
    first: dict[str, date] = {}
    for td in tds:
        for c, n in td.stops:
            placed[c] += n
            first[c] = min(first.get(c, td.day), td.day)
    busy = {(td.team, td.day) for td in tds}
    added = 0
    out = list(tds)
    for c in pool.codes:
        s = inst.by_code[c]
        if c not in first:
            return None, added
        short = s.demand_on(first[c]) - placed[c]
        while short > 0:
            slot = next(((t.id, d) for d in inst.days() if d > first[c] and d in s.open_days
                         for t in inst.teams if d in t.work_days and (t.id, d) not in busy), None)
            if slot is None:
                return None, added
            busy.add(slot)
            room = pool.k * pool.cap[c]
            out.append(TeamDay(slot[1], slot[0], ((c, room),)))
            short -= room
            added += 1
    return (allocate(inst, out) if added else out), added

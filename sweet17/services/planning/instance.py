"""The planner's pure input and output: schools with their open days and due students, teams with
their working days, the recording parameters; visits and team-days out.

Everything here is plain data and arithmetic (no solver, no I/O), so tests and benchmarks can
build instances from synthetic demand, and ``verify_plan`` can check any plan independently of
the solver that produced it.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class SchoolInput:
    code: str
    travel: int                                   # minutes from the office, one way
    open_days: frozenset[date]                    # days the school takes a visit (calendar applied)
    eligible_from: tuple[date | None, ...] = ()   # per due student: the day they reach the age (None: already)
    fixed_demand: int | None = None               # replan: students left at a school already started
    name: str = ""
    _sorted: tuple[date, ...] = field(default=(), repr=False, compare=False)
    _always: int = field(default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        dated = sorted(d for d in self.eligible_from if d is not None)
        object.__setattr__(self, "_sorted", tuple(dated))
        object.__setattr__(self, "_always", sum(1 for d in self.eligible_from if d is None))

    def demand_on(self, d: date) -> int:
        """Students of age on ``d`` (all to record when the school's first visit is on ``d``)."""
        if self.fixed_demand is not None:
            return self.fixed_demand
        return self._always + bisect.bisect_right(self._sorted, d)

    def followup_after(self, d: date) -> list[date]:
        """Days on which students reach the age after ``d``."""
        if self.fixed_demand is not None:
            return []
        return list(self._sorted[bisect.bisect_right(self._sorted, d):])


@dataclass(frozen=True)
class TeamInput:
    id: str
    kits: tuple[str, ...]
    work_days: frozenset[date]

    @property
    def k(self) -> int:
        return len(self.kits)


@dataclass(frozen=True)
class Params:
    window: int                  # minutes from day start to day end
    setup: int                   # minutes to set the kits up at a school
    minutes_per_student: float   # per kit
    day_start: int = 7 * 60 + 30  # minutes after midnight the team leaves the office
    pair_max_travel: int = 30    # two schools in a team-day only when at most this far apart


@dataclass(frozen=True)
class Forced:
    """A visit that must be in the plan (agreed beforehand): school on day, by team (or any team)."""
    school: str
    day: date
    team: str = ""


@dataclass(frozen=True)
class Visit:
    day: date
    team: str
    school: str
    students: int
    stop: int = 1              # 1: first school of the team's day, 2: second
    kits: tuple[str, ...] = ()  # kits recording at this school that day
    arrival: int = 0           # minutes after midnight
    travel: int = 0            # ride to this school (from the office, or from the first school)
    fixed: bool = False
    split: bool = False        # the team's kits are divided between two schools that day

    @property
    def arrival_hhmm(self) -> str:
        return f"{self.arrival // 60:02d}:{self.arrival % 60:02d}"


@dataclass(frozen=True, order=True)
class TeamDay:
    """What one team does on one day.

    One school with all its kits; or two near schools, nearer one first, either one after the
    other with all kits (``split`` None) or at the same time with the kits divided
    (``split = (kits at the first, kits at the second)``; the car drops kits at the nearer school
    on the way to the farther one and collects them on the way back).
    """
    day: date
    team: str
    stops: tuple[tuple[str, int], ...]    # (school, students)
    split: tuple[int, int] | None = None


@dataclass
class Instance:
    start: date
    end: date
    schools: tuple[SchoolInput, ...]
    teams: tuple[TeamInput, ...]
    params: Params
    between: dict[tuple[str, str], int] = field(default_factory=dict)  # near pairs only, key sorted
    forced: tuple[Forced, ...] = ()
    announced: frozenset[tuple[str, date, str]] = frozenset()  # (school, day, team) announced (replan)
    coords: dict[str, tuple[float, float]] = field(default_factory=dict)  # code or "office" -> (lat, lon)

    def __post_init__(self) -> None:
        self.by_code = {s.code: s for s in self.schools}
        self.team_by_id = {t.id: t for t in self.teams}

    # ---------------------------------------------------------------- calendar
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def working_days(self) -> list[date]:
        """Days in the horizon on which some team works and some school is open."""
        work = set().union(*(t.work_days for t in self.teams)) if self.teams else set()
        open_ = set().union(*(s.open_days for s in self.schools)) if self.schools else set()
        return [d for d in self.days() if d in work and d in open_]

    def first_agreed(self, code: str) -> date | None:
        """The earliest agreed visit of a school: the school is not visited before it."""
        return min((f.day for f in self.forced if f.school == code), default=None)

    def needs_visit(self, s: SchoolInput) -> bool:
        return s.demand_on(self.end) > 0

    def visit_days(self, s: SchoolInput) -> list[date]:
        """Days in the horizon on which ``s`` can be visited (open, some demand, not before an agreed visit)."""
        agreed = self.first_agreed(s.code)
        return [d for d in self.days() if d in s.open_days and s.demand_on(d) > 0 and (agreed is None or d >= agreed)]

    # ---------------------------------------------------------------- capacity
    def cap(self, code: str) -> int:
        """Students one kit records in a day at ``code`` alone: (window - travel - setup) / minutes."""
        p = self.params
        return max(0, math.floor((p.window - self.by_code[code].travel - p.setup) / p.minutes_per_student))

    def travel_between(self, a: str, b: str) -> int | None:
        return self.between.get((a, b) if a < b else (b, a))

    def pair_order(self, a: str, b: str) -> tuple[str, str]:
        sa, sb = self.by_code[a], self.by_code[b]
        return (a, b) if (sa.travel, a) <= (sb.travel, b) else (b, a)

    def pair_cap(self, a: str, b: str) -> int:
        """Students one kit records in a day at two schools together (nearer one first).

        One slot less than the plain division, so that any split between the schools fits
        once each school's share is rounded up to whole slots per kit.
        """
        first, _second = self.pair_order(a, b)
        t_ab = self.travel_between(a, b)
        if t_ab is None:
            return 0
        p = self.params
        free = p.window - self.by_code[first].travel - 2 * p.setup - t_ab
        return max(0, math.floor(free / p.minutes_per_student) - 1)

    def pair_room(self, a: str, b: str, k: int) -> int:
        """Students ``k`` kits record at two schools one after the other (nearer one first).

        Each kit records ``ceil(ra/k)`` then ``ceil(rb/k)`` students, and
        ``ceil(ra/k) + ceil(rb/k) <= ceil((ra + rb)/k) + 1``: so ``k x (slots - 1)`` students fit
        however they are divided between the schools; with one kit nothing is lost to rounding.
        """
        per_kit = self.pair_cap(a, b)
        if per_kit <= 0:
            return 0
        return per_kit + 1 if k == 1 else k * per_kit

    def split_cap(self, a: str, b: str) -> tuple[int, int]:
        """Students one kit records at each school when the kits are divided (nearer school first)."""
        first, second = self.pair_order(a, b)
        t_ab = self.travel_between(a, b)
        if t_ab is None:
            return 0, 0
        p = self.params
        ride = self.by_code[first].travel + t_ab
        return self.cap(first), max(0, math.floor((p.window - ride - p.setup) / p.minutes_per_student))

    def pairs(self) -> list[tuple[str, str, int]]:
        """Near pairs (first, second, travel between) where a shared day can record at both."""
        out = []
        for (a, b), t_ab in sorted(self.between.items()):
            if t_ab > self.params.pair_max_travel or a not in self.by_code or b not in self.by_code:
                continue
            if self.pair_cap(a, b) >= 2 or min(self.split_cap(a, b)) >= 1:
                first, second = self.pair_order(a, b)
                out.append((first, second, t_ab))
        return out

    def day_travel(self, td: TeamDay) -> int:
        """Minutes the team rides that day, office and back."""
        if len(td.stops) == 1:
            return 2 * self.by_code[td.stops[0][0]].travel
        a, b = td.stops[0][0], td.stops[1][0]
        t_ab = self.travel_between(a, b) or 0
        if td.split:
            return 2 * (self.by_code[a].travel + t_ab)
        return self.by_code[a].travel + t_ab + self.by_code[b].travel

    def shortest_travel(self) -> dict[str, int]:
        """Least ride from the office to each school, directly or through a nearer paired school."""
        sp = {s.code: s.travel for s in self.schools}
        for a, b, t_ab in self.pairs():
            sp[b] = min(sp[b], self.by_code[a].travel + t_ab)
        return sp


# -------------------------------------------------------------------- team-days -> visits

def materialize(inst: Instance, team_days: Iterable[TeamDay], fixed: bool = False) -> list[Visit]:
    """Turn team-days into visits: kits used, arrival times, rides."""
    p = inst.params
    out: list[Visit] = []
    for td in team_days:
        team = inst.team_by_id[td.team]
        k = team.k
        if len(td.stops) == 1:
            code, r = td.stops[0]
            cap = inst.cap(code)
            used = min(k, max(1, math.ceil(r / cap))) if cap else k
            t = inst.by_code[code].travel
            out.append(Visit(td.day, td.team, code, r, 1, team.kits[:used], p.day_start + t, t, fixed))
            continue
        (a, ra), (b, rb) = td.stops
        ta = inst.by_code[a].travel
        tab = inst.travel_between(a, b) or 0
        if td.split:
            ka = td.split[0]   # every kit is placed at one of the two schools for the day
            out.append(Visit(td.day, td.team, a, ra, 1, team.kits[:ka], p.day_start + ta, ta, fixed, True))
            out.append(Visit(td.day, td.team, b, rb, 2, team.kits[ka:], p.day_start + ta + tab, tab, fixed, True))
            continue
        cap = inst.pair_cap(a, b)
        used = 1 if k == 1 else (min(k, max(1, math.ceil((ra + rb) / cap))) if cap else k)
        arr_a = p.day_start + ta
        arr_b = arr_a + p.setup + math.ceil(math.ceil(ra / used) * p.minutes_per_student) + tab
        out.append(Visit(td.day, td.team, a, ra, 1, team.kits[:used], arr_a, ta, fixed))
        out.append(Visit(td.day, td.team, b, rb, 2, team.kits[:used], arr_b, tab, fixed))
    out.sort(key=lambda v: (v.day, v.team, v.stop))
    return out


def allocate(inst: Instance, team_days: Iterable[TeamDay]) -> list[TeamDay]:
    """Place students visit by visit; each stop's number on input is its room.

    A school's visits are taken in date order; each takes as many students as its room allows
    among those who have reached the age by that day and are not placed yet. Everybody of age
    on the first visit day is placed when the rooms cover them (the model guarantees it); later
    visits also take students who came of age since, as far as room allows. A stop left without students is
    dropped (a shared day becomes a day at the other school). Schools replanned with a fixed
    number (``fixed_demand``) get exactly that number.
    """
    tds = sorted(team_days)
    rooms: dict[str, list[tuple[date, int, int, int]]] = defaultdict(list)
    for i, td in enumerate(tds):
        for j, (code, room) in enumerate(td.stops):
            rooms[code].append((td.day, i, j, room))
    placed: dict[tuple[int, int], int] = {}
    for code, rs in rooms.items():
        s = inst.by_code[code]
        rs.sort()
        done = 0
        for day, i, j, room in rs:
            if s.fixed_demand is not None:
                n = min(room, s.fixed_demand - done)
            else:
                n = min(room, s.demand_on(day) - done)
            n = max(0, n)
            placed[(i, j)] = n
            done += n
    out = []
    for i, td in enumerate(tds):
        stops = tuple((code, placed[(i, j)]) for j, (code, _r) in enumerate(td.stops) if placed[(i, j)] > 0)
        if not stops:
            continue
        out.append(TeamDay(td.day, td.team, stops, td.split if len(stops) == 2 else None))
    return out


def _school_covered(s: SchoolInput, rooms: list[tuple[date, int]]) -> tuple[bool, list[int]]:
    """Place students into ``rooms`` (date order); True when all of age on the first day fit, each room used."""
    done, placed = 0, []
    for day, room in rooms:
        n = max(0, min(room, (s.fixed_demand if s.fixed_demand is not None else s.demand_on(day)) - done))
        placed.append(n)
        done += n
    if not rooms:
        return False, placed
    need = s.fixed_demand if s.fixed_demand is not None else s.demand_on(rooms[0][0])
    return done >= need and all(n > 0 for n in placed), placed


def prune(inst: Instance, team_days: Iterable[TeamDay]) -> list[TeamDay]:
    """Drop visits the plan can do without (a solver stopped by its time limit may leave some).

    A stop goes when the school's other visits still record everybody of age on its (new) first
    visit day, each visit keeping at least one student: the end, the travel and the visit-days
    can only improve. Smallest visits first.
    """
    tds = [list(td.stops) for td in sorted(team_days)]
    meta = sorted(team_days)
    for _round in range(3):
        changed = False
        placed_now: dict[tuple[int, int], int] = {}
        by_school: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
        for i, stops in enumerate(tds):
            for j, (code, _room) in enumerate(stops):
                by_school[code].append((meta[i].day, i, j))
        for code, lst in by_school.items():
            lst.sort()
            _ok, placed = _school_covered(inst.by_code[code], [(d, tds[i][j][1]) for d, i, j in lst])
            for (_d, i, j), n in zip(lst, placed, strict=True):
                placed_now[(i, j)] = n
        order = sorted(placed_now, key=lambda ij: (placed_now[ij], -meta[ij[0]].day.toordinal()))
        removed: set[tuple[int, int]] = set()
        for i, j in order:
            code = tds[i][j][0]
            others = [(meta[a].day, tds[a][b][1]) for d, a, b in sorted(by_school[code])
                      if (a, b) != (i, j) and (a, b) not in removed]
            ok, _p = _school_covered(inst.by_code[code], others)
            if ok:
                removed.add((i, j))
                by_school[code] = [x for x in by_school[code] if (x[1], x[2]) != (i, j)]
                changed = True
        if not removed:
            break
        new_tds, new_meta = [], []
        for i, stops in enumerate(tds):
            keep = [st for j, st in enumerate(stops) if (i, j) not in removed]
            if keep:
                td = meta[i]
                new_tds.append(keep)
                new_meta.append(TeamDay(td.day, td.team, tuple(keep), td.split if len(keep) == 2 else None))
        tds, meta = new_tds, new_meta
        if not changed:
            break
    return meta


def team_days_of(inst: Instance, visits: Iterable[Visit]) -> list[TeamDay]:
    """Back from visits to team-days (for hints and replanning)."""
    by: dict[tuple[date, str], list[Visit]] = defaultdict(list)
    for v in visits:
        by[(v.day, v.team)].append(v)
    out = []
    for (d, t), vs in sorted(by.items()):
        vs.sort(key=lambda v: v.stop)
        split = (len(vs[0].kits), len(vs[1].kits)) if len(vs) == 2 and vs[0].split else None
        out.append(TeamDay(d, t, tuple((v.school, v.students) for v in vs), split))
    return out


@dataclass(frozen=True)
class Metrics:
    end: date | None
    first: date | None
    kit_days: int
    team_days: int
    visit_days: int          # distinct (school, day)
    travel: int              # minutes ridden by the teams, office and back
    students: int
    multi_day_schools: int   # schools visited on more than one day

    def to_dict(self) -> dict:
        return {"end": self.end, "first": self.first, "kit_days": self.kit_days, "team_days": self.team_days,
                "visit_days": self.visit_days, "travel_minutes": self.travel, "students": self.students,
                "multi_day_schools": self.multi_day_schools}


def metrics(inst: Instance, visits: list[Visit], office_travel: dict[str, int] | None = None) -> Metrics:
    """Figures of a plan. ``office_travel`` gives rides of schools outside ``inst`` (kept past visits)."""
    ride = {s.code: s.travel for s in inst.schools}
    ride.update(office_travel or {})
    by_td: dict[tuple[date, str], list[Visit]] = defaultdict(list)
    for v in visits:
        by_td[(v.day, v.team)].append(v)
    travel = 0
    kit_days = 0
    for vs in by_td.values():
        vs = sorted(vs, key=lambda v: v.stop)
        if len(vs) == 2 and vs[0].split:
            travel += 2 * (vs[0].travel + vs[1].travel)
        else:
            travel += sum(v.travel for v in vs) + ride.get(vs[-1].school, vs[-1].travel)
        kit_days += len({k for v in vs for k in v.kits})
    days_per_school: dict[str, set[date]] = defaultdict(set)
    for v in visits:
        days_per_school[v.school].add(v.day)
    return Metrics(
        end=max((v.day for v in visits), default=None), first=min((v.day for v in visits), default=None),
        kit_days=kit_days, team_days=len(by_td), visit_days=sum(len(x) for x in days_per_school.values()),
        travel=travel, students=sum(v.students for v in visits),
        multi_day_schools=sum(1 for x in days_per_school.values() if len(x) > 1),
    )


def first_visits(visits: Iterable[Visit]) -> dict[str, date]:
    out: dict[str, date] = {}
    for v in visits:
        if v.school not in out or v.day < out[v.school]:
            out[v.school] = v.day
    return out


# -------------------------------------------------------------------- independent verification

def verify_plan(inst: Instance, visits: list[Visit]) -> list[str]:
    """Every rule a plan must keep, checked from scratch. Returns the violations (empty: a valid plan).

    Only visits inside the horizon are checked against calendars and capacity (visits before it,
    kept from an earlier version, are history); demand is checked for every school of the instance.
    """
    problems: list[str] = []
    in_h = [v for v in visits if inst.start <= v.day <= inst.end and not v.fixed]
    by_td: dict[tuple[date, str], list[Visit]] = defaultdict(list)
    for v in in_h:
        by_td[(v.day, v.team)].append(v)
    p = inst.params
    for (day, team_id), vs in sorted(by_td.items()):
        vs.sort(key=lambda v: v.stop)
        team = inst.team_by_id.get(team_id)
        if team is None:
            problems.append(f"{day} {team_id}: unknown team")
            continue
        if day not in team.work_days:
            problems.append(f"{day} {team_id}: team does not work")
        if len(vs) > 2:
            problems.append(f"{day} {team_id}: {len(vs)} schools in one day")
            continue
        used = max(len(v.kits) for v in vs)
        if not 1 <= used <= team.k or any(k not in team.kits for v in vs for k in v.kits):
            problems.append(f"{day} {team_id}: kits {[v.kits for v in vs]} are not the team's")
            continue
        split = len(vs) == 2 and vs[0].split
        if split != (len(vs) == 2 and vs[1].split) or (split and set(vs[0].kits) & set(vs[1].kits)) \
                or (len(vs) == 2 and not split and vs[0].kits != vs[1].kits):
            problems.append(f"{day} {team_id}: kits both divided and shared")
            continue
        for v in vs:
            s = inst.by_code.get(v.school)
            if s is None:
                problems.append(f"{day} {team_id}: unknown school {v.school}")
                continue
            if day not in s.open_days:
                problems.append(f"{day} {v.school}: school closed")
            if v.students <= 0:
                problems.append(f"{day} {v.school}: visit without students")
        if any(v.school not in inst.by_code for v in vs):
            continue
        if len(vs) == 1:
            v = vs[0]
            if v.students > used * inst.cap(v.school):
                problems.append(f"{day} {team_id} {v.school}: {v.students} students > capacity "
                                f"{used * inst.cap(v.school)}")
        elif split:
            a, b = vs
            if inst.pair_order(a.school, b.school) != (a.school, b.school):
                problems.append(f"{day} {team_id}: pair {a.school},{b.school} not nearer-first")
            t_ab = inst.travel_between(a.school, b.school)
            if t_ab is None or t_ab > p.pair_max_travel:
                problems.append(f"{day} {team_id}: {a.school} and {b.school} are not near each other")
                continue
            ta = inst.by_code[a.school].travel
            for v, ride in ((a, ta), (b, ta + t_ab)):
                need = ride + p.setup + math.ceil(v.students / len(v.kits)) * p.minutes_per_student
                if need > p.window + 1e-9:
                    problems.append(f"{day} {team_id} {v.school}: the kits there need {need:.0f} of "
                                    f"{p.window} minutes")
        else:
            a, b = vs
            if inst.pair_order(a.school, b.school) != (a.school, b.school):
                problems.append(f"{day} {team_id}: pair {a.school},{b.school} not nearer-first")
            t_ab = inst.travel_between(a.school, b.school)
            if t_ab is None or t_ab > p.pair_max_travel:
                problems.append(f"{day} {team_id}: {a.school} and {b.school} are not near each other")
                continue
            # the day's timeline must fit the window (independent of pair_cap's arithmetic)
            end = (inst.by_code[a.school].travel + p.setup + math.ceil(a.students / used) * p.minutes_per_student
                   + t_ab + p.setup + math.ceil(b.students / used) * p.minutes_per_student)
            if end > p.window + 1e-9:
                problems.append(f"{day} {team_id} {a.school}+{b.school}: the day needs {end:.0f} of "
                                f"{p.window} minutes")
    per_school: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        per_school[v.school].append(v)
    for s in inst.schools:
        vs = sorted(per_school.get(s.code, []), key=lambda v: v.day)
        if not vs:
            if inst.needs_visit(s):
                problems.append(f"{s.code}: never visited")
            continue
        if s.fixed_demand is not None:
            got = sum(v.students for v in vs if v.day >= inst.start and not v.fixed)
            if got != s.fixed_demand:
                problems.append(f"{s.code}: {got} students planned, {s.fixed_demand} left to record")
            continue
        first = vs[0].day
        total = sum(v.students for v in vs)
        if total < s.demand_on(first):
            problems.append(f"{s.code}: {total} students planned, {s.demand_on(first)} of age at the first visit "
                            f"{first}")
        done = 0
        for v in vs:
            done += v.students
            if done > s.demand_on(v.day):
                problems.append(f"{s.code}: {done} students placed by {v.day}, only {s.demand_on(v.day)} of age")
                break
    for f in inst.forced:
        if not any(v.school == f.school and v.day == f.day and (not f.team or v.team == f.team) for v in visits):
            problems.append(f"{f.school} {f.day}: agreed visit missing")
        if any(v.school == f.school and v.day < f.day and inst.start <= v.day and not v.fixed for v in visits):
            problems.append(f"{f.school}: visited before its agreed visit {f.day}")
    return problems

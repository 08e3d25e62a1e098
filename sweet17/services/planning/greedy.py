"""The greedy baseline: day by day, each team takes the nearest school not yet visited (nearest
to the office) and fills its kits' day; when the school needs fewer kits or less time than the
team has, the spare kits or the rest of the day go to the nearest school close enough to share
the day. Used as the benchmark's baseline, as the solver's first hint, and as the plan of last
resort when the solver finds nothing in its time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sweet17.services.planning.instance import Instance, TeamDay, Visit, allocate, materialize


@dataclass
class GreedyResult:
    visits: list[Visit]
    team_days: list[TeamDay]
    unmet: dict[str, int]          # school -> students not reached inside the horizon

    @property
    def complete(self) -> bool:
        return not self.unmet


def greedy_plan(inst: Instance, key=None) -> GreedyResult:  # type: ignore[no-untyped-def]
    """``key`` orders the schools not yet visited (default: nearest to the office first)."""
    placed: dict[str, int] = {s.code: 0 for s in inst.schools}
    need: dict[str, int] = {}         # students of age on the school's first visit day
    started: set[str] = set()
    closed: set[str] = set()
    owner: dict[str, str] = {}
    near: dict[str, list[tuple[int, str]]] = {s.code: [] for s in inst.schools}
    for a, b, t_ab in inst.pairs():
        near[a].append((t_ab, b))
        near[b].append((t_ab, a))
    for v in near.values():
        v.sort()
    order = sorted(inst.schools, key=key or (lambda s: (s.travel, s.code)))
    forced_on: dict[date, list] = {}
    for f in inst.forced:
        forced_on.setdefault(f.day, []).append(f)
    team_days: list[TeamDay] = []

    def rem_on(code: str, d: date) -> int:
        return need.get(code, inst.by_code[code].demand_on(d)) - placed[code]

    def want(code: str, d: date) -> bool:
        s = inst.by_code[code]
        if code in closed or d not in s.open_days or inst.cap(code) <= 0:
            return False
        agreed = inst.first_agreed(code)
        if agreed is not None and d < agreed:
            return False
        return rem_on(code, d) > 0

    def take(code: str, d: date, n: int) -> None:
        need.setdefault(code, inst.by_code[code].demand_on(d))
        placed[code] += n
        started.add(code)
        if rem_on(code, d) <= 0:
            closed.add(code)

    for d in inst.days():
        busy: set[str] = set()
        teams = [t for t in inst.teams if d in t.work_days]
        working = {t.id for t in teams}
        plan_for: dict[str, str] = {}
        for f in forced_on.get(d, []):
            cands = [t for t in teams if (not f.team or t.id == f.team) and t.id not in plan_for]
            if cands and want(f.school, d):
                plan_for[cands[0].id] = f.school
        for team in teams:
            k = team.k
            x = plan_for.get(team.id)
            if x is None:
                x = next((c for c, o in owner.items() if o == team.id and c not in busy and want(c, d)), None)
            if x is None:
                x = next((s.code for s in order if s.code not in busy and want(s.code, d)
                          and (s.code not in started or owner.get(s.code) not in working)), None)
            if x is None:
                continue
            busy.add(x)
            rx = rem_on(x, d)
            cap_x = inst.cap(x)
            best: TeamDay | None = None
            best_score = -1
            if math.ceil(rx / cap_x) >= k:
                best = TeamDay(d, team.id, ((x, min(rx, k * cap_x)),))
            else:
                best = TeamDay(d, team.id, ((x, rx),))
                for _t, b in near[x]:
                    if b in busy or not want(b, d):
                        continue
                    rb_all = rem_on(b, d)
                    first, _second = inst.pair_order(x, b)
                    # kits divided: as few kits at x as finish it, the rest at b
                    if k >= 2:
                        ca, cb = inst.split_cap(x, b)
                        cx, cbb = (ca, cb) if first == x else (cb, ca)
                        if cx > 0 and cbb > 0:
                            kx = math.ceil(rx / cx)
                            if kx < k:
                                rb = min(rb_all, (k - kx) * cbb)
                                if rb > best_score:
                                    best_score = rb
                                    stops = ((x, rx), (b, rb)) if first == x else ((b, rb), (x, rx))
                                    split = (kx, k - kx) if first == x else (k - kx, kx)
                                    best = TeamDay(d, team.id, stops, split)
                    # one after the other with all kits
                    room = inst.pair_room(x, b, k) - rx
                    if room >= 1:
                        rb = min(rb_all, room)
                        if rb > best_score:
                            best_score = rb
                            stops = ((x, rx), (b, rb)) if first == x else ((b, rb), (x, rx))
                            best = TeamDay(d, team.id, stops)
                    break   # only the nearest school that wants a visit
            for code, r in best.stops:
                take(code, d, r)
                busy.add(code)
                if code in closed:
                    owner.pop(code, None)
                else:
                    owner[code] = team.id
            team_days.append(best)
    unmet = {}
    for s in inst.schools:
        if s.code not in started and inst.needs_visit(s):
            unmet[s.code] = s.demand_on(inst.end)
        elif s.code in started and s.code not in closed:
            unmet[s.code] = need[s.code] - placed[s.code]
    placed = allocate(inst, [_with_room(inst, td) for td in team_days])
    return GreedyResult(materialize(inst, placed), team_days, unmet)


def _with_room(inst: Instance, td: TeamDay) -> TeamDay:
    """A day at one school has room for all its kits, whatever the greedy filled in."""
    if len(td.stops) == 1:
        code = td.stops[0][0]
        return TeamDay(td.day, td.team, ((code, inst.team_by_id[td.team].k * inst.cap(code)),))
    return td


def best_greedy(inst: Instance, tries: int = 8, seed: int = 17) -> GreedyResult:
    """The best of several greedy orders (nearest, farthest, fewest open days, seeded shuffles), as a hint.

    Complete plans beat incomplete ones, then the earlier end, then the shorter travel.
    """
    import random

    from sweet17.services.planning.instance import metrics

    keys = [None, lambda s: (-s.travel, s.code), lambda s: (len(s.open_days), s.travel, s.code)]
    rnd = random.Random(seed)
    for _ in range(tries):
        shuffle = {s.code: rnd.random() for s in inst.schools}
        keys.append(lambda s, sh=shuffle: sh[s.code])
    best, best_key = None, None
    for key in keys:
        g = greedy_plan(inst, key)
        m = metrics(inst, g.visits)
        k = (not g.complete, sum(g.unmet.values()), m.end or inst.end, m.travel)
        if best_key is None or k < best_key:
            best, best_key = g, k
    return best  # type: ignore[return-value]


def repair(inst: Instance, team_days: list[TeamDay]) -> list[TeamDay] | None:
    """Keep the team-days that still fit ``inst`` and add greedy days for what they leave uncovered.

    Used after a disruption: the previous plan, minus the cancelled visits, plus the fewest
    new days the greedy finds on the teams' free days. A hint for the solver, not a plan:
    None when the greedy cannot cover the rest.
    """
    import dataclasses

    from sweet17.services.planning.instance import _school_covered

    kept: list[TeamDay] = []
    for td in sorted(team_days):
        team = inst.team_by_id.get(td.team)
        if team is None or td.day not in team.work_days or not inst.start <= td.day <= inst.end:
            continue
        if any(c not in inst.by_code or td.day not in inst.by_code[c].open_days for c, _r in td.stops):
            continue
        if len(td.stops) == 1:
            c = td.stops[0][0]
            kept.append(TeamDay(td.day, td.team, ((c, team.k * inst.cap(c)),)))
        else:
            kept.append(td)
    busy = {(td.day, td.team) for td in kept}
    rooms: dict[str, list[tuple[date, int]]] = {}
    for td in kept:
        for c, r in td.stops:
            rooms.setdefault(c, []).append((td.day, r))
    residual = []
    for s in inst.schools:
        rs = sorted(rooms.get(s.code, []))
        if not rs:
            if inst.needs_visit(s):
                residual.append(s)
            continue
        ok, placed = _school_covered(s, rs)
        if not ok:
            need = (s.fixed_demand if s.fixed_demand is not None else s.demand_on(rs[0][0])) - sum(placed)
            residual.append(dataclasses.replace(s, fixed_demand=max(1, need)))
    if not residual:
        return kept
    teams = tuple(dataclasses.replace(t, work_days=frozenset(d for d in t.work_days if (d, t.id) not in busy))
                  for t in inst.teams)
    sub = Instance(start=inst.start, end=inst.end, schools=tuple(residual), teams=teams, params=inst.params,
                   between={k: v for k, v in inst.between.items()
                            if k[0] in {s.code for s in residual} and k[1] in {s.code for s in residual}},
                   coords=inst.coords)
    g = greedy_plan(sub)
    if not g.complete:
        return None
    return sorted(kept + [_with_room(sub, td) for td in g.team_days])

"""The pooled planner (services/planning/pooled.py): patterns first, then days, with interchangeable teams."""

from __future__ import annotations

import math
import time
from datetime import date

import pytest

from sweet17.services.planning import pooled
from sweet17.services.planning.bounds import lower_bound
from sweet17.services.planning.greedy import best_greedy
from sweet17.services.planning.instance import (
    Forced,
    TeamDay,
    allocate,
    materialize,
    metrics,
    prune,
    verify_plan,
)
from sweet17.services.planning.model import solve
from sweet17.services.planning.synthetic import synthetic_instance


def _medium(seed: int = 4, kits: int = 2):  # type: ignore[no-untyped-def]
    return synthetic_instance(n_schools=60, team_kits=(kits,) * 5, days=60, seed=seed, radius_km=35,
                              mean_students=100)


def test_applies_only_to_interchangeable_teams_without_agreements():
    inst = _medium()
    assert pooled.applicable(inst)
    mixed = synthetic_instance(n_schools=10, team_kits=(2, 1), days=30, seed=2)
    assert not pooled.applicable(mixed)
    s = inst.schools[0]
    forced = type(inst)(start=inst.start, end=inst.end, schools=inst.schools, teams=inst.teams, params=inst.params,
                        between=inst.between, coords=inst.coords,
                        forced=(Forced(s.code, sorted(s.open_days)[3], ""),))
    assert not pooled.applicable(forced)


@pytest.mark.parametrize("mip", [True, False], ids=["scip", "cp-sat"])
def test_window_search_keeps_every_school_covered_and_never_gets_worse(mip, monkeypatch):
    monkeypatch.setattr(pooled, "MIP", mip)
    inst = _medium()
    pool = pooled._Pool(inst)
    need = {c: inst.by_code[c].demand_on(inst.visit_days(inst.by_code[c])[0]) for c in pool.codes}
    start = pooled.Patterns(solo={c: math.ceil(need[c] / (pool.k * pool.cap[c])) for c in pool.codes})
    before = start.team_days()
    pat, improved = pool.patterns(need, time.perf_counter() + 3.0, seed=3)
    rooms = pool.rooms(pat)
    assert all(rooms.get(c, 0) >= need[c] for c in pool.codes), "a school lost room"
    assert pat.team_days() <= before and improved > 0
    # shared days bring each school no more than the day's room allows
    for (a, b), (n, ua, ub) in pat.seq.items():
        assert ua + ub <= n * pool.seq_room[(a, b)]
    # sharing pays: near schools share days, so fewer team-days than each school alone
    assert pat.team_days() < before


def test_shared_day_rooms_are_spread_so_each_day_fits():
    inst = _medium()
    pool = pooled._Pool(inst)
    (a, b), room = next(iter(pool.seq_room.items()))
    for n, ua, ub in [(1, room - 3, 3), (3, 2 * room, room - 1), (2, 1, 1), (4, room + 1, 3 * room - 1)]:
        pat = pooled.Patterns(seq={(a, b): (n, ua, ub)})
        days = pool.stops(pat, ("seq", a, b), n)
        assert len(days) == n and sum(x for x, _ in days) == ua and sum(y for _, y in days) == ub
        assert all(x + y <= room for x, y in days), (n, ua, ub, days)


def test_pooled_plan_is_valid_ends_no_later_than_greedy_and_above_the_bound():
    inst = _medium()
    tds, info = pooled.plan_pooled(inst, time.perf_counter() + 6.0)
    assert tds is not None, info
    visits = materialize(inst, allocate(inst, prune(inst, tds)))
    assert verify_plan(inst, visits) == []
    m = metrics(inst, visits)
    g = best_greedy(inst)
    mg = metrics(inst, g.visits)
    b = lower_bound(inst)
    assert m.end <= mg.end and b.end <= m.end and b.kit_days <= m.kit_days
    # a team is at one place a day, only on its working days
    seen = set()
    for td in tds:
        assert (td.team, td.day) not in seen and td.day in inst.team_by_id[td.team].work_days
        seen.add((td.team, td.day))


def test_top_up_adds_a_day_for_a_school_left_short():
    inst = _medium()
    pool = pooled._Pool(inst)
    tds, _info = pooled.plan_pooled(inst, time.perf_counter() + 5.0)
    assert tds is not None
    # take away the last day of a school visited on several days: it is left short
    days_of: dict[str, list[TeamDay]] = {}
    for td in tds:
        if len(td.stops) == 1:
            days_of.setdefault(td.stops[0][0], []).append(td)
    code, its = max(days_of.items(), key=lambda kv: (len(kv[1]), kv[0]))
    assert len(its) >= 2
    cut = [td for td in tds if td is not max(its, key=lambda x: x.day)]
    assert verify_plan(inst, materialize(inst, allocate(inst, cut)))     # short now
    out, added = pooled._top_up(inst, pool, allocate(inst, cut))
    assert out is not None and added >= 1
    assert verify_plan(inst, materialize(inst, allocate(inst, out))) == []
    assert len({(td.team, td.day) for td in out}) == len(out)


def test_solve_uses_the_pooled_planner_for_large_drives():
    inst = _medium(seed=6)
    res = solve(inst, time_limit=7.0, decompose=True)
    assert res.method == "cp-sat-pooled" and verify_plan(inst, res.visits) == []
    assert res.seconds < 7.0 + 3.0
    assert [p.name for p in res.phases] == ["patterns", "end"]


def test_mixed_kits_still_use_the_sectors():
    inst = synthetic_instance(n_schools=30, team_kits=(2, 1, 2), days=50, seed=8)
    res = solve(inst, time_limit=6.0, decompose=True)
    assert res.method == "cp-sat-decomposed" and verify_plan(inst, res.visits) == []
    assert date(2000, 1, 1) < max(v.day for v in res.visits)


def test_a_failing_window_is_raised_in_the_caller_not_lost_in_a_thread(monkeypatch):
    inst = _medium()
    pool = pooled._Pool(inst)
    need = {c: inst.by_code[c].demand_on(inst.visit_days(inst.by_code[c])[0]) for c in pool.codes}

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("window solver broke")

    monkeypatch.setattr(pooled, "MIP", True)
    monkeypatch.setattr(pooled, "_scip_available", lambda: True)
    monkeypatch.setattr(pool, "improve_mip", broken)
    with pytest.raises(RuntimeError, match="window solver broke"):
        pool.patterns(need, time.perf_counter() + 2.0, seed=1, threads=2)


def _patterns(inst):  # type: ignore[no-untyped-def]
    pool = pooled._Pool(inst)
    need = {}
    for c in pool.codes:
        vd = inst.visit_days(inst.by_code[c])
        need[c] = inst.by_code[c].demand_on(vd[min(len(vd) - 1, pooled.MARGIN_DAYS)])
    pat, _ = pool.patterns(need, time.perf_counter() + 3.0)
    return pool, pat


def test_list_schedule_keeps_days_teams_calendars_and_first_visit_deadlines():
    inst = _medium(seed=5)
    pool, pat = _patterns(inst)
    items, _rooms, teams_on, horizon, latest = pooled._frame(inst, pool, pat)
    counts = pooled._list_schedule(inst, items, horizon, teams_on, latest)
    assert counts is not None
    for i, d in enumerate(horizon):
        assert sum(n for (_p, j), n in counts.items() if j == i) <= len(teams_on[d])
    first: dict[str, int] = {}
    for p, (key, n) in enumerate(items):
        assert sum(v for (q, _i), v in counts.items() if q == p) == n
        for (q, i), v in counts.items():
            if q == p and v:
                for c in pooled._schools_of(key):
                    assert horizon[i] in inst.by_code[c].open_days
                    first[c] = min(first.get(c, i), i)
    assert all(horizon[first[c]] <= latest[c] for c in first)
    tds = pooled._to_team_days(inst, pool, pat, items, horizon, teams_on, counts)
    assert verify_plan(inst, materialize(inst, allocate(inst, tds))) == []
    # deadlines nobody can keep: every school due on the first day, more schools than teams
    assert pooled._list_schedule(inst, items, horizon, teams_on, {c: horizon[0] for c in latest}) is None


def test_schedule_falls_back_to_the_list_when_cp_sat_finds_nothing_in_time(monkeypatch):
    from ortools.sat.python import cp_model

    inst = _medium(seed=5)
    pool, pat = _patterns(inst)
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model, *a: cp_model.UNKNOWN)
    tds = pooled.schedule(inst, pool, pat, time.perf_counter() + 2.0)
    assert tds is not None
    assert verify_plan(inst, materialize(inst, allocate(inst, tds))) == []

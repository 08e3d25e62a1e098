"""The lower bound never exceeds what a plan can do: checked by hand, against brute force on tiny
instances, and against plans CP-SAT proves optimal."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta

import pytest
from planning_helpers import tiny_instance

from sweet17.services.planning.bounds import charged, lower_bound, relaxation, team_charged
from sweet17.services.planning.instance import Instance, Params, SchoolInput, TeamInput, metrics, verify_plan
from sweet17.services.planning.model import solve


def test_each_school_rounds_up_on_its_own():
    # two schools too far apart to share a day, 40 students each, (330 - 30 - 60) / 6 = 40 ... 41 students:
    # 41 / 40 = 1.03 kit-days each; the old bound rounded the sum (2.05 -> 3), each school needs 2: 4
    inst = tiny_instance(demand={"A": 41, "B": 41}, travel={"A": 60, "B": 60}, kits=(1,))
    b = lower_bound(inst)
    assert b.fractional_kit_days == pytest.approx(82 / 40)
    assert b.kit_days == 4
    # one kit a day: the 4th working day, Thursday 4 Feb
    assert b.end == date(2027, 2, 4)
    res = solve(inst, time_limit=3)
    assert res.found and verify_plan(inst, res.visits) == []
    m = metrics(inst, res.visits)
    assert (m.kit_days, m.end) == (4, date(2027, 2, 4)) and res.status == "optimal"


def test_charged_bound_sees_the_second_setup_of_a_shared_day():
    # n = 41 with 40 a kit-day and a shared day of at most 25 per kit. theta = 1/2 charges a shared day
    # half its use plus a quarter: 1 kit-day and a shared one cost 1 + 1/50 + 1/4 = 1.27; two shared days
    # 41/50 + 1/2 = 1.32; two kit-days 2. The fractional bound says 41/40 = 1.025.
    assert charged(41, 40, 25, 0.5) == pytest.approx(1.27)
    assert charged(41, 40, 25, 1.0) == pytest.approx(1 + 1 / 25)
    assert charged(41, 40, 25, 0.0) == pytest.approx(1.0)      # two shared days at a half each
    assert charged(80, 40, 25, 0.5) == 2          # two full kit-days beat any sharing
    assert charged(10, 40, 0, 0.5) == 1           # no near school: a whole kit-day


def test_team_charged_bound_counts_whole_team_days():
    # teams of 2 kits, 40 a kit, 25 a kit on a shared day. 41 students: a day alone costs 1; one kit of a
    # divided day (1/2) and a shared day for the last student 1/2 + theta/50 + (1 - theta)/2; every
    # student on shared days 41 theta/50 + (1 - theta)/2 (one day of 50)
    assert team_charged(41, 40, 25, 0.5, 2) == pytest.approx(0.41 + 0.25)
    assert team_charged(41, 40, 25, 1.0, 2) == pytest.approx(0.52)
    assert team_charged(81, 40, 0, 0.5, 2) == pytest.approx(1.5)       # no shared day: a day and a kit
    assert team_charged(160, 40, 25, 0.5, 2) == 2
    # one kit a team: a team-day is a kit-day, the same as the kit-day charge
    assert team_charged(41, 40, 25, 0.5, 1) == pytest.approx(charged(41, 40, 25, 0.5))


def test_team_days_of_schools_joined_only_by_a_divided_day_round_up_together():
    # setups so long that no near pair shares a day one school after the other (P <= 0), but one team
    # can divide its two kits between A and B (20 students each): one team-day for both. Rounding each
    # school's half team-day up on its own would claim 2.
    inst = tiny_instance(demand={"A": 20, "B": 20}, travel={"A": 30, "B": 40}, kits=(2,), setup=140,
                         between={("A", "B"): 20})
    rel = relaxation(inst)
    assert rel.pairs == {} and rel.near == (("A", "B"),)
    assert len(rel.components()) == 2 and len(rel.components(linked=True)) == 1
    b = lower_bound(inst)
    assert (b.kit_days, b.team_days) == (2, 1)
    res = solve(inst, time_limit=3)
    assert res.found and verify_plan(inst, res.visits) == []
    assert metrics(inst, res.visits).team_days == 1


def _tiny(seed: int) -> Instance:
    """1 team (1 or 2 kits), 2-3 schools, some near each other, 3-4 days, small numbers; everybody of age."""
    rnd = random.Random(seed)
    start = date(2027, 2, 1)
    n_days = rnd.choice((3, 4))
    days = [start + timedelta(days=i) for i in range(n_days)]
    codes = ["A", "B", "C"][:rnd.choice((2, 3))]
    schools = tuple(SchoolInput(code=c, travel=rnd.choice((10, 40, 80)),
                                open_days=frozenset(d for d in days if rnd.random() < 0.8) or frozenset(days[:1]),
                                eligible_from=(None,) * rnd.randint(3, 30)) for c in codes)
    k = rnd.choice((1, 2))
    team = TeamInput("T1", tuple(f"K{i}" for i in range(k)), frozenset(days))
    between = {}
    for a, b in itertools.combinations(codes, 2):
        if rnd.random() < 0.7:
            between[(a, b)] = rnd.choice((5, 15, 25))
    return Instance(start=start, end=days[-1], schools=schools, teams=(team,),
                    params=Params(window=330, setup=30, minutes_per_student=20.0, pair_max_travel=30),
                    between=between)


def _brute_force(inst: Instance) -> tuple[int | None, int | None, int | None]:
    """(fewest kit-days, earliest last day index, fewest team-days) over every plan of the rules, relaxed as the bound's proof
    states them: a kit records at most cap (solo, via a near school when divided) a day, a shared day
    with j kits at most j x slots at its two schools together."""
    team = inst.teams[0]
    k = team.k
    days = inst.days()
    p = inst.params
    codes = [s.code for s in inst.schools]
    need = {s.code: s.demand_on(days[0]) for s in inst.schools}
    options_by_day = []
    for d in days:
        opts = [((), 0)]                                   # (rooms, kits): rooms = ((schools, capacity), ...)
        if d not in team.work_days:
            options_by_day.append(opts)
            continue
        open_ = [c for c in codes if d in inst.by_code[c].open_days]
        for c in open_:
            for j in range(1, k + 1):
                opts.append(((((c,), j * inst.cap(c)),), j))
        for (a, b), t_ab in inst.between.items():
            if a not in open_ or b not in open_ or t_ab > p.pair_max_travel:
                continue
            first, second = inst.pair_order(a, b)
            slots = math.floor((p.window - inst.by_code[first].travel - t_ab - 2 * p.setup) / p.minutes_per_student)
            for j in range(1, k + 1):
                if slots > 0:
                    opts.append(((((first, second), j * slots),), j))
            if k == 2:
                via = math.floor((p.window - inst.by_code[first].travel - t_ab - p.setup) / p.minutes_per_student)
                opts.append(((((first,), inst.cap(first)), ((second,), max(0, via))), 2))
        options_by_day.append(opts)
    best_kits, best_end, best_teams = None, None, None
    for combo in itertools.product(*options_by_day):
        rooms = [r for opt, _k in combo for r in opt]
        # Gale's condition: every set of schools fits in the rooms any of them can use
        ok = all(sum(need[c] for c in sub) <= sum(cap for who, cap in rooms if set(who) & set(sub))
                 for n in range(1, len(codes) + 1) for sub in itertools.combinations(codes, n))
        if not ok:
            continue
        kits = sum(kk for _opt, kk in combo)
        last = max(i for i, (opt, _kk) in enumerate(combo) if opt) if any(opt for opt, _ in combo) else -1
        best_kits = kits if best_kits is None else min(best_kits, kits)
        best_end = last if best_end is None else min(best_end, last)
        teams = sum(1 for opt, _kk in combo if opt)
        best_teams = teams if best_teams is None else min(best_teams, teams)
    return best_kits, best_end, best_teams


# range(24), and seeds of teams of two kits where the team-day charge binds (above the kit-days / 2)
@pytest.mark.parametrize("seed", [*range(24), 63, 91, 130, 174, 301])
def test_bound_never_above_brute_force_optimum(seed):
    inst = _tiny(seed)
    kits, end, teams = _brute_force(inst)
    b = lower_bound(inst)
    if kits is None:
        return                                        # no plan at all: nothing to compare
    assert b.end is not None and b.kit_days <= kits, (seed, b, kits)
    assert b.team_days <= teams, (seed, b, teams)
    assert inst.days().index(b.end) <= end, (seed, b.end, end)


@pytest.mark.parametrize("seed", [3, 8, 21])
def test_bound_never_above_a_plan_cp_sat_proves_optimal(seed):
    from sweet17.services.planning.synthetic import synthetic_instance

    inst = synthetic_instance(n_schools=6, team_kits=(2, 1), days=21, seed=seed, mean_students=60.0)
    res = solve(inst, time_limit=2, objectives=["end"])
    assert res.found and verify_plan(inst, res.visits) == []
    b = lower_bound(inst)
    m = metrics(inst, res.visits)
    assert b.end <= m.end and b.kit_days <= m.kit_days and b.team_days <= m.team_days
    if res.status == "optimal":
        assert res.phases[0].name == "end" and res.phases[0].status == "optimal"


def test_relaxation_figures():
    inst = tiny_instance(demand={"A": 60, "B": 15}, travel={"A": 30, "B": 35}, kits=(1,), between={("A", "B"): 5})
    rel = relaxation(inst)
    assert rel.need == {"A": 60, "B": 15}
    assert rel.solo == {"A": 45, "B": 44}            # B: 35 minutes direct or through A (30 + 5)
    assert rel.pairs == {("A", "B"): math.floor((330 - 30 - 5 - 60) / 6)}
    assert [sorted(c) for c in rel.components()] == [["A", "B"]]

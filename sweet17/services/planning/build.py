"""From a drive definition, the holidays and the students due to a planner ``Instance`` (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sweet17.domain.calendar import school_open_days, team_work_days
from sweet17.domain.drive import Drive
from sweet17.services.planning.instance import Forced, Instance, Params, SchoolInput, TeamInput


@dataclass
class DemandSummary:
    """What the students due add up to, per school (for reports and the follow-up sweep)."""
    by_school: dict[str, list[date]] = field(default_factory=dict)   # school -> dates they reach the age
    no_birth_date: dict[str, int] = field(default_factory=dict)       # school -> students without one
    unknown_school: dict[str, int] = field(default_factory=dict)      # roster school not in the drive

    def to_dict(self) -> dict:
        return {"no_birth_date": self.no_birth_date, "unknown_school": self.unknown_school}


def demand_from_due(drive: Drive, due: Iterable) -> DemandSummary:  # type: ignore[type-arg]
    """Group students due (anything with ``school_code`` and ``turns_min_age_on``) by school.

    Students without a birth date cannot be placed in time (the call list leaves them out too):
    they are counted apart, as are students of schools the drive file does not list.
    """
    codes = {s.code for s in drive.schools}
    out = DemandSummary(by_school={c: [] for c in codes})
    for st in due:
        code = st.school_code
        if code not in codes:
            out.unknown_school[code] = out.unknown_school.get(code, 0) + 1
            continue
        turns = st.turns_min_age_on
        if turns is None:
            out.no_birth_date[code] = out.no_birth_date.get(code, 0) + 1
            continue
        out.by_school[code].append(turns)
    return out


def near_pairs(drive: Drive, max_minutes: int, partners: int = 3) -> dict[tuple[str, str], int]:
    """Travel between schools close enough to share a team-day (key: the two codes sorted): at most
    ``max_minutes`` apart, and one of the ``partners`` nearest schools of at least one of the two."""
    near: dict[str, list[tuple[int, str]]] = defaultdict(list)
    schools = sorted(drive.schools, key=lambda s: s.code)
    for i, a in enumerate(schools):
        for b in schools[i + 1:]:
            t = drive.travel(a.code, b.code)
            if t <= max_minutes:
                near[a.code].append((t, b.code))
                near[b.code].append((t, a.code))
    return keep_nearest(near, partners)


def keep_nearest(near: Mapping[str, list[tuple[int, str]]], partners: int) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for a, lst in near.items():
        for t, b in sorted(lst)[:partners]:
            out[(a, b) if a < b else (b, a)] = t
    return out


def build_instance(drive: Drive, holidays: Mapping[date, str], demand: DemandSummary, *,
                   teams: Iterable[str] | None = None, start: date | None = None, end: date | None = None,
                   cancelled: Iterable[tuple[str, date]] = (), team_off: Iterable[tuple[str, date]] = (),
                   fixed_demand: Mapping[str, int] | None = None, skip_schools: Iterable[str] = (),
                   announced: Iterable[tuple[str, date, str]] = (), purpose: str = "recording") -> Instance:
    """The planning instance of ``drive`` between ``start`` and ``end`` (default: the drive's dates).

    ``cancelled`` (school, day) and ``team_off`` (team, day) close single days; ``fixed_demand``
    gives the students left at schools already started (replan); ``skip_schools`` are done.
    ``purpose="delivery"``: card hand-over visits, in the ``[delivery]`` period with its minutes per
    student and setup; the agreed recording visits do not apply.
    """
    delivery = purpose == "delivery"
    lo, hi = (drive.delivery_start, drive.delivery_end) if delivery else (drive.start, drive.end)
    start = max(start or lo, drive.calendar_start)
    end = min(end or hi, drive.calendar_end)
    cancel_by: dict[str, set[date]] = defaultdict(set)
    for code, d in cancelled:
        cancel_by[code].add(d)
    off_by: dict[str, set[date]] = defaultdict(set)
    for tid, d in team_off:
        off_by[tid].add(d)
    wanted = set(teams) if teams else None
    team_inputs = tuple(
        TeamInput(id=t.id, kits=t.kits,
                  work_days=frozenset(team_work_days(drive, t, holidays, start, end, off_by.get(t.id, ()))))
        for t in drive.teams if wanted is None or t.id in wanted)
    skip = set(skip_schools)
    fixed_demand = fixed_demand or {}
    schools = []
    for s in drive.schools:
        if s.code in skip:
            continue
        open_days = frozenset(school_open_days(drive, s, holidays, start, end, cancel_by.get(s.code, ())))
        schools.append(SchoolInput(code=s.code, travel=s.travel_minutes, open_days=open_days,
                                   eligible_from=tuple(demand.by_school.get(s.code, ())),
                                   fixed_demand=fixed_demand.get(s.code), name=s.name))
    p = drive.recording
    params = Params(window=p.window_minutes,
                    setup=drive.delivery.setup_minutes if delivery else p.setup_minutes,
                    minutes_per_student=drive.delivery.minutes_per_student if delivery else p.minutes_per_student,
                    day_start=p.day_start.hour * 60 + p.day_start.minute,
                    pair_max_travel=drive.planning.pair_max_travel_minutes)
    codes = {s.code for s in schools}
    forced = () if delivery else tuple(
        Forced(f.school, f.date, f.team) for f in drive.fixed_visits
        if f.school in codes and start <= f.date <= end and (not f.team or wanted is None or f.team in wanted))
    coords: dict[str, tuple[float, float]] = {}
    if drive.office.lat is not None and drive.office.lon is not None:
        coords["office"] = (drive.office.lat, drive.office.lon)
    for s in drive.schools:
        if s.lat is not None and s.lon is not None:
            coords[s.code] = (s.lat, s.lon)
    between = {k: v for k, v in near_pairs(drive, params.pair_max_travel, drive.planning.pair_partners).items()
               if k[0] in codes and k[1] in codes}
    return Instance(start=start, end=end, schools=tuple(schools), teams=team_inputs, params=params,
                    between=between, forced=forced,
                    announced=frozenset((c, d, t) for c, d, t in announced if c in codes and start <= d <= end),
                    coords=coords)

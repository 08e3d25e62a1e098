"""Synthetic planning instances (seeded) for tests and benchmarks: no roster, no workspace.

Schools sit in clusters (kecamatan centres) around an office, travel is estimated from the
coordinates like a drive file without ``travel_minutes`` would be; each school has due students,
most already of age and the rest reaching it over the coming year (some during the drive); calendars follow the drive rules
(Mon-Sat or Mon-Fri schools, exam weeks, holidays passed in, teams with days off).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date, timedelta

from sweet17.domain.drive import estimate_travel_minutes
from sweet17.services.planning.build import keep_nearest
from sweet17.services.planning.instance import Instance, Params, SchoolInput, TeamInput

OFFICE = (-2.33, 115.47)   # a point in Kalimantan Selatan (synthetic use only)


def _offset(lat: float, lon: float, km_north: float, km_east: float) -> tuple[float, float]:
    return lat + km_north / 111.0, lon + km_east / (111.0 * math.cos(math.radians(lat)))


def synthetic_instance(n_schools: int = 22, team_kits: tuple[int, ...] = (2, 2, 1), start: date = date(2027, 1, 11),
                       days: int = 70, seed: int = 17, holidays: Mapping[date, str] | None = None,
                       mean_students: float = 90.0, radius_km: float = 45.0, clusters: int | None = None,
                       share_of_age: float = 0.65, pair_max_travel: int = 30, minutes_per_student: float = 6.0,
                       setup: int = 45, window: int = 330, exam_share: float = 0.25,
                       pair_partners: int = 3) -> Instance:
    rnd = random.Random(seed)
    holidays = holidays or {}
    end = start + timedelta(days=days - 1)
    all_days = [start + timedelta(days=i) for i in range(days)]
    k = clusters or max(2, n_schools // 3)
    centres = []
    for _ in range(k):
        r = radius_km * math.sqrt(rnd.uniform(0.02, 1.0))
        a = rnd.uniform(0, 2 * math.pi)
        centres.append((r * math.cos(a), r * math.sin(a)))
    schools = []
    coords: dict[str, tuple[float, float]] = {"office": OFFICE}
    for i in range(n_schools):
        cx, cy = centres[i % k] if i < k else rnd.choice(centres)
        x, y = cx + rnd.gauss(0, 2.5), cy + rnd.gauss(0, 2.5)
        lat, lon = _offset(OFFICE[0], OFFICE[1], y, x)
        code = f"S{i + 1:03d}"
        coords[code] = (lat, lon)
        travel = estimate_travel_minutes(OFFICE[0], OFFICE[1], lat, lon)
        weekdays = 6 if rnd.random() < 0.6 else 5
        blackout: set[date] = set()
        if rnd.random() < exam_share:
            b0 = start + timedelta(days=rnd.randrange(0, max(1, days - 7)))
            blackout = {b0 + timedelta(days=j) for j in range(6)}
        open_days = frozenset(d for d in all_days if d.weekday() < weekdays and d not in blackout
                              and d not in holidays)
        n = max(8, int(rnd.lognormvariate(math.log(mean_students), 0.5)))
        elig: list[date | None] = []
        for _ in range(n):
            if rnd.random() < share_of_age:
                elig.append(None)
            else:
                elig.append(start + timedelta(days=rnd.randrange(0, 365)))   # birthdays over the year
        schools.append(SchoolInput(code=code, travel=travel, open_days=open_days, eligible_from=tuple(elig),
                                   name=f"Sekolah Sintetis {i + 1}"))
    teams = []
    kit_no = 0
    for j, kits in enumerate(team_kits):
        ids = []
        for _ in range(kits):
            kit_no += 1
            ids.append(f"K{kit_no:02d}")
        weekdays = 6 if j % 3 == 0 else 5
        off = set(rnd.sample(all_days, k=rnd.randrange(0, 3)))
        work = frozenset(d for d in all_days if d.weekday() < weekdays and d not in holidays and d not in off)
        teams.append(TeamInput(id=f"T{j + 1}", kits=tuple(ids), work_days=work))
    near: dict[str, list[tuple[int, str]]] = {}
    codes = [s.code for s in schools]
    for a_i, a in enumerate(codes):
        la, lo = coords[a]
        for b in codes[a_i + 1:]:
            lb, lob = coords[b]
            # cheap pre-filter: 1 degree ~ 111 km
            if abs(la - lb) > 0.2 or abs(lo - lob) > 0.2:
                continue
            t = estimate_travel_minutes(la, lo, lb, lob)
            if t <= pair_max_travel:
                near.setdefault(a, []).append((t, b))
                near.setdefault(b, []).append((t, a))
    between = keep_nearest(near, pair_partners)
    params = Params(window=window, setup=setup, minutes_per_student=minutes_per_student,
                    pair_max_travel=pair_max_travel)
    return Instance(start=start, end=end, schools=tuple(schools), teams=tuple(teams), params=params,
                    between=between, coords=coords)

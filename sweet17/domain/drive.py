"""Drive definitions: the office, schools, teams and kits, the calendar and recording parameters.

A drive is defined in ``drives/<slug>/drive.toml``; ``parse_drive`` turns the parsed TOML
(a dict) into a validated ``Drive``. It refuses bad input with ``DriveDefinitionError``
naming the field (``schools[3].travel_minutes``), never with a half-built drive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cached_property
from typing import Any

from sweet17.i18n import N_

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {"mon-fri": WEEKDAYS[:5], "mon-sat": WEEKDAYS[:6], "mon-sun": WEEKDAYS}


class DriveDefinitionError(ValueError):
    """A drive file that cannot be used. ``field`` names the place, ``message`` is an English id."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        self.field = field
        self.message = message
        self.params = params
        super().__init__(f"{field}: {message.format(**params)}")


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    reason: str = ""

    def __contains__(self, d: date) -> bool:
        return self.start <= d <= self.end


@dataclass(frozen=True)
class Office:
    name: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class School:
    code: str                   # the drive's short code for the school, unique in the drive
    name: str
    kind: str                   # SMA, SMK, MA, ...
    kecamatan_code: str
    kecamatan: str
    travel_minutes: int         # one way from the office
    npsn: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    days: tuple[str, ...] = DAY_SETS["mon-sat"]
    blackouts: tuple[DateRange, ...] = ()
    roster: str = ""            # roster file, relative to the drive folder

    def open_on(self, d: date) -> bool:
        return WEEKDAYS[d.weekday()] in self.days and not any(d in b for b in self.blackouts)


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    kits: tuple[str, ...]
    working_days: tuple[str, ...] = DAY_SETS["mon-fri"]
    days_off: tuple[DateRange, ...] = ()

    def works_on(self, d: date) -> bool:
        return WEEKDAYS[d.weekday()] in self.working_days and not any(d in r for r in self.days_off)


@dataclass(frozen=True)
class RecordingParams:
    minutes_per_student: float = 6.0
    setup_minutes: int = 45
    day_start: time = time(7, 30)
    day_end: time = time(13, 0)

    @property
    def window_minutes(self) -> int:
        return (self.day_end.hour * 60 + self.day_end.minute) - (self.day_start.hour * 60 + self.day_start.minute)


@dataclass(frozen=True)
class PlanningParams:
    """Planner settings (``[planning]`` in drive.toml, all optional)."""
    pair_max_travel_minutes: int = 30     # two schools in one team-day only when this close to each other
    pair_partners: int = 3                # ... and only with one of a school's this many nearest schools
    time_limit_seconds: float = 10.0      # default solver time budget of ``drive plan``


@dataclass(frozen=True)
class DeliveryParams:
    """Card hand-over visits, KTPku Datang (``[delivery]`` in drive.toml, all optional)."""
    start: date | None = None             # first day of hand-over visits (default: the drive's start)
    end: date | None = None               # last day (default: the drive's end)
    minutes_per_student: float = 2.0      # find the student, check the card on the reader, confirm
    setup_minutes: int = 20


DEFAULT_BRING = (
    N_("Photocopy of the family card (Kartu Keluarga)"),
    N_("Student card or school report book (rapor) showing the name and date of birth"),
    N_("Neat clothes with a collar; no white shirt (the photo background is light)"),
)


@dataclass(frozen=True)
class LetterParams:
    """Notification letters (``[letters]`` in drive.toml, all optional)."""
    city: str = ""                       # place written before the letter's date
    signatory: str = ""
    signatory_title: str = ""
    signatory_id: str = ""               # e.g. NIP of the signing official
    phone: str = ""                      # contact for the school
    bring: tuple[str, ...] = ()          # what each student brings; empty: DEFAULT_BRING (translated)


@dataclass(frozen=True)
class FixedVisit:
    """A visit agreed beforehand (``[[fixed_visits]]``): the planner keeps it as it is."""
    school: str
    date: date
    team: str = ""                       # empty: any team


@dataclass(frozen=True)
class Drive:
    slug: str
    name: str
    regency_code: str
    regency: str
    province: str
    start: date
    end: date
    office: Office
    schools: tuple[School, ...]
    teams: tuple[Team, ...]
    recording: RecordingParams = field(default_factory=RecordingParams)
    min_age: int = 16
    local_holidays: tuple[DateRange, ...] = ()
    travel_between: dict[tuple[str, str], int] = field(default_factory=dict)
    history: dict[int, float] = field(default_factory=dict)   # year -> recording rate (0-1)
    registry_extract: str = ""
    planning: PlanningParams = field(default_factory=PlanningParams)
    letters: LetterParams = field(default_factory=LetterParams)
    fixed_visits: tuple[FixedVisit, ...] = ()
    timezone: str = ""                    # IANA name; empty: from the province (WIB, WITA or WIT)
    delivery: DeliveryParams = field(default_factory=DeliveryParams)

    @property
    def delivery_start(self) -> date:
        return self.delivery.start or self.start

    @property
    def delivery_end(self) -> date:
        return self.delivery.end or self.end

    @property
    def calendar_start(self) -> date:
        """First day of the drive's calendar: recording and card hand-over."""
        return min(self.start, self.delivery_start)

    @property
    def calendar_end(self) -> date:
        return max(self.end, self.delivery_end)

    @property
    def tz_name(self) -> str:
        return self.timezone or timezone_for_region(self.regency_code)

    @property
    def year(self) -> int:
        return self.start.year

    @cached_property
    def _school_index(self) -> dict[str, School]:
        return {s.code: s for s in self.schools}

    def school(self, code: str) -> School:
        return self._school_index[code]

    @property
    def kits(self) -> tuple[str, ...]:
        return tuple(k for t in self.teams for k in t.kits)

    def team(self, team_id: str) -> Team:
        for t in self.teams:
            if t.id == team_id:
                return t
        raise KeyError(team_id)

    def days(self) -> list[date]:
        n = (self.end - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(n)]

    def travel(self, a: str, b: str) -> int:
        """Minutes between two schools (or 'office'): given in the file, else estimated."""
        if a == b:
            return 0
        if (a, b) in self.travel_between:
            return self.travel_between[(a, b)]
        if (b, a) in self.travel_between:
            return self.travel_between[(b, a)]
        if a == "office":
            return self.school(b).travel_minutes
        if b == "office":
            return self.school(a).travel_minutes
        sa, sb = self.school(a), self.school(b)
        if None not in (sa.lat, sa.lon, sb.lat, sb.lon):
            return estimate_travel_minutes(sa.lat, sa.lon, sb.lat, sb.lon)  # type: ignore[arg-type]
        # Without coordinates: at most via the office, at least the difference of the office times.
        return max(abs(sa.travel_minutes - sb.travel_minutes), 10) if sa.kecamatan_code == sb.kecamatan_code \
            else sa.travel_minutes + sb.travel_minutes


# Provinces (first two digits of the Kemendagri code) by time zone; the rest of Indonesia is WIB.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def timezone_for_region(code: str) -> str:
    """The IANA time zone of a province or regency code: WIB, WITA or WIT."""
    prov = str(code)[:2]
    if prov in _WITA:
        return "Asia/Makassar"
    if prov in _WIT:
        return "Asia/Jayapura"
    return "Asia/Jakarta"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# Rural Kalimantan roads by motorbike: winding roads (x1.4 of the straight line) at about 35 km/h.
ROAD_FACTOR = 1.4
SPEED_KMH = 35.0


def estimate_travel_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    return max(5, round(haversine_km(lat1, lon1, lat2, lon2) * ROAD_FACTOR / SPEED_KMH * 60))


# ---------------------------------------------------------------- parsing (pure: dict in, Drive out)

def _req(d: dict, key: str, where: str) -> Any:
    if key not in d or d[key] in (None, ""):
        raise DriveDefinitionError(f"{where}{key}", N_("is required"))
    return d[key]


def _date(v: Any, fld: str) -> date:
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise DriveDefinitionError(fld, N_("'{value}' is not a date (YYYY-MM-DD)"), value=v) from None


def _time(v: Any, fld: str) -> time:
    if isinstance(v, time):
        return v
    try:
        return time.fromisoformat(str(v))
    except ValueError:
        raise DriveDefinitionError(fld, N_("'{value}' is not a time (HH:MM)"), value=v) from None


def _days(v: Any, fld: str) -> tuple[str, ...]:
    if isinstance(v, str):
        if v in DAY_SETS:
            return DAY_SETS[v]
        v = [x.strip() for x in v.split(",")]
    out = []
    for x in v:
        x = str(x).lower()[:3]
        if x not in WEEKDAYS:
            raise DriveDefinitionError(fld, N_("'{value}' is not a day (mon, tue, ... sun)"), value=x)
        out.append(x)
    return tuple(out)


def _ranges(items: Any, fld: str, lo: date | None = None, hi: date | None = None) -> tuple[DateRange, ...]:
    out = []
    for i, b in enumerate(items or []):
        where = f"{fld}[{i}]"
        if isinstance(b, date | str):
            d = _date(b, where)
            r = DateRange(d, d)
        else:
            start = _date(b.get("start", b.get("date")), f"{where}.start")
            end = _date(b.get("end", start), f"{where}.end")
            if end < start:
                raise DriveDefinitionError(f"{where}.end", N_("ends before it starts"))
            r = DateRange(start, end, str(b.get("reason", b.get("name", ""))))
        if lo and hi and (r.end < lo or r.start > hi):
            raise DriveDefinitionError(where, N_("{start} to {end} lies outside the drive ({lo} to {hi})"),
                                       start=r.start, end=r.end, lo=lo, hi=hi)
        out.append(r)
    return tuple(out)


def _minutes(v: Any, fld: str) -> int:
    try:
        m = float(v)
    except (TypeError, ValueError):
        raise DriveDefinitionError(fld, N_("'{value}' is not a number of minutes"), value=v) from None
    if m < 0:
        raise DriveDefinitionError(fld, N_("must not be negative (got {value})"), value=v)
    return int(round(m))


def _number(v: Any, fld: str) -> float:
    if isinstance(v, bool):
        raise DriveDefinitionError(fld, N_("'{value}' is not a number"), value=v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise DriveDefinitionError(fld, N_("'{value}' is not a number"), value=v) from None
    if math.isnan(x) or math.isinf(x):
        raise DriveDefinitionError(fld, N_("'{value}' is not a number"), value=v)
    return x


def _coord(v: Any, fld: str, limit: float) -> float | None:
    if v is None or v == "":
        return None
    x = _number(v, fld)
    if abs(x) > limit:
        raise DriveDefinitionError(fld, N_("{value} is not a coordinate (between -{limit} and {limit})"),
                                   value=v, limit=int(limit))
    return x


def _section(data: dict, key: str) -> dict:
    v = data.get(key, {}) or {}
    if not isinstance(v, dict):
        raise DriveDefinitionError(key, N_("must be a table ([{key}])"), key=key)
    return v


def _in_drive(d: date, fld: str, lo: date, hi: date) -> date:
    if not lo <= d <= hi:
        raise DriveDefinitionError(fld, N_("{date} lies outside the drive ({lo} to {hi})"), date=d, lo=lo, hi=hi)
    return d


def parse_drive(data: dict[str, Any]) -> Drive:
    """Validate a drive definition (the parsed ``drive.toml``) and build a ``Drive``."""
    d = _req(data, "drive", "")
    start = _date(_req(d, "start", "drive."), "drive.start")
    end = _date(_req(d, "end", "drive."), "drive.end")
    if end < start:
        raise DriveDefinitionError("drive.end", N_("ends before it starts"))
    o = data.get("office", {})
    office = Office(name=str(_req(o, "name", "office.")), address=str(o.get("address", "")),
                    lat=_coord(o.get("lat"), "office.lat", 90), lon=_coord(o.get("lon"), "office.lon", 180))
    dl = _section(data, "delivery")
    d_start = _date(dl["start"], "delivery.start") if dl.get("start") not in (None, "") else None
    d_end = _date(dl["end"], "delivery.end") if dl.get("end") not in (None, "") else None
    if (d_end or end) < (d_start or start):
        raise DriveDefinitionError("delivery.end", N_("ends before it starts"))
    delivery = DeliveryParams(
        start=d_start, end=d_end,
        minutes_per_student=_number(dl.get("minutes_per_student", 2.0), "delivery.minutes_per_student"),
        setup_minutes=_minutes(dl.get("setup_minutes", 20), "delivery.setup_minutes"))
    if delivery.minutes_per_student <= 0:
        raise DriveDefinitionError("delivery.minutes_per_student", N_("must be more than 0"))
    # blackouts, days off and local holidays may fall in the recording or the hand-over period
    cal_lo, cal_hi = min(start, d_start or start), max(end, d_end or end)
    rec = data.get("recording", {})
    recording = RecordingParams(
        minutes_per_student=_number(rec.get("minutes_per_student", 6.0), "recording.minutes_per_student"),
        setup_minutes=_minutes(rec.get("setup_minutes", 45), "recording.setup_minutes"),
        day_start=_time(rec.get("day_start", "07:30"), "recording.day_start"),
        day_end=_time(rec.get("day_end", "13:00"), "recording.day_end"),
    )
    if recording.minutes_per_student <= 0:
        raise DriveDefinitionError("recording.minutes_per_student", N_("must be more than 0"))
    if recording.window_minutes <= 0:
        raise DriveDefinitionError("recording.day_end", N_("ends before it starts"))
    schools = []
    seen: set[str] = set()
    for i, s in enumerate(data.get("schools", [])):
        where = f"schools[{i}]."
        code = str(_req(s, "code", where))
        if code in seen:
            raise DriveDefinitionError(f"{where}code", N_("school code {code} appears twice"), code=code)
        seen.add(code)
        lat, lon = _coord(s.get("lat"), f"{where}lat", 90), _coord(s.get("lon"), f"{where}lon", 180)
        if s.get("travel_minutes") in (None, "") and None not in (lat, lon, office.lat, office.lon):
            travel_minutes = estimate_travel_minutes(office.lat, office.lon, lat, lon)  # type: ignore[arg-type]
        else:
            travel_minutes = _minutes(_req(s, "travel_minutes", where), f"{where}travel_minutes")
        schools.append(School(
            code=code, name=str(_req(s, "name", where)), kind=str(s.get("kind", "")),
            kecamatan_code=str(s.get("kecamatan_code", "")), kecamatan=str(s.get("kecamatan", "")),
            travel_minutes=travel_minutes,
            npsn=str(s.get("npsn", "")), address=str(s.get("address", "")), lat=lat, lon=lon,
            days=_days(s.get("days", "mon-sat"), f"{where}days"),
            blackouts=_ranges(s.get("blackouts"), f"{where}blackouts", cal_lo, cal_hi),
            roster=str(s.get("roster", "")),
        ))
    if not schools:
        raise DriveDefinitionError("schools", N_("the drive has no schools"))
    teams = []
    kits_seen: set[str] = set()
    for i, t in enumerate(data.get("teams", [])):
        where = f"teams[{i}]."
        team_id = str(_req(t, "id", where))
        if team_id in {x.id for x in teams}:
            raise DriveDefinitionError(f"{where}id", N_("team {team} appears twice"), team=team_id)
        raw_kits = _req(t, "kits", where)
        if isinstance(raw_kits, str) or not isinstance(raw_kits, list | tuple) or not raw_kits:
            raise DriveDefinitionError(f"{where}kits", N_("must be a list of kit ids, e.g. [\"K1\", \"K2\"]"))
        kits = tuple(str(k) for k in raw_kits)
        for k in kits:
            if k in kits_seen:
                raise DriveDefinitionError(f"{where}kits", N_("kit {kit} belongs to two teams"), kit=k)
            kits_seen.add(k)
        teams.append(Team(id=team_id, name=str(t.get("name", t["id"])), kits=kits,
                          working_days=_days(t.get("working_days", "mon-fri"), f"{where}working_days"),
                          days_off=_ranges(t.get("days_off"), f"{where}days_off", cal_lo, cal_hi)))
    if not teams:
        raise DriveDefinitionError("teams", N_("the drive has no teams"))
    travel: dict[tuple[str, str], int] = {}
    for i, tb in enumerate(data.get("travel_between", [])):
        where = f"travel_between[{i}]."
        a, b = str(_req(tb, "from", where)), str(_req(tb, "to", where))
        for end_, name in (("from", a), ("to", b)):
            if name != "office" and name not in seen:
                raise DriveDefinitionError(f"{where}{end_}", N_("unknown school {code}"), code=name)
        if a == b:
            raise DriveDefinitionError(f"{where}to", N_("a trip from {code} to itself"), code=a)
        if (a, b) in travel or (b, a) in travel:
            raise DriveDefinitionError(where.rstrip("."), N_("the trip between {a} and {b} is given twice"), a=a, b=b)
        travel[(a, b)] = _minutes(_req(tb, "minutes", where), f"{where}minutes")
    history = {}
    for y, rate in (data.get("history", {}) or {}).items():
        try:
            history[int(y)] = float(rate)
        except (TypeError, ValueError):
            raise DriveDefinitionError(f"history.{y}", N_("'{value}' is not a rate"), value=rate) from None
    try:
        min_age = int(d.get("min_age", 16))
    except (TypeError, ValueError):
        raise DriveDefinitionError("drive.min_age", N_("'{value}' is not a whole number"),
                                   value=d.get("min_age")) from None
    if not 1 <= min_age <= 100:
        raise DriveDefinitionError("drive.min_age", N_("{value} is not a plausible age"), value=min_age)
    pl = _section(data, "planning")
    pair_max = _minutes(pl.get("pair_max_travel_minutes", 30), "planning.pair_max_travel_minutes")
    partners = pl.get("pair_partners", 3)
    if isinstance(partners, bool) or not isinstance(partners, int) or partners < 0:
        raise DriveDefinitionError("planning.pair_partners", N_("'{value}' is not a whole number of 0 or more"),
                                   value=partners)
    limit = _number(pl.get("time_limit_seconds", 10.0), "planning.time_limit_seconds")
    if limit <= 0:
        raise DriveDefinitionError("planning.time_limit_seconds", N_("must be more than 0"))
    lt = _section(data, "letters")
    bring = lt.get("bring", [])
    if isinstance(bring, str) or not isinstance(bring, list | tuple):
        raise DriveDefinitionError("letters.bring", N_("must be a list of texts"))
    letters = LetterParams(city=str(lt.get("city", "")), signatory=str(lt.get("signatory", "")),
                           signatory_title=str(lt.get("signatory_title", "")),
                           signatory_id=str(lt.get("signatory_id", "")), phone=str(lt.get("phone", "")),
                           bring=tuple(str(x) for x in bring))
    fixed = []
    team_ids = {t.id for t in teams}
    for i, fv in enumerate(data.get("fixed_visits", []) or []):
        where = f"fixed_visits[{i}]."
        code = str(_req(fv, "school", where))
        if code not in seen:
            raise DriveDefinitionError(f"{where}school", N_("unknown school {code}"), code=code)
        day = _in_drive(_date(_req(fv, "date", where), f"{where}date"), f"{where}date", start, end)
        team = str(fv.get("team", "") or "")
        if team and team not in team_ids:
            raise DriveDefinitionError(f"{where}team", N_("unknown team {team}"), team=team)
        fixed.append(FixedVisit(code, day, team))
    return Drive(
        slug=str(_req(d, "slug", "drive.")), name=str(d.get("name", d["slug"])),
        regency_code=str(_req(d, "regency_code", "drive.")), regency=str(d.get("regency", "")),
        province=str(d.get("province", "")), start=start, end=end, office=office,
        schools=tuple(schools), teams=tuple(teams), recording=recording,
        min_age=min_age,
        local_holidays=_ranges(d.get("local_holidays"), "drive.local_holidays", cal_lo, cal_hi),
        travel_between=travel, history=history, registry_extract=str(d.get("registry_extract", "")),
        planning=PlanningParams(pair_max_travel_minutes=pair_max, pair_partners=partners, time_limit_seconds=limit),
        letters=letters, fixed_visits=tuple(fixed), timezone=str(d.get("timezone", "") or ""),
        delivery=delivery,
    )

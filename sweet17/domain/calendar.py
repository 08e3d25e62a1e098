"""Calendars of a drive (pure): which days a school takes visits and which days a team works.

Holidays are passed in (``{date: name}``), so this module stays free of I/O; the national
holidays and collective leave days come from ``sweet17.adapters.holidays_id``. A day is closed
for everyone on a national holiday, a cuti bersama day, or one of the drive's local holidays.
On top of that a school is closed outside its days (``mon-fri``/``mon-sat``) and on its
blackout dates, and a team is off outside its working days and on its days off. Extra
closures (a cancelled visit, a team's sudden day off) are passed in as well. The calendar spans the
recording drive and the card hand-over period (``[delivery]`` start and end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sweet17.domain.drive import WEEKDAYS, Drive, School, Team
from sweet17.i18n import N_

# Reasons (English ids, translated by the caller)
R_WEEKDAY = N_("not a school day ({weekday})")
R_TEAM_WEEKDAY = N_("not a working day of the team ({weekday})")
R_HOLIDAY = N_("holiday: {name}")
R_LOCAL = N_("local holiday: {name}")
R_BLACKOUT = N_("school blackout: {name}")
R_TEAM_OFF = N_("team day off: {name}")
R_CANCELLED = N_("visit cancelled")
R_OUTSIDE = N_("outside the drive")


@dataclass(frozen=True)
class Closed:
    """Why a day is closed: an English message id and its parameters."""
    reason: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, translate) -> str:  # type: ignore[no-untyped-def]
        return translate(self.reason).format(**dict(self.params))


def daterange(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def common_closures(drive: Drive, holidays: Mapping[date, str]) -> dict[date, Closed]:
    """Days closed for every school and team: national holidays, cuti bersama, the drive's local holidays."""
    out: dict[date, Closed] = {}
    for d, name in holidays.items():
        if drive.calendar_start <= d <= drive.calendar_end:
            out[d] = Closed(R_HOLIDAY, (("name", name),))
    for r in drive.local_holidays:
        for d in daterange(max(r.start, drive.calendar_start), min(r.end, drive.calendar_end)):
            out.setdefault(d, Closed(R_LOCAL, (("name", r.reason or "-"),)))
    return out


def _regency_closed(drive: Drive, d: date, holidays: Mapping[date, str]) -> Closed | None:
    """A national holiday (or cuti bersama) or a local holiday: nobody visits anywhere."""
    if d in holidays:
        return Closed(R_HOLIDAY, (("name", holidays[d]),))
    for r in drive.local_holidays:
        if d in r:
            return Closed(R_LOCAL, (("name", r.reason or "-"),))
    return None


def school_closed(drive: Drive, school: School, d: date, holidays: Mapping[date, str],
                  cancelled: Iterable[date] = ()) -> Closed | None:
    """Why ``school`` takes no visit on ``d`` (None when it is open)."""
    if not drive.calendar_start <= d <= drive.calendar_end:
        return Closed(R_OUTSIDE)
    if d in set(cancelled):
        return Closed(R_CANCELLED)
    closed = _regency_closed(drive, d, holidays)
    if closed:
        return closed
    wd = WEEKDAYS[d.weekday()]
    if wd not in school.days:
        return Closed(R_WEEKDAY, (("weekday", wd),))
    for b in school.blackouts:
        if d in b:
            return Closed(R_BLACKOUT, (("name", b.reason or "-"),))
    return None


def team_closed(drive: Drive, team: Team, d: date, holidays: Mapping[date, str],
                off: Iterable[date] = ()) -> Closed | None:
    """Why ``team`` does not work on ``d`` (None when it works)."""
    if not drive.calendar_start <= d <= drive.calendar_end:
        return Closed(R_OUTSIDE)
    if d in set(off):
        return Closed(R_TEAM_OFF, (("name", "-"),))
    closed = _regency_closed(drive, d, holidays)
    if closed:
        return closed
    wd = WEEKDAYS[d.weekday()]
    if wd not in team.working_days:
        return Closed(R_TEAM_WEEKDAY, (("weekday", wd),))
    for r in team.days_off:
        if d in r:
            return Closed(R_TEAM_OFF, (("name", r.reason or "-"),))
    return None


def school_open_days(drive: Drive, school: School, holidays: Mapping[date, str], start: date | None = None,
                     end: date | None = None, cancelled: Iterable[date] = ()) -> list[date]:
    """The days in [start, end] (default: the recording drive; at most the drive's calendar, which includes the
    card hand-over period) on which ``school`` takes visits."""
    cancelled = set(cancelled)
    lo, hi = max(start or drive.start, drive.calendar_start), min(end or drive.end, drive.calendar_end)
    return [d for d in daterange(lo, hi) if school_closed(drive, school, d, holidays, cancelled) is None]


def team_work_days(drive: Drive, team: Team, holidays: Mapping[date, str], start: date | None = None,
                   end: date | None = None, off: Iterable[date] = ()) -> list[date]:
    """The days in [start, end] (default: the drive) on which ``team`` works."""
    off = set(off)
    lo, hi = max(start or drive.start, drive.calendar_start), min(end or drive.end, drive.calendar_end)
    return [d for d in daterange(lo, hi) if team_closed(drive, team, d, holidays, off) is None]

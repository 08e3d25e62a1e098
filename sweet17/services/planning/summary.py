"""``drive check``: a drive file's summary, with the calendar applied (holidays, blackouts)."""

from __future__ import annotations

import math
from typing import Any

from sweet17.domain.calendar import school_open_days, team_work_days
from sweet17.domain.drive import DAY_SETS, Drive
from sweet17.i18n import _


def _days_label(days: tuple[str, ...]) -> str:
    for name, value in DAY_SETS.items():
        if tuple(days) == value:
            return name
    return ",".join(days)


def drive_summary(drive: Drive, holidays: dict | None = None) -> dict[str, Any]:
    """JSON of ``drive check`` (keys documented in docs/planning.md)."""
    if holidays is None:
        from sweet17.services.planning.service import drive_holidays

        holidays = drive_holidays(drive)
    p = drive.recording
    teams = []
    problems = []
    for t in drive.teams:
        wd = team_work_days(drive, t, holidays)
        teams.append({"id": t.id, "name": t.name, "kits": list(t.kits), "working_days": _days_label(t.working_days),
                      "work_days": len(wd), "days_off": [{"start": r.start, "end": r.end, "reason": r.reason}
                                                         for r in t.days_off]})
        if not wd:
            problems.append({"kind": "team_never_works", "team": t.id,
                             "message": _("Team {team} works on no day of the drive.").format(team=t.id)})
    schools = []
    for s in drive.schools:
        od = school_open_days(drive, s, holidays)
        per_kit = max(0, math.floor((p.window_minutes - s.travel_minutes - p.setup_minutes) / p.minutes_per_student))
        schools.append({"code": s.code, "name": s.name, "kind": s.kind, "kecamatan": s.kecamatan,
                        "kecamatan_code": s.kecamatan_code, "travel_minutes": s.travel_minutes,
                        "students_per_kit_day": per_kit, "days": _days_label(s.days), "open_days": len(od),
                        "blackouts": [{"start": b.start, "end": b.end, "reason": b.reason} for b in s.blackouts],
                        "roster": s.roster})
        if per_kit <= 0:
            problems.append({"kind": "unreachable", "school": s.code, "message": _(
                "{school}: the ride ({travel} min) and setup leave no time to record.").format(
                school=s.code, travel=s.travel_minutes)})
        if not od:
            problems.append({"kind": "never_open", "school": s.code,
                             "message": _("{school} is open on no day of the drive.").format(school=s.code)})
    return {
        "drive": drive.slug, "name": drive.name, "regency_code": drive.regency_code, "regency": drive.regency,
        "start": drive.start, "end": drive.end, "min_age": drive.min_age, "timezone": drive.tz_name,
        "office": {"name": drive.office.name, "address": drive.office.address},
        "recording": {"minutes_per_student": p.minutes_per_student, "setup_minutes": p.setup_minutes,
                      "day_start": p.day_start.strftime("%H:%M"), "day_end": p.day_end.strftime("%H:%M"),
                      "window_minutes": p.window_minutes},
        "delivery": {"start": drive.delivery_start, "end": drive.delivery_end,
                     "minutes_per_student": drive.delivery.minutes_per_student,
                     "setup_minutes": drive.delivery.setup_minutes},
        "planning": {"pair_max_travel_minutes": drive.planning.pair_max_travel_minutes,
                     "pair_partners": drive.planning.pair_partners,
                     "time_limit_seconds": drive.planning.time_limit_seconds},
        "kits": len(drive.kits), "teams": teams, "schools": schools,
        "holidays": [{"date": d, "name": n} for d, n in sorted(holidays.items())
                     if drive.calendar_start <= d <= drive.calendar_end],
        "local_holidays": [{"start": r.start, "end": r.end, "reason": r.reason} for r in drive.local_holidays],
        "fixed_visits": [{"school": f.school, "date": f.date, "team": f.team} for f in drive.fixed_visits],
        "problems": problems,
    }

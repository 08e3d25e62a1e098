"""The teams report: recordings per kit-hour, per operator, per day; travel against recording time.

Sources: the recording sessions (``recording_session``: school, day, kit, operator, start and end)
with their recordings and check-ins, and the latest stored plan (``plan_visit``: which team rode
to which school on which day, and the ride's minutes). A kit-hour is one hour of one open
session. A team-day's travel is the plan's rides (office to the first school, on to the second)
plus the ride home from the last school; its recording time is the span of that day's sessions
at those schools.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.i18n import _
from sweet17.services.reports.base import Chart, Column, ReportTable


def _ts(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


def _minutes(a: datetime | None, b: datetime | None) -> float:
    if a is None or b is None or b < a:
        return 0.0
    return (b - a).total_seconds() / 60


@dataclass
class Session:
    id: str
    school: str
    day: date
    kit: str
    operator: str
    start: datetime | None
    end: datetime | None
    team: str = ""
    recordings: int = 0
    capture_minutes: list[float] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return _minutes(self.start, self.end) / 60


@dataclass
class TeamDay:
    day: date
    team: str
    schools: list[str]
    planned_students: int
    kits_planned: int
    travel_minutes: int | None            # None: no plan for this team-day
    sessions: list[Session] = field(default_factory=list)

    @property
    def recordings(self) -> int:
        return sum(s.recordings for s in self.sessions)

    @property
    def kit_hours(self) -> float:
        return sum(s.hours for s in self.sessions)

    @property
    def recording_minutes(self) -> float:
        starts = [s.start for s in self.sessions if s.start]
        ends = [s.end for s in self.sessions if s.end]
        return _minutes(min(starts), max(ends)) if starts and ends else 0.0

    def to_dict(self) -> dict[str, Any]:
        kh = self.kit_hours
        travel, rec = self.travel_minutes, self.recording_minutes
        return {"date": self.day.isoformat(), "team": self.team, "schools": self.schools,
                "planned_students": self.planned_students, "recordings": self.recordings,
                "kits": len({s.kit for s in self.sessions}) or self.kits_planned, "kit_hours": round(kh, 2),
                "recordings_per_kit_hour": round(self.recordings / kh, 2) if kh else None,
                "travel_minutes": travel, "recording_minutes": round(rec),
                "travel_share": round(travel / (travel + rec), 4) if travel is not None and travel + rec else None}


@dataclass
class Tally:
    key: str
    recordings: int = 0
    hours: float = 0.0
    sessions: int = 0
    days: set = field(default_factory=set)
    kits: set = field(default_factory=set)
    capture_minutes: list = field(default_factory=list)

    def add(self, s: Session) -> None:
        self.recordings += s.recordings
        self.hours += s.hours
        self.sessions += 1
        self.days.add(s.day)
        self.kits.add(s.kit)
        self.capture_minutes.extend(s.capture_minutes)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "sessions": self.sessions, "days": len(self.days), "kits": len(self.kits),
                "recordings": self.recordings, "kit_hours": round(self.hours, 2),
                "recordings_per_kit_hour": round(self.recordings / self.hours, 2) if self.hours else None,
                "capture_minutes_median": round(statistics.median(self.capture_minutes), 1)
                if self.capture_minutes else None}


@dataclass
class TeamsReport:
    drive_slug: str
    minutes_per_student: float
    team_days: list[TeamDay]
    by_operator: dict[str, Tally]
    by_day: dict[date, Tally]
    by_kit: dict[str, Tally]
    total: Tally
    plan_version: int | None

    @property
    def travel_minutes(self) -> int:
        return sum(td.travel_minutes or 0 for td in self.team_days)

    @property
    def recording_minutes(self) -> float:
        return sum(td.recording_minutes for td in self.team_days)

    def to_dict(self) -> dict[str, Any]:
        t = self.total.to_dict()
        travel, rec = self.travel_minutes, self.recording_minutes
        return {
            "drive": self.drive_slug, "plan_version": self.plan_version,
            "summary": {**t, "planned_recordings_per_kit_hour": round(60 / self.minutes_per_student, 2),
                        "travel_minutes": travel, "recording_minutes": round(rec),
                        "travel_share": round(travel / (travel + rec), 4) if travel + rec else None},
            "team_days": [td.to_dict() for td in self.team_days],
            "by_operator": [x.to_dict() for x in self.by_operator.values()],
            "by_day": [{**x.to_dict(), "key": d.isoformat()} for d, x in sorted(self.by_day.items())],
            "by_kit": [x.to_dict() for x in self.by_kit.values()],
        }

    def tables(self) -> list[ReportTable]:
        s = self.to_dict()["summary"]
        summary = ReportTable(_("Summary"), _("Teams and kits"), [Column("measure", _("Measure")),
                                                                 Column("value", _("Value"))], [
            {"measure": _("Recordings"), "value": s["recordings"]},
            {"measure": _("Recording sessions"), "value": s["sessions"]},
            {"measure": _("Kit-hours at schools"), "value": s["kit_hours"]},
            {"measure": _("Recordings per kit-hour"), "value": s["recordings_per_kit_hour"]},
            {"measure": _("Planned recordings per kit-hour"), "value": s["planned_recordings_per_kit_hour"]},
            {"measure": _("Median minutes per capture"), "value": s["capture_minutes_median"]},
            {"measure": _("Travel time (hours)"), "value": round(s["travel_minutes"] / 60, 1)},
            {"measure": _("Recording time (hours)"), "value": round(s["recording_minutes"] / 60, 1)},
            {"measure": _("Travel share of the working time"),
             "value": f"{s['travel_share'] * 100:.1f}%" if s["travel_share"] is not None else None},
        ])
        td = ReportTable(_("Team-days"), _("Team-days: travel against recording"), [
            Column("date", _("Date"), "date"), Column("team", _("Team")), Column("schools", _("Schools")),
            Column("planned", _("Planned"), "int"), Column("recordings", _("Recorded"), "int"),
            Column("kits", _("Kits"), "int"), Column("kit_hours", _("Kit-hours"), "float", digits=1),
            Column("rate", _("Per kit-hour"), "float", digits=1),
            Column("travel", _("Travel (min)"), "int"), Column("recording", _("Recording (min)"), "int"),
            Column("share", _("Travel share"), "pct")])
        for x in self.team_days:
            d = x.to_dict()
            td.rows.append({"date": x.day, "team": x.team or "-", "schools": ", ".join(x.schools),
                            "planned": x.planned_students, "recordings": d["recordings"], "kits": d["kits"],
                            "kit_hours": d["kit_hours"], "rate": d["recordings_per_kit_hour"],
                            "travel": d["travel_minutes"], "recording": d["recording_minutes"],
                            "share": d["travel_share"]})
            if d["travel_share"] is not None and d["travel_share"] > 0.5:
                td.highlight[len(td.rows) - 1] = "warn"
        cols = [Column("key", _("Name")), Column("sessions", _("Sessions"), "int"), Column("days", _("Days"), "int"),
                Column("recordings", _("Recordings"), "int"), Column("kit_hours", _("Kit-hours"), "float", digits=1),
                Column("rate", _("Per kit-hour"), "float", digits=1),
                Column("capture", _("Minutes per capture (median)"), "float", digits=1)]

        def rows(items) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
            out = []
            for key, x in items:
                d = x.to_dict()
                out.append({"key": key, "sessions": d["sessions"], "days": d["days"], "recordings": d["recordings"],
                            "kit_hours": d["kit_hours"], "rate": d["recordings_per_kit_hour"],
                            "capture": d["capture_minutes_median"]})
            return out

        total = rows([(_("Total"), self.total)])[0]
        ops = ReportTable(_("Operators"), _("Recordings per operator"), list(cols),
                          rows(sorted(self.by_operator.items())), total=total)
        days = ReportTable(_("Days"), _("Recordings per day"), list(cols),
                           rows((d.isoformat(), x) for d, x in sorted(self.by_day.items())), total=total)
        kits = ReportTable(_("Kits"), _("Recordings per kit"), list(cols), rows(sorted(self.by_kit.items())),
                           total=total)
        return [summary, td, ops, days, kits]

    def charts(self, folder: Path) -> list[Chart]:
        from sweet17.adapters import charts

        out = []
        if self.by_operator:
            title = _("Recordings per kit-hour, by operator")
            items = sorted(self.by_operator.items())
            p = charts.simple_bars([k for k, _x in items],
                                   [x.recordings / x.hours if x.hours else 0 for _k, x in items],
                                   folder / "rate-by-operator.png", title=title, fmt="{:.1f}", key="recorded")
            out.append(Chart("rate_by_operator", title, p))
        tds = [t for t in self.team_days if t.travel_minutes is not None]
        if tds:
            title = _("Travel against recording time per team-day (minutes)")
            bars = [charts.Bar(f"{t.day:%d/%m} {t.team}", {"printed": t.travel_minutes or 0,
                                                            "recorded": t.recording_minutes}) for t in tds]
            p = charts.grouped_bars(bars, [("printed", _("travel")), ("recorded", _("recording"))],
                                    folder / "travel-vs-recording.png", title=title, xlabel=_("minutes"))
            out.append(Chart("travel_vs_recording", title, p))
        return out


def build_teams(ws, loaded, as_of: date | None = None) -> TeamsReport:  # type: ignore[no-untyped-def]
    """The teams report of a drive (``loaded``: ``services.drives.LoadedDrive``). Planned team-days after
    ``as_of`` (default today) without any session yet are left out."""
    drive = loaded.drive
    as_of = as_of or date.today()
    slug = drive.slug
    kit_team = {k: t.id for t in drive.teams for k in t.kits}
    sessions: dict[str, Session] = {}
    with ws.engine.connect() as conn:
        for r in conn.execute(text(
                "SELECT id, school_code, day, kit, operator, started_at, COALESCE(ended_at, last_activity_at) "
                "FROM recording_session WHERE drive_slug = :d ORDER BY started_at"), {"d": slug}):
            sessions[r[0]] = Session(r[0], r[1], date.fromisoformat(r[2]), r[3], r[4], _ts(r[5]), _ts(r[6]))
        for sid, n in conn.execute(text(
                "SELECT session_id, COUNT(*) FROM recording WHERE drive_slug = :d AND session_id <> '' "
                "GROUP BY session_id"), {"d": slug}):
            if sid in sessions:
                sessions[sid].recordings = n
        for sid, a, b in conn.execute(text(
                "SELECT session_id, capture_started_at, committed_at FROM checkin WHERE drive_slug = :d "
                "AND status = 'committed'"), {"d": slug}):
            if sid in sessions:
                m = _minutes(_ts(a), _ts(b))
                if m > 0:
                    sessions[sid].capture_minutes.append(m)
        plan = conn.execute(text("SELECT id, version FROM plan WHERE drive_slug = :d ORDER BY version DESC LIMIT 1"),
                            {"d": slug}).first()
        visits = conn.execute(text(
            "SELECT visit_date, team_id, school_code, stop, kits, students, travel_minutes FROM plan_visit "
            "WHERE plan_id = :p ORDER BY visit_date, team_id, stop"), {"p": plan[0]}).all() if plan else []
    team_days: dict[tuple[date, str], TeamDay] = {}
    visit_team: dict[tuple[str, date], str] = {}
    for vd, team, school, _stop, kits, students, travel in visits:
        day = date.fromisoformat(vd)
        td = team_days.setdefault((day, team), TeamDay(day, team, [], 0, 0, 0))
        td.schools.append(school)
        td.planned_students += students
        td.kits_planned = max(td.kits_planned, len(json.loads(kits or "[]")))
        td.travel_minutes = (td.travel_minutes or 0) + int(travel)
        visit_team[(school, day)] = team
    for td in team_days.values():     # the ride home from the last school
        try:
            td.travel_minutes = (td.travel_minutes or 0) + drive.school(td.schools[-1]).travel_minutes
        except KeyError:
            pass
    for s in sessions.values():
        s.team = visit_team.get((s.school, s.day)) or kit_team.get(s.kit, "")
        key = (s.day, s.team)
        if key not in team_days:
            team_days[key] = TeamDay(s.day, s.team, [], 0, 0, None)
        td = team_days[key]
        if s.school not in td.schools:
            td.schools.append(s.school)
        td.sessions.append(s)
    total = Tally("total")
    by_op: dict[str, Tally] = {}
    by_day: dict[date, Tally] = {}
    by_kit: dict[str, Tally] = {}
    for s in sessions.values():
        total.add(s)
        by_op.setdefault(s.operator, Tally(s.operator)).add(s)
        by_day.setdefault(s.day, Tally(s.day.isoformat())).add(s)
        by_kit.setdefault(s.kit, Tally(s.kit)).add(s)
    shown = [team_days[k] for k in sorted(team_days, key=lambda k: (k[0], k[1]))
             if team_days[k].sessions or k[0] <= as_of]
    return TeamsReport(slug, drive.recording.minutes_per_student, shown,
                       by_op, by_day, by_kit, total, plan[1] if plan else None)

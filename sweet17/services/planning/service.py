"""Planning use cases on a workspace: plan a drive, replan after a disruption, read stored plans.

::

    from sweet17.services.planning.service import plan_drive, replan_drive, latest_plan
    outcome = plan_drive(ws, loaded_drive)                      # CP-SAT, stored as version N
    outcome = replan_drive(ws, loaded_drive, cancel=[("sman1-juai", date(2027, 2, 3))])
    stored = latest_plan(ws, "balangan-2027")

Demand comes from ``sweet17.services.eligibility.students_due`` (students not recorded yet, with
the day each reaches the drive's minimum age); ``due=`` accepts any such list instead (tests,
what-if runs). Plans are stored as versions (tables ``plan`` and ``plan_visit``) in one
transaction with their audit entry; nothing is stored when planning fails.

``purpose="delivery"`` plans the card hand-over visits (KTPku Datang) with the same planner: the
demand of a school is its printed cards not yet handed over (``cards_due``), the period and the
minutes per card come from ``[delivery]`` in the drive file, and the plans are a version series of
their own (tables ``delivery_plan`` and ``delivery_plan_visit``, migration 9).
"""

from __future__ import annotations

import getpass
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text

from sweet17.domain.drive import Drive
from sweet17.errors import UserError
from sweet17.i18n import _, current_language
from sweet17.services.planning.bounds import Bound, lower_bound
from sweet17.services.planning.build import DemandSummary, build_instance, demand_from_due
from sweet17.services.planning.explain import MESSAGES, Shortfall, diagnose
from sweet17.services.planning.instance import Instance, Metrics, Visit, first_visits, metrics, verify_plan
from sweet17.services.planning.model import Phase, solve

PURPOSES = ("recording", "delivery")
_TABLES = {"recording": ("plan", "plan_visit"), "delivery": ("delivery_plan", "delivery_plan_visit")}


def check_purpose(purpose: str | None) -> str:
    purpose = purpose or "recording"
    if purpose not in PURPOSES:
        raise UserError(_("Option --purpose: '{value}' is not a purpose (use recording or delivery)").format(
            value=purpose), field="--purpose")
    return purpose


class PlanningInfeasible(UserError):
    """No plan fits; ``shortfalls`` holds the capacity analysis behind the message."""

    def __init__(self, message: str, shortfalls: list[Shortfall]) -> None:
        super().__init__(message)
        self.shortfalls = shortfalls


def _actor() -> str:
    try:
        return os.environ.get("SWEET17_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def fmt_date(d: date | None, long: bool = False) -> str:
    """A date as field staff read it: 'Senin, 1 Maret 2027' (long) or 'Sen 1 Mar' (short)."""
    if d is None:
        return "-"
    from babel.dates import format_date

    lang = current_language()
    return format_date(d, "EEEE, d MMMM y" if long else "EEE d MMM y", locale="id" if lang == "id" else "en")


# ------------------------------------------------------------------ results

@dataclass
class PlanOutcome:
    drive: str
    version: int
    kind: str
    parent_version: int | None
    visits: list[Visit]
    metrics: Metrics
    bound: Bound
    greedy: Metrics | None
    method: str
    status: str
    phases: list[Phase]
    solve_seconds: float
    start: date
    end_limit: date
    followup: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    not_planned: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    working_gap: int | None = None       # working days from the bound's end to the plan's end
    purpose: str = "recording"

    def to_dict(self, with_visits: bool = True) -> dict[str, Any]:
        end_gap = (self.metrics.end - self.bound.end).days if self.metrics.end and self.bound.end else None
        d: dict[str, Any] = {
            "drive": self.drive, "purpose": self.purpose, "version": self.version, "kind": self.kind,
            "parent_version": self.parent_version,
            "method": self.method, "status": self.status, "solve_seconds": round(self.solve_seconds, 2),
            "start": self.start, "end_limit": self.end_limit,
            "plan": self.metrics.to_dict(), "lower_bound": self.bound.to_dict(),
            "gap": {"end_days": end_gap, "end_working_days": self.working_gap,
                    "kit_days": self.metrics.kit_days - self.bound.kit_days},
            "greedy": self.greedy.to_dict() if self.greedy else None,
            "phases": [p.to_dict() for p in self.phases],
            "followup": self.followup, "followup_total": sum(f["students"] for f in self.followup),
            "not_planned": self.not_planned, "changes": self.changes,
        }
        if with_visits:
            d["visits"] = [visit_dict(v, self.names) for v in self.visits]
        return d


def visit_dict(v: Visit, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"date": v.day, "team": v.team, "school": v.school, "school_name": (names or {}).get(v.school, ""),
            "stop": v.stop, "students": v.students, "kits": list(v.kits), "arrival": v.arrival_hhmm,
            "travel_minutes": v.travel, "fixed": v.fixed, "split": v.split}


@dataclass
class StoredPlan:
    id: int
    drive: str
    version: int
    kind: str
    parent_version: int | None
    created_at: str
    created_by: str
    method: str
    status: str
    first_date: date
    end_date: date
    kit_days: int
    team_days: int
    visit_days: int
    travel_minutes: int
    students: int
    bound_end: date
    bound_kit_days: int
    greedy_end: date | None
    greedy_kit_days: int | None
    solve_seconds: float
    params: dict
    followup: list[dict]
    changes: list[dict]
    visits: list[Visit]
    purpose: str = "recording"

    def first_visits(self) -> dict[str, date]:
        return first_visits(self.visits)

    def to_dict(self, names: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {
            "drive": self.drive, "purpose": self.purpose, "version": self.version, "kind": self.kind,
            "parent_version": self.parent_version, "created_at": self.created_at, "created_by": self.created_by, "method": self.method,
            "status": self.status, "solve_seconds": self.solve_seconds,
            "plan": {"first": self.first_date, "end": self.end_date, "kit_days": self.kit_days,
                     "team_days": self.team_days, "visit_days": self.visit_days,
                     "travel_minutes": self.travel_minutes, "students": self.students},
            "lower_bound": {"end": self.bound_end, "kit_days": self.bound_kit_days},
            "greedy": {"end": self.greedy_end, "kit_days": self.greedy_kit_days},
            "params": self.params, "followup": self.followup,
            "followup_total": sum(f["students"] for f in self.followup), "changes": self.changes,
            "visits": [visit_dict(v, names) for v in self.visits],
        }


# ------------------------------------------------------------------ inputs

def drive_holidays(drive: Drive) -> dict[date, str]:
    from sweet17.adapters.holidays_id import holidays_between

    return holidays_between(drive.calendar_start, drive.calendar_end, language=current_language())


@dataclass(frozen=True)
class CardDue:
    """A printed card not handed over yet, as the planner and the exports read it.

    ``turns_min_age_on`` is the day the card is ready (its print date): the planner places a card on
    a visit on or after that day, as it places a student who has reached the age.
    """
    school_code: str
    turns_min_age_on: date | None
    name: str = ""
    nisn: str = ""
    rombel: str = ""
    sex: str = ""


def cards_due(ws, drive: Drive) -> list[CardDue]:  # type: ignore[no-untyped-def]
    """Printed cards (``cards import``) of the drive's students not yet handed over (``deliver``), by school.

    Students are matched to printed cards by NIK, as the hand-over desk finds them.
    """
    from sweet17.services.reports.students import drive_students

    out = []
    for f in drive_students(ws, drive.slug, drive.min_age):
        if not f.nik or f.printed_on is None or f.delivered_at is not None:
            continue
        out.append(CardDue(f.school_code, f.printed_on, f.name, f.nisn, f.rombel, f.sex))
    return out


def gather_demand(ws, drive: Drive, due: Iterable | None = None,  # type: ignore[no-untyped-def,type-arg]
                  purpose: str = "recording") -> DemandSummary:
    if due is None:
        if purpose == "delivery":
            due = cards_due(ws, drive)
        else:
            from sweet17.services.eligibility import students_due

            due = students_due(ws, drive.slug, min_age=drive.min_age)
    return demand_from_due(drive, due)


def school_label(drive: Drive, code: str | None) -> str:
    if code is None:
        return ""
    try:
        return f"{drive.school(code).name} ({code})"
    except KeyError:
        return code


def render_shortfall(sf: Shortfall, drive: Drive) -> str:
    params: dict[str, Any] = {
        "school": school_label(drive, sf.school), "first": fmt_date(sf.first), "last": fmt_date(sf.last),
        "date": fmt_date(sf.first, long=True), "need": _num(sf.need), "have": _num(sf.have),
        "short": _num(sf.short), "students": _num(sf.need), "n": len(sf.days) or len(sf.schools),
        "schools": ", ".join(sf.schools[:6]) + (" ..." if len(sf.schools) > 6 else ""),
        "dates": ", ".join(fmt_date(d) for d in sf.days[:5]) + (" ..." if len(sf.days) > 5 else ""),
    }
    extra = dict(sf.extra)
    if "reason" in extra:
        why = extra["reason"]
        extra["reason"] = _(why)
    if sf.kind == "school":
        params["need"] = extra.get("kit_days", params["need"])
    params.update(extra)
    return _(MESSAGES[sf.kind]).format(**params)


def _num(x: float) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _refuse(shortfalls: list[Shortfall], drive: Drive) -> PlanningInfeasible:
    lines = [render_shortfall(s, drive) for s in shortfalls[:3]]
    msg = _("No plan fits.") + " " + " ".join(lines)
    if len(shortfalls) > 3:
        msg += " " + _("({n} more problems of the same kind.)").format(n=len(shortfalls) - 3)
    return PlanningInfeasible(msg, shortfalls)


# ------------------------------------------------------------------ plan

def _check_teams(drive: Drive, teams: Iterable[str] | None) -> list[str] | None:
    if not teams:
        return None
    out = []
    known = [t.id for t in drive.teams]
    for t in teams:
        if t not in known:
            raise UserError(_("Option --teams: unknown team {team} (the drive has: {known})").format(
                team=t, known=", ".join(known)), field="--teams")
        out.append(t)
    return out


def _period(drive: Drive, purpose: str) -> tuple[date, date]:
    return (drive.delivery_start, drive.delivery_end) if purpose == "delivery" else (drive.start, drive.end)


def _horizon_end(drive: Drive, until: date | None, start: date, purpose: str = "recording") -> date:
    last = _period(drive, purpose)[1]
    if until is None:
        return last
    if until < start or until > last:
        raise UserError(_("Option --until: {date} lies outside the drive ({start} to {end})").format(
            date=until, start=start, end=last), field="--until")
    return until


def _working_gap(inst: Instance, bound_end: date | None, plan_end: date | None) -> int | None:
    if bound_end is None or plan_end is None:
        return None
    days = inst.working_days()
    if plan_end >= bound_end:
        return sum(1 for d in days if bound_end < d <= plan_end)
    return -sum(1 for d in days if plan_end < d <= bound_end)


def followup_of(drive: Drive, demand: DemandSummary, visits: list[Visit]) -> list[dict]:
    """Per school, the students left for the follow-up sweep: those who reach the age after the
    school's first visit and find no room on its later visits (earliest to reach the age are placed
    first), and all students of a school with no visit."""
    first: dict[str, date] = {}
    last: dict[str, date] = {}
    placed: dict[str, int] = defaultdict(int)
    for v in visits:
        first[v.school] = min(first.get(v.school, v.day), v.day)
        last[v.school] = max(last.get(v.school, v.day), v.day)
        placed[v.school] += v.students
    out = []
    for s in drive.schools:
        dates = sorted(demand.by_school.get(s.code, []))
        f = first.get(s.code)
        of_age = sum(1 for d in dates if f is not None and d <= f)
        later = [d for d in dates if f is None or d > f]
        left = later[max(0, placed.get(s.code, 0) - of_age):]
        if not left:
            continue
        out.append({"school": s.code, "name": s.name, "students": len(left), "first": left[0], "last": left[-1],
                    "within_drive": sum(1 for d in left if d <= drive.end), "first_visit": f,
                    "last_visit": last.get(s.code)})
    return out


def _solve_or_refuse(inst: Instance, drive: Drive, time_limit: float, objectives: list[str],  # type: ignore[no-untyped-def]
                     previous=None, bound: Bound | None = None):
    pre = diagnose(inst)
    if pre:
        raise _refuse(pre, drive)
    res = solve(inst, time_limit=time_limit, objectives=objectives, previous=previous, bound=bound)
    if not res.found:
        shortfalls = diagnose(inst, include_packing=True)
        if res.status != "infeasible" and not [s for s in shortfalls if s.kind != "packing"]:
            raise UserError(_("No plan found within {seconds} s. Allow more time with --time-limit, or plan "
                              "fewer schools or a longer period.").format(seconds=_num(time_limit)))
        raise _refuse(shortfalls, drive)
    problems = verify_plan(inst, res.visits)
    if problems:   # a bug, not a user error: never store a plan that breaks the rules
        raise RuntimeError("planner produced an invalid plan: " + "; ".join(problems[:5]))
    return res


def plan_drive(ws, loaded, *, teams: Iterable[str] | None = None, until: date | None = None,  # type: ignore[no-untyped-def]
               time_limit: float | None = None, due: Iterable | None = None,  # type: ignore[type-arg]
               holidays: Mapping[date, str] | None = None, purpose: str = "recording") -> PlanOutcome:
    """Plan the whole drive (or up to ``until``, with ``teams`` only) and store it as a new version.

    ``purpose="delivery"``: the card hand-over visits (``due``: ``CardDue``-like rows, default
    ``cards_due``), stored in their own version series."""
    drive: Drive = loaded.drive
    purpose = check_purpose(purpose)
    team_ids = _check_teams(drive, teams)
    start = _period(drive, purpose)[0]
    end = _horizon_end(drive, until, start, purpose)
    holidays = drive_holidays(drive) if holidays is None else holidays
    demand = gather_demand(ws, drive, due, purpose)
    inst = build_instance(drive, holidays, demand, teams=team_ids, start=start, end=end, purpose=purpose)
    limit = time_limit or drive.planning.time_limit_seconds
    if purpose == "delivery" and not any(inst.needs_visit(s) for s in inst.schools):
        raise UserError(_("No printed card is waiting to be handed over in drive {drive}: import the printed-card "
                          "list first (sweet17 cards import FILE).").format(drive=drive.slug))
    bound = lower_bound(inst)
    res = _solve_or_refuse(inst, drive, limit, ["end", "travel", "visit_days"], bound=bound)
    from sweet17.services.planning.greedy import greedy_plan

    g = greedy_plan(inst)
    m = metrics(inst, res.visits)
    params = {"teams": team_ids, "until": until, "start": start, "end": end, "time_limit": limit,
              "cancelled": [], "team_off": [], "from": None, "phases": [p.to_dict() for p in res.phases],
              "lower_bound": bound.to_dict(), "greedy": metrics(inst, g.visits).to_dict() if g.complete else None,
              "holidays": len([d for d in holidays if start <= d <= end]),
              "not_planned": demand.to_dict()}
    out = PlanOutcome(drive=drive.slug, version=0, kind="plan", parent_version=None, visits=res.visits, metrics=m,
                      bound=bound, greedy=metrics(inst, g.visits) if g.complete else None, method=res.method,
                      status=res.status, phases=res.phases, solve_seconds=res.seconds, start=start, end_limit=end,
                      followup=followup_of(drive, demand, res.visits) if purpose == "recording" else [],
                      not_planned=demand.to_dict(), params=params, names={s.code: s.name for s in drive.schools},
                      working_gap=_working_gap(inst, bound.end, m.end), purpose=purpose)
    out.version = store_plan(ws, out)
    return out


# ------------------------------------------------------------------ replan

def _parse_at(value: str, option: str) -> tuple[str, date]:
    if "@" not in value:
        raise UserError(_("Option {option}: '{value}' must look like CODE@YYYY-MM-DD").format(
            option=option, value=value), field=option)
    code, _sep, day = value.rpartition("@")
    try:
        return code, date.fromisoformat(day)
    except ValueError:
        raise UserError(_("Option {option}: '{value}' is not a date (use YYYY-MM-DD)").format(
            option=option, value=day), field=option) from None


def parse_cancel(values: Iterable[str]) -> list[tuple[str, date]]:
    return [_parse_at(v, "--cancel") for v in values]


def parse_team_off(values: Iterable[str]) -> list[tuple[str, date]]:
    return [_parse_at(v, "--team-off") for v in values]


def replan_drive(ws, loaded, *, cancel: Iterable[tuple[str, date]] = (),  # type: ignore[no-untyped-def]
                 team_off: Iterable[tuple[str, date]] = (), from_date: date | None = None,
                 time_limit: float | None = None, due: Iterable | None = None,  # type: ignore[type-arg]
                 holidays: Mapping[date, str] | None = None, today: date | None = None,
                 purpose: str = "recording") -> PlanOutcome:
    """Replan after cancelled visits or team days off, keeping past and agreed visits and changing as few
    announced visits as possible. Stores a new version whose ``changes`` list what to re-announce."""
    drive: Drive = loaded.drive
    purpose = check_purpose(purpose)
    period = _period(drive, purpose)
    prev = latest_plan(ws, drive.slug, purpose)
    if prev is None:
        raise UserError(_("Drive {drive} has no plan yet: run sweet17 drive plan first").format(drive=drive.slug))
    cancel, team_off = list(cancel), list(team_off)
    if not cancel and not team_off and from_date is None:
        raise UserError(_("Give what changed: --cancel SCHOOL@DATE, --team-off TEAM@DATE or --from DATE"))
    for code, d in cancel:
        try:
            drive.school(code)
        except KeyError:
            raise UserError(_("Option --cancel: unknown school {code}").format(code=code), field="--cancel") from None
        if not any(v.school == code and v.day == d for v in prev.visits):
            dates = ", ".join(sorted({v.day.isoformat() for v in prev.visits if v.school == code})) or "-"
            raise UserError(_("Option --cancel: plan version {version} has no visit of {code} on {date} "
                              "(its visits: {dates})").format(version=prev.version, code=code, date=d, dates=dates),
                            field="--cancel")
    team_ids = [t.id for t in drive.teams]
    for tid, d in team_off:
        if tid not in team_ids:
            raise UserError(_("Option --team-off: unknown team {team} (the drive has: {known})").format(
                team=tid, known=", ".join(team_ids)), field="--team-off")
        if not period[0] <= d <= period[1]:
            raise UserError(_("Option --team-off: {date} lies outside the drive ({start} to {end})").format(
                date=d, start=period[0], end=period[1]), field="--team-off")
    disruption = [d for _c, d in cancel] + [d for _t, d in team_off]
    start = from_date or (min(disruption) if disruption else (today or date.today()))
    start = max(start, period[0])
    params_prev = prev.params
    end = date.fromisoformat(params_prev["end"]) if params_prev.get("end") else period[1]
    if start > end:
        raise UserError(_("Option --from: {date} is after the end of the plan ({end}); nothing left to replan").format(
            date=start, end=end), field="--from")
    all_cancel = [(c, date.fromisoformat(d)) for c, d in params_prev.get("cancelled", [])] + cancel
    all_off = [(t, date.fromisoformat(d)) for t, d in params_prev.get("team_off", [])] + team_off
    teams = params_prev.get("teams")
    # past visits stay as they are; schools already started keep the rest of their planned students
    kept = [_replace_fixed(v) for v in prev.visits if v.day < start]
    future = [v for v in prev.visits if v.day >= start]
    started = {v.school for v in kept}
    fixed_demand: dict[str, int] = defaultdict(int)
    for v in future:
        if v.school in started:
            fixed_demand[v.school] += v.students
    done = {c for c in started if c not in fixed_demand}
    holidays = drive_holidays(drive) if holidays is None else holidays
    demand = gather_demand(ws, drive, due, purpose)
    inst = build_instance(drive, holidays, demand, teams=teams, start=start, end=end, cancelled=all_cancel,
                          team_off=all_off, fixed_demand=dict(fixed_demand), skip_schools=done,
                          announced=[(v.school, v.day, v.team) for v in future], purpose=purpose)
    limit = time_limit or drive.planning.time_limit_seconds
    from sweet17.services.planning.instance import team_days_of

    bound = lower_bound(inst)
    res = _solve_or_refuse(inst, drive, limit, ["changes", "end", "travel", "visit_days"],
                           previous=team_days_of(inst, [v for v in future if v.school in inst.by_code
                                                        and v.team in inst.team_by_id]), bound=bound)
    visits = sorted(kept + res.visits, key=lambda v: (v.day, v.team, v.stop))
    m = metrics(inst, visits, {s.code: s.travel_minutes for s in drive.schools})
    changes = diff_visits(future, res.visits, drive)
    params = {"teams": teams, "until": params_prev.get("until"), "start": start, "end": end, "time_limit": limit,
              "cancelled": [[c, d] for c, d in all_cancel], "team_off": [[t, d] for t, d in all_off],
              "from": start, "new_cancelled": [[c, d] for c, d in cancel],
              "new_team_off": [[t, d] for t, d in team_off], "phases": [p.to_dict() for p in res.phases],
              "lower_bound": bound.to_dict(), "greedy": None,
              "holidays": len([d for d in holidays if start <= d <= end]), "not_planned": demand.to_dict()}
    out = PlanOutcome(drive=drive.slug, version=0, kind="replan", parent_version=prev.version, visits=visits,
                      metrics=m, bound=bound, greedy=None, method=res.method, status=res.status, phases=res.phases,
                      solve_seconds=res.seconds, start=start, end_limit=end,
                      followup=followup_of(drive, demand, visits) if purpose == "recording" else [],
                      changes=changes, not_planned=demand.to_dict(),
                      params=params, names={s.code: s.name for s in drive.schools},
                      working_gap=_working_gap(inst, bound.end, m.end), purpose=purpose)
    out.version = store_plan(ws, out)
    return out


def _replace_fixed(v: Visit) -> Visit:
    from dataclasses import replace

    return replace(v, fixed=True)


# An arrival that moves by less than this is not worth a new letter.
ARRIVAL_TOLERANCE_MINUTES = 30
LETTER_KINDS = ("moved", "time", "added", "removed")


def diff_visits(old: list[Visit], new: list[Visit], drive: Drive) -> list[dict]:
    """Per school, how its announced visits changed. ``kind``: ``moved`` (other dates), ``time`` (an
    arrival moved by 30 minutes or more), ``added``/``removed`` (a school gained or lost all its
    visits): the school needs a new letter; ``team`` (only the team, or the arrival by a few minutes):
    the teams' calendars change, the school's letter stays valid."""
    def key(vs: list[Visit]) -> dict[str, list[tuple[date, int, str]]]:
        out: dict[str, list[tuple[date, int, str]]] = defaultdict(list)
        for v in vs:
            out[v.school].append((v.day, v.arrival, v.team))
        return {k: sorted(x) for k, x in out.items()}

    def hm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    a, b = key(old), key(new)
    changes = []
    for code in sorted(set(a) | set(b)):
        o, n = a.get(code, []), b.get(code, [])
        if o == n:
            continue
        if not o or not n:
            kind = "added" if n else "removed"
        elif {d for d, _t, _tm in o} != {d for d, _t, _tm in n}:
            kind = "moved"
        else:
            # same days: the school's letter gives each day's first arrival
            first_o = {d: min(t for dd, t, _tm in o if dd == d) for d, _t, _tm in o}
            first_n = {d: min(t for dd, t, _tm in n if dd == d) for d, _t, _tm in n}
            if any(abs(first_o[d] - first_n[d]) >= ARRIVAL_TOLERANCE_MINUTES for d in first_o):
                kind = "time"
            elif [(d, tm) for d, _t, tm in o] == [(d, tm) for d, _t, tm in n]:
                continue          # a second stop's arrival moved by a few minutes: nobody needs telling
            else:
                kind = "team"
        changes.append({"school": code, "name": school_label(drive, code).rsplit(" (", 1)[0], "kind": kind,
                        "letter": kind in LETTER_KINDS,
                        "old": [{"date": d, "arrival": hm(t), "team": tm} for d, t, tm in o],
                        "new": [{"date": d, "arrival": hm(t), "team": tm} for d, t, tm in n]})
    return changes


# ------------------------------------------------------------------ storage

def store_plan(ws, out: PlanOutcome) -> int:  # type: ignore[no-untyped-def]
    """Store ``out`` as the drive's next plan version (one transaction, with its audit entry)."""
    from sweet17.services.workspace import now_utc

    def js(x: Any) -> str:
        return json.dumps(x, ensure_ascii=False, default=lambda o: o.isoformat() if isinstance(o, date) else str(o))

    m = out.metrics
    plan_t, visit_t = _TABLES[out.purpose]
    with ws.engine.begin() as conn:
        version = (conn.execute(text(f"SELECT MAX(version) FROM {plan_t} WHERE drive_slug = :d"),
                                {"d": out.drive}).scalar() or 0) + 1
        conn.execute(text(
            f"INSERT INTO {plan_t} (drive_slug, version, parent_version, kind, created_at, created_by, method, status, "
            "first_date, end_date, kit_days, team_days, visit_days, travel_minutes, students, bound_end_date, "
            "bound_kit_days, greedy_end_date, greedy_kit_days, solve_seconds, params, followup, changes) VALUES "
            "(:d, :v, :pv, :k, :at, :by, :me, :st, :fd, :ed, :kd, :td, :vd, :tm, :stu, :be, :bk, :ge, :gk, :ss, "
            ":pa, :fu, :ch)"),
            {"d": out.drive, "v": version, "pv": out.parent_version, "k": out.kind, "at": now_utc(), "by": _actor(),
             "me": out.method, "st": out.status, "fd": m.first.isoformat() if m.first else out.start.isoformat(),
             "ed": m.end.isoformat() if m.end else out.start.isoformat(), "kd": m.kit_days, "td": m.team_days,
             "vd": m.visit_days, "tm": m.travel, "stu": m.students,
             "be": out.bound.end.isoformat() if out.bound.end else "", "bk": out.bound.kit_days,
             "ge": out.greedy.end.isoformat() if out.greedy and out.greedy.end else None,
             "gk": out.greedy.kit_days if out.greedy else None, "ss": round(out.solve_seconds, 3),
             "pa": js(out.params), "fu": js(out.followup), "ch": js(out.changes)})
        plan_id = conn.execute(text(f"SELECT id FROM {plan_t} WHERE drive_slug = :d AND version = :v"),
                               {"d": out.drive, "v": version}).scalar()
        conn.execute(text(
            f"INSERT INTO {visit_t} (plan_id, visit_date, team_id, school_code, stop, kits, students, arrival, "
            "travel_minutes, fixed, split) VALUES (:p, :day, :team, :school, :stop, :kits, :students, :arrival, "
            ":travel, :fixed, :split)"),
            [{"p": plan_id, "day": v.day.isoformat(), "team": v.team, "school": v.school, "stop": v.stop,
              "kits": json.dumps(list(v.kits)), "students": v.students, "arrival": v.arrival_hhmm,
              "travel": v.travel, "fixed": int(v.fixed), "split": int(v.split)} for v in out.visits])
        ws.audit(_actor(), f"drive.{out.kind}", plan_label(out.drive, version, out.purpose),
                 {"visits": len(out.visits), "end": m.end.isoformat() if m.end else None, "kit_days": m.kit_days,
                  "method": out.method, "status": out.status, "parent": out.parent_version,
                  "changes": len(out.changes), "purpose": out.purpose}, conn=conn)
    return version


def plan_label(drive_slug: str, version: int, purpose: str = "recording") -> str:
    """How a stored plan is named in the audit trail: ``<drive>/v3``, ``<drive>/delivery/v1``."""
    return f"{drive_slug}/v{version}" if purpose == "recording" else f"{drive_slug}/{purpose}/v{version}"


def load_plan(ws, drive_slug: str, version: int | None = None,  # type: ignore[no-untyped-def]
              purpose: str = "recording") -> StoredPlan | None:
    """A stored plan version (the latest when ``version`` is None), or None."""
    plan_t, visit_t = _TABLES[check_purpose(purpose)]
    with ws.engine.connect() as conn:
        if version is None:
            row = conn.execute(text(f"SELECT * FROM {plan_t} WHERE drive_slug = :d ORDER BY version DESC LIMIT 1"),
                               {"d": drive_slug}).mappings().first()
        else:
            row = conn.execute(text(f"SELECT * FROM {plan_t} WHERE drive_slug = :d AND version = :v"),
                               {"d": drive_slug, "v": version}).mappings().first()
        if row is None:
            return None
        vrows = conn.execute(text(f"SELECT * FROM {visit_t} WHERE plan_id = :p ORDER BY visit_date, team_id, stop"),
                             {"p": row["id"]}).mappings().all()
    visits = []
    for r in vrows:
        hh, mm = r["arrival"].split(":")
        visits.append(Visit(day=date.fromisoformat(r["visit_date"]), team=r["team_id"], school=r["school_code"],
                            students=r["students"], stop=r["stop"], kits=tuple(json.loads(r["kits"])),
                            arrival=int(hh) * 60 + int(mm), travel=r["travel_minutes"], fixed=bool(r["fixed"]),
                            split=bool(r["split"])))

    def d(x: str | None) -> date | None:
        return date.fromisoformat(x) if x else None

    return StoredPlan(
        id=row["id"], drive=row["drive_slug"], version=row["version"], kind=row["kind"],
        parent_version=row["parent_version"], created_at=row["created_at"], created_by=row["created_by"],
        method=row["method"], status=row["status"], first_date=d(row["first_date"]),  # type: ignore[arg-type]
        end_date=d(row["end_date"]), kit_days=row["kit_days"], team_days=row["team_days"],  # type: ignore[arg-type]
        visit_days=row["visit_days"], travel_minutes=row["travel_minutes"], students=row["students"],
        bound_end=d(row["bound_end_date"]), bound_kit_days=row["bound_kit_days"],  # type: ignore[arg-type]
        greedy_end=d(row["greedy_end_date"]), greedy_kit_days=row["greedy_kit_days"],
        solve_seconds=row["solve_seconds"], params=json.loads(row["params"]), followup=json.loads(row["followup"]),
        changes=json.loads(row["changes"]), visits=visits, purpose=purpose)


def latest_plan(ws, drive_slug: str, purpose: str = "recording") -> StoredPlan | None:  # type: ignore[no-untyped-def]
    return load_plan(ws, drive_slug, purpose=purpose)


def plan_versions(ws, drive_slug: str, purpose: str = "recording") -> list[dict]:  # type: ignore[no-untyped-def]
    plan_t = _TABLES[check_purpose(purpose)][0]
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT version, kind, parent_version, created_at, created_by, end_date, kit_days, "
                                 f"status, method FROM {plan_t} WHERE drive_slug = :d ORDER BY version"),
                            {"d": drive_slug}).mappings().all()
    return [dict(r) for r in rows]

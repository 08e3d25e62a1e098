"""``sweet17 drive check|plan|show|export|replan``: the drive file and its visit plan."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, parse_date, print_json
from sweet17.i18n import _


def _drive_option():  # type: ignore[no-untyped-def]
    return typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive)."))


def _load(ws, drive: Path | None):  # type: ignore[no-untyped-def]
    """The drive given with --drive (registered in the workspace, not made current) or the current one."""
    from sweet17.services.drives import current_drive, register_drive

    loaded = current_drive(ws, drive)
    if drive is not None:
        from sqlalchemy import text

        with ws.engine.connect() as conn:
            known = conn.execute(text("SELECT path FROM drive WHERE slug = :s"), {"s": loaded.slug}).scalar()
        if known != str(loaded.folder):
            register_drive(ws, loaded, make_current=False)
    return loaded


def _time_limit_option():  # type: ignore[no-untyped-def]
    return typer.Option(None, "--time-limit", min=0.5, help=_("Seconds the solver may use (default: "
                                                              "[planning] time_limit_seconds, 10)."))


def _purpose_option():  # type: ignore[no-untyped-def]
    return typer.Option("recording", "--purpose", help=_("recording (the default): the e-KTP recording visits; "
                                                         "delivery: the visits that hand the printed cards over "
                                                         "(KTPku Datang), a plan series of its own."))


def _days(n: int | None) -> str:
    return "-" if n is None else str(n)


def _print_outcome(out, loaded) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from sweet17.services.planning.service import fmt_date

    m, b = out.metrics, out.bound
    delivery = out.purpose == "delivery"
    status = {"optimal": _("proved optimal"), "feasible": _("best found in the time allowed")}.get(out.status,
                                                                                                  out.status)
    title = _("Card hand-over plan (KTPku Datang) version {version} of {drive} ({method}, {status}, {seconds} s)") \
        if delivery else _("Plan version {version} of {drive} ({method}, {status}, {seconds} s)")
    console.print(title.format(version=out.version, drive=out.drive, method=out.method, status=status,
                               seconds=f"{out.solve_seconds:.1f}"), highlight=False, soft_wrap=True)
    t = Table(show_header=True, title_justify="left")
    t.add_column("")
    t.add_column(_("Plan"), justify="right")
    t.add_column(_("Lower bound"), justify="right")
    t.add_column(_("Greedy baseline"), justify="right")
    g = out.greedy
    t.add_row(_("Last visit"), fmt_date(m.end), fmt_date(b.end), fmt_date(g.end) if g else "-")
    t.add_row(_("Kit-days"), str(m.kit_days), str(b.kit_days), str(g.kit_days) if g else "-")
    t.add_row(_("Team-days"), str(m.team_days), str(b.team_days), str(g.team_days) if g else "-")
    t.add_row(_("Travel (minutes)"), str(m.travel), "", str(g.travel) if g else "-")
    t.add_row(_("Cards") if delivery else _("Students"), str(m.students), "", str(g.students) if g else "-")
    console.print(t)
    console.print(_("The plan ends {days} working day(s) after the lower bound ({kits} kit-days more)."
                    ).format(days=_days(out.working_gap), kits=m.kit_days - b.kit_days), highlight=False)
    _print_followup(out.followup)
    missing = sum(out.not_planned.get("no_birth_date", {}).values())
    if missing:
        console.print(_("{n} students have no birth date on the roster and are not planned: see sweet17 roster "
                        "problems.").format(n=missing), highlight=False, soft_wrap=True)


def _print_followup(followup, table: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The follow-up sweep: students who reach the age after their school's visit (a line, or a table per school)."""
    from rich.table import Table

    from sweet17.services.planning.service import fmt_date

    total = sum(f["students"] for f in followup)
    if not total:
        return
    within = sum(f["within_drive"] for f in followup)
    console.print(_("Follow-up sweep: {n} students reach the age after their school's first visit and find no "
                    "room on its visits ({within} of them before the drive ends).").format(n=total, within=within),
                  highlight=False, soft_wrap=True)
    if not table:
        return

    def d(x):  # type: ignore[no-untyped-def]
        from datetime import date

        return fmt_date(date.fromisoformat(x) if isinstance(x, str) else x)

    t = Table(title=_("Follow-up sweep (not called on the school's visits)"), title_justify="left")
    for col, just in ((_("School"), "left"), (_("Students"), "right"), (_("Reach the age"), "left"),
                      (_("Before the drive ends"), "right"), (_("School's visits"), "left")):
        t.add_column(col, justify=just)
    for f in followup:
        visits = (d(f["first_visit"]) + (" - " + d(f["last_visit"]) if f.get("last_visit") and f["last_visit"]
                                         != f["first_visit"] else "")) if f.get("first_visit") else _("no visit")
        t.add_row(f"{f['name']} ({f['school']})", str(f["students"]), f"{d(f['first'])} - {d(f['last'])}",
                  str(f["within_drive"]), visits)
    console.print(t)
    console.print(_("Their names: the follow-up sheet of sweet17 drive export --xlsx."), highlight=False)


def _visits_table(visits, drive, title: str):  # type: ignore[no-untyped-def]
    from rich.table import Table

    from sweet17.services.planning.service import fmt_date

    names = {s.code: s.name for s in drive.schools}
    teams = {t.id: t.name for t in drive.teams}
    table = Table(title=title, title_justify="left", show_lines=False)
    for col, just in ((_("Date"), "left"), (_("Team"), "left"), (_("School"), "left"), (_("Arrival"), "left"),
                      (_("Students"), "right"), (_("Kits"), "left"), (_("Note"), "left")):
        table.add_column(col, justify=just)
    prev_day = None
    for v in visits:
        note = _("kits divided") if v.split else (_("second school") if v.stop == 2 else "")
        if v.fixed:
            note = (note + "; " if note else "") + _("kept")
        day = fmt_date(v.day) if v.day != prev_day else ""
        if v.day != prev_day and prev_day is not None:
            table.add_section()
        prev_day = v.day
        table.add_row(day, teams.get(v.team, v.team), names.get(v.school, v.school), v.arrival_hhmm, str(v.students),
                      ", ".join(v.kits), note)
    return table


def _print_changes(changes, loaded) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from sweet17.services.planning.service import fmt_date

    if not changes:
        console.print(_("No announced visit changed."), highlight=False)
        return
    t = Table(title=_("Visits that changed"), title_justify="left")
    for col in (_("School"), _("Was"), _("Now"), _("New letter")):
        t.add_column(col)

    def fmt(items) -> str:  # type: ignore[no-untyped-def]
        from datetime import date

        return "\n".join(f"{fmt_date(date.fromisoformat(str(x['date'])) if isinstance(x['date'], str) else x['date'])}"
                         f" {x['arrival']} ({x['team']})" for x in items) or "-"

    for c in changes:
        t.add_row(f"{c['name']} ({c['school']})", fmt(c["old"]), fmt(c["new"]),
                  _("yes") if c.get("letter", True) else _("no (team or a few minutes)"))
    console.print(t)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("The drive and its visit plan: check the drive file, plan the school visits (OR-Tools "
                             "CP-SAT), show, export (xlsx, calendar, letters) and replan."), no_args_is_help=True)
    app.add_typer(sub, name="drive")

    @sub.command("summary", hidden=True, help=_("Check a drive file and print its summary: dates, schools, teams and "
                                                "kits, holidays and the open days of each school."))
    @sub.command("check", help=_("Check a drive file and print its summary: dates, schools, teams and kits, holidays "
                                 "and the open days of each school."))
    def check(drive: Path = _drive_option(), json_out: bool = json_option()) -> None:
        from rich.table import Table

        from sweet17.services.planning.summary import drive_summary

        if drive is None:
            from sweet17.services.drives import current_drive

            loaded = current_drive(open_workspace())
        else:
            from sweet17.services.drives import load_drive

            loaded = load_drive(drive)
        data = drive_summary(loaded.drive)
        if json_out:
            print_json(data)
            return
        from sweet17.services.planning.service import fmt_date

        d = loaded.drive
        console.print(_("{name} ({slug}): {start} to {end}, {schools} schools, {teams} teams with {kits} kits.").format(
            name=d.name, slug=d.slug, start=fmt_date(d.start), end=fmt_date(d.end), schools=len(d.schools),
            teams=len(d.teams), kits=len(d.kits)), highlight=False, soft_wrap=True)
        console.print(_("Recording: {mps} min per student per kit, {setup} min setup, school day {start} to {end}; "
                        "time zone {tz}.").format(mps=d.recording.minutes_per_student, setup=d.recording.setup_minutes,
                                                  start=d.recording.day_start.strftime("%H:%M"),
                                                  end=d.recording.day_end.strftime("%H:%M"), tz=d.tz_name),
                      highlight=False, soft_wrap=True)
        t = Table(title=_("Teams"), title_justify="left")
        for col in (_("Team"), _("Kits"), _("Working days"), _("Days worked")):
            t.add_column(col)
        for x in data["teams"]:
            t.add_row(f"{x['name']} ({x['id']})", ", ".join(x["kits"]), x["working_days"], str(x["work_days"]))
        console.print(t)
        t = Table(title=_("Schools"), title_justify="left")
        for col, j in ((_("School"), "left"), (_("Kecamatan"), "left"), (_("Ride (min)"), "right"),
                       (_("Per kit-day"), "right"), (_("Days"), "left"), (_("Open days"), "right"),
                       (_("Blackouts"), "left")):
            t.add_column(col, justify=j)
        for x in data["schools"]:
            t.add_row(f"{x['name']} ({x['code']})", x["kecamatan"], str(x["travel_minutes"]),
                      str(x["students_per_kit_day"]), x["days"], str(x["open_days"]),
                      "; ".join(f"{b['start']}..{b['end']} {b['reason']}" for b in x["blackouts"]))
        console.print(t)
        if data["holidays"]:
            console.print(_("Holidays and collective leave in the drive: {list}").format(
                list=", ".join(f"{fmt_date(h['date'])} {h['name']}" for h in data["holidays"])),
                highlight=False, soft_wrap=True)
        if data["problems"]:
            for p in data["problems"]:
                console.print("[yellow]" + _("Warning") + ":[/] " + p["message"], highlight=False, soft_wrap=True)

    @sub.command("plan", help=_("Plan the school visits: each school on days it is open, teams and kits by their "
                                "working days, the drive ending as early as possible, then the least travel, then the "
                                "fewest visit-days per school. Stores a new plan version."))
    def plan(
        drive: Path = _drive_option(),
        teams: str = typer.Option(None, "--teams", help=_("Only these teams, comma separated (default: all).")),
        until: str = typer.Option(None, "--until", help=_("Finish by this date (default: the drive's end).")),
        time_limit: float = _time_limit_option(),
        purpose: str = _purpose_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.planning.service import check_purpose, plan_drive

        purpose = check_purpose(purpose)
        ws = open_workspace()
        loaded = _load(ws, drive)
        team_ids = [x.strip() for x in teams.split(",") if x.strip()] if teams else None
        out = plan_drive(ws, loaded, teams=team_ids, until=parse_date(until, "--until"), time_limit=time_limit,
                         purpose=purpose)
        if json_out:
            print_json(out.to_dict())
            return
        _print_outcome(out, loaded)
        if purpose == "delivery":
            console.print(_("Show it with: sweet17 drive show --purpose delivery; export it with: sweet17 drive export "
                            "--purpose delivery"), highlight=False, soft_wrap=True)
        else:
            console.print(_("Show it with: sweet17 drive show; export it with: sweet17 drive export"), highlight=False)

    @sub.command("show", help=_("Show the plan by date and team (the latest version, or --version N)."))
    def show(
        drive: Path = _drive_option(),
        version: int = typer.Option(None, "--version", help=_("Plan version (default: the latest).")),
        team: str = typer.Option(None, "--team", help=_("Only this team.")),
        school: str = typer.Option(None, "--school", help=_("Only this school (code).")),
        purpose: str = _purpose_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.errors import UserError
        from sweet17.services.planning.service import check_purpose, fmt_date, load_plan

        purpose = check_purpose(purpose)
        ws = open_workspace()
        loaded = _load(ws, drive)
        d = loaded.drive
        p = load_plan(ws, d.slug, version, purpose)
        if p is None:
            if version is None and purpose == "delivery":
                raise UserError(_("Drive {drive} has no card hand-over plan yet: run sweet17 drive plan --purpose "
                                  "delivery first").format(drive=d.slug))
            if version is None:
                raise UserError(_("Drive {drive} has no plan yet: run sweet17 drive plan first").format(drive=d.slug))
            raise UserError(_("Drive {drive} has no plan version {version}").format(drive=d.slug, version=version))
        if team and team not in {t.id for t in d.teams}:
            raise UserError(_("Option --team: unknown team {team}").format(team=team))
        if school and school not in {s.code for s in d.schools}:
            raise UserError(_("Option --school: unknown school {code}").format(code=school))
        visits = [v for v in p.visits if (not team or v.team == team) and (not school or v.school == school)]
        followup = [f for f in p.followup if not school or f["school"] == school]
        if json_out:
            data = p.to_dict({s.code: s.name for s in d.schools})
            data["visits"] = [x for x in data["visits"] if (not team or x["team"] == team)
                              and (not school or x["school"] == school)]
            data["followup"] = followup
            data["followup_total"] = sum(f["students"] for f in followup)
            print_json(data)
            return
        title = (_("Card hand-over plan (KTPku Datang) version {version} ({kind}, {created}): {first} to {end}, {kits} "
                   "kit-days; lower bound {bound_end}, {bound_kits} kit-days") if purpose == "delivery" else
                 _("Plan version {version} ({kind}, {created}): {first} to {end}, {kits} kit-days; lower bound "
                   "{bound_end}, {bound_kits} kit-days")).format(
            version=p.version, kind=_("replan") if p.kind == "replan" else _("plan"), created=p.created_at[:16],
            first=fmt_date(p.first_date), end=fmt_date(p.end_date), kits=p.kit_days, bound_end=fmt_date(p.bound_end),
            bound_kits=p.bound_kit_days)
        console.print(_visits_table(visits, d, title))
        if p.changes and not team and not school:
            _print_changes(p.changes, loaded)
        if not team:
            _print_followup(followup, table=True)

    @sub.command("export", help=_("Write the plan for the people who use it, into exports/<drive>/: --xlsx (a sheet "
                                  "per team and per school with the students to call), --ics (calendars for the "
                                  "teams' phones), --pdf (a notification letter per school). Default: all three."))
    def export(
        drive: Path = _drive_option(),
        version: int = typer.Option(None, "--version", help=_("Plan version (default: the latest).")),
        xlsx: bool = typer.Option(False, "--xlsx", help=_("The workbook.")),
        ics: bool = typer.Option(False, "--ics", help=_("The calendars (one per team and one for all).")),
        pdf: bool = typer.Option(False, "--pdf", help=_("The letters (one PDF per school).")),
        changed: bool = typer.Option(False, "--changed", help=_("Letters only for schools whose visits changed in "
                                                                "this version (after a replan).")),
        out: Path = typer.Option(None, "--out", help=_("Folder to write into (default: the workspace's exports "
                                                       "folder).")),
        purpose: str = _purpose_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.planning.exports import export_plan
        from sweet17.services.planning.service import check_purpose

        purpose = check_purpose(purpose)
        ws = open_workspace()
        loaded = _load(ws, drive)
        if not (xlsx or ics or pdf):
            xlsx = ics = pdf = True
        res = export_plan(ws, loaded, version=version, xlsx=xlsx, ics=ics, pdf=pdf, changed_only=changed, out_dir=out,
                          purpose=purpose)
        if json_out:
            print_json(res.to_dict())
            return
        console.print(_("Plan version {version} written to {folder}:").format(version=res.version, folder=res.folder),
                      highlight=False, soft_wrap=True)
        if res.xlsx:
            console.print("  " + _("workbook: {path}").format(path=res.xlsx.name), highlight=False)
        if res.ics:
            console.print("  " + _("calendars: {paths}").format(paths=", ".join(p.name for p in res.ics)),
                          highlight=False, soft_wrap=True)
        if pdf:
            console.print("  " + _("{n} letters in {folder}").format(
                n=len(res.letters), folder=res.letters[0].parent.name if res.letters else "-"), highlight=False)
        if purpose == "delivery":
            if res.no_room or res.followup:
                console.print(_("{n} printed cards are on no visit's list (printed after the school's visits, or "
                                "imported since the plan): replan with sweet17 drive replan --purpose delivery --from "
                                "DATE.").format(n=res.no_room + res.followup), highlight=False, soft_wrap=True)
            return
        if res.followup:
            console.print(_("Follow-up sweep: {n} students reach the age after their school's visit; they are listed on "
                            "the follow-up sheet and on each school's sheet.").format(n=res.followup),
                          highlight=False, soft_wrap=True)
        if res.no_room:
            console.print(_("{n} students of age are on no visit's list (the rosters changed since the plan): "
                            "replan with sweet17 drive replan --from DATE.").format(n=res.no_room), highlight=False,
                          soft_wrap=True)

    @sub.command("replan", help=_("Replan after a cancelled visit or a team's day off: past and agreed visits stay, "
                                  "the rest is replanned changing as few announced visits as possible; prints what "
                                  "changed so the letters can be re-sent."))
    def replan(
        drive: Path = _drive_option(),
        cancel: list[str] = typer.Option(None, "--cancel", help=_("A visit that cannot take place: SCHOOL@YYYY-MM-DD "
                                                                  "(repeatable).")),
        team_off: list[str] = typer.Option(None, "--team-off", help=_("A team that cannot work that day: "
                                                                      "TEAM@YYYY-MM-DD (repeatable).")),
        from_: str = typer.Option(None, "--from", help=_("Replan the visits from this date on; earlier visits are "
                                                         "kept (default: the first date given above).")),
        time_limit: float = _time_limit_option(),
        purpose: str = _purpose_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.planning.service import (
            check_purpose,
            parse_cancel,
            parse_team_off,
            replan_drive,
        )

        purpose = check_purpose(purpose)
        ws = open_workspace()
        loaded = _load(ws, drive)
        out = replan_drive(ws, loaded, cancel=parse_cancel(cancel or []), team_off=parse_team_off(team_off or []),
                           from_date=parse_date(from_, "--from"), time_limit=time_limit, purpose=purpose)
        if json_out:
            print_json(out.to_dict())
            return
        _print_outcome(out, loaded)
        _print_changes(out.changes, loaded)
        if any(c["letter"] for c in out.changes):
            if purpose == "delivery":
                console.print(_("New letters for these schools: sweet17 drive export --purpose delivery --pdf --changed"),
                              highlight=False, soft_wrap=True)
            else:
                console.print(_("New letters for these schools: sweet17 drive export --pdf --changed"), highlight=False)

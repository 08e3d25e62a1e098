"""``sweet17 session start|resume|status|summary``: recording sessions at the school."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import (
    console,
    err_console,
    json_option,
    open_workspace,
    parse_date,
    print_json,
)
from sweet17.i18n import _


def _sign_in(ws, kit, script, user: str | None):  # type: ignore[no-untyped-def]
    """The operator: from the script's first ``signin`` action, or asked on the terminal."""
    from sweet17.errors import UserError
    from sweet17.services import operators
    from sweet17.services.session.script import sign_in

    if script is not None:
        action = script.signin
        if action is None:
            raise UserError(_("Script {path}: the first action must be a signin.").format(path=script.path))
        return sign_in(ws, action, card_reader=kit.card_reader)
    if operators.count_operators(ws) == 0:
        raise UserError(_("There are no accounts on this laptop yet. Create one: sweet17 operator add NAME "
                          "--role supervisor"))
    if kit.card_reader is not None and not user:
        if typer.confirm(_("Sign in with the operator card?"), default=True):
            typer.echo(_("Place the operator card on the reader."))
            pin = typer.prompt(_("PIN"), hide_input=True)
            return operators.sign_in_with_card(ws, kit.card_reader, pin)
    username = user or typer.prompt(_("Username"))
    password = typer.prompt(_("Password"), hide_input=True)
    return operators.authenticate(ws, username, password)


def _run(session, script, json_out: bool) -> None:  # type: ignore[no-untyped-def]
    """Run the script (printing each action) or the operator's screen; then the counts."""
    from sweet17.services.session.script import Runner, ScriptFailed

    if script is None:
        from sweet17.entrypoints.tui.session_app import SessionScreen

        SessionScreen(session, console=console).run()
        return

    def show(log) -> None:  # type: ignore[no-untyped-def]
        if json_out:
            return
        mark = "[green]✓[/]" if log.ok else "[red]✗[/]"
        console.print(f"{mark} [{log.n}] {log.do}: {log.message}", highlight=False, soft_wrap=True)

    def show_capture(o) -> None:  # type: ignore[no-untyped-def]
        if json_out or not o.step:
            return
        colour = "green" if o.accepted else ("red" if o.error else "yellow")
        console.print(f"    [{colour}]{o.step} #{o.attempt}[/] {o.message}", highlight=False)

    runner = Runner(session, on_step=show, on_capture=show_capture)
    failure = None
    try:
        runner.run(script.actions, stop_on_error=script.stop_on_error)
    except ScriptFailed as e:
        failure = e
    counts = session.counts().to_dict()
    if json_out:
        print_json({"ok": failure is None, "session": session.info().to_dict(), "counts": counts,
                    "log": [entry.to_dict() for entry in runner.log], "error": str(failure) if failure else None})
    else:
        console.print(_("Called {called} · checked in {checked_in} · recorded {recorded} · absent {absent} · "
                        "remaining {remaining} · walk-ins {walk_ins}").format(**counts), highlight=False,
                      soft_wrap=True)
    if failure is not None:
        if json_out:
            raise typer.Exit(2)
        raise failure


def register(app: typer.Typer) -> None:
    s_app = typer.Typer(help=_("Recording sessions at the school: check-in, capture, review, commit."),
                        no_args_is_help=True)
    app.add_typer(s_app, name="session")

    @s_app.command("start", help=_("Start a recording session at a school (sign-in, the day's list, capture)."))
    def start(
        school: str = typer.Option(..., "--school", help=_("The school's code in the drive.")),
        kit: str = typer.Option(None, "--kit", help=_("Device profile: a file or a name in devices/ "
                                                      "(default: devices/kit.toml or sim-kit.toml).")),
        script: Path = typer.Option(None, "--script", help=_("Run the actions of this JSON or TOML file "
                                                             "instead of the screen.")),
        day: str = typer.Option(None, "--date", help=_("The session's date (default: today).")),
        drive: Path = typer.Option(None, "--drive", help=_("Drive folder (default: the current drive).")),
        user: str = typer.Option(None, "--user", help=_("Username (asked when missing).")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.session.kit import load_kit
        from sweet17.services.session.script import load_script
        from sweet17.services.session.service import start_session

        ws = open_workspace()
        sc = load_script(script) if script else None
        k = load_kit(ws, kit)
        for p in k.problems:
            err_console.print("[yellow]" + _("Device not found: {problem}").format(problem=p) + "[/]", highlight=False)
        op = _sign_in(ws, k, sc, user)
        session = start_session(ws, op, school, k, drive=drive, day=parse_date(day, "--date"))
        if not json_out:
            console.print(_("Session {id} started at {school} by {user}.").format(
                id=session.id[:8], school=school, user=op.username), highlight=False)
        _run(session, sc, json_out)

    @s_app.command("resume", help=_("Continue the session that is still open (after a crash, power cut or "
                                    "idle lock)."))
    def resume(
        kit: str = typer.Option(None, "--kit", help=_("Device profile: a file or a name in devices/ "
                                                      "(default: devices/kit.toml or sim-kit.toml).")),
        script: Path = typer.Option(None, "--script", help=_("Run the actions of this JSON or TOML file "
                                                             "instead of the screen.")),
        user: str = typer.Option(None, "--user", help=_("Username (asked when missing).")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.session.kit import load_kit
        from sweet17.services.session.script import load_script
        from sweet17.services.session.service import open_session, resume_session

        ws = open_workspace()
        sc = load_script(script) if script else None
        if open_session(ws) is None:
            from sweet17.services.session.errors import NoSession

            raise NoSession(_("There is no session to continue. Start one with: sweet17 session start --school CODE"))
        k = load_kit(ws, kit)
        for p in k.problems:
            err_console.print("[yellow]" + _("Device not found: {problem}").format(problem=p) + "[/]", highlight=False)
        op = _sign_in(ws, k, sc, user)
        session = resume_session(ws, op, k)
        if not json_out:
            waiting = session.in_progress()
            console.print(_("Session {id} at {school} continues; {n} students not finished.").format(
                id=session.id[:8], school=session.school_code, n=len(waiting)), highlight=False)
        _run(session, sc, json_out)

    @s_app.command("status", help=_("The open session, if any, and the day's counts."))
    def status(json_out: bool = json_option()) -> None:
        from sweet17.domain.session import day_counts
        from sweet17.services.session import daylist
        from sweet17.services.session.service import open_session

        ws = open_workspace()
        info = open_session(ws)
        data: dict = {"session": info.to_dict() if info else None, "counts": None}
        if info:
            from sqlalchemy import text

            called = [s.student_ref for s in daylist.day_list(ws, info.drive_slug, info.school_code, info.day)]
            with ws.engine.connect() as c:
                rows = c.execute(text("SELECT student_ref, status, source FROM checkin WHERE drive_slug = :d AND "
                                      "school_code = :s AND day = :day"),
                                 {"d": info.drive_slug, "s": info.school_code, "day": info.day.isoformat()}).all()
            data["counts"] = day_counts(called, [tuple(r) for r in rows]).to_dict()
        if json_out:
            print_json(data)
        elif info is None:
            console.print(_("No session is open."))
        else:
            console.print(_("Session {id} at {school} on {day} ({status}), operator {user}.").format(
                id=info.id[:8], school=info.school_code, day=info.day.isoformat(), status=info.status,
                user=info.operator), highlight=False)
            console.print(_("Called {called} · checked in {checked_in} · recorded {recorded} · absent {absent} · "
                            "remaining {remaining} · walk-ins {walk_ins}").format(**data["counts"]), highlight=False)

    @s_app.command("summary", help=_("End of day per school and operator: recorded, absent, retries, "
                                     "force-captures, exceptions, average capture time."))
    def summary(
        day: str = typer.Option(None, "--date", help=_("The day (default: today).")),
        school: str = typer.Option(None, "--school", help=_("Only this school.")),
        export: bool = typer.Option(False, "--export", help=_("Also write the coordinator's workbook to exports/.")),
        json_out: bool = json_option(),
    ) -> None:
        from datetime import date

        from rich.table import Table

        from sweet17.services.session.summary import day_summary, export_summary

        ws = open_workspace()
        d = parse_date(day, "--date") or date.today()
        data = day_summary(ws, d, school=school)
        path = export_summary(ws, data) if export else None
        if json_out:
            print_json({"date": data["date"], "schools": data["schools"], "rows": data["rows"],
                        "export": str(path) if path else None})
            return
        table = Table(title=_("Recording summary for {date}").format(date=data["date"]), title_justify="left")
        for col in (_("School"), _("Operator"), _("Recorded"), _("Absent"), _("Walk-ins"), _("Retries"),
                    _("Force-captures"), _("With exceptions"), _("Average capture time (s)")):
            table.add_column(col)
        for r in data["rows"]:
            table.add_row(r["school_code"], r["operator"], str(r["recorded"]), str(r["absent"]), str(r["walk_ins"]),
                          str(r["retries"]), str(r["force_captures"]), str(r["exceptions"]),
                          "-" if r["avg_capture_seconds"] is None else f"{r['avg_capture_seconds']:.0f}")
        console.print(table)
        for s in data["schools"]:
            console.print(_("{school}: called {called}, recorded {recorded}, absent {absent}, walk-ins {walk_ins}, "
                            "remaining {remaining}").format(school=s["school_code"], called=s["called"],
                                                             recorded=s["recorded"], absent=s["absent"],
                                                             walk_ins=s["walk_ins"], remaining=s["remaining"]),
                          highlight=False, soft_wrap=True)
        if path:
            console.print(_("Workbook written: {path}").format(path=path), highlight=False)

    @s_app.command("rehearsal", help=_("Prepare a rehearsal against the SBI simulator: a synthetic face video, a "
                                       "kit profile and a script for the first students of the day's list."))
    def rehearsal(
        school: str = typer.Option(..., "--school", help=_("The school's code in the drive.")),
        day: str = typer.Option(None, "--date", help=_("The session's date (default: today).")),
        out: Path = typer.Option(..., "--out", help=_("Folder for the video, the kit profile and the script.")),
        students: int = typer.Option(4, "--students", help=_("How many students of the list to record.")),
        user: str = typer.Option("op1", "--user", help=_("The operator who signs in (password from "
                                                         "SWEET17_OPERATOR_PASSWORD).")),
        sim_profile: str = typer.Option(None, "--sim-profile", help=_("The simulator's device profile (default: "
                                                                      "devices/sim-kit.toml).")),
        drive: Path = typer.Option(None, "--drive", help=_("Drive folder (default: the current drive).")),
        json_out: bool = json_option(),
    ) -> None:
        from datetime import date

        from sweet17.services.session.rehearsal import prepare_rehearsal

        ws = open_workspace()
        r = prepare_rehearsal(ws, school, parse_date(day, "--date") or date.today(), out, students=students,
                              username=user, sim_profile=sim_profile, drive=drive)
        if json_out:
            print_json(r.to_dict())
        else:
            console.print(_("Rehearsal ready in {folder}. Run: sweet17 session start --school {school} --kit {profile} "
                            "--script {script}").format(folder=r.folder, school=school, profile=r.profile,
                                                        script=r.script), highlight=False, soft_wrap=True)

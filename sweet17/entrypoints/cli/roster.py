"""``sweet17 roster import|problems|review|list``: school rosters, their data problems, matches to review."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, err_console, json_option, open_workspace, print_json
from sweet17.i18n import _

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def _drive_option():  # type: ignore[no-untyped-def]
    return typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive)."))


def _progress(enabled: bool):  # type: ignore[no-untyped-def]
    """A rich progress bar on stderr (only on a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True, disable=not enabled or not err_console.is_terminal)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("School rosters: import Dapodik exports and other lists, report data problems, "
                             "review uncertain matches with the registry extract."), no_args_is_help=True)
    app.add_typer(sub, name="roster")

    @sub.command("import", help=_("Import roster files or folders (Dapodik xlsx, .xls, Excel XML, CSV, or any sheet "
                                  "with --map). Each file replaces its school's roster; a file that cannot be read "
                                  "stores nothing and the others still import (exit status 2 if any failed)."))
    def import_(
        paths: list[Path] = typer.Argument(None, help=_("Roster files or folders (default: the roster of each "
                                                        "school in the drive file).")),
        school: str = typer.Option(None, "--school", help=_("School code (default: from the title row or the "
                                                            "file name).")),
        fmt: str = typer.Option("auto", "--format", help=_("auto, dapodik, csv or mapped.")),
        map_path: Path = typer.Option(None, "--map", help=_("Column map (TOML) for sheets that are not Dapodik "
                                                            "exports.")),
        drive: Path = _drive_option(),
        json_out: bool = json_option(),
    ) -> None:
        from rich.markup import escape
        from rich.table import Table

        from sweet17.services.roster import import_rosters

        ws = open_workspace()
        with _progress(not json_out) as prog:
            task = prog.add_task(_("Importing rosters"), total=None)

            def tick(path: Path, n: int, total: int) -> None:
                prog.update(task, total=total, completed=n - 1, description=path.name)

            report = import_rosters(ws, paths or None, school=school, fmt=fmt, map_path=map_path, drive_path=drive,
                                    progress=tick)
            prog.update(task, completed=len(report.files))
        if json_out:
            print_json(report.to_dict())
        else:
            table = Table(title=_("Roster import"), title_justify="left")
            for col in (_("File"), _("School"), _("Kind"), _("Students"), _("Errors"), _("Warnings"), _("Result")):
                table.add_column(col, justify="right" if col in (_("Students"), _("Errors"), _("Warnings")) else "left")
            kinds = {"roster": _("roster"), "leavers": _("leavers")}
            for f in report.files:
                if f.ok:
                    res = _("replaced the previous import") if f.replaced_import_id else _("imported")
                    table.add_row(f.path.name, f.school_code, kinds.get(f.kind, f.kind), str(f.students), str(f.errors),
                                  str(f.warnings), f"[green]{res}[/]")
                else:
                    table.add_row(f.path.name, "", "", "", "", "", "[red]" + _("failed") + "[/]")
            console.print(table)
            for f in report.failed:
                err_console.print("[red]" + _("Error") + ":[/] " + escape(f.error), highlight=False, soft_wrap=True)
            if report.match is not None and report.match.extract_id is None:
                console.print(_("No registry extract yet: import it with sweet17 registry-extract import"),
                              highlight=False, soft_wrap=True)
            elif report.match is not None:
                m = report.match
                console.print(_("Registry extract: {nik} matched by NIK, {name} by name and birth date, {review} to "
                                "review (sweet17 roster review), {none} not recorded yet.").format(
                    nik=m.by_nik, name=m.by_name + m.by_decision, review=m.review, none=m.not_found),
                    highlight=False, soft_wrap=True)
            ok = len(report.files) - len(report.failed)
            console.print(_("{ok} of {n} files imported. Data problems: sweet17 roster problems").format(
                ok=ok, n=len(report.files)), highlight=False, soft_wrap=True)
        if report.failed:
            raise typer.Exit(2)

    @sub.command("problems", help=_("Data problems of the current rosters: row in the school's file, NISN, name, "
                                    "column, value, the problem and what to do. --export writes one workbook per "
                                    "school to exports/."))
    def problems(
        school: str = typer.Option(None, "--school", help=_("Only this school.")),
        all_: bool = typer.Option(False, "--all", help=_("Include information notes (no action needed).")),
        errors_only: bool = typer.Option(False, "--errors", help=_("Only errors (problems that block recording).")),
        export: bool = typer.Option(False, "--export", help=_("Write exports/roster-problems-<school>.xlsx.")),
        limit: int = typer.Option(100, "--limit", help=_("Rows shown in the terminal (0: all).")),
        drive: Path = _drive_option(),
        json_out: bool = json_option(),
    ) -> None:
        from collections import Counter

        from rich.table import Table

        from sweet17.domain.findings import SEVERITY_LABELS
        from sweet17.errors import UserError
        from sweet17.services.drives import current_drive
        from sweet17.services.roster import export_problems, list_problems

        ws = open_workspace()
        d = current_drive(ws, drive).drive
        if school and school not in {s.code for s in d.schools}:
            raise UserError(_("School {code} is not in the drive {drive} (schools: {codes})").format(
                code=school, drive=d.slug, codes=", ".join(s.code for s in d.schools)))
        level = "error" if errors_only else ("info" if all_ else "warning")
        items = list_problems(ws, d.slug, school=school, min_severity=level)
        files = export_problems(ws, d.slug, items, school_names={s.code: s.name for s in d.schools}) if export else []
        if json_out:
            print_json({"drive": d.slug, "problems": [p.to_dict() for p in items],
                        "counts": dict(Counter(p.code for p in items)), "exported": [str(f) for f in files]})
            return
        labels = {str(k): _(v) for k, v in SEVERITY_LABELS.items()}
        per = Counter((p.school_code, p.severity) for p in items)
        summary = Table(title=_("Data problems per school"), title_justify="left")
        for col in (_("School"), _("Errors"), _("Warnings"), _("Notes")):
            summary.add_column(col, justify="left" if col == _("School") else "right")
        for code in sorted({p.school_code for p in items}):
            summary.add_row(code, str(per[(code, "error")]), str(per[(code, "warning")]), str(per[(code, "info")]))
        console.print(summary)
        shown = items if limit <= 0 else items[:limit]
        table = Table(show_lines=False)
        for col in (_("School"), _("Row"), _("NISN"), _("Name"), _("Column"), _("Value"), _("Severity"), _("Problem")):
            table.add_column(col, overflow="fold")
        for p in shown:
            style = SEVERITY_STYLE.get(p.severity, "")
            table.add_row(p.school_code, str(p.row), p.nisn, p.name, p.column, p.value,
                          f"[{style}]{labels.get(p.severity, p.severity)}[/]", p.problem)
        if shown:
            console.print(table)
        if len(items) > len(shown):
            console.print(_("... and {n} more (use --limit 0, --json or --export).").format(n=len(items) - len(shown)),
                          highlight=False)
        if not items:
            console.print(_("No data problems."), highlight=False)
        for f in files:
            console.print(_("Written: {path}").format(path=f), highlight=False, soft_wrap=True)

    @sub.command("review", help=_("Possible matches with the registry extract that a person must decide. "
                                  "--decide STUDENT=N takes candidate N (0: none of them, not recorded)."))
    def review(
        school: str = typer.Option(None, "--school", help=_("Only this school.")),
        decide_: list[str] = typer.Option(None, "--decide", help=_("STUDENT=N: the student id and the candidate "
                                                                   "number (0 for none). Repeatable.")),
        interactive: bool = typer.Option(False, "--interactive", "-i", help=_("Ask for each case in turn.")),
        drive: Path = _drive_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.errors import UserError
        from sweet17.services.drives import current_drive
        from sweet17.services.registry import REVIEW_LABELS, decide, review_cases

        ws = open_workspace()
        d = current_drive(ws, drive).drive
        decided = []
        for item in decide_ or []:
            sid, sep, choice = item.partition("=")
            if not sep or not sid.strip().isdigit() or not choice.strip().isdigit():
                raise UserError(_("--decide {value}: write STUDENT=N, e.g. --decide 1234=1").format(value=item))
            kind = decide(ws, d.slug, int(sid), int(choice))
            decided.append({"student_id": int(sid), "choice": int(choice), "decision": kind})
        cases = review_cases(ws, d.slug, school)
        if interactive and not json_out:
            for c in cases:
                _print_case(c, REVIEW_LABELS)
                answer = typer.prompt(_("Candidate number (0: none of them, Enter: skip)"), default="",
                                      show_default=False)
                if answer.strip().isdigit():
                    kind = decide(ws, d.slug, c.student_id, int(answer))
                    decided.append({"student_id": c.student_id, "choice": int(answer), "decision": kind})
            cases = review_cases(ws, d.slug, school)
        if json_out:
            print_json({"drive": d.slug, "decided": decided, "cases": [c.to_dict() for c in cases]})
            return
        for x in decided:
            console.print(_("Student {id}: decision recorded ({decision}).").format(
                id=x["student_id"], decision=_("recorded") if x["decision"] == "match" else _("not recorded")),
                highlight=False)
        if not interactive:
            for c in cases:
                _print_case(c, REVIEW_LABELS)
        if not cases:
            console.print(_("Nothing to review."), highlight=False)
        else:
            console.print(_("{n} cases to review. Decide with: sweet17 roster review --decide STUDENT=N").format(
                n=len(cases)), highlight=False)

    @sub.command("list", help=_("The current roster of each school (file, when, by whom, students); with --school, "
                                "its students and whether each is already recorded."))
    def list_(
        school: str = typer.Option(None, "--school", help=_("List this school's students.")),
        history: bool = typer.Option(False, "--history", help=_("Also show replaced imports.")),
        drive: Path = _drive_option(),
        json_out: bool = json_option(),
    ) -> None:
        from rich.table import Table
        from sqlalchemy import text

        from sweet17.services.drives import current_drive
        from sweet17.services.roster import current_students, import_history

        ws = open_workspace()
        d = current_drive(ws, drive).drive
        imports = import_history(ws, d.slug, school, all_imports=history)
        students = []
        if school:
            with ws.engine.connect() as conn:
                rows = current_students(conn, d.slug, school)
                match = dict(conn.execute(text("SELECT student_id, method FROM registry_match WHERE drive_slug = :d"),
                                          {"d": d.slug}).all())
                review = {r[0] for r in conn.execute(text(
                    "SELECT student_id FROM registry_review WHERE drive_slug = :d"), {"d": d.slug})}
            for r in rows:
                students.append({"student_id": r.id, "row": r.row_number, "nisn": r.nisn, "name": r.name, "sex": r.sex,
                                 "birth_date": r.birth_date or None, "rombel": r.rombel, "nik_status": r.nik_status,
                                 "registry": match.get(r.id) or ("review" if r.id in review else None),
                                 "blocking": bool(r.blocking)})
        if json_out:
            print_json({"drive": d.slug, "imports": imports, "students": students if school else None})
            return
        table = Table(title=_("Roster imports"), title_justify="left")
        for col in (_("School"), _("Kind"), _("File"), _("Imported"), _("By"), _("Students"), _("Errors"),
                    _("Warnings"), _("SHA-256"), _("Current")):
            table.add_column(col)
        for i in imports:
            table.add_row(i["school_code"], i["kind"], Path(i["file_name"]).name, i["imported_at"], i["imported_by"],
                          str(i["students"]), str(i["errors"]), str(i["warnings"]), i["file_sha256"][:12],
                          _("yes") if i["current"] else _("no"))
        console.print(table)
        if school:
            st = Table(title=_("Students of {school}").format(school=school), title_justify="left")
            for col in (_("ID"), _("Row"), _("NISN"), _("Name"), _("Sex"), _("Birth date"), _("Class (Rombel)"),
                        _("NIK"), _("Registry")):
                st.add_column(col)
            reg = {"nik": _("recorded (NIK)"), "name": _("recorded (name)"), "decision": _("decided"),
                   "review": _("to review")}
            for s in students:
                st.add_row(str(s["student_id"]), str(s["row"]), s["nisn"], s["name"], s["sex"], s["birth_date"] or "-",
                           s["rombel"], s["nik_status"], reg.get(s["registry"] or "", "-"))
            console.print(st)


def _print_case(c, labels) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    t = Table(title=_("Student {id} ({school}, row {row}): {name}, NISN {nisn}, born {birth}, {sex} — {reason}").format(
        id=c.student_id, school=c.school_code, row=c.row, name=c.name, nisn=c.nisn or "-", birth=c.birth_date or "-",
        sex=c.sex or "-", reason=_(labels.get(c.reason, c.reason))), title_justify="left")
    for col in (_("No"), _("Name on the extract"), _("NIK"), _("Birth date"), _("Sex"), _("Status"), _("Similarity")):
        t.add_column(col)
    for i, cand in enumerate(c.candidates, 1):
        t.add_row(str(i), cand["name"], cand["nik"], cand["birth_date"] or "-", cand["sex"] or "-", cand["status"],
                  f"{cand['score']:.0f}")
    console.print(t)

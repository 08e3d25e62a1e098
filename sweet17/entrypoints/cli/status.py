"""``sweet17 status NIK|NISN``: a student's way through the drive, with dates."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, parse_date, print_json
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    @app.command("status", help=_("Where a student is, end to end: on roster, eligible, called, recorded, approved, "
                                  "synced, acknowledged, printed, delivered (or absent, rejected, duplicate, moved), "
                                  "with dates."))
    def status(
        query: str = typer.Argument(..., help=_("The student's NIK (16 digits) or NISN (10 digits).")),
        drive: Path = typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive).")),
        as_of: str = typer.Option(None, "--as-of", help=_("Count ages on this date for schools without a planned "
                                                          "visit (default today).")),
        json_out: bool = json_option(),
    ) -> None:
        from rich.table import Table

        from sweet17.services.drives import current_drive
        from sweet17.services.status import student_status

        ws = open_workspace()
        loaded = current_drive(ws, drive)
        results = student_status(ws, loaded, query, parse_date(as_of, "--as-of"))
        if json_out:
            print_json({"query": query, "drive": loaded.slug, "students": [r.to_dict() for r in results]})
            return
        for r in results:
            d = r.to_dict()
            title = f"{d['name']} - {d['school']} ({d['school_code']})"
            table = Table(title=title, title_justify="left", title_style="bold")
            table.add_column(_("Stage"))
            table.add_column(_("Date"))
            table.add_column(_("Detail"))
            reached = {m["stage"] for m in d["main_line"] if m["reached"]}
            for e in d["events"]:
                at = (e["at"] or "-").replace("T", " ")[:16]
                style = "bold" if e["stage"] == d["current"] else None
                table.add_row(e["label"], at, e["detail"] or "", style=style)
            for m in d["main_line"]:
                if m["stage"] not in reached:
                    table.add_row(f"[dim]{m['label']}[/]", "[dim]-[/]", "")
            console.print(table)
            ids = [x for x in (f"NISN {d['nisn']}" if d["nisn"] else "", f"NIK {d['nik']}" if d["nik"] else "") if x]
            if ids:
                console.print("  " + ", ".join(ids), highlight=False)
            console.print(_("Now: {status}. {next}").format(status=f"[bold]{d['current_label']}[/]", next=d["next_step"]),
                          highlight=False, soft_wrap=True)

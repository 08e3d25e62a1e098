"""``sweet17 sample balangan``: write the synthetic Balangan drive and print its summary."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import OPTIONS, console, json_option, parse_date, print_json
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    sample_app = typer.Typer(
        help=_("Sample data: a synthetic drive to try sweet17 with (only made-up people)."),
        no_args_is_help=True,
    )
    app.add_typer(sample_app, name="sample")

    @sample_app.command("balangan", help=_(
        "Write the sample Balangan drive (drive file, one Dapodik roster per school, registry extract), "
        "register it in the workspace when there is one, and print its summary."))
    def balangan(
        seed: int = typer.Option(17, "--seed", help=_("Random seed: the same seed gives the same drive.")),
        students: int = typer.Option(6500, "--students", help=_("Number of students across all schools.")),
        start: str = typer.Option(None, "--start", help=_(
            "First day of the drive, YYYY-MM-DD (default: the second Monday of January after 1 October, "
            "else the first Monday at least 14 days from today).")),
        out: Path = typer.Option(None, "--out", help=_("Drive folder to write (default: drives/balangan-YEAR).")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.errors import WorkspaceError
        from sweet17.services.sample import generate_balangan
        from sweet17.services.sample.summary import register_sample, summarise
        from sweet17.services.workspace import Workspace, locate_workspace

        start_date = parse_date(start, "--start")
        sample = generate_balangan(out, seed=seed, students=students, start=start_date)
        data = summarise(sample)
        ws_path = locate_workspace(OPTIONS.workspace)
        try:
            ws = Workspace.open(ws_path)
        except WorkspaceError:
            ws = None
        if ws is not None:
            try:
                register_sample(ws, sample)
            finally:
                ws.close()
        data["registered"] = ws is not None
        data["workspace"] = str(ws_path) if ws is not None else None
        if json_out:
            print_json(data)
        else:
            _print_summary(data, ws_path)


def _print_summary(data: dict, ws_path: Path) -> None:
    from rich.table import Table

    def num(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    console.print(_("Sample drive {slug} written to {folder} in {seconds} s.").format(
        slug=data["drive"], folder=data["folder"], seconds=str(data["seconds"]).replace(".", ",")),
        highlight=False, soft_wrap=True)
    console.print(_("Drive period: {start} to {end}").format(start=data["start"], end=data["end"]), highlight=False)

    table = Table(title=_("Schools per kecamatan"), title_justify="left")
    table.add_column(_("Kecamatan"))
    table.add_column(_("Schools"), justify="right")
    table.add_column(_("Roster rows"), justify="right")
    table.add_column(_("Aged {age}+").format(age=data["min_age"]), justify="right")
    table.add_column(_("Already recorded"), justify="right")
    for k in data["kecamatan"]:
        table.add_row(f"{k['code']} {k['name']}", num(k["schools"]), num(k["roster_rows"]),
                      num(k["aged_min_at_start"]), num(k["recorded"]))
    total = _("Total")
    table.add_row(f"[bold]{total}[/]", num(data["school_count"]), num(data["roster_rows"]),
                  num(data["aged_min_at_start"]), num(data["recorded"]))
    console.print(table)

    console.print(_("Students: {n} ({rows} roster rows; {transfers} transferred students are listed at two "
                    "schools; {leavers} in the leavers' exports)").format(
        n=num(data["students"]), rows=num(data["roster_rows"]), transfers=num(data["transfers"]),
        leavers=num(data["leavers"])), highlight=False, soft_wrap=True)
    console.print(_("Aged {age} or more on {start}: {n}; turning {age} during the drive: {turning}").format(
        age=data["min_age"], start=data["start"], n=num(data["aged_min_at_start"]),
        turning=num(data["turning_min_during_drive"])), highlight=False, soft_wrap=True)
    console.print(_("Already recorded (in the registry extract): {n}; still to record on the first day: "
                    "{eligible}; registry extract rows: {rows}").format(
        n=num(data["recorded"]), eligible=num(data["eligible_at_start"]), rows=num(data["registry_rows"])),
        highlight=False, soft_wrap=True)

    ft = Table(title=_("NIK findings by kind"), title_justify="left")
    ft.add_column(_("Finding"))
    ft.add_column(_("Code"))
    ft.add_column(_("Severity"))
    ft.add_column(_("Rows"), justify="right")
    sev = {"error": _("error"), "warning": _("warning"), "info": _("info")}
    for f in data["nik_findings"]:
        colour = "red" if f["severity"] == "error" else "yellow"
        ft.add_row(f["label"], f["code"], f"[{colour}]{sev.get(f['severity'], f['severity'])}[/]", num(f["count"]))
    console.print(ft)
    console.print(_("NIK cells without any finding: {n} of {rows}").format(
        n=num(data["nik_cells_without_findings"]), rows=num(data["roster_rows"])), highlight=False)
    if data["registered"]:
        console.print(_("Drive registered in the workspace {path} and made the current drive.").format(
            path=data["workspace"]), highlight=False, soft_wrap=True)
    else:
        console.print(_("No workspace at {path}: the drive was not registered (create one with: sweet17 init).")
                      .format(path=ws_path), highlight=False, soft_wrap=True)

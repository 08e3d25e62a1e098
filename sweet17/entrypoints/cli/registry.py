"""``sweet17 registry-extract import``: the list of residents Dukcapil has already recorded."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, err_console, json_option, open_workspace, print_json
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("The registry extract: residents already recorded for an e-KTP (from SIAK)."),
                      no_args_is_help=True)
    app.add_typer(sub, name="registry-extract")

    @sub.command("import", help=_("Import the registry extract (CSV or workbook; SIAK field names such as NIK, "
                                  "NAMA_LGKP, JENIS_KLMIN, TGL_LHR are recognised, others need --map) and match the "
                                  "students to it. It replaces the previous extract of the drive."))
    def import_(
        file: Path = typer.Argument(None, help=_("The extract (default: registry_extract in the drive file).")),
        map_path: Path = typer.Option(None, "--map", help=_("Column map (TOML) for other column names.")),
        drive: Path = typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive).")),
        json_out: bool = json_option(),
    ) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from sweet17.services.registry import SKIP_REASONS, import_extract

        ws = open_workspace()
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                      transient=True, disable=json_out or not err_console.is_terminal) as prog:
            task = prog.add_task(_("Reading the registry extract"), total=None)

            def tick(n: int) -> None:
                prog.update(task, description=_("{n} rows stored").format(n=n))

            rep = import_extract(ws, file, map_path=map_path, drive_path=drive, progress=tick)
        if json_out:
            print_json(rep.to_dict())
            return
        console.print(_("{file}: {persons} residents stored from {rows} rows.").format(
            file=rep.file.name, persons=rep.persons, rows=rep.rows), highlight=False, soft_wrap=True)
        for reason, n in rep.skipped.items():
            rows = ", ".join(str(r) for r in rep.skipped_rows.get(reason, []))
            console.print(_("Left out: {n} rows, {reason} (rows {rows}{more}).").format(
                n=n, reason=_(SKIP_REASONS.get(reason, reason)), rows=rows,
                more=", ..." if n > len(rep.skipped_rows.get(reason, [])) else ""), style="yellow",
                highlight=False, soft_wrap=True)
        if rep.bad_birth_dates:
            console.print(_("{n} rows have no readable birth date: they can still match by NIK.").format(
                n=rep.bad_birth_dates), style="yellow", highlight=False)
        if rep.match is not None:
            m = rep.match
            console.print(_("Students: {nik} matched by NIK, {name} by name and birth date, {review} to review "
                            "(sweet17 roster review), {none} not recorded yet.").format(
                nik=m.by_nik, name=m.by_name + m.by_decision, review=m.review, none=m.not_found),
                highlight=False, soft_wrap=True)

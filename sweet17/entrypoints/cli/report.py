"""``sweet17 report coverage|teams|quality|complaints|ikm|drive`` and ``sweet17 ikm import``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from sweet17.entrypoints.cli.common import (
    actor_name,
    actor_option,
    console,
    import_file,
    json_option,
    open_workspace,
    parse_date,
    print_json,
)
from sweet17.i18n import _

STYLES = {"bad": "red", "warn": "yellow", "good": "green"}


def print_tables(tables: list[Any]) -> None:
    """Rich tables from ``ReportTable`` objects (numbers right-aligned, flagged rows coloured)."""
    import copy

    from rich import box
    from rich.table import Table

    narrow = console.width < 130
    for t in tables:
        if not t.rows:          # nothing to show (no sessions yet, no rejections, ...)
            continue
        if narrow and any(c.optional for c in t.columns):
            keep = [j for j, c in enumerate(t.columns) if not c.optional]
            t = copy.copy(t)
            t.columns = [t.columns[j] for j in keep]
        table = Table(title=t.title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                      show_edge=False)
        rows = [t.cells(r) for r in t.rows] + ([t.cells(t.total)] if t.total is not None else [])
        for j, c in enumerate(t.columns):
            longest = max((len(r[j]) for r in rows), default=1)
            numeric = c.kind in ("int", "float", "pct")
            # the first (label) column does not wrap when it is short; long texts wrap
            table.add_column(c.short or c.header, justify="right" if numeric else "left", overflow="fold",
                             no_wrap=j == 0 and longest <= 24, max_width=60 if c.kind == "text" else None)
        for i, row in enumerate(t.rows):
            table.add_row(*t.cells(row), style=STYLES.get(t.highlight.get(i, ""), None))
        if t.total is not None:
            table.add_row(*t.cells(t.total), style="bold", end_section=False)
        console.print(table)
        for note in t.notes:
            console.print(f"[dim]{note}[/]", highlight=False, markup=True, soft_wrap=True)


def drive_option() -> Any:
    return typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive)."))


def export_option() -> Any:
    return typer.Option(False, "--export", help=_("Also write a styled workbook and PNG charts to exports/."))


def as_of_day(as_of: str | None) -> date:
    """The ``--as-of`` date, today when not given."""
    return parse_date(as_of, "--as-of") or date.today()


def _open_drive(drive: Path | None):  # type: ignore[no-untyped-def]
    """The workspace and the drive chosen with --drive (or its current drive)."""
    from sweet17.services.drives import current_drive

    ws = open_workspace()
    return ws, current_drive(ws, drive)


def _drive_or_none(ws, drive: Path | None):  # type: ignore[no-untyped-def]
    """The drive chosen with --drive or the current one; None when the workspace has none and none was given."""
    from sweet17.errors import UserError
    from sweet17.services.drives import current_drive

    if drive is None and not ws.get_meta("current_drive"):
        return None
    try:
        return current_drive(ws, drive)
    except UserError:
        if drive is not None:
            raise
        return None


def emit(ws, report: Any, *, name: str, title: str, loaded: Any, export: bool, json_out: bool,  # type: ignore[no-untyped-def]
         stamp: date) -> dict[str, Any]:
    """Print (tables or JSON) and, with --export, write the workbook and charts to exports/ (named after
    the drive, when there is one). Returns the export paths."""
    exports: dict[str, Any] = {}
    tables = None
    if export:
        from sweet17.services.reports.base import write_workbook

        slug = loaded.slug if loaded else ""
        base = f"{slug + '-' if slug else ''}{name}-{stamp.isoformat()}"
        charts = report.charts(ws.exports_dir / "charts" / base)
        tables = report.tables()
        xlsx = write_workbook(ws.exports_dir / f"{base}.xlsx", title, tables, charts, subtitle=slug,
                              charts_sheet=_("Charts"))
        exports = {"xlsx": str(xlsx), "charts": [str(c.path) for c in charts]}
        ws.audit(actor_name(None), "report.export", name, {"file": xlsx.name, "charts": len(charts)})
    if json_out:
        data = report.to_dict()
        if export:
            data["exports"] = exports
        print_json(data)
    else:
        if hasattr(report, "terminal_tables"):
            tables = report.terminal_tables()
        print_tables(tables if tables is not None else report.tables())
        if export:
            console.print(_("Workbook written: {path}").format(path=exports["xlsx"]), highlight=False, soft_wrap=True)
            for c in exports["charts"]:
                console.print(_("Chart written: {path}").format(path=c), highlight=False, soft_wrap=True)
    return exports


def ikm_history(loaded) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """Earlier IKM figures from the drive file's ``[reports.ikm_history]`` ("2021" = 3.32), if any."""
    import tomllib

    from sweet17.errors import ValidationError

    if loaded is None:
        return {}
    path = loaded.folder / "drive.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    raw = (data.get("reports") or {}).get("ikm_history") or {}
    out: dict[int, float] = {}
    for y, v in raw.items():
        try:
            out[int(y)] = float(v)
        except (TypeError, ValueError):
            raise ValidationError(_("{path}, field reports.ikm_history.{year}: '{value}' is not an index").format(
                path=path, year=y, value=v), path=path, field=f"reports.ikm_history.{y}") from None
        if not 1 <= out[int(y)] <= 4:
            raise ValidationError(_("{path}, field reports.ikm_history.{year}: {value} is not between 1 and 4")
                                  .format(path=path, year=y, value=v), path=path)
    return out


def register(app: typer.Typer) -> None:
    rep = typer.Typer(help=_("The drive's reports: coverage, teams, quality, complaints, satisfaction (IKM), and "
                             "the whole drive as one PDF."), no_args_is_help=True)
    app.add_typer(rep, name="report")

    @rep.command("coverage", help=_("Coverage per school, kecamatan and drive: on roster, eligible, recorded, at the "
                                    "hub, printed, delivered, and the first-time card holders' recording rate against "
                                    "earlier years."))
    def coverage(
        drive: Path = drive_option(),
        as_of: str = typer.Option(None, "--as-of", help=_("Count ages on this date for schools without a planned "
                                                          "visit (default today).")),
        export: bool = export_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.coverage import build_coverage

        ws, loaded = _open_drive(drive)
        day = as_of_day(as_of)
        report = build_coverage(ws, loaded, day)
        emit(ws, report, name="coverage", title=_("Coverage"), loaded=loaded, export=export, json_out=json_out,
             stamp=day)
        if not json_out:
            t = report.total
            if t.first_time_rate is not None:
                console.print(_("First-time card holders with a recording: {rate} (earlier years: {history}).").format(
                    rate=f"[bold]{t.first_time_rate * 100:.1f}%[/]",
                    history=", ".join(f"{y} {r * 100:.1f}%" for y, r in sorted(report.history.items())) or "-"),
                    highlight=False, soft_wrap=True)

    @rep.command("teams", help=_("Teams and kits: recordings per kit-hour, per operator, per day; travel against "
                                 "recording time."))
    def teams(
        drive: Path = drive_option(),
        as_of: str = typer.Option(None, "--as-of", help=_("Leave out planned days after this date (default today).")),
        export: bool = export_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.teams import build_teams

        ws, loaded = _open_drive(drive)
        day = as_of_day(as_of)
        report = build_teams(ws, loaded, day)
        emit(ws, report, name="teams", title=_("Teams"), loaded=loaded, export=export, json_out=json_out, stamp=day)

    @rep.command("quality", help=_("Capture quality: retries, force-captures, exceptions, NFIQ 2 scores, rejection "
                                   "reasons."))
    def quality(
        drive: Path = drive_option(),
        export: bool = export_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.quality import build_quality

        ws, loaded = _open_drive(drive)
        report = build_quality(ws, drive_slug=loaded.slug, school_names={s.code: s.name for s in loaded.drive.schools})
        emit(ws, report, name="quality", title=_("Quality"), loaded=loaded, export=export, json_out=json_out,
             stamp=date.today())

    @rep.command("drive", help=_("The whole drive's results for the head of the office: one PDF (with --pdf) and "
                                 "one workbook with every report."))
    def drive_(
        drive: Path = drive_option(),
        pdf: bool = typer.Option(False, "--pdf", help=_("Write the PDF to exports/.")),
        as_of: str = typer.Option(None, "--as-of", help=_("Figures as on this date (default today).")),
        out: Path = typer.Option(None, "--out", help=_("Folder for the files (default: exports/).")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.drive import build_drive_report

        ws, loaded = _open_drive(drive)
        result = build_drive_report(ws, loaded, as_of=as_of_day(as_of), out=Path(out) if out else ws.exports_dir,
                                    pdf=pdf, ikm_history=ikm_history(loaded), actor=actor_name(None))
        if json_out:
            print_json(result)
            return
        for label, key in ((_("PDF written: {path}"), "pdf"), (_("Workbook written: {path}"), "xlsx")):
            if result.get(key):
                console.print(label.format(path=result[key]), highlight=False, soft_wrap=True)
        console.print(_("{n} charts in {folder}").format(n=len(result["charts"]), folder=result["charts_folder"]),
                      highlight=False, soft_wrap=True)

    @rep.command("complaints", help=_("Complaints: share resolved against the 91% target, time to resolution, "
                                      "by category and channel."))
    def complaints(
        drive: Path = drive_option(),
        as_of: str = typer.Option(None, "--as-of", help=_("Figures as on this date (default today).")),
        since: str = typer.Option(None, "--since", help=_("Only complaints received on or after this date.")),
        export: bool = export_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.complaints import build_complaints

        ws = open_workspace()
        loaded = _drive_or_none(ws, drive)
        day = as_of_day(as_of)
        report = build_complaints(ws, as_of=day, since=parse_date(since, "--since"),
                                  drive_slug=loaded.slug if loaded else None)
        emit(ws, report, name="complaints", title=_("Complaints"), loaded=loaded, export=export, json_out=json_out,
             stamp=day)

    @rep.command("ikm", help=_("Public satisfaction index (IKM, Permenpan RB 14/2017) per period, with each "
                               "element's score and the weakest element."))
    def ikm_(
        drive: Path = drive_option(),
        period: str = typer.Option("all", "--period", help=_("month, quarter, semester, year or all.")),
        since: str = typer.Option(None, "--since", help=_("Responses on or after this date.")),
        until: str = typer.Option(None, "--until", help=_("Responses on or before this date.")),
        export: bool = export_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.ikm import build_ikm

        ws = open_workspace()
        loaded = _drive_or_none(ws, drive)
        report = build_ikm(ws, period=period, since=parse_date(since, "--since"), until=parse_date(until, "--until"),
                           drive_slug=loaded.slug if loaded else None, history=ikm_history(loaded))
        emit(ws, report, name="ikm", title=_("Public satisfaction index (IKM)"), loaded=loaded, export=export,
             json_out=json_out, stamp=date.today())

    _register_sample(app)

    ikm_app = typer.Typer(help=_("Satisfaction survey (IKM): import the questionnaires."), no_args_is_help=True)
    app.add_typer(ikm_app, name="ikm")

    @ikm_app.command("import", help=_("Import survey responses: one row per respondent with a date and the nine "
                                      "element scores U1-U9 (1-4, or a-d); all rows or none."))
    def ikm_import(
        file: Path = typer.Argument(..., help=_("The responses (.xlsx or .csv).")),
        by: str = actor_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.reports.ikm import import_survey

        res = import_file(import_survey, file, by)
        if json_out:
            print_json(res)
        else:
            console.print(_("{n} survey responses imported from {file} ({first} to {last}).").format(
                n=res["imported"], file=file.name, first=res["first_date"], last=res["last_date"]), highlight=False)


def _register_sample(app: typer.Typer) -> None:
    """``sweet17 sample ktpku-datang``: added to the ``sample`` group when it exists (it is registered first)."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "sample"), None)
    if group is None:
        group = typer.Typer(help=_("Sample data: a synthetic drive to try sweet17 with (only made-up people)."),
                            no_args_is_help=True)
        app.add_typer(group, name="sample")

    @group.command("ktpku-datang", help=_("Sample KTPku Datang data for the current drive: a printed-card list (from "
                                          "the recordings at the hub), a complaints register and IKM survey "
                                          "responses; written to the drive folder and imported into the workspace."))
    def ktpku_datang(
        drive: Path = drive_option(),
        seed: int = typer.Option(17, "--seed", help=_("Random seed: the same seed gives the same data.")),
        out: Path = typer.Option(None, "--out", help=_("Folder for the files (default: <drive>/ktpku-datang).")),
        load: bool = typer.Option(True, "--load/--no-load", help=_("Import the files into the workspace "
                                                                   "(default) or only write them.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.sample_reports import generate_ktpku_datang

        ws, loaded = _open_drive(drive)
        res = generate_ktpku_datang(ws, loaded, seed=seed, out_dir=out, load=load, actor=actor_name(None))
        if json_out:
            print_json(res.to_dict())
            return
        console.print(_("Sample KTPku Datang data written to {folder}: {cards} printed cards, {complaints} complaints, "
                        "{survey} survey responses.").format(folder=res.folder, cards=res.cards,
                                                             complaints=res.complaints, survey=res.survey),
                      highlight=False, soft_wrap=True)
        if load:
            console.print(_("Imported into the workspace. See: sweet17 report coverage, sweet17 report complaints, "
                            "sweet17 report ikm."), highlight=False, soft_wrap=True)

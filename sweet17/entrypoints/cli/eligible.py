"""``sweet17 eligible``: who needs recording, per school and kecamatan, and the call lists."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, parse_date, print_json
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    @app.command("eligible", help=_("Students old enough on the date (default: each school's planned visit date, "
                                    "else today) with no recording yet: counts per school and kecamatan; --export "
                                    "writes a workbook with one call list per school."))
    def eligible(
        as_of: str = typer.Option(None, "--as-of", help=_("Date to count ages on (YYYY-MM-DD).")),
        min_age: int = typer.Option(None, "--min-age", help=_("Minimum age (default: the drive's, usually 16).")),
        school: str = typer.Option(None, "--school", help=_("Only this school (and list its students).")),
        within_days: int = typer.Option(0, "--within-days", help=_("Also count those who reach the age within N days "
                                                                   "after the date (the next sweep).")),
        export: bool = typer.Option(False, "--export", help=_("Write exports/eligible-<drive>-<date>.xlsx.")),
        drive: Path = typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive).")),
        json_out: bool = json_option(),
    ) -> None:
        from rich.table import Table

        from sweet17.services.eligibility import eligibility, export_eligibility

        ws = open_workspace()
        rep = eligibility(ws, as_of=parse_date(as_of, "--as-of"), min_age=min_age, school=school,
                          within_days=within_days, drive_path=drive)
        path = export_eligibility(ws, rep) if export else None
        if json_out:
            data = rep.to_dict(with_students=bool(school))
            data["exported"] = str(path) if path else None
            print_json(data)
            return
        heads = [_("Students"), _("Recorded"), _("To record"), _("Blocked"), _("Age unknown"), _("To review"),
                 _("Foreign")]
        if within_days:
            heads.insert(4, _("Next sweep"))

        def vals(c) -> list[str]:  # type: ignore[no-untyped-def]
            v = [c.students, c.recorded, c.eligible, c.blocked, c.unknown_age, c.review, c.foreign]
            if within_days:
                v.insert(4, c.soon)
            return [str(x) for x in v]

        src = {"option": "--as-of", "plan": _("plan"), "today": _("today")}
        t = Table(title=_("Students to record (age {age}+), drive {drive}").format(age=rep.min_age, drive=rep.drive),
                  title_justify="left")
        t.add_column(_("School"))
        t.add_column(_("Kecamatan"))
        t.add_column(_("Date"))
        for h in heads:
            t.add_column(h, justify="right")
        for s in rep.schools:
            t.add_row(s.code, s.kecamatan, f"{s.as_of:%d/%m/%Y} ({src[s.as_of_source]})", *vals(s.counts))
        total = rep.total()
        t.add_row("[bold]" + _("Total") + "[/]", "", "", *[f"[bold]{v}[/]" for v in vals(total)])
        console.print(t)
        if not school:
            k = Table(title=_("Per kecamatan"), title_justify="left")
            k.add_column(_("Kecamatan"))
            for h in heads:
                k.add_column(h, justify="right")
            for name, c in rep.by_kecamatan().items():
                k.add_row(name, *vals(c))
            console.print(k)
        else:
            s = rep.schools[0]
            lst = Table(title=_("{school}: students to call on {date}").format(school=s.name,
                                                                              date=s.as_of.strftime("%d/%m/%Y")),
                        title_justify="left")
            for col in (_("No"), _("Class (Rombel)"), _("Name"), _("NISN"), _("Sex"), _("Birth date"), _("Note")):
                lst.add_column(col)
            for n, d in enumerate(s.call, 1):
                lst.add_row(str(n), d.rombel, d.name, d.nisn, d.sex, d.birth_date.strftime("%d/%m/%Y")
                            if d.birth_date else "-", "[red]" + _("data problem") + "[/]" if d.blocking else "")
            console.print(lst)
        if path:
            console.print(_("Written: {path}").format(path=path), highlight=False, soft_wrap=True)

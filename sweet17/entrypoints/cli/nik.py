"""``sweet17 nik``: decode and check NIKs from the command line."""

from __future__ import annotations

import typer

from sweet17.entrypoints.cli.common import console, json_option, parse_date, print_json
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    @app.command("nik", help=_("Decode NIKs: region, birth date, sex, serial, and every finding. "
                               "Exits with status 2 when a NIK has an error."))
    def nik(
        niks: list[str] = typer.Argument(..., help=_("One or more NIKs (16 digits).")),
        as_of: str = typer.Option(None, "--as-of", help=_("Reference date for the century of the birth year "
                                                          "(default: today).")),
        birth_date: str = typer.Option(None, "--birth-date", help=_("Birth date on the roster, to compare "
                                                                    "(YYYY-MM-DD).")),
        sex: str = typer.Option(None, "--sex", help=_("Sex on the roster, to compare: L or P.")),
        regency: str = typer.Option("6311", "--regency", help=_("The drive's regency code (default 6311 "
                                                                "Balangan).")),
        json_out: bool = json_option(),
    ) -> None:
        from datetime import date

        from rich.table import Table

        from sweet17.adapters.regions import national_regions
        from sweet17.domain import nik as nikcore
        from sweet17.domain.findings import SEVERITY_LABELS
        from sweet17.errors import UserError

        ref = parse_date(as_of, "--as-of") or date.today()
        bd = parse_date(birth_date, "--birth-date")
        if sex is not None and sex.upper() not in ("L", "P"):
            raise UserError(_("Option --sex: use L or P"))
        results = [nikcore.check(n, as_of=ref, birth_date=bd, sex=sex.upper() if sex else None,
                                 drive_regency=regency or None, regions=national_regions()) for n in niks]
        if json_out:
            print_json({"as_of": ref, "results": [r.to_dict(_) for r in results]})
        else:
            sex_label = {"L": _("male (L)"), "P": _("female (P)")}
            for r in results:
                table = Table(title=f"NIK {r.nik}", show_header=False, title_justify="left")
                status = _("valid") if r.ok else _("not valid")
                table.add_row(_("Status"), f"[{'green' if r.ok else 'red'}]{status}[/]")
                if r.parts:
                    table.add_row(_("Province"), f"{r.parts.province} {r.province_name or '?'}")
                    table.add_row(_("Regency"), f"{r.parts.regency} {r.regency_name or '?'}")
                    table.add_row(_("Kecamatan"), f"{r.parts.kecamatan} {r.kecamatan_name or '?'}")
                    table.add_row(_("Birth date"), r.birth_date.isoformat() if r.birth_date else "-")
                    table.add_row(_("Sex"), sex_label[r.parts.sex])
                    table.add_row(_("Serial"), r.parts.serial)
                for f in r.findings:
                    colour = "red" if f.severity == "error" else "yellow"
                    label = _(SEVERITY_LABELS[f.severity])
                    table.add_row(f"[{colour}]{label}[/]", f.render(_))
                console.print(table)
        if not all(r.ok for r in results):
            raise typer.Exit(2)

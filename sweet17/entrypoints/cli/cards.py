"""``sweet17 cards import FILE``: the list of printed cards (KTPku Datang)."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import actor_option, console, import_file, json_option, print_json
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("Printed cards (KTPku Datang): import the list of printed cards."), no_args_is_help=True)
    app.add_typer(sub, name="cards")

    @sub.command("import", help=_("Import the list of printed cards from the hub or the central system: NIK, print "
                                  "date, and the card serial or chip UID when known (CSV or xlsx; all rows or "
                                  "none)."))
    def import_(
        file: Path = typer.Argument(..., help=_("The printed-card list (.xlsx or .csv).")),
        by: str = actor_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.cards import import_cards

        res = import_file(import_cards, file, by)
        if json_out:
            print_json(res)
            return
        console.print(_("{rows} printed cards read from {file}: {new} new, {reprinted} reprinted, {unchanged} "
                        "already known, {older} older prints ignored.").format(
            rows=res["rows"], file=file.name, new=res["new"], reprinted=res["reprinted"], unchanged=res["unchanged"],
            older=res["older_kept"]), highlight=False, soft_wrap=True)
        console.print(_("{uid} with chip UID, {serial} with card serial; {matched} belong to recordings in this "
                        "workspace.").format(uid=res["with_uid"], serial=res["with_serial"],
                                              matched=res["matching_recordings"]), highlight=False, soft_wrap=True)

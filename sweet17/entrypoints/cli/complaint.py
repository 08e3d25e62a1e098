"""``sweet17 complaint add|resolve|list|import``: the complaints register (pengaduan)."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import (
    actor_name,
    actor_option,
    console,
    current_drive_slug,
    import_file,
    json_option,
    open_workspace,
    parse_date,
    print_json,
)
from sweet17.i18n import _


def register(app: typer.Typer) -> None:
    from sweet17.domain import complaints as core

    sub = typer.Typer(help=_("The complaints register (pengaduan): add, resolve, list and import complaints."),
                      no_args_is_help=True)
    app.add_typer(sub, name="complaint")

    @sub.command("add", help=_("Register a complaint. Channels: {channels}. Categories: {categories}.").format(
        channels=", ".join(core.CHANNELS), categories=", ".join(core.CATEGORIES)))
    def add(
        channel: str = typer.Option(..., "--channel", help=_("How it came in (e.g. whatsapp, in_person, lapor).")),
        category: str = typer.Option(..., "--category", help=_("What it is about (e.g. not_delivered, queue).")),
        text_: str = typer.Option(..., "--text", help=_("The complaint in a few words.")),
        received: str = typer.Option(None, "--date", help=_("Date received (YYYY-MM-DD, default today).")),
        school: str = typer.Option("", "--school", help=_("School code, when it concerns a school.")),
        name: str = typer.Option("", "--name", help=_("The complainant's name (optional).")),
        contact: str = typer.Option("", "--contact", help=_("Phone or e-mail for the answer (kept private).")),
        nik: str = typer.Option("", "--nik", help=_("The NIK concerned (kept private).")),
        by: str = actor_option(),
        json_out: bool = json_option(),
    ) -> None:
        from datetime import date

        from sweet17.services.complaints import add_complaint, get_complaint

        ws = open_workspace()
        cid = add_complaint(ws, received_on=parse_date(received, "--date") or date.today(), channel=channel,
                            category=category, description=text_, school_code=school, complainant=name,
                            contact=contact, nik=nik, drive_slug=current_drive_slug(ws), actor=actor_name(by))
        rec = get_complaint(ws, cid)
        if json_out:
            print_json(rec.to_dict())
        else:
            console.print(_("Complaint {id} registered ({category}, via {channel}).").format(
                id=cid, category=_(core.CATEGORIES[rec.category]), channel=_(core.CHANNELS[rec.channel])),
                highlight=False)

    @sub.command("resolve", help=_("Record how a complaint was resolved."))
    def resolve(
        complaint_id: str = typer.Argument(..., help=_("Complaint number (ADU-YYYY-NNNN).")),
        text_: str = typer.Option(..., "--text", help=_("What was done.")),
        resolved: str = typer.Option(None, "--date", help=_("Date resolved (YYYY-MM-DD, default today).")),
        by: str = actor_option(),
        json_out: bool = json_option(),
    ) -> None:
        from datetime import date

        from sweet17.services.complaints import resolve_complaint

        ws = open_workspace()
        rec = resolve_complaint(ws, complaint_id.strip().upper(), resolution=text_,
                                resolved_on=parse_date(resolved, "--date") or date.today(), actor=actor_name(by))
        if json_out:
            print_json(rec.to_dict())
        else:
            console.print(_("Complaint {id} resolved after {days} day(s).").format(
                id=rec.id, days=(rec.resolved_on - rec.received_on).days), highlight=False)  # type: ignore[operator]

    @sub.command("list", help=_("List complaints, with the share resolved against the 91% target."))
    def list_(
        status: str = typer.Option("all", "--status", help=_("all, open or resolved.")),
        since: str = typer.Option(None, "--since", help=_("Received on or after (YYYY-MM-DD).")),
        until: str = typer.Option(None, "--until", help=_("Received on or before (YYYY-MM-DD).")),
        category: str = typer.Option(None, "--category", help=_("Only this category.")),
        channel: str = typer.Option(None, "--channel", help=_("Only this channel.")),
        json_out: bool = json_option(),
    ) -> None:
        from datetime import date

        from rich.table import Table

        from sweet17.errors import UserError
        from sweet17.services.complaints import complaint_stats, list_complaints

        if status not in ("all", "open", "resolved"):
            raise UserError(_("--status: use all, open or resolved"), field="--status")
        ws = open_workspace()
        today = date.today()
        d_since, d_until = parse_date(since, "--since"), parse_date(until, "--until")
        items = list_complaints(ws, status=status, since=d_since, until=d_until, category=category,
                                channel=channel)
        st = complaint_stats(ws, as_of=d_until or today, since=d_since)
        if json_out:
            print_json({"complaints": [c.to_dict(today) for c in items], "summary": st.to_dict()})
            return
        table = Table(title=_("Complaints"), title_justify="left")
        for col in (_("Number"), _("Received"), _("Channel"), _("Category"), _("School"), _("Complaint"),
                    _("Status"), _("Days")):
            table.add_column(col)
        done_word, open_word = _("resolved"), _("open")
        for c in items:
            days = (c.resolved_on - c.received_on).days if c.resolved_on else (today - c.received_on).days
            table.add_row(c.id, c.received_on.isoformat(), _(core.CHANNELS.get(c.channel, c.channel)),
                          _(core.CATEGORIES.get(c.category, c.category)), c.school_code or "-", c.description,
                          f"[green]{done_word}[/]" if c.resolved_on else f"[yellow]{open_word}[/]", str(days))
        console.print(table)
        console.print(summary_line(st), highlight=False)

    @sub.command("import", help=_("Import a complaints register kept in a spreadsheet or CSV (all rows or none)."))
    def import_(
        file: Path = typer.Argument(..., help=_("The register (.xlsx or .csv).")),
        by: str = actor_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.complaints import import_complaints

        res = import_file(import_complaints, file, by)
        if json_out:
            print_json(res)
        else:
            console.print(_("{n} complaints imported from {file} ({first} to {last}).").format(
                n=res["imported"], file=file.name, first=res["first_id"], last=res["last_id"]), highlight=False)


def summary_line(st) -> str:  # type: ignore[no-untyped-def]
    """One line: received, resolved, share against the target, median days."""
    if not st.received:
        return _("No complaints received.")
    share = f"{st.share_resolved * 100:.1f}%"
    verdict = _("target met") if st.meets_target else _("below target")
    colour = "green" if st.meets_target else "red"
    median = "-" if st.days_median is None else f"{st.days_median:g}"
    return _("Received {received}, resolved {resolved} ({share}; target {target}: {verdict}), open {open}, "
             "median {median} day(s) to resolve.").format(
        received=st.received, resolved=st.resolved, share=f"[{colour}]{share}[/]",
        target=f"{st.target * 100:.0f}%", verdict=f"[{colour}]{verdict}[/]", open=st.open, median=median)

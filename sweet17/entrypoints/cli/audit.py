"""``sweet17 audit verify|list``: the hash-chained audit trail of operator actions."""

from __future__ import annotations

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, parse_date, print_json
from sweet17.i18n import _

EXIT_TAMPERED = 3


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help=_("The audit trail: who did what, and a check that nothing was changed."),
                            no_args_is_help=True)
    app.add_typer(audit_app, name="audit")

    @audit_app.command("verify", help=_("Check the audit trail's hash chain, its signed anchor and that every "
                                        "recording has its entry. Exit status 3 when something was changed or removed."))
    def verify(json_out: bool = json_option()) -> None:
        from sweet17.services.session.audit_trail import verify as run_verify

        report = run_verify(open_workspace())
        if json_out:
            print_json(report.to_dict(_))
        elif report.ok:
            console.print(_("Audit trail intact: {n} entries, head {seq} ({hash}).").format(
                n=report.entries, seq=report.head_seq, hash=report.head_hash[:16]), highlight=False)
        else:
            console.print("[bold red]" + _("The audit trail was changed: {n} problems.").format(
                n=len(report.problems)) + "[/]")
            for p in report.to_dict(_)["problems"]:
                where = _("entry {seq}").format(seq=p["seq"]) if p["seq"] else p.get("object", "")
                console.print(f"  - {where}: {p['message']}", highlight=False)
        if not report.ok:
            raise typer.Exit(EXIT_TAMPERED)

    @audit_app.command("list", help=_("Show the latest audit entries (newest first)."))
    def list_(
        action: str = typer.Option(None, "--action", help=_("Only this action (or prefix, e.g. capture).")),
        actor: str = typer.Option(None, "--actor", help=_("Only this user.")),
        obj: str = typer.Option(None, "--object", help=_("Only this object (check-in, recording, session id).")),
        since: str = typer.Option(None, "--since", help=_("From this date (YYYY-MM-DD).")),
        limit: int = typer.Option(50, "--limit", min=1, max=100000, help=_("How many entries.")),
        json_out: bool = json_option(),
    ) -> None:
        from rich.table import Table

        from sweet17.services.session.audit_trail import list_entries

        d = parse_date(since, "--since")
        entries = list_entries(open_workspace(), action=action, actor=actor, obj=obj,
                               since=d.isoformat() if d else None, limit=limit)
        if json_out:
            print_json({"entries": entries})
            return
        table = Table(title=_("Audit trail"), title_justify="left")
        for col in ("#", _("Time"), _("User"), _("Action"), _("Object"), _("Details")):
            table.add_column(col, overflow="fold")
        for e in entries:
            details = ", ".join(f"{k}={v}" for k, v in e["details"].items())
            table.add_row(str(e["seq"]), e["ts"][:19], e["actor"], e["action"], e["object"][:36], details[:80])
        console.print(table)

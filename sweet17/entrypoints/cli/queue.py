"""``sweet17 queue``: the supervisor's review of the day's recordings (approve, reject, purge)."""

from __future__ import annotations

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, print_json
from sweet17.i18n import _

PASSWORD_ENV = "SWEET17_SUPERVISOR_PASSWORD"


def _local(ts: str) -> str:
    """An ISO UTC time as the laptop's local time (WITA in Balangan), to the minute."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ts[:16]


def _supervisor(ws, username: str, password: str | None) -> str:  # type: ignore[no-untyped-def]
    from sweet17.services.sync.queue import sign_in_supervisor

    if password is None:
        password = typer.prompt(_("Password for {user}").format(user=username), hide_input=True)
    return sign_in_supervisor(ws, username, password)


def _supervisor_option():  # type: ignore[no-untyped-def]
    return typer.Option(..., "--supervisor", "-s", help=_("The supervisor's username; the password is asked for "
                                                          "(or read from SWEET17_SUPERVISOR_PASSWORD)."))


def _password_option():  # type: ignore[no-untyped-def]
    return typer.Option(None, "--password", envvar=PASSWORD_ENV, hidden=True)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("The recordings queue on this laptop: review, approve or reject, and what is held."),
                      invoke_without_command=True)
    app.add_typer(sub, name="queue")

    @sub.callback()
    def queue(
        ctx: typer.Context,
        status: str = typer.Option(None, "--status", help=_("Only this status: captured, approved, rejected, synced "
                                                            "or acknowledged.")),
        json_out: bool = json_option(),
    ) -> None:
        # Recordings by status, quality flags (force-captured, exceptions) first, and what is held and why.
        if ctx.invoked_subcommand is not None:
            return
        from rich.table import Table

        from sweet17.services.sync import protocol as P
        from sweet17.services.sync.queue import counts, list_queue

        ws = open_workspace()
        items = list_queue(ws, status)
        if json_out:
            print_json({"counts": counts(items), "recordings": [i.to_dict() for i in items]})
            return
        if not items:
            console.print(_("The queue is empty."))
            return
        table = Table(title=_("Recordings queue"), title_justify="left")
        for col in (_("ID"), _("Status"), _("Flags"), _("Name"), _("School"), _("Captured"), _("Hub status"),
                    _("Payload")):
            table.add_column(col, overflow="fold")
        for i in items:
            flags = []
            if i.force_captured:
                flags.append(_("force-captured"))
            if i.exceptions:
                flags.append(_("exceptions: {list}").format(list=", ".join(i.exceptions)))
            if i.retries:
                flags.append(_("{n} retries").format(n=i.retries))
            hub = _(P.HUB_STATUS_LABELS[i.hub_status]) if i.hub_status in P.HUB_STATUS_LABELS else "-"
            st = _(i.status)
            if i.status == "rejected" and i.rejected_reason:
                st += f" ({i.rejected_reason})"
            held = i.held_text() + (f" [red]{i.last_error}[/]" if i.last_error and i.status == "approved" else "")
            table.add_row(i.id[:8], st, f"[yellow]{'; '.join(flags)}[/]" if flags else "", i.name, i.school_code,
                          _local(i.captured_at), hub, held)
        console.print(table)
        c = counts(items)
        console.print(_("{captured} captured, {approved} approved, {rejected} rejected, {synced} synced, "
                        "{acknowledged} acknowledged; {flagged} flagged; {held} payloads held on this laptop.").format(
            captured=c["captured"], approved=c["approved"], rejected=c["rejected"], synced=c["synced"],
            acknowledged=c["acknowledged"], flagged=c["flagged"], held=c["payloads_held"]),
            highlight=False, soft_wrap=True)

    @sub.command("approve", help=_("Approve recordings (the supervisor signs in). Flagged recordings must be named; "
                                   "--all-clean approves every captured recording without flags."))
    def approve(
        ids: list[str] = typer.Argument(None, help=_("Recording IDs (or their first 6+ characters).")),
        all_clean: bool = typer.Option(False, "--all-clean", help=_("Also approve every captured recording without "
                                                                    "quality flags.")),
        all_captured: bool = typer.Option(False, "--all", help=_("Approve every captured recording, flagged ones "
                                                                 "too (after reviewing them in sweet17 queue).")),
        supervisor: str = _supervisor_option(),
        password: str = _password_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.sync.queue import approve as do_approve

        ws = open_workspace()
        who = _supervisor(ws, supervisor, password)
        res = do_approve(ws, list(ids or []), who, all_clean=all_clean, all_captured=all_captured)
        if json_out:
            print_json({**res.to_dict(), "supervisor": who})
            return
        console.print(_("{n} recordings approved by {who}.").format(n=len(res.decided), who=who), highlight=False)
        for s in res.skipped:
            console.print(_("{id}: already approved").format(id=s["id"][:8]), highlight=False)

    @sub.command("reject", help=_("Reject recordings with a reason (the supervisor signs in); the students go back "
                                  "to the next visit's list."))
    def reject(
        ids: list[str] = typer.Argument(..., help=_("Recording IDs (or their first 6+ characters).")),
        reason: str = typer.Option(..., "--reason", "-r", help=_("Why the recording is rejected.")),
        supervisor: str = _supervisor_option(),
        password: str = _password_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.sync.queue import reject as do_reject

        ws = open_workspace()
        who = _supervisor(ws, supervisor, password)
        res = do_reject(ws, list(ids), who, reason)
        if json_out:
            print_json({**res.to_dict(), "supervisor": who, "reason": reason})
            return
        console.print(_("{n} recordings rejected by {who}; the students will be called again at the next "
                        "visit.").format(n=len(res.decided), who=who), highlight=False, soft_wrap=True)

    @sub.command("purge", help=_("Delete the biometric payloads that the hub has acknowledged with a receipt and "
                                 "whose retention period has passed (sync does this too)."))
    def purge_(
        dry_run: bool = typer.Option(False, "--dry-run", help=_("Only show what would be deleted.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.sync.queue import purge

        ws = open_workspace()
        res = purge(ws, dry_run=dry_run)
        if json_out:
            print_json(res.to_dict())
            return
        msg = _("{n} payloads would be deleted ({mb:.1f} MB).") if dry_run else _("{n} payloads deleted ({mb:.1f} MB).")
        console.print(msg.format(n=len(res.purged), mb=res.bytes_freed / 1e6), highlight=False)

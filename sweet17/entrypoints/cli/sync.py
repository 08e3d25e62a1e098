"""``sweet17 sync``: send approved recordings to the hub (HTTP or USB bundle), enrolment, receipts;
``sweet17 keys``: this laptop's key and the hub's keys."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, err_console, json_option, open_workspace, print_json
from sweet17.i18n import _


class RichProgress:
    """The sync progress bar: bytes (with speed) and recordings, on stderr."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                           TimeRemainingColumn(), console=err_console, transient=False)
        self._r = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console)
        self._bytes = self._recs = None

    def start(self, recordings: int, total_bytes: int) -> None:
        from rich.console import Group
        from rich.live import Live

        self._bytes = self._p.add_task(_("Data"), total=max(total_bytes, 1))
        self._recs = self._r.add_task(_("Recordings"), total=max(recordings, 1))
        self._live = Live(Group(self._p, self._r), console=err_console, refresh_per_second=8, transient=False)
        self._live.start()

    def advance(self, nbytes: int) -> None:
        if self._bytes is not None:
            self._p.advance(self._bytes, nbytes)

    def recording_done(self) -> None:
        if self._recs is not None:
            self._r.advance(self._recs, 1)

    def note(self, message: str) -> None:
        err_console.print(message, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self._bytes is not None:
            self._live.stop()


def _report(res, json_out: bool) -> None:  # type: ignore[no-untyped-def]
    if json_out:
        print_json(res.to_dict())
        return
    if res.mode == "bundle":
        if not res.file:
            console.print(_("Nothing to send: no approved recording and no card hand-over is waiting for a receipt."))
            return
        console.print(_("Bundle {file} written: {n} recordings, {d} card hand-overs, {mb:.1f} MB. Take it to the "
                        "office (sweet17 hub import-bundle), then import the receipts file it gives back (sweet17 "
                        "sync import-receipts).").format(file=res.file, n=res.sent, d=res.deliveries_sent,
                                                         mb=res.bytes_sent / 1e6), highlight=False, soft_wrap=True)
    else:
        refused = sum(1 for r in res.refused if r.get("kind", "recording") == "recording")
        console.print(_("{sent} recordings sent, {already} already at the hub, {refused} refused; {mb:.1f} MB sent. "
                        "{statuses} status updates, {acked} recordings acknowledged, {purged} payloads deleted after "
                        "retention.").format(sent=res.sent, already=res.already, refused=refused,
                                             mb=res.bytes_sent / 1e6, statuses=res.statuses, acked=res.acknowledged,
                                             purged=res.purged), highlight=False, soft_wrap=True)
        if res.deliveries:
            console.print(_("{sent} card hand-overs sent, {already} already at the hub, {refused} refused.").format(
                sent=res.deliveries_sent, already=res.deliveries_already, refused=len(res.refused) - refused),
                highlight=False, soft_wrap=True)
    for r in res.refused:
        if r.get("kind") == "delivery":
            err_console.print(_("Card hand-over {id} not sent: {detail}").format(id=r["id"][:8], detail=r["detail"]),
                              highlight=False, soft_wrap=True)
        else:
            err_console.print(_("Recording {id} not sent: {detail}").format(id=r["id"][:8], detail=r["detail"]),
                              highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("Send approved recordings to the office hub over the network or on a USB stick, and "
                             "bring back receipts and statuses."), invoke_without_command=True)
    app.add_typer(sub, name="sync")

    @sub.callback()
    def sync(
        ctx: typer.Context,
        hub: str = typer.Option(None, "--hub", help=_("The hub's address, e.g. http://10.0.0.5:8717 (default: the "
                                                      "one this laptop was enrolled with).")),
        bundle: Path = typer.Option(None, "--bundle", help=_("Write a signed bundle file (or into this folder) for "
                                                             "a USB stick instead of sending over the network.")),
        no_progress: bool = typer.Option(False, "--no-progress", help=_("Do not show the progress bar.")),
        json_out: bool = json_option(),
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        from sweet17.services.sync.laptop import sync_http, write_bundle

        ws = open_workspace()
        # The bar only on a terminal: in a log (make, cron) it would be noise.
        progress = None if (json_out or no_progress or not err_console.is_terminal) else RichProgress()
        try:
            if bundle is not None:
                res = write_bundle(ws, bundle, progress=progress)
            else:
                res = sync_http(ws, hub, progress=progress)
        finally:
            if progress is not None:
                progress.close()
        _report(res, json_out)
        if res.refused:
            raise typer.Exit(3)

    @sub.command("enrol", help=_("Register this laptop with the office hub and install the hub's keys; the hub "
                                 "administrator then approves it."))
    def enrol(
        hub: str = typer.Option(..., "--hub", help=_("The hub's address, e.g. http://10.0.0.5:8717.")),
        name: str = typer.Option(None, "--name", help=_("A name for this laptop (default: the computer's name).")),
        fingerprint: str = typer.Option(None, "--fingerprint", help=_("The hub key fingerprint the office gave "
                                                                      "you, to check the hub is the right one.")),
        replace: bool = typer.Option(False, "--replace", help=_("Replace the keys of another hub this laptop was "
                                                                "enrolled with.")),
        ca: Path = typer.Option(None, "--ca", help=_("For an HTTPS hub: the office's certificate (PEM) to trust; "
                                                     "remembered for later syncs.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.sync.laptop import enrol as do_enrol

        ws = open_workspace()
        res = do_enrol(ws, hub, name=name, expect_fingerprint=fingerprint, replace=replace,
                       ca_file=str(ca) if ca else None)
        if json_out:
            print_json(res)
            return
        console.print(_("Enrolled with hub {hub} (key fingerprint {hfp}). This laptop is {id}, key fingerprint {lfp}."
                        ).format(hub=res["hub_id"], hfp=res["hub_fingerprint"], id=res["laptop_id"],
                                 lfp=res["laptop_fingerprint"]), highlight=False, soft_wrap=True)
        if res["status"] == "approved":
            console.print(_("The hub has approved this laptop: recordings can be sent."))
        else:
            console.print(_("Waiting for approval: at the hub, compare the fingerprint and run: sweet17 hub laptops "
                            "approve {id}").format(id=res["laptop_id"]), highlight=False, soft_wrap=True)

    @sub.command("import-receipts", help=_("Import the receipts file the hub wrote for a USB bundle."))
    def import_receipts(
        file: Path = typer.Argument(..., help=_("The receipts file (….receipts.json).")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.sync.laptop import import_receipts as do_import

        ws = open_workspace()
        res = do_import(ws, file)
        if json_out:
            print_json(res.to_dict())
            return
        console.print(_("{new} new receipts, {already} already held; {statuses} status updates, {acked} recordings "
                        "acknowledged, {purged} payloads deleted after retention.").format(
            new=res.sent, already=res.already, statuses=res.statuses, acked=res.acknowledged, purged=res.purged),
            highlight=False, soft_wrap=True)
        if res.deliveries:
            console.print(_("Card hand-overs: {new} new receipts, {already} already held.").format(
                new=res.deliveries_sent, already=res.deliveries_already), highlight=False, soft_wrap=True)

    keys = typer.Typer(help=_("This laptop's signing key and the hub's keys."), no_args_is_help=True)
    app.add_typer(keys, name="keys")

    @keys.command("show", help=_("Show this laptop's id and key fingerprint, and the hub it is enrolled with."))
    def keys_show(json_out: bool = json_option()) -> None:
        from sweet17.adapters import crypto
        from sweet17.services.keys import hub_keys, laptop_id, laptop_public

        ws = open_workspace()
        hk = hub_keys(ws)
        data = {"laptop_id": laptop_id(ws), "laptop_fingerprint": crypto.fingerprint(laptop_public(ws)),
                "hub_id": hk.hub_id if hk else None, "hub_url": hk.url if hk else None,
                "hub_fingerprint": crypto.fingerprint(hk.sign_public) if hk else None}
        if json_out:
            print_json(data)
            return
        console.print(_("Laptop {id}, key fingerprint {fp}").format(id=data["laptop_id"], fp=data["laptop_fingerprint"]),
                      highlight=False)
        if hk:
            console.print(_("Hub {hub} at {url}, key fingerprint {fp}").format(
                hub=hk.hub_id or "-", url=hk.url or "-", fp=data["hub_fingerprint"]), highlight=False)
        else:
            console.print(_("No hub keys yet (sweet17 sync enrol --hub URL, or sweet17 keys import-hub FILE)."))

    @keys.command("import-hub", help=_("Install the hub's public keys from the file sweet17 hub init wrote "
                                       "(hub_public.json), for laptops prepared without a network."))
    def import_hub(
        file: Path = typer.Argument(..., help=_("The hub's public key file.")),
        url: str = typer.Option(None, "--url", help=_("The hub's address, to remember for sync.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.adapters import crypto
        from sweet17.services.sync.laptop import import_hub_keys

        ws = open_workspace()
        k = import_hub_keys(ws, file, url)
        data = {"hub_id": k.hub_id, "hub_url": k.url, "hub_fingerprint": crypto.fingerprint(k.sign_public)}
        if json_out:
            print_json(data)
            return
        console.print(_("Hub keys installed: hub {hub}, key fingerprint {fp}.").format(
            hub=k.hub_id or "-", fp=data["hub_fingerprint"]), highlight=False)

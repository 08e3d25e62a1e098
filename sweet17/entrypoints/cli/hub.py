"""``sweet17 hub``: the office registry hub — set-up, serving, laptops, USB bundles, statuses, export."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import console, json_option, print_json
from sweet17.i18n import _


def _data_option():  # type: ignore[no-untyped-def]
    return typer.Option(None, "--data", envvar="SWEET17_HUB_DATA",
                        help=_("The hub's data folder (default: SWEET17_HUB_DATA or the user data folder)."))


def _db_option():  # type: ignore[no-untyped-def]
    return typer.Option(None, "--db", help=_("Database URL: sqlite:///PATH (default, in the data folder) or "
                                             "postgresql://USER@HOST:PORT/DB (also SWEET17_HUB_DB)."))


def _open(data: Path | None, db: str | None = None):  # type: ignore[no-untyped-def]
    from sweet17.services.hub.config import open_hub

    return open_hub(data, db)


def _who(by: str | None) -> str:
    import getpass

    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "admin"


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("The office registry hub: receives recordings from laptops, keeps them, and passes "
                             "them on to the central system."), no_args_is_help=True)
    app.add_typer(sub, name="hub")

    @sub.command("init", help=_("Create a hub: its keys, configuration and database."))
    def init(data: Path = _data_option(), db: str = _db_option(),
             name: str = typer.Option("", "--name", help=_("The office's name, shown to laptops.")),
             json_out: bool = json_option()) -> None:
        from sweet17.adapters import crypto
        from sweet17.adapters.hubstore import redact_url
        from sweet17.services.hub.config import PUBLIC_FILE, default_hub_dir, init_hub

        hub = init_hub(data or default_hub_dir(), db, name)
        info = {"hub_id": hub.hub_id, "data": str(hub.data_dir), "database": redact_url(hub.store.url),
                "dialect": hub.store.dialect, "fingerprint": crypto.fingerprint(hub.sign_public),
                "public_keys": str(hub.data_dir / PUBLIC_FILE)}
        hub.close()
        if json_out:
            print_json(info)
            return
        console.print(_("Hub {id} created in {path} ({dialect}). Key fingerprint {fp}; laptops check it when they "
                        "enrol. Public keys for laptops: {pub}").format(
            id=info["hub_id"], path=info["data"], dialect=info["dialect"], fp=info["fingerprint"],
            pub=info["public_keys"]), highlight=False, soft_wrap=True)

    @sub.command("serve", help=_("Run the hub's intake service (HTTP) until stopped with Ctrl-C."))
    def serve(data: Path = _data_option(), db: str = _db_option(),
              host: str = typer.Option("127.0.0.1", "--host", help=_("Address to listen on (0.0.0.0 for the "
                                                                      "office network).")),
              port: int = typer.Option(8717, "--port", help=_("Port to listen on.")),
              tls_cert: Path = typer.Option(None, "--tls-cert", help=_("Serve HTTPS with this certificate (PEM); "
                                                                       "laptops trust it with sync enrol --ca.")),
              tls_key: Path = typer.Option(None, "--tls-key", help=_("The certificate's private key (PEM)."))) -> None:
        from sweet17.adapters import crypto
        from sweet17.adapters.hubstore import redact_url
        from sweet17.entrypoints.hub.server import serve as run_server
        from sweet17.errors import UserError

        if (tls_cert is None) != (tls_key is None):
            raise UserError(_("Give both --tls-cert and --tls-key, or neither"), field="--tls-cert")
        for f in (tls_cert, tls_key):
            if f is not None and not f.is_file():
                raise UserError(_("File {path} not found").format(path=f), path=f)
        hub = _open(data, db)
        scheme = "https" if tls_cert else "http"
        console.print(_("Hub {id} ({db}) listening on {scheme}://{host}:{port}, key fingerprint {fp}").format(
            id=hub.hub_id, db=redact_url(hub.store.url), scheme=scheme, host=host, port=port,
            fp=crypto.fingerprint(hub.sign_public)), highlight=False, soft_wrap=True)
        try:
            run_server(hub, host, port, tls_cert=str(tls_cert) if tls_cert else None,
                       tls_key=str(tls_key) if tls_key else None)
        finally:
            hub.close()

    laptops = typer.Typer(help=_("Laptops that send recordings to this hub."), no_args_is_help=True)
    sub.add_typer(laptops, name="laptops")

    @laptops.command("list", help=_("List laptops with their status, key fingerprint and refused attempts."))
    def laptops_list(data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from rich.table import Table

        from sweet17.services.hub.laptops import list_laptops

        hub = _open(data, db)
        rows = list_laptops(hub)
        hub.close()
        if json_out:
            print_json({"laptops": rows})
            return
        if not rows:
            console.print(_("No laptop has enrolled yet."))
            return
        t = Table(title=_("Laptops"), title_justify="left")
        for c in (_("Laptop"), _("Name"), _("Status"), _("Fingerprint"), _("Recordings"), _("Refused"),
                  _("Last seen")):
            t.add_column(c, overflow="fold")
        labels = {"pending": _("waiting for approval"), "approved": _("approved"), "revoked": _("revoked")}
        for r in rows:
            t.add_row(r["laptop_id"], r["name"], labels[r["status"]], r["fingerprint"], str(r["recordings"]),
                      str(r["refused_attempts"]), (r["last_seen_at"] or "-")[:16])
        console.print(t)

    @laptops.command("approve", help=_("Approve a laptop's key after comparing its fingerprint."))
    def laptops_approve(laptop: str = typer.Argument(..., help=_("Laptop id (or its first characters).")),
                        fingerprint: str = typer.Option(None, "--fingerprint", help=_("The fingerprint the laptop "
                                                                                      "shows, to check it.")),
                        by: str = typer.Option(None, "--by", help=_("Who approves (default: the computer's user "
                                                                    "name).")),
                        data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.laptops import approve

        hub = _open(data, db)
        try:
            res = approve(hub, laptop, _who(by), fingerprint)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        console.print(_("Laptop {id} ({name}) approved.").format(id=res["laptop_id"], name=res["name"]),
                      highlight=False)

    @laptops.command("revoke", help=_("Revoke a laptop's key (lost or stolen laptop): its requests and bundles are "
                                      "refused from now on."))
    def laptops_revoke(laptop: str = typer.Argument(..., help=_("Laptop id (or its first characters).")),
                       reason: str = typer.Option(..., "--reason", help=_("Why the key is revoked.")),
                       by: str = typer.Option(None, "--by", help=_("Who revokes (default: the computer's user name).")),
                       data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.laptops import revoke

        hub = _open(data, db)
        try:
            res = revoke(hub, laptop, _who(by), reason)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        console.print(_("Laptop {id} revoked.").format(id=res["laptop_id"]), highlight=False)

    @sub.command("log", help=_("The hub's access log: enrolments, decisions, imports and refused attempts."))
    def log(refused: bool = typer.Option(False, "--refused", help=_("Only refused attempts.")),
            limit: int = typer.Option(50, "--limit", help=_("How many entries, newest first.")),
            data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from rich.table import Table

        from sweet17.services.hub.laptops import access_log

        hub = _open(data, db)
        rows = access_log(hub, limit, refused)
        hub.close()
        if json_out:
            print_json({"entries": rows})
            return
        t = Table(title=_("Access log"), title_justify="left")
        for c in (_("Time"), _("Laptop"), _("Action"), _("Outcome"), _("Detail")):
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(r["at"][:19], r["laptop_id"][:12], r["action"], r["outcome"], r["detail"])
        console.print(t)

    @sub.command("import-bundle", help=_("Load a laptop's USB bundle (all of it or nothing) and write the receipts "
                                         "file to take back to the laptop."))
    def import_bundle(file: Path = typer.Argument(..., help=_("The bundle file (.s17b).")),
                      receipts: Path = typer.Option(None, "--receipts", help=_("Where to write the receipts (default: "
                                                                               "next to the bundle).")),
                      data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.bundles import import_bundle as do_import

        hub = _open(data, db)
        try:
            res = do_import(hub, file, receipts)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        console.print(_("{n} recordings in the bundle: {new} new, {already} already held. Receipts written to "
                        "{receipts}: import them on the laptop with sweet17 sync import-receipts.").format(
            n=res["recordings"], new=res["imported"], already=res["already"], receipts=res["receipts"]),
            highlight=False, soft_wrap=True)
        if res["deliveries"]:
            console.print(_("{n} card hand-overs in the bundle: {new} new, {already} already held.").format(
                n=res["deliveries"], new=res["deliveries_imported"], already=res["deliveries_already"]),
                highlight=False, soft_wrap=True)

    @sub.command("status", help=_("Everything the hub knows about a NIK: recordings, statuses, duplicate flags."))
    def status(nik: str = typer.Argument(..., help=_("The NIK (16 digits).")),
               data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.status import status_for_nik
        from sweet17.services.sync import protocol as P

        hub = _open(data, db)
        try:
            res = status_for_nik(hub, nik)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        from sweet17.entrypoints.cli.queue import _local
        from sweet17.services.delivery import RELATIONS

        if not res["recordings"]:
            console.print(_("The hub holds no recording for NIK {nik}.").format(nik=res["nik"]), highlight=False)

        for r in res["recordings"]:
            label = _(P.HUB_STATUS_LABELS.get(r["status"], r["status"]))
            console.print(_("{name} — recording {id}, school {school}, laptop {laptop}, captured {at}: {status}").format(
                name=r["name"], id=r["recording_id"], school=r["school_code"], laptop=r["laptop_name"] or r["laptop_id"],
                at=_local(r["captured_at"]), status=label), highlight=False, soft_wrap=True)
            for e in r["events"]:
                at = _local(e["at"]) if "T" in e["at"] else e["at"]
                event_label = _(P.HUB_STATUS_LABELS.get(e["status"], e["status"]))
                console.print(f"   {at:16}  {event_label}"
                              + (f"  ({e['detail']})" if e["detail"] else ""), highlight=False)
            if r["problem"]:
                console.print("   " + _("problem: {p}").format(p=r["problem"]), style="red", highlight=False)
            if r["clock_flag"]:
                console.print("   " + _("clock: {p}").format(p=r["clock_flag"]), style="yellow", highlight=False)
        for f in res["duplicate_flags"]:
            state = _("resolved, kept {id}").format(id=f["kept_recording_id"]) if f["resolved_at"] else _("open")
            console.print(_("Duplicate flag: {a} and {b} ({state})").format(a=f["recording_id"], b=f["other_recording_id"],
                                                                           state=state), highlight=False, soft_wrap=True)
        for d in res["deliveries"]:
            console.print(_("Card handed over on {at} at school {school} to {receiver} ({relation}), card {serial}; "
                            "laptop {laptop}, hand-over {id}").format(
                at=_local(d["delivered_at"]), school=d["school_code"], receiver=d["receiver_name"],
                relation=_(RELATIONS.get(d["receiver_relation"], d["receiver_relation"])), serial=d["card_serial"] or d["card_uid"] or "-",
                laptop=d["laptop_name"] or d["laptop_id"], id=d["delivery_id"]), highlight=False, soft_wrap=True)
            if d["problem"]:
                console.print("   " + _("problem: {p}").format(p=d["problem"]), style="red", highlight=False)

    @sub.command("duplicates", help=_("NIKs recorded twice (two laptops or two schools), waiting for a person to "
                                      "keep one."))
    def duplicates(all_: bool = typer.Option(False, "--all", help=_("Also show resolved ones.")),
                   data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from rich.table import Table

        from sweet17.services.hub.status import list_duplicates

        hub = _open(data, db)
        rows = list_duplicates(hub, all_)
        hub.close()
        if json_out:
            print_json({"duplicates": rows})
            return
        if not rows:
            console.print(_("No duplicate NIK to resolve."))
            return
        t = Table(title=_("Duplicate NIKs"), title_justify="left")
        for c in (_("NIK"), _("Name"), _("Recording"), _("School"), _("Other recording"), _("Other school"),
                  _("Resolved")):
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(r["nik"], r["name"], r["recording_id"], r["school_code"], r["other_recording_id"],
                      r["other_school_code"], r["kept_recording_id"] or "-")
        console.print(t)

    @sub.command("resolve", help=_("Resolve a duplicate NIK: keep one recording, the others are never exported."))
    def resolve(nik: str = typer.Argument(..., help=_("The NIK (16 digits).")),
                keep: str = typer.Option(..., "--keep", help=_("The recording id to keep.")),
                note: str = typer.Option("", "--note", help=_("Why this one is kept.")),
                by: str = typer.Option(None, "--by", help=_("Who decides (default: the computer's user name).")),
                data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.status import resolve_duplicate

        hub = _open(data, db)
        try:
            res = resolve_duplicate(hub, nik, keep, _who(by), note)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        console.print(_("NIK {nik}: kept {keep}; superseded: {others}.").format(
            nik=res["nik"], keep=res["kept"], others=", ".join(res["superseded"])), highlight=False, soft_wrap=True)

    @sub.command("import-central", help=_("Import a list from the central system (NIK, status, date; CSV or xlsx): "
                                          "recorded, duplicate, printed or delivered. All rows or none."))
    def import_central(file: Path = typer.Argument(..., help=_("The list (.csv or .xlsx).")),
                       status_: str = typer.Option(None, "--status", help=_("The status of every row, when the file "
                                                                            "has no Status column.")),
                       on: str = typer.Option(None, "--date", help=_("The date of every row, when the file has no "
                                                                     "date column (YYYY-MM-DD).")),
                       data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.status import import_central as do_import

        hub = _open(data, db)
        try:
            res = do_import(hub, file, status_, on)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        console.print(_("{rows} rows read: {applied} statuses applied, {already} already known, {unmatched} NIKs the "
                        "hub holds no recording for.").format(rows=res["rows"], applied=res["applied"],
                                                              already=res["already"], unmatched=res["unmatched"]),
                      highlight=False, soft_wrap=True)
        if res["unmatched_rows"]:
            console.print(_("Rows without a recording: {rows}").format(
                rows=", ".join(str(r) for r in res["unmatched_rows"][:30])), highlight=False, soft_wrap=True)

    @sub.command("export-nist", help=_("Export verified recordings not yet sent as ANSI/NIST-ITL 1-2011 transactions "
                                       "(one file per recording) with a signed manifest."))
    def export_nist(out: Path = typer.Option(None, "--out", help=_("Folder for the export (default: the hub's "
                                                                    "exports folder).")),
                    again: bool = typer.Option(False, "--again", help=_("Also export recordings already sent.")),
                    data: Path = _data_option(), db: str = _db_option(), json_out: bool = json_option()) -> None:
        from sweet17.services.hub.nist import export_nist as do_export

        hub = _open(data, db)
        try:
            res = do_export(hub, out, again=again)
        finally:
            hub.close()
        if json_out:
            print_json(res)
            return
        console.print(_("{n} transactions written to {path}; {skipped} recordings left out.").format(
            n=res["exported"], path=res["folder"], skipped=len(res["skipped"])), highlight=False, soft_wrap=True)
        for s in res["skipped"]:
            console.print(_("Recording {id}: {why}").format(id=s["recording_id"], why=s["reason"]), highlight=False,
                          soft_wrap=True)

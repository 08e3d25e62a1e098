"""``sweet17 deliver --school CODE``: hand printed cards over at the school (KTPku Datang)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, print_json
from sweet17.i18n import _


def load_delivery_script(path: Path) -> dict[str, Any]:
    """A JSON or TOML script: ``signin`` (username + password or password_env) and ``delivery`` entries
    (find, receiver, relation, confirm). JSON may name the list ``deliveries``."""
    import json
    import tomllib

    from sweet17.errors import ValidationError
    from sweet17.services.delivery import CONFIRMATIONS, RELATIONS

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValidationError(_("Script {path} cannot be read: {detail}").format(path=path, detail=e.strerror),
                              path=path) from None
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationError(_("Script {path} is not valid JSON or TOML: {detail}").format(path=path, detail=e),
                              path=path) from None
    items = data.get("delivery", data.get("deliveries", [])) if isinstance(data, dict) else []
    if not isinstance(items, list) or not items:
        raise ValidationError(_("Script {path}: no deliveries (add [[delivery]] entries with find = ...)").format(
            path=path), path=path)
    for i, d in enumerate(items):
        where = f"delivery[{i}]"
        if not isinstance(d, dict) or not str(d.get("find", "")).strip():
            raise ValidationError(_("Script {path}, {where}: 'find' (NISN, NIK or name) is required").format(
                path=path, where=where), path=path, field=where)
        if d.get("relation", "self") not in RELATIONS:
            raise ValidationError(_("Script {path}, {where}.relation: use one of {choices}").format(
                path=path, where=where, choices=", ".join(RELATIONS)), path=path, field=where)
        if d.get("confirm", "signature") not in CONFIRMATIONS:
            raise ValidationError(_("Script {path}, {where}.confirm: use signature or fingerprint").format(
                path=path, where=where), path=path, field=where)
    return {"signin": data.get("signin") or {}, "deliveries": items}


def _sign_in(ws, signin: dict[str, Any], operator: str | None) -> str:  # type: ignore[no-untyped-def]
    import os

    from rich.prompt import Prompt

    from sweet17.errors import UserError
    from sweet17.services.operators import authenticate

    user = signin.get("username") or operator
    if not user:
        if signin:
            raise UserError(_("The script's signin needs a username."), field="signin")
        user = Prompt.ask(_("Operator"))
    secret = signin.get("password")
    if signin.get("password_env"):
        secret = os.environ.get(str(signin["password_env"]))
        if secret is None:
            raise UserError(_("The environment variable {name} is not set.").format(name=signin["password_env"]),
                            field="password_env")
    if secret is None:
        secret = Prompt.ask(_("Password"), password=True)
    return authenticate(ws, str(user), str(secret)).username


def _devices(ws, kit: str | None, reader: str | None):  # type: ignore[no-untyped-def]
    """(card reader, confirmation devices by modality) from --kit and/or --reader."""
    from sweet17.errors import UserError

    devices: dict[str, Any] = {}
    card_reader = None
    if kit:
        from sweet17.services.session.kit import load_kit

        k = load_kit(ws, kit)
        devices = dict(k.devices)
        card_reader = k.card_reader
    if reader:
        from sweet17.adapters.devices.base import DeviceError
        from sweet17.adapters.devices.pcsc import PcscDriver

        try:
            found = PcscDriver().discover({"reader": reader})
        except DeviceError as e:
            raise UserError(e.operator_message, field="--reader") from None
        if not found:
            raise UserError(_("No card reader named '{name}' was found.").format(name=reader), field="--reader")
        card_reader = found[0]
    return card_reader, devices


def register(app: typer.Typer) -> None:
    @app.command("deliver", help=_("KTPku Datang: hand printed cards over at a school. Each card is read on the "
                                   "contactless reader and checked against the printed-card list; the receiver "
                                   "confirms with a signature or a thumbprint."))
    def deliver(
        school: str = typer.Option(..., "--school", help=_("The school's code in the drive.")),
        drive: Path = typer.Option(None, "--drive", help=_("Drive folder (default: the workspace's current drive).")),
        kit: str = typer.Option(None, "--kit", help=_("Kit profile with the card reader and the signature pad or "
                                                      "fingerprint scanner (a path or a name in devices/).")),
        reader: str = typer.Option(None, "--reader", help=_("The PC/SC card reader to use (part of its name).")),
        operator: str = typer.Option(None, "--operator", help=_("Operator account (asked when not given).")),
        script: Path = typer.Option(None, "--script", help=_("Run the deliveries of this JSON or TOML file without "
                                                             "a keyboard (rehearsals and tests).")),
        card_timeout: int = typer.Option(20, "--card-timeout", help=_("Seconds to wait for the card on the reader.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.delivery import DeliveryDesk
        from sweet17.services.drives import current_drive

        ws = open_workspace()
        loaded = current_drive(ws, drive)
        sc = load_delivery_script(script) if script else None
        user = _sign_in(ws, sc["signin"] if sc else {}, operator)
        card_reader, devices = _devices(ws, kit, reader)
        desk = DeliveryDesk(ws, loaded, school, operator=user, reader=card_reader, devices=devices)
        if sc is None:
            _interactive(desk, card_timeout)
            return
        results = []
        for d in sc["deliveries"]:
            res = desk.deliver(str(d["find"]), receiver=d.get("receiver"), relation=d.get("relation", "self"),
                               confirm=d.get("confirm", "signature"),
                               card_timeout_ms=int(float(d.get("card_timeout_s", card_timeout)) * 1000))
            results.append(res)
            if not json_out:
                colour = "green" if res["status"] == "delivered" else "red"
                console.print(f"[{colour}]{res['message']}[/]", highlight=False, soft_wrap=True)
        counts = desk.counts()
        if json_out:
            print_json({"school": school, "operator": user, "results": results, "counts": counts})
        else:
            console.print(_("{school}: {delivered} of {printed} printed cards handed over, {waiting} waiting.").format(
                school=school, **counts), highlight=False)
        if any(r["status"] != "delivered" for r in results):
            raise typer.Exit(2)


def _interactive(desk, card_timeout: int) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from rich.prompt import Prompt

    from sweet17.adapters.devices.base import DeviceError
    from sweet17.services.delivery import CONFIRMATIONS, RELATIONS, DeliveryRefused

    c = desk.counts()
    console.print(_("{school}: {printed} printed cards, {delivered} already handed over.").format(
        school=desk.school.name, **c), highlight=False)
    while True:
        query = Prompt.ask(_("Student (name, NISN or NIK; empty to finish)"), default="", show_default=False)
        if not query.strip():
            break
        found = desk.find(query)
        if not found:
            console.print(_("No student with a printed card matches '{query}'.").format(query=query), style="yellow")
            continue
        if len(found) > 1:
            for i, cand in enumerate(found, start=1):
                console.print(f"  {i}. {cand.name} ({cand.rombel}, NISN {cand.nisn})", highlight=False)
            pick = Prompt.ask(_("Which one"), choices=[str(i) for i in range(1, len(found) + 1)])
            cand = found[int(pick) - 1]
        else:
            cand = found[0]
        console.print(f"[bold]{cand.name}[/] - {cand.rombel} - NISN {cand.nisn} - "
                      + _("card serial {serial}, printed {date}").format(serial=cand.card_serial or "-",
                                                                         date=cand.printed_on), highlight=False)
        console.print(_("Put the card on the reader..."))
        uid = ""
        try:
            if cand.delivered_at:
                desk.check(cand, "")
            uid = desk.read_card(card_timeout * 1000)
            check = desk.check(cand, uid)
            if check.note:
                console.print(check.note, style="yellow")
            receiver = Prompt.ask(_("Receiver's name"), default=cand.name)
            relation = Prompt.ask(_("Receiver is"), choices=list(RELATIONS), default="self")
            how = Prompt.ask(_("Confirmation"), choices=list(CONFIRMATIONS), default="signature")
            did = str(uuid.uuid4())
            console.print(_("The receiver signs on the pad (or puts the right thumb on the scanner)..."))
            conf = desk.confirm(how, did)
            desk.hand_over(cand, check, receiver, relation, conf, did)
            console.print(_("Card of {name} handed over to {receiver}.").format(name=cand.name, receiver=receiver),
                          style="green")
        except DeliveryRefused as e:
            desk.refuse_logged(cand, uid, str(e))
            console.print(str(e), style="bold red")
        except DeviceError as e:
            console.print(e.operator_message, style="red")
    c = desk.counts()
    console.print(_("{delivered} of {printed} printed cards handed over, {waiting} waiting.").format(**c),
                  highlight=False)

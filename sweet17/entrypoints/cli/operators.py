"""``sweet17 operator add|list|unlock``: operator and supervisor accounts on this laptop."""

from __future__ import annotations

import typer

from sweet17.entrypoints.cli.common import console, json_option, open_workspace, print_json
from sweet17.i18n import _


def read_secret(prompt: str, env: str | None, *, confirm: bool = False) -> str:
    """A password or PIN: from the environment variable ``env`` if given, else typed (hidden)."""
    import os

    from sweet17.errors import UserError

    if env:
        value = os.environ.get(env)
        if value is None:
            raise UserError(_("The environment variable {name} is not set.").format(name=env))
        return value
    value = typer.prompt(prompt, hide_input=True)
    if confirm and typer.prompt(_("Type it again"), hide_input=True) != value:
        raise UserError(_("The two entries are not the same."))
    return value


def supervisor_signin(ws, by: str | None, by_env: str | None) -> str:  # type: ignore[no-untyped-def]
    """Sign a supervisor in for an account change (``--by``); the name the change is recorded under
    (``system`` while no supervisor exists yet)."""
    from sweet17.errors import UserError
    from sweet17.services import operators

    has_sup = any(a.role == "supervisor" for a in operators.list_operators(ws))
    if not has_sup:
        return "system"
    if not by:
        raise UserError(_("A supervisor must confirm this: give --by SUPERVISOR."), field="--by")
    pw = read_secret(_("Password of {user}").format(user=by), by_env)
    return operators.authenticate(ws, by, pw, role="supervisor").username


def supervisor_option() -> typer.models.OptionInfo:
    return typer.Option(None, "--by", help=_("Supervisor who confirms."))


def supervisor_password_option() -> typer.models.OptionInfo:
    return typer.Option(None, "--by-password-env",
                        help=_("Read the supervisor's password from this environment variable."))


def register(app: typer.Typer) -> None:
    op_app = typer.Typer(help=_("Operator and supervisor accounts (sign-in for recording sessions)."),
                         no_args_is_help=True)
    app.add_typer(op_app, name="operator")

    @op_app.command("add", help=_("Create an account. Once a supervisor exists, a supervisor confirms (--by)."))
    def add(
        username: str = typer.Argument(..., help=_("Username (lower-case letters, digits, '.', '_', '-').")),
        role: str = typer.Option("operator", "--role", help=_("operator or supervisor.")),
        full_name: str = typer.Option("", "--name", help=_("Full name, as shown on the screen.")),
        card_uid: str = typer.Option(None, "--card-uid", help=_("UID of the operator card (hexadecimal).")),
        password_env: str = typer.Option(None, "--password-env",
                                         help=_("Read the password from this environment variable.")),
        pin_env: str = typer.Option(None, "--pin-env", help=_("Read the card PIN from this environment variable.")),
        by: str = supervisor_option(),
        by_password_env: str = supervisor_password_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services import operators

        ws = open_workspace()
        confirmed_by = supervisor_signin(ws, by, by_password_env)
        pw = read_secret(_("Password for {user}").format(user=username), password_env, confirm=True)
        pin = read_secret(_("Card PIN for {user}").format(user=username), pin_env, confirm=True) if card_uid else None
        acc = operators.create_operator(ws, username, pw, role=role, full_name=full_name, card_uid=card_uid, pin=pin,
                                        by=confirmed_by)
        if json_out:
            print_json(acc.to_dict())
        else:
            console.print(_("Account {user} created ({role}).").format(
                user=acc.username, role=_(operators.ROLE_LABELS[acc.role])), highlight=False)

    @op_app.command("list", help=_("List the accounts, with locks."))
    def list_(json_out: bool = json_option()) -> None:
        from rich.table import Table

        from sweet17.services import operators

        accounts = operators.list_operators(open_workspace())
        if json_out:
            print_json({"operators": [a.to_dict() for a in accounts]})
            return
        table = Table(title=_("Accounts"), title_justify="left")
        for col in (_("Username"), _("Name"), _("Role"), _("Card"), _("Wrong tries"), _("Locked until"),
                    _("Last sign-in")):
            table.add_column(col)
        for a in accounts:
            table.add_row(a.username, a.full_name, _(operators.ROLE_LABELS[a.role]), _("yes") if a.card_uid else "",
                          str(a.failed_attempts), (a.locked_until or "")[:16], (a.last_signin_at or "")[:16])
        console.print(table)

    @op_app.command("unlock", help=_("Unlock an account after too many wrong tries (a supervisor confirms)."))
    def unlock(
        username: str = typer.Argument(..., help=_("The locked account.")),
        by: str = supervisor_option(),
        by_password_env: str = supervisor_password_option(),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services import operators

        ws = open_workspace()
        acc = operators.unlock(ws, username, by=supervisor_signin(ws, by, by_password_env))
        if json_out:
            print_json(acc.to_dict())
        else:
            console.print(_("Account {user} unlocked.").format(user=acc.username), highlight=False)

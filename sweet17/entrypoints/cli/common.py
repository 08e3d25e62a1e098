"""Helpers every CLI module uses: global options, workspace opening, output in table or JSON."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from sweet17.errors import UserError
from sweet17.i18n import _

console = Console()
err_console = Console(stderr=True)


@dataclass
class GlobalOptions:
    workspace: Path | None = None
    lang: str | None = None
    debug: bool = False


OPTIONS = GlobalOptions()

def json_option() -> Any:
    """The ``--json`` option every command that prints a result takes."""
    return typer.Option(False, "--json", help=_("Print the result as JSON (stable keys, see README)."))


def open_workspace(create: bool = False):
    """Open the workspace chosen by --workspace, SWEET17_WORKSPACE or the user data dir."""
    from sweet17.services.workspace import Workspace, locate_workspace

    return Workspace.open(locate_workspace(OPTIONS.workspace))


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat(timespec="seconds")
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def print_json(obj: Any) -> None:
    """Write ``obj`` as JSON to stdout (UTF-8, keys as given, dates as ISO text)."""
    sys.stdout.write(json.dumps(obj, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def parse_date(value: str | None, field: str) -> date | None:
    """Parse an ISO date given on the command line, or raise a UserError naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(
            _("Option {field}: '{value}' is not a date (use YYYY-MM-DD)").format(field=field, value=value)
        ) from None


def actor_option() -> Any:
    """The ``--by`` option of commands that record who did something."""
    return typer.Option(None, "--by", help=_("Who does this (default: the computer's user name)."))


def actor_name(by: str | None) -> str:
    """``--by`` when given, else the computer's user name (``unknown`` when there is none)."""
    import getpass

    if by and by.strip():
        return by.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def current_drive_slug(ws) -> str:  # type: ignore[no-untyped-def]
    """The workspace's current drive ("" when none is chosen)."""
    return ws.get_meta("current_drive") or ""


def import_file(importer: Any, file: Path, by: str | None) -> dict[str, Any]:
    """Run a list import (``import_cards``, ``import_complaints``, ``import_survey``) into the current
    drive, as ``--by`` (or the computer's user)."""
    ws = open_workspace()
    return importer(ws, file, actor=actor_name(by), drive_slug=current_drive_slug(ws))

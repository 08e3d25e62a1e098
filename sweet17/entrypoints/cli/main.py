"""The ``sweet17`` command: global options, error handling, and the sub-commands.

The command tree is built after the language is chosen, so help texts are translated too.
Every sub-command lives in its own module under ``sweet17.entrypoints.cli`` with a
``register(app)`` function that defines its commands (help texts through ``_``). Modules only
import light things at import time; heavy libraries are imported inside the command functions,
so ``sweet17 --help`` stays fast.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

import typer

# Typer 0.29 vendors Click as typer._click (the version is pinned in pyproject).
from typer._click import exceptions as click_exc

from sweet17 import __version__
from sweet17.entrypoints.cli.common import OPTIONS, err_console
from sweet17.errors import UserError
from sweet17.i18n import _, set_language

# Modules whose ``register(app)`` adds commands, in the order they appear in --help.
SUBCOMMANDS: list[str] = [
    "sweet17.entrypoints.cli.workspace",
    "sweet17.entrypoints.cli.nik",
    "sweet17.entrypoints.cli.sample",
    "sweet17.entrypoints.cli.roster",
    "sweet17.entrypoints.cli.registry",
    "sweet17.entrypoints.cli.eligible",
    "sweet17.entrypoints.cli.drive",
    "sweet17.entrypoints.cli.cards",
    "sweet17.entrypoints.cli.complaint",
    "sweet17.entrypoints.cli.report",
    "sweet17.entrypoints.cli.deliver",
    "sweet17.entrypoints.cli.status",
    "sweet17.entrypoints.cli.devices",
    "sweet17.entrypoints.cli.camera",
    "sweet17.entrypoints.cli.session",
    "sweet17.entrypoints.cli.operators",
    "sweet17.entrypoints.cli.audit",
    "sweet17.entrypoints.cli.queue",
    "sweet17.entrypoints.cli.sync",
    "sweet17.entrypoints.cli.hub",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sweet17 {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="sweet17",
        help=_("sweet17: mobile e-KTP recording drives at schools (Direkam di Sekolah, Sweet Seventeen, "
               "KTPku Datang)."),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode="rich",
    )

    @app.callback()
    def main(
        workspace: Path = typer.Option(None, "--workspace", "-w", envvar="SWEET17_WORKSPACE",
                                       help=_("Workspace folder (default: the user data folder).")),
        lang: str = typer.Option(None, "--lang", envvar="SWEET17_LANG", help=_("Language: id (default) or en.")),
        debug: bool = typer.Option(False, "--debug", help=_("Show tracebacks and log debug messages.")),
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                     help=_("Show the version.")),
    ) -> None:
        OPTIONS.workspace = workspace
        OPTIONS.lang = set_language(lang)
        OPTIONS.debug = debug
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                            format="%(levelname)s %(name)s: %(message)s")

    for modname in SUBCOMMANDS:
        importlib.import_module(modname).register(app)
    return app


def log_dir() -> Path:
    from platformdirs import user_log_dir

    return Path(os.environ.get("SWEET17_LOG_DIR") or user_log_dir("sweet17", appauthor=False))


def _write_crash_log(exc: BaseException) -> Path | None:
    try:
        d = log_dir()
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"crash-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        # The command name only: arguments may hold NIKs or passwords.
        path.write_text(
            f"sweet17 {__version__}\ncommand: {' '.join(a for a in sys.argv[1:3] if not a.startswith('-'))}\n\n"
            + "".join(traceback.format_exception(exc)),
            encoding="utf-8",
        )
        return path
    except OSError:
        return None


def _peek_language(args: list[str]) -> str | None:
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


def run(argv: list[str] | None = None) -> int:
    """Console-script entry point. Exits with the status (returns it when ``argv`` is given)."""
    args = list(sys.argv[1:] if argv is None else argv)
    set_language(_peek_language(args))
    debug = "--debug" in args
    try:
        app = build_app()
        rv = app(args=args, prog_name="sweet17", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except typer.Exit as e:
        code = e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print(_("Cancelled."))
        code = 130
    except click_exc.NoArgsIsHelpError as e:
        typer.echo(e.format_message())
        code = 0
    except click_exc.UsageError as e:
        err_console.print(_("Usage error: {detail} (see --help)").format(detail=e.format_message()),
                          highlight=False, markup=False, soft_wrap=True)
        code = 2
    except UserError as e:
        if debug:
            traceback.print_exc()
        from rich.text import Text

        err_console.print(Text.assemble((_("Error") + ": ", "bold red"), str(e)), soft_wrap=True)
        code = e.exit_code
    except Exception as e:  # unexpected: log it, say where
        if debug:
            traceback.print_exc()
        path = _write_crash_log(e)
        err_console.print(
            _("Unexpected error ({kind}). Details were written to {path}; please send that file to the "
              "sweet17 team.").format(kind=type(e).__name__, path=str(path) if path else "-"),
            highlight=False, markup=False, soft_wrap=True,
        )
        code = 1
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    run()

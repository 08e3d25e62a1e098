"""``sweet17 init`` and ``sweet17 info``."""

from __future__ import annotations

from pathlib import Path

import typer

from sweet17.entrypoints.cli.common import OPTIONS, console, json_option, open_workspace, print_json
from sweet17.i18n import _


def workspace_info(ws) -> dict:  # type: ignore[no-untyped-def]
    """The JSON of ``sweet17 info``: paths, schema version, current drive."""
    from sweet17.adapters.storage import migrate

    return {
        "workspace": str(ws.path),
        "config": str(ws.config_path),
        "database": str(ws.db_path),
        "keys": str(ws.keys_dir),
        "blobs": str(ws.blobs_dir),
        "logs": str(ws.logs_dir),
        "exports": str(ws.exports_dir),
        "schema_version": ws.schema_version(),
        "schema_head": migrate.head(),
        "workspace_id": ws.get_meta("workspace_id"),
        "current_drive": ws.get_meta("current_drive"),
    }


def register(app: typer.Typer) -> None:
    @app.command("init", help=_("Create a workspace: database, configuration, key and blob folders."))
    def init(
        directory: Path = typer.Argument(None, help=_("Folder for the new workspace (default: --workspace or "
                                                      "the user data folder).")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.services.workspace import Workspace, locate_workspace

        ws = Workspace.create(locate_workspace(directory or OPTIONS.workspace))
        info = workspace_info(ws)
        if json_out:
            print_json(info)
        else:
            console.print(_("Workspace created at {path} (schema version {version}).").format(
                path=ws.path, version=info["schema_version"]), highlight=False, soft_wrap=True)

    @app.command("info", help=_("Show where the workspace's files are and its schema version."))
    def info(json_out: bool = json_option()) -> None:
        from rich.table import Table

        data = workspace_info(open_workspace())
        if json_out:
            print_json(data)
            return
        labels = {
            "workspace": _("Workspace"), "config": _("Configuration"), "database": _("Database"),
            "keys": _("Keys"), "blobs": _("Biometric blobs"), "logs": _("Logs"), "exports": _("Exports"),
            "schema_version": _("Schema version"), "schema_head": _("Latest schema version"),
            "workspace_id": _("Workspace ID"), "current_drive": _("Current drive"),
        }
        table = Table(show_header=False, box=None)
        for key, label in labels.items():
            table.add_row(f"[bold]{label}[/]", str(data[key] if data[key] is not None else "-"))
        console.print(table)

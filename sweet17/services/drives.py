"""Drives: load a drive folder's ``drive.toml``, register it in the workspace, find the current one."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from sweet17.domain.drive import Drive, DriveDefinitionError, parse_drive
from sweet17.errors import UserError, ValidationError
from sweet17.i18n import _

DRIVE_FILE = "drive.toml"


@dataclass(frozen=True)
class LoadedDrive:
    drive: Drive
    folder: Path

    @property
    def slug(self) -> str:
        return self.drive.slug

    def resolve(self, relative: str) -> Path:
        """A path from the drive file (roster, registry extract), relative to the drive folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.folder / p


def load_drive(path: Path | str) -> LoadedDrive:
    """Read and validate ``drive.toml`` (``path`` may be the folder or the file)."""
    path = Path(path)
    file = path / DRIVE_FILE if path.is_dir() else path
    if not file.is_file():
        raise UserError(_("No drive file at {path}").format(path=file), path=file)
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ValidationError(_("{path} is not valid TOML: {detail}").format(path=file, detail=e), path=file) from None
    try:
        drive = parse_drive(data)
    except DriveDefinitionError as e:
        raise ValidationError(
            _("{path}, field {field}: {problem}").format(path=file, field=e.field,
                                                         problem=_(e.message).format(**e.params)),
            path=file, field=e.field,
        ) from None
    return LoadedDrive(drive=drive, folder=file.parent.resolve())


def register_drive(ws, loaded: LoadedDrive, make_current: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Record the drive in the workspace (idempotent) and make it the current drive."""
    from sweet17.services.workspace import now_utc

    d = loaded.drive
    with ws.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO drive (slug, name, year, regency_code, path, registered_at) "
                 "VALUES (:slug, :name, :year, :reg, :path, :at) "
                 "ON CONFLICT(slug) DO UPDATE SET name = excluded.name, year = excluded.year, "
                 "regency_code = excluded.regency_code, path = excluded.path"),
            {"slug": d.slug, "name": d.name, "year": d.year, "reg": d.regency_code, "path": str(loaded.folder),
             "at": now_utc()},
        )
        if make_current:
            ws.set_meta("current_drive", d.slug, conn=conn)
        ws.audit("system", "drive.register", d.slug, {"path": str(loaded.folder)}, conn=conn)


def current_drive(ws, explicit: Path | str | None = None) -> LoadedDrive:  # type: ignore[no-untyped-def]
    """The drive given with ``--drive`` (a folder), else the workspace's current drive."""
    if explicit:
        return load_drive(explicit)
    slug = ws.get_meta("current_drive")
    if not slug:
        raise UserError(_("No drive chosen. Give --drive FOLDER, or create the sample with: sweet17 sample balangan"))
    with ws.engine.connect() as conn:
        path = conn.execute(text("SELECT path FROM drive WHERE slug = :s"), {"s": slug}).scalar()
    if path is None:
        raise UserError(_("The current drive {slug} is not registered in this workspace").format(slug=slug))
    return load_drive(path)

"""Tables of the foundation: workspace metadata, drives, audit log."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class WorkspaceMeta(SQLModel, table=True):
    __tablename__ = "workspace_meta"
    key: str = Field(primary_key=True)
    value: str


class DriveRow(SQLModel, table=True):
    __tablename__ = "drive"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True)
    name: str
    year: int
    regency_code: str
    path: str
    registered_at: str


class AuditLogRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    seq: int | None = Field(default=None, primary_key=True)
    ts: str
    actor: str
    action: str = Field(index=True)
    object: str = ""
    details: str = "{}"
    prev_hash: str
    hash: str = Field(unique=True)

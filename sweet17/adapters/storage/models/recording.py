"""The local queue: committed recordings and their sealed payloads (see migration 4)."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class RecordingRow(SQLModel, table=True):
    __tablename__ = "recording"
    id: str = Field(primary_key=True)
    drive_slug: str
    school_code: str
    student_ref: str = ""
    nik: str = Field(default="", index=True)
    nisn: str = ""
    name: str
    birth_date: str = ""
    sex: str = ""
    session_id: str = ""
    operator: str
    status: str = Field(default="captured", index=True)
    captured_at: str
    force_captured: bool = False
    exceptions: str = "[]"
    retries: int = 0
    quality: str = "{}"
    manifest: str
    signature: str
    payload_sha256: str
    payload_size: int
    approved_by: str | None = None
    approved_at: str | None = None
    rejected_reason: str | None = None
    synced_at: str | None = None
    receipt: str | None = None
    acknowledged_at: str | None = None
    hub_status: str | None = None
    hub_status_at: str | None = None
    purged_at: str | None = None


class RecordingPayloadRow(SQLModel, table=True):
    __tablename__ = "recording_payload"
    recording_id: str = Field(primary_key=True, foreign_key="recording.id", ondelete="CASCADE")
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str
    size: int

"""The laptop's sync state (see migration 6): supervisor decisions, upload progress, receipts,
status history from the hub, USB bundles and sync runs."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class QueueDecisionRow(SQLModel, table=True):
    __tablename__ = "queue_decision"
    id: int | None = Field(default=None, primary_key=True)
    recording_id: str = Field(foreign_key="recording.id", index=True)
    decision: str
    supervisor: str
    reason: str = ""
    decided_at: str


class SyncUploadRow(SQLModel, table=True):
    __tablename__ = "sync_upload"
    recording_id: str = Field(primary_key=True, foreign_key="recording.id")
    hub_id: str
    confirmed_bytes: int = 0       # bytes the hub said it holds
    sent_bytes: int = 0            # bytes put on the wire, re-sends included
    attempts: int = 0
    last_error: str = ""
    started_at: str
    updated_at: str


class SyncReceiptRow(SQLModel, table=True):
    __tablename__ = "sync_receipt"
    recording_id: str = Field(primary_key=True, foreign_key="recording.id")
    hub_id: str
    receipt: str                   # canonical JSON signed by the hub
    signature: str                 # base64 Ed25519
    verified: bool
    problem: str = ""
    hub_received_at: str
    stored_at: str
    via: str


class SyncStatusEventRow(SQLModel, table=True):
    __tablename__ = "sync_status_event"
    __table_args__ = (UniqueConstraint("recording_id", "hub_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    recording_id: str = Field(foreign_key="recording.id", index=True)
    hub_seq: int
    status: str
    at: str
    detail: str = ""
    pulled_at: str


class SyncBundleRow(SQLModel, table=True):
    __tablename__ = "sync_bundle"
    bundle_id: str = Field(primary_key=True)
    path: str
    hub_id: str
    written_at: str
    recordings: int
    bytes: int
    receipts_imported_at: str | None = None


class SyncBundleItemRow(SQLModel, table=True):
    __tablename__ = "sync_bundle_item"
    bundle_id: str = Field(primary_key=True, foreign_key="sync_bundle.bundle_id")
    recording_id: str = Field(primary_key=True, foreign_key="recording.id")


class SyncRunRow(SQLModel, table=True):
    __tablename__ = "sync_run"
    id: int | None = Field(default=None, primary_key=True)
    mode: str
    target: str
    started_at: str
    finished_at: str | None = None
    recordings: int = 0
    sent: int = 0
    already: int = 0
    refused: int = 0
    bytes_sent: int = 0
    statuses: int = 0
    purged: int = 0
    outcome: str = "running"
    error: str = ""

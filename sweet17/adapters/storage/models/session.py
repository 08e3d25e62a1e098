"""Recording sessions at the school (see migration 5): operators, sessions, the day's list,
check-ins, walk-ins, consents, corrections, capture steps and exceptions.

Biometric bytes are never stored readable: ``capture_step.data`` is a step container
(``domain.payload``, kind "step") whose blobs are sealed to the hub's key, and
``capture_exception.proof`` is a sealed box. Both are cleared when the recording is committed.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class OperatorAccountRow(SQLModel, table=True):
    __tablename__ = "operator_account"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    full_name: str = ""
    role: str = "operator"
    password_hash: str = ""
    card_uid: str | None = Field(default=None, unique=True)
    pin_hash: str = ""
    failed_attempts: int = 0
    locked_until: str | None = None
    active: bool = True
    created_at: str
    last_signin_at: str | None = None


class RecordingSessionRow(SQLModel, table=True):
    __tablename__ = "recording_session"
    id: str = Field(primary_key=True)
    drive_slug: str
    school_code: str
    day: str
    kit: str = ""
    operator: str
    status: str = Field(default="open", index=True)
    started_at: str
    last_activity_at: str
    ended_at: str | None = None
    end_reason: str = ""
    devices: str = "[]"
    rules: str = "{}"


class DayListRow(SQLModel, table=True):
    __tablename__ = "day_list"
    id: int | None = Field(default=None, primary_key=True)
    drive_slug: str
    school_code: str
    day: str
    student_ref: str
    position: int = 0
    nik: str = ""
    nisn: str = ""
    name: str
    birth_date: str = ""
    sex: str = ""
    rombel: str = ""
    note: str = ""


class CheckinRow(SQLModel, table=True):
    __tablename__ = "checkin"
    id: str = Field(primary_key=True)
    session_id: str = Field(foreign_key="recording_session.id")
    drive_slug: str
    school_code: str
    day: str
    student_ref: str
    source: str = "list"
    nik: str = ""
    nisn: str = ""
    name: str
    birth_date: str = ""
    sex: str = ""
    rombel: str = ""
    status: str = "checked_in"
    recording_id: str = Field(unique=True)
    operator: str
    checked_in_at: str
    capture_started_at: str | None = None
    committed_at: str | None = None
    cancel_reason: str = ""


class WalkInRow(SQLModel, table=True):
    __tablename__ = "walk_in"
    checkin_id: str = Field(primary_key=True, foreign_key="checkin.id")
    reason: str
    operator: str
    created_at: str


class ConsentRow(SQLModel, table=True):
    __tablename__ = "consent"
    id: int | None = Field(default=None, primary_key=True)
    checkin_id: str = Field(unique=True, foreign_key="checkin.id")
    given_by: str
    guardian_name: str = ""
    method: str
    statement_version: str
    operator: str
    recorded_at: str


class CorrectionRow(SQLModel, table=True):
    __tablename__ = "correction"
    id: int | None = Field(default=None, primary_key=True)
    checkin_id: str = Field(foreign_key="checkin.id")
    field: str
    old_value: str
    new_value: str
    reason: str
    operator: str
    created_at: str


class CaptureStepRow(SQLModel, table=True):
    __tablename__ = "capture_step"
    id: int | None = Field(default=None, primary_key=True)
    checkin_id: str = Field(foreign_key="checkin.id")
    step: str
    attempt: int
    excepted: str = "[]"
    qualities: str = "{}"
    nfiq2: str = "{}"
    problems: str = "[]"
    error: str = ""
    error_detail: str = ""
    device: str = "{}"
    operator: str
    started_at: str
    duration_ms: int = 0
    forced: bool = False
    force_reason: str = ""
    supervisor: str = ""
    forced_at: str | None = None
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    data_sha256: str = ""


class CaptureExceptionRow(SQLModel, table=True):
    __tablename__ = "capture_exception"
    id: int | None = Field(default=None, primary_key=True)
    checkin_id: str = Field(foreign_key="checkin.id")
    modality: str
    position: str = ""
    kind: str
    reason: str
    operator: str
    marked_at: str
    proof: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    proof_format: str = ""
    proof_aad: str = ""
    proof_plain_sha256: str = ""

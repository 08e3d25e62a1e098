"""KTPku Datang and the reports' own data (see migration 7): imports, printed cards, hand-overs,
complaints and IKM survey responses."""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel


class KtpkuImportRow(SQLModel, table=True):
    __tablename__ = "ktpku_import"
    id: int | None = Field(default=None, primary_key=True)
    kind: str                       # cards | ikm | complaints
    drive_slug: str = ""
    file_name: str
    sha256: str = Field(index=True)
    rows: int
    imported_by: str
    imported_at: str


class PrintedCardRow(SQLModel, table=True):
    __tablename__ = "printed_card"
    nik: str = Field(primary_key=True)
    card_serial: str = ""
    chip_uid: str = Field(default="", index=True)   # upper-case hex, no separators
    printed_on: str                                  # ISO date
    import_id: int = Field(foreign_key="ktpku_import.id")
    updated_at: str


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (Index("ux_delivery_card", "nik", "card_uid", "card_serial", unique=True),)
    id: str = Field(primary_key=True)
    drive_slug: str
    school_code: str
    nik: str = Field(index=True)
    nisn: str = ""
    name: str
    card_uid: str = ""
    card_serial: str = ""
    uid_checked: bool = False
    receiver_name: str
    receiver_relation: str          # self | parent | guardian | teacher | other
    confirmation: str               # signature | fingerprint
    confirmation_sha256: str
    confirmation_quality: float | None = None
    confirmation_device: str = ""
    confirmation_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    operator: str
    delivered_at: str
    synced_at: str | None = Field(default=None, index=True)
    hub_receipt: str | None = None


class ComplaintRow(SQLModel, table=True):
    __tablename__ = "complaint"
    id: str = Field(primary_key=True)
    drive_slug: str = ""
    received_on: str = Field(index=True)
    channel: str
    category: str
    school_code: str = ""
    complainant: str = ""
    contact: str = ""
    nik: str = ""
    description: str
    resolved_on: str | None = None
    resolution: str = ""
    resolved_by: str = ""
    recorded_by: str
    recorded_at: str
    import_id: int | None = Field(default=None, foreign_key="ktpku_import.id")


class SurveyResponseRow(SQLModel, table=True):
    __tablename__ = "survey_response"
    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="ktpku_import.id")
    source_row: int
    drive_slug: str = ""
    responded_on: str = Field(index=True)
    school_code: str = ""
    service: str = ""
    sex: str = ""
    age: int | None = None
    education: str = ""
    occupation: str = ""
    u1: int | None = None
    u2: int | None = None
    u3: int | None = None
    u4: int | None = None
    u5: int | None = None
    u6: int | None = None
    u7: int | None = None
    u8: int | None = None
    u9: int | None = None
    suggestion: str = ""

"""Rosters, their import history and findings; the registry extract, matches, reviews and decisions
(see migrations 2 and 8)."""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RosterImportRow(SQLModel, table=True):
    __tablename__ = "roster_import"
    id: int | None = Field(default=None, primary_key=True)
    drive_slug: str
    school_code: str
    kind: str = "roster"               # roster | leavers
    file_name: str
    file_sha256: str
    file_format: str
    sheet: str = ""
    school_name: str = ""              # as in the file's title rows
    kecamatan: str = ""
    downloaded_at: str = ""            # "Tanggal Unduh" of a Dapodik export
    imported_at: str
    imported_by: str
    rows: int = 0
    students: int = 0
    errors: int = 0
    warnings: int = 0
    current: bool = True
    replaced_at: str | None = None


class RosterStudentRow(SQLModel, table=True):
    __tablename__ = "roster_student"
    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="roster_import.id", index=True)
    drive_slug: str
    school_code: str
    row_number: int
    student_key: str                   # nisn:..., nik:... or name:...|birth date (stable across imports)
    name: str
    name_key: str
    nisn: str = ""
    nipd: str = ""
    nik: str = ""                      # usable NIK, '' when missing or unusable
    nik_status: str = "ok"
    no_kk: str = ""
    sex: str = ""
    birth_place: str = ""
    birth_date: str = ""
    birth_date_source: str = ""
    rombel: str = ""
    counted: bool = True
    left_reason: str = ""
    left_date: str = ""
    blocking: bool = False


class RosterFindingRow(SQLModel, table=True):
    __tablename__ = "roster_finding"
    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="roster_import.id", ondelete="CASCADE", index=True)
    student_id: int | None = None
    row_number: int
    field: str = ""
    column_label: str = ""
    value: str = ""
    code: str
    severity: str
    message: str
    params: str = "{}"


class RegistryExtractRow(SQLModel, table=True):
    __tablename__ = "registry_extract"
    id: int | None = Field(default=None, primary_key=True)
    drive_slug: str
    file_name: str
    file_sha256: str
    file_format: str
    imported_at: str
    imported_by: str
    rows: int = 0
    persons: int = 0
    skipped: int = 0
    current: bool = True
    replaced_at: str | None = None
    layout: str = ""                   # JSON: the field delimiter and the column of each field in the lines


class RegistryBucketRow(SQLModel, table=True):
    """The extract's rows whose NIK (or birth date and sex) has one birth code (NIK digits 7-12), one per line;
    a code may have several rows (an extract read in parts). See migration 8."""

    __tablename__ = "registry_bucket"
    __table_args__ = (Index("ix_registry_bucket_code", "extract_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    extract_id: int = Field(foreign_key="registry_extract.id", ondelete="CASCADE")
    code: str
    data: str


class RegistryMatchRow(SQLModel, table=True):
    __tablename__ = "registry_match"
    student_id: int = Field(primary_key=True, foreign_key="roster_student.id", ondelete="CASCADE")
    drive_slug: str = Field(index=True)
    extract_id: int
    method: str                        # nik | name | decision
    registry_nik: str
    registry_status: str = ""
    score: float = 0.0
    matched_at: str


class RegistryReviewRow(SQLModel, table=True):
    __tablename__ = "registry_review"
    student_id: int = Field(primary_key=True, foreign_key="roster_student.id", ondelete="CASCADE")
    drive_slug: str = Field(index=True)
    extract_id: int
    reason: str                        # several | close | nik_name_differs | shared_person
    candidates: str = "[]"             # JSON list of {nik, name, birth_date, sex, status, score}
    created_at: str


class RegistryDecisionRow(SQLModel, table=True):
    __tablename__ = "registry_decision"
    __table_args__ = (UniqueConstraint("drive_slug", "school_code", "student_key"),)
    id: int | None = Field(default=None, primary_key=True)
    drive_slug: str
    school_code: str
    student_key: str
    decision: str                      # match | no_match
    registry_nik: str = ""
    decided_by: str
    decided_at: str

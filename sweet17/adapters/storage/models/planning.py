"""Visit plans: one ``plan`` row per stored version, its ``plan_visit`` rows (see migration 3); plans of
card hand-over visits (``--purpose delivery``) in ``delivery_plan`` and ``delivery_plan_visit``, the same
columns, a version series of their own (migration 9)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class PlanRow(SQLModel, table=True):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("drive_slug", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    drive_slug: str
    version: int
    parent_version: int | None = None
    kind: str = "plan"                 # plan | replan
    created_at: str
    created_by: str = ""
    method: str                        # cp-sat | cp-sat-decomposed | greedy
    status: str                        # optimal | feasible
    first_date: str
    end_date: str
    kit_days: int
    team_days: int
    visit_days: int
    travel_minutes: int
    students: int
    bound_end_date: str
    bound_kit_days: int
    greedy_end_date: str | None = None
    greedy_kit_days: int | None = None
    solve_seconds: float
    params: str = "{}"                 # JSON: teams, until, from, cancellations, team days off
    followup: str = "[]"               # JSON: per school, students who reach the age after the visit
    changes: str = "[]"                # JSON: visits changed against the parent version


class PlanVisitRow(SQLModel, table=True):
    __tablename__ = "plan_visit"
    __table_args__ = (UniqueConstraint("plan_id", "visit_date", "team_id", "school_code"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", ondelete="CASCADE")
    visit_date: str
    team_id: str
    school_code: str
    stop: int = 1                      # 1: the team's first school that day, 2: the second
    kits: str = "[]"                   # JSON list of kit ids
    students: int
    arrival: str                       # HH:MM
    travel_minutes: int                # ride to this school (from the office, or from the first school)
    fixed: bool = False                # kept as it was (past visit, agreed visit)
    split: bool = False                # the team's kits were divided between two schools that day


class DeliveryPlanRow(SQLModel, table=True):
    """A stored plan of card hand-over visits (KTPku Datang): the columns of ``plan``."""
    __tablename__ = "delivery_plan"
    __table_args__ = (UniqueConstraint("drive_slug", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    drive_slug: str
    version: int
    parent_version: int | None = None
    kind: str = "plan"
    created_at: str
    created_by: str = ""
    method: str
    status: str
    first_date: str
    end_date: str
    kit_days: int
    team_days: int
    visit_days: int
    travel_minutes: int
    students: int                      # cards to hand over
    bound_end_date: str
    bound_kit_days: int
    greedy_end_date: str | None = None
    greedy_kit_days: int | None = None
    solve_seconds: float
    params: str = "{}"
    followup: str = "[]"
    changes: str = "[]"


class DeliveryPlanVisitRow(SQLModel, table=True):
    __tablename__ = "delivery_plan_visit"
    __table_args__ = (UniqueConstraint("plan_id", "visit_date", "team_id", "school_code"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="delivery_plan.id", ondelete="CASCADE")
    visit_date: str
    team_id: str
    school_code: str
    stop: int = 1
    kits: str = "[]"
    students: int
    arrival: str
    travel_minutes: int
    fixed: bool = False
    split: bool = False

"""Version 9: plans of card hand-over visits (KTPku Datang), a version series of their own.

``drive plan --purpose delivery`` plans the visits that bring printed cards back to the schools with
the same planner as the recording visits. Those plans are stored like recording plans (migration 3)
but in their own tables, so their versions count apart and everything that reads ``plan`` as *the*
recording plan of a drive (the eligible list, the reports) keeps reading only recording plans.
Migration 3 is not edited.
"""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 9
NAME = "plan_purpose"

SQL = """
CREATE TABLE delivery_plan (
    id INTEGER PRIMARY KEY,
    drive_slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    parent_version INTEGER,
    kind TEXT NOT NULL DEFAULT 'plan' CHECK (kind IN ('plan', 'replan')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    first_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    kit_days INTEGER NOT NULL,
    team_days INTEGER NOT NULL,
    visit_days INTEGER NOT NULL,
    travel_minutes INTEGER NOT NULL,
    students INTEGER NOT NULL,
    bound_end_date TEXT NOT NULL,
    bound_kit_days INTEGER NOT NULL,
    greedy_end_date TEXT,
    greedy_kit_days INTEGER,
    solve_seconds REAL NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    followup TEXT NOT NULL DEFAULT '[]',
    changes TEXT NOT NULL DEFAULT '[]',
    UNIQUE (drive_slug, version)
);
CREATE TABLE delivery_plan_visit (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES delivery_plan (id) ON DELETE CASCADE,
    visit_date TEXT NOT NULL,
    team_id TEXT NOT NULL,
    school_code TEXT NOT NULL,
    stop INTEGER NOT NULL DEFAULT 1,
    kits TEXT NOT NULL DEFAULT '[]',
    students INTEGER NOT NULL,
    arrival TEXT NOT NULL,
    travel_minutes INTEGER NOT NULL,
    fixed INTEGER NOT NULL DEFAULT 0,
    split INTEGER NOT NULL DEFAULT 0,
    UNIQUE (plan_id, visit_date, team_id, school_code)
);
CREATE INDEX ix_delivery_plan_visit_school ON delivery_plan_visit (plan_id, school_code);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

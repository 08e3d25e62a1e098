"""Version 3: visit plans (one row per stored plan version) and their visits."""

from sqlalchemy import Connection

from sweet17.adapters.storage.migrate import run_script

VERSION = 3
NAME = "planning"

SQL = """
CREATE TABLE plan (
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
CREATE TABLE plan_visit (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
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
CREATE INDEX ix_plan_visit_school ON plan_visit (plan_id, school_code);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)

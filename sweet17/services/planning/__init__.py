"""Visit planning: which team visits which school on which day, stored as plan versions.

The public entry points (a library API as well as what the CLI calls):

- ``planned_visit_dates(ws, drive_slug)`` -- school code -> first planned visit date of the latest
  plan version (``{}`` when the drive has no plan). The eligibility list uses it.
- ``sweet17.services.planning.service`` -- ``plan_drive``, ``replan_drive``, ``latest_plan``.

The optimisation core (``model``, ``bounds``, ``greedy``) works on a pure ``Instance`` (see
``instance.py``) so it can be fed synthetic demand without a workspace.
"""

from __future__ import annotations

from datetime import date


def planned_visit_dates(ws, drive_slug: str) -> dict[str, date]:  # type: ignore[no-untyped-def]
    """School code -> first planned visit date, from the latest stored plan version of the drive."""
    from sqlalchemy import text

    with ws.engine.connect() as conn:
        plan_id = conn.execute(
            text("SELECT id FROM plan WHERE drive_slug = :s ORDER BY version DESC LIMIT 1"), {"s": drive_slug}
        ).scalar()
        if plan_id is None:
            return {}
        rows = conn.execute(
            text("SELECT school_code, MIN(visit_date) FROM plan_visit WHERE plan_id = :p GROUP BY school_code"),
            {"p": plan_id},
        ).all()
    return {code: date.fromisoformat(d) for code, d in rows}


def planned_visits(ws, drive_slug: str) -> dict[str, list[date]]:  # type: ignore[no-untyped-def]
    """School code -> every planned visit date (sorted) of the latest stored plan version ({} when no plan).

    A school visited on several days also records, as room allows, students who come of age between
    its first and its later visits: per-day call lists can use these dates.
    """
    from sqlalchemy import text

    with ws.engine.connect() as conn:
        plan_id = conn.execute(
            text("SELECT id FROM plan WHERE drive_slug = :s ORDER BY version DESC LIMIT 1"), {"s": drive_slug}
        ).scalar()
        if plan_id is None:
            return {}
        rows = conn.execute(
            text("SELECT DISTINCT school_code, visit_date FROM plan_visit WHERE plan_id = :p ORDER BY visit_date"),
            {"p": plan_id},
        ).all()
    out: dict[str, list[date]] = {}
    for code, d in rows:
        out.setdefault(code, []).append(date.fromisoformat(d))
    return out

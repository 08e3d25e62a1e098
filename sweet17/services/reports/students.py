"""Every student of a drive with the dated facts the reports and ``sweet17 status`` need.

One pass over the workspace: the current school rosters (``roster_student``), the registry
matches (recorded before the drive), the visit plan (the date each school is visited, which is
the date age is counted on), the day lists and check-ins of the sessions (called, absent), the
recordings with the supervisor's decisions and the hub's statuses, the printed-card list and the
card hand-overs. Recordings of students who are not on a roster (walk-ins) are kept as students
of their own, marked ``on_roster = False``.

Facts are matched to a roster student by the session's student reference (the roster row id or
key), else by NIK, else by NISN.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from sweet17.domain.eligibility import turns_age_on
from sweet17.domain.lifecycle import Event, Lifecycle, Stage, build

RECORDED_STATUSES = ("captured", "approved", "synced", "acknowledged")
SYNCED_STATUSES = ("synced", "acknowledged")
HUB_DUPLICATE = ("duplicate",)


def _d(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        return None


def _dt(s: str | None) -> datetime | date | None:
    if not s:
        return None
    try:
        return datetime.fromisoformat(s) if len(s) > 10 else date.fromisoformat(s)
    except ValueError:
        return None


@dataclass
class Recording:
    id: str
    status: str
    captured_at: str
    approved_at: str | None
    synced_at: str | None
    acknowledged_at: str | None
    hub_status: str | None
    hub_status_at: str | None
    rejected_at: str | None = None
    rejected_reason: str = ""
    hub_events: list[tuple[str, str]] = field(default_factory=list)    # (status, at)


@dataclass
class StudentFacts:
    key: str                         # roster id ("r:<id>") or recording id for walk-ins ("w:<id>")
    school_code: str
    name: str
    nik: str = ""
    nisn: str = ""
    birth_date: date | None = None
    sex: str = ""
    rombel: str = ""
    on_roster: bool = True
    roster_since: str | None = None  # when the roster that lists the student was imported
    refs: set[str] = field(default_factory=set)
    blocking: bool = False           # a data problem blocks recording
    foreign: bool = False            # a KITAS number instead of a NIK: not part of an e-KTP drive
    moved_on: str | None = None      # left the school (leavers' list)
    registry_status: str = ""        # recorded before the drive (registry extract), e.g. "recorded", "printed"
    eligible_from: date | None = None
    reference_date: date | None = None   # the date age is counted on (the school's visit, or the report date)
    called: list[str] = field(default_factory=list)       # days on a session's list
    absent: list[str] = field(default_factory=list)       # days marked absent
    recordings: list[Recording] = field(default_factory=list)
    printed_on: date | None = None
    card_serial: str = ""
    card_uid: str = ""
    delivered_at: str | None = None
    delivery_receiver: str = ""

    # ------------------------------------------------------------------ derived
    @property
    def of_age(self) -> bool:
        return not self.foreign and self.eligible_from is not None and self.reference_date is not None \
            and self.eligible_from <= self.reference_date

    @property
    def already_recorded(self) -> bool:
        return bool(self.registry_status)

    @property
    def eligible(self) -> bool:
        """Of age and not recorded before the drive: the students the drive is for."""
        return self.on_roster and self.of_age and not self.already_recorded and not self.moved_on

    @property
    def recording(self) -> Recording | None:
        """The recording that counts: the latest not rejected, else the latest."""
        good = [r for r in self.recordings if r.status in RECORDED_STATUSES]
        pool = good or self.recordings
        return max(pool, key=lambda r: r.captured_at) if pool else None

    @property
    def recorded(self) -> bool:
        r = self.recording
        return r is not None and r.status in RECORDED_STATUSES

    @property
    def synced(self) -> bool:
        r = self.recording
        return r is not None and r.status in SYNCED_STATUSES

    @property
    def printed(self) -> bool:
        return self.printed_on is not None

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None

    def lifecycle(self) -> Lifecycle:
        ev: list[Event] = []
        if self.on_roster:
            ev.append(Event(Stage.ON_ROSTER, _dt(self.roster_since), self.school_code))
        if self.moved_on:
            ev.append(Event(Stage.MOVED, _dt(self.moved_on)))
        if self.registry_status:
            ev.append(Event(Stage.ALREADY_RECORDED, None, self.registry_status))
        elif self.of_age and self.eligible_from is not None:
            ev.append(Event(Stage.ELIGIBLE, self.eligible_from))
        elif self.eligible_from is not None and not self.recordings:
            ev.append(Event(Stage.NOT_YET_OF_AGE, None, self.eligible_from.isoformat()))
        for d in self.called:
            ev.append(Event(Stage.CALLED, _dt(d), self.school_code))
        for d in self.absent:
            ev.append(Event(Stage.ABSENT, _dt(d + "T23:59:59") if len(d) == 10 else _dt(d)))
        for r in sorted(self.recordings, key=lambda r: r.captured_at):
            ev.append(Event(Stage.RECORDED, _dt(r.captured_at), r.id[:8]))
            if r.approved_at:
                ev.append(Event(Stage.APPROVED, _dt(r.approved_at)))
            if r.status == "rejected":
                ev.append(Event(Stage.REJECTED, _dt(r.rejected_at) or _dt(r.captured_at), r.rejected_reason))
            if r.synced_at:
                ev.append(Event(Stage.SYNCED, _dt(r.synced_at)))
            if r.acknowledged_at:
                ev.append(Event(Stage.ACKNOWLEDGED, _dt(r.acknowledged_at)))
            for status, at in r.hub_events:
                if status in HUB_DUPLICATE:
                    ev.append(Event(Stage.DUPLICATE, _dt(at)))
                elif status == "printed" and self.printed_on is None:
                    ev.append(Event(Stage.PRINTED, _dt(at)))
                elif status == "delivered" and self.delivered_at is None:
                    ev.append(Event(Stage.DELIVERED, _dt(at)))
        if self.printed_on:
            ev.append(Event(Stage.PRINTED, self.printed_on, self.card_serial))
        if self.delivered_at:
            ev.append(Event(Stage.DELIVERED, _dt(self.delivered_at), self.delivery_receiver))
        if not ev:
            ev.append(Event(Stage.ON_ROSTER, None))
        return build(ev)


def _latest_plan_dates(conn, slug: str) -> dict[str, date]:  # type: ignore[no-untyped-def]
    try:
        plan_id = conn.execute(text("SELECT id FROM plan WHERE drive_slug = :s ORDER BY version DESC LIMIT 1"),
                               {"s": slug}).scalar()
    except Exception:  # noqa: BLE001  no planning tables in this workspace
        return {}
    if plan_id is None:
        return {}
    return {code: date.fromisoformat(d) for code, d in conn.execute(text(
        "SELECT school_code, MIN(visit_date) FROM plan_visit WHERE plan_id = :p GROUP BY school_code"), {"p": plan_id})}


def _tables(conn) -> set[str]:  # type: ignore[no-untyped-def]
    return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}


def drive_students(ws, slug: str, min_age: int, as_of: date | None = None) -> list[StudentFacts]:  # type: ignore[no-untyped-def]
    """Every student of the drive ``slug`` with their facts. Age is counted on each school's first
    planned visit date when the drive has a plan, else on ``as_of`` (default today)."""
    as_of = as_of or date.today()
    students: list[StudentFacts] = []
    by_ref: dict[str, StudentFacts] = {}
    by_nik: dict[str, StudentFacts] = {}
    by_nisn: dict[str, StudentFacts] = {}
    with ws.engine.connect() as conn:
        tables = _tables(conn)
        visit = _latest_plan_dates(conn, slug) if "plan" in tables else {}
        if "roster_student" in tables:
            rows = conn.execute(text(
                "SELECT s.id, s.school_code, s.student_key, s.name, s.nik, s.nik_status, s.nisn, s.sex, s.birth_date, "
                "s.rombel, s.blocking, i.imported_at FROM roster_student s JOIN roster_import i ON i.id = s.import_id "
                "WHERE s.drive_slug = :d AND i.current = 1 AND i.kind = 'roster' AND s.counted = 1 "
                "ORDER BY s.school_code, s.row_number"), {"d": slug}).all()
            for (sid, school, skey, name, nik, nik_status, nisn, sex, bd, rombel, blocking, imported) in rows:
                foreign = nik_status == "kitas"
                f = StudentFacts(key=f"r:{sid}", school_code=school, name=name,
                                 nik=nik if len(nik) == 16 and nik.isdigit() and not foreign else "", nisn=nisn,
                                 birth_date=_d(bd), sex=sex, rombel=rombel, roster_since=imported,
                                 blocking=bool(blocking), foreign=foreign)
                f.refs = {str(sid), f"r:{sid}", skey, *([f"nisn:{nisn}"] if nisn else []),
                          *([f"nik:{nik}"] if nik else [])}
                f.reference_date = visit.get(school, as_of)
                f.eligible_from = turns_age_on(f.birth_date, min_age)
                students.append(f)
                for r in f.refs:
                    by_ref.setdefault(r, f)
                if f.nik:
                    by_nik.setdefault(f.nik, f)
                if nisn:
                    by_nisn.setdefault(nisn, f)
            for school, nisn, nik, _reason, left in conn.execute(text(
                    "SELECT s.school_code, s.nisn, s.nik, s.left_reason, COALESCE(NULLIF(s.left_date, ''), i.imported_at) "
                    "FROM roster_student s JOIN roster_import i ON i.id = s.import_id WHERE s.drive_slug = :d "
                    "AND i.current = 1 AND i.kind = 'leavers'"), {"d": slug}):
                f = by_nisn.get(nisn) if nisn else None
                f = f or (by_nik.get(nik) if nik else None)
                if f is not None and f.school_code == school:
                    f.moved_on = left
        if "registry_match" in tables:
            ids = {f.key[2:]: f for f in students}
            for sid, status in conn.execute(text(
                    "SELECT student_id, registry_status FROM registry_match WHERE drive_slug = :d"), {"d": slug}):
                f = ids.get(str(sid))
                if f is not None:
                    f.registry_status = status or "recorded"

        def find(ref: str, nik: str, nisn: str) -> StudentFacts | None:
            return by_ref.get(ref) or (by_nik.get(nik) if nik else None) or (by_nisn.get(nisn) if nisn else None)

        if "day_list" in tables:
            for ref, nik, nisn, day in conn.execute(text(
                    "SELECT student_ref, nik, nisn, day FROM day_list WHERE drive_slug = :d"), {"d": slug}):
                f = find(ref, nik, nisn)
                if f is not None and day not in f.called:
                    f.called.append(day)
        if "checkin" in tables:
            for ref, nik, nisn, day in conn.execute(text(
                    "SELECT student_ref, nik, nisn, day FROM checkin WHERE drive_slug = :d AND status = 'absent'"),
                    {"d": slug}):
                f = find(ref, nik, nisn)
                if f is not None:
                    f.absent.append(day)
        rejected_at: dict[str, str] = {}
        if "queue_decision" in tables:
            rejected_at = {rid: at for rid, at in conn.execute(text(
                "SELECT recording_id, MAX(decided_at) FROM queue_decision WHERE decision = 'rejected' "
                "GROUP BY recording_id"))}
        hub_events: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if "sync_status_event" in tables:
            for rid, status, at in conn.execute(text(
                    "SELECT recording_id, status, at FROM sync_status_event ORDER BY recording_id, hub_seq")):
                hub_events[rid].append((status, at))
        for r in conn.execute(text(
                "SELECT id, school_code, student_ref, nik, nisn, name, birth_date, sex, status, captured_at, "
                "approved_at, synced_at, acknowledged_at, hub_status, hub_status_at, rejected_reason FROM recording "
                "WHERE drive_slug = :d ORDER BY captured_at"), {"d": slug}):
            rec = Recording(r[0], r[8], r[9], r[10], r[11], r[12], r[13], r[14], rejected_at.get(r[0]), r[15] or "",
                            hub_events.get(r[0], []))
            if r[13] and not rec.hub_events:
                rec.hub_events = [(r[13], r[14] or r[9])]
            f = find(r[2], r[3], r[4])
            if f is None:                                   # a walk-in, or a student since removed from the roster
                f = StudentFacts(key=f"w:{r[0]}", school_code=r[1], name=r[5], nik=r[3], nisn=r[4],
                                 birth_date=_d(r[6]), sex=r[7], on_roster=False, refs={r[2]} if r[2] else set())
                f.reference_date = visit.get(r[1], as_of)
                f.eligible_from = turns_age_on(f.birth_date, min_age)
                students.append(f)
                if r[2]:
                    by_ref.setdefault(r[2], f)
                if r[3]:
                    by_nik.setdefault(r[3], f)
                if r[4]:
                    by_nisn.setdefault(r[4], f)
            f.recordings.append(rec)
        if "printed_card" in tables:
            for nik, printed, serial, uid in conn.execute(text(
                    "SELECT nik, printed_on, card_serial, chip_uid FROM printed_card")):
                f = by_nik.get(nik)
                if f is not None:
                    f.printed_on, f.card_serial, f.card_uid = _d(printed), serial, uid
        if "delivery" in tables:
            for nik, at, receiver in conn.execute(text(
                    "SELECT nik, delivered_at, receiver_name FROM delivery WHERE drive_slug = :d "
                    "ORDER BY delivered_at"), {"d": slug}):
                f = by_nik.get(nik)
                if f is not None:
                    f.delivered_at, f.delivery_receiver = at, receiver
    return students


def find_student(students: list[StudentFacts], query: str) -> list[StudentFacts]:
    """Students whose NIK (16 digits) or NISN (10 digits) is ``query``."""
    q = "".join(ch for ch in query if ch.isdigit())
    if len(q) == 16:
        return [s for s in students if s.nik == q]
    if len(q) == 10:
        return [s for s in students if s.nisn == q]
    return []


def to_jsonable(f: StudentFacts) -> dict[str, Any]:
    return json.loads(json.dumps({
        "school_code": f.school_code, "name": f.name, "nisn": f.nisn, "on_roster": f.on_roster,
        "birth_date": f.birth_date.isoformat() if f.birth_date else None,
        "eligible_from": f.eligible_from.isoformat() if f.eligible_from else None,
        "reference_date": f.reference_date.isoformat() if f.reference_date else None,
    }))

"""The recording session at the school: start or resume, the day's list, check-in, corrections,
walk-ins, consent, the capture sequence, exceptions, force-capture, review and the atomic commit.

Durability: every action is one short transaction (``synchronous=FULL``, WAL). Each capture
attempt is stored as it happens (sealed to the hub's key); a recording is committed in exactly one
transaction that inserts ``recording`` + ``recording_payload`` + the audit entry, marks the
check-in committed and clears the step data. Killing the process at any point therefore leaves a
check-in that ``resume`` continues from the next step, or a complete recording — never half of
one, never two (the recording id is fixed at check-in and is the primary key).

Every action first checks the idle timeout (``session.idle_minutes``, default 10): after it the
session is set aside and the operator must sign in again (``reopen``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sweet17.adapters import crypto
from sweet17.adapters.devices.base import (
    BiometricRecord,
    CaptureRequest,
    DeviceError,
    Modality,
    QualityNotReached,
)
from sweet17.domain import payload as pl
from sweet17.domain import session as rules
from sweet17.domain.recording import RecordingManifest
from sweet17.domain.session import (
    FACE,
    FINGER,
    IRIS,
    SIGNATURE,
    Attempt,
    CheckinStatus,
    Progress,
    Step,
    StepState,
)
from sweet17.i18n import _
from sweet17.services.operators import OperatorAccount
from sweet17.services.session import daylist
from sweet17.services.session.errors import (
    DiskFull,
    NoSession,
    SessionError,
    SessionIdle,
    WorkspaceMissing,
)
from sweet17.services.session.kit import Kit
from sweet17.services.session.payloads import jsonable, seal_blob, step_container

Clock = Callable[[], datetime]
PHOTO_SUB_TYPE = "ExceptionPhoto"     # the camera's plain-photo mode (adapters.devices.camera.EXCEPTION_PHOTO)
STEP_CODES = {Step.FACE: "face", Step.LEFT_SLAP: "lslap", Step.RIGHT_SLAP: "rslap", Step.THUMBS: "thumbs",
              Step.IRIS: "iris", Step.SIGNATURE: "sign"}


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(d: datetime) -> str:
    return d.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_ts(s: str) -> datetime:
    d = datetime.fromisoformat(s)
    return d if d.tzinfo else d.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------ database guard

def _db_error(ws, e: BaseException) -> Exception:  # type: ignore[no-untyped-def]
    msg = str(getattr(e, "orig", e)).lower()
    if "disk i/o" in msg and ws.path.exists():
        import shutil

        try:
            if shutil.disk_usage(ws.path).free < 4 * 1024 * 1024:
                msg = "full"            # an I/O error on a full disk is a full disk
        except OSError:
            pass
    if "full" in msg:
        return DiskFull(_("The disk is full: nothing was saved from the last action. Free some space (or plug in "
                          "the spare disk), then continue: sweet17 session resume"))
    if not ws.db_path.exists() or "unable to open" in msg or "disk i/o" in msg or "readonly" in msg:
        return WorkspaceMissing(_("The workspace at {path} cannot be reached (unplugged or removed?). Reconnect it, "
                                  "then continue: sweet17 session resume").format(path=ws.path))
    return e  # type: ignore[return-value]


@contextmanager
def guarded_tx(ws) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """One write transaction; a full disk or a vanished workspace become clear ``UserError``s."""
    if not ws.db_path.exists():
        ws.close()
        raise WorkspaceMissing(_("The workspace at {path} cannot be reached (unplugged or removed?). Reconnect it, "
                                 "then continue: sweet17 session resume").format(path=ws.path))
    try:
        with ws.engine.begin() as conn:
            yield conn
    except DBAPIError as e:
        mapped = _db_error(ws, e)
        if mapped is e:
            raise
        ws.close()   # the next action opens fresh connections
        raise mapped from None
    except OSError as e:
        import errno

        if e.errno == errno.ENOSPC:
            raise DiskFull(_("The disk is full: nothing was saved from the last action. Free some space (or plug "
                             "in the spare disk), then continue: sweet17 session resume")) from None
        raise


# ------------------------------------------------------------------------------ values returned

@dataclass(frozen=True)
class Checkin:
    id: str
    session_id: str
    drive_slug: str
    school_code: str
    day: str
    student_ref: str
    source: str
    nik: str
    nisn: str
    name: str
    birth_date: str
    sex: str
    rombel: str
    status: str
    recording_id: str
    operator: str
    checked_in_at: str
    capture_started_at: str | None
    committed_at: str | None
    cancel_reason: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_CK_COLS = ("id, session_id, drive_slug, school_code, day, student_ref, source, nik, nisn, name, birth_date, sex, "
            "rombel, status, recording_id, operator, checked_in_at, capture_started_at, committed_at, cancel_reason")


@dataclass(frozen=True)
class CaptureOutcome:
    """What one capture attempt gave (for the operator's screen and the script log)."""

    step: str
    attempt: int
    accepted: bool
    qualities: dict[str, float | None]
    problems: tuple[str, ...]
    error: str = ""                    # device error kind
    message: str = ""                  # translated, for the operator
    state: str = ""                    # the step's state after this attempt
    next_step: str | None = None
    duration_ms: int = 0
    expected_background: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CommitResult:
    recording_id: str
    checkin_id: str
    payload_sha256: str
    payload_size: int
    force_captured: bool
    exceptions: tuple[str, ...]
    retries: int
    already: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class SessionInfo:
    id: str
    drive_slug: str
    school_code: str
    day: date
    kit: str
    operator: str
    status: str
    started_at: str
    last_activity_at: str
    rules: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "drive": self.drive_slug, "school_code": self.school_code, "day": self.day.isoformat(),
                "kit": self.kit, "operator": self.operator, "status": self.status, "started_at": self.started_at,
                "last_activity_at": self.last_activity_at}


def _session_info(row: Any) -> SessionInfo:
    return SessionInfo(id=row[0], drive_slug=row[1], school_code=row[2], day=date.fromisoformat(row[3]), kit=row[4],
                       operator=row[5], status=row[6], started_at=row[7], last_activity_at=row[8],
                       rules=json.loads(row[9] or "{}"))


_SS_COLS = "id, drive_slug, school_code, day, kit, operator, status, started_at, last_activity_at, rules"


# ------------------------------------------------------------------------------ checks before a session

def offline_block(ws, now: datetime) -> str | None:  # type: ignore[no-untyped-def]
    """The translated reason a new session must not start (offline limit), or None."""
    limits = rules.OfflineLimits(max_days=int(ws.setting("session.offline_max_days", 7)),
                                 max_awaiting=int(ws.setting("session.offline_max_awaiting", 400)))
    with ws.engine.connect() as c:
        oldest = c.execute(text("SELECT MIN(captured_at) FROM recording WHERE status IN ('captured', 'approved')")
                           ).scalar()
        awaiting = int(c.execute(text("SELECT COUNT(*) FROM recording WHERE status = 'captured'")).scalar() or 0)
    found = rules.offline_problem(parse_ts(oldest) if oldest else None, awaiting, now, limits)
    if found is None:
        return None
    msg, params = found
    return _(msg).format(**params)


def open_session(ws) -> SessionInfo | None:  # type: ignore[no-untyped-def]
    """The session on this laptop that has not ended (open or set aside after idle), if any."""
    with ws.engine.connect() as c:
        row = c.execute(text(f"SELECT {_SS_COLS} FROM recording_session WHERE status IN ('open', 'idle') "
                             "ORDER BY started_at DESC LIMIT 1")).first()
    return _session_info(row) if row else None


def _resolve_school(ws, school_code: str, drive: Any = None) -> tuple[str, Any, int]:  # type: ignore[no-untyped-def]
    from sweet17.services.drives import current_drive

    loaded = current_drive(ws, drive) if not hasattr(drive, "drive") else drive
    try:
        loaded.drive.school(school_code)
    except KeyError:
        codes = ", ".join(s.code for s in loaded.drive.schools[:8])
        raise SessionError(_("Option --school: {code} is not a school of the drive {drive} (for example: {codes})")
                           .format(code=school_code, drive=loaded.slug, codes=codes), field="--school") from None
    return loaded.slug, loaded, loaded.drive.min_age


def start_session(ws, operator: OperatorAccount, school_code: str, kit: Kit, *, drive: Any = None,  # type: ignore[no-untyped-def]
                  day: date | None = None, clock: Clock | None = None,
                  students: list[Any] | None = None) -> RecordingSession:
    """Open a session at a school for today (or ``day``). Refuses when the offline limit is reached,
    the hub key is missing, the kit lacks a device, or another session is still open."""
    from sweet17.services.keys import require_hub_keys

    clock = clock or utc_now
    now = clock()
    day = day or datetime.now().date()
    require_hub_keys(ws)
    block = offline_block(ws, now)
    if block:
        raise SessionError(block)
    other = open_session(ws)
    if other is not None:
        raise SessionError(_("A session at school {school} (started {started}) is still open. Continue it with: "
                             "sweet17 session resume").format(school=other.school_code, started=other.started_at[:16]))
    missing = kit.missing()
    if missing:
        from sweet17.services.session.kit import MODALITY_LABELS

        raise SessionError(_("The kit {kit} has no {devices}: check the kit profile and the cables.").format(
            kit=kit.name, devices=", ".join(_(MODALITY_LABELS[m]) for m in missing)), field="--kit")
    slug, loaded, _min_age = _resolve_school(ws, school_code, drive)
    if students is None and not daylist.has_day_list(ws, slug, school_code, day):
        students = daylist.fetch_call_list(ws, slug, school_code, day, loaded.drive.min_age)
    sid = str(uuid.uuid4())
    with guarded_tx(ws) as c:
        if students is not None:
            daylist.snapshot_day_list(ws, slug, school_code, day, students, conn=c)
        c.execute(text(
            "INSERT INTO recording_session (id, drive_slug, school_code, day, kit, operator, status, started_at, "
            "last_activity_at, devices, rules) VALUES (:id, :d, :s, :day, :kit, :op, 'open', :t, :t, :dev, :rules)"),
            {"id": sid, "d": slug, "s": school_code, "day": day.isoformat(), "kit": kit.name, "op": operator.username,
             "t": iso(now), "dev": json.dumps(jsonable(kit.describe())), "rules": json.dumps(kit.rules.to_dict())})
        ws.audit(operator.username, "session.start", sid, {"school": school_code, "day": day.isoformat(),
                                                            "kit": kit.name}, conn=c)
    return RecordingSession(ws, sid, operator, kit, clock=clock, min_age=loaded.drive.min_age)


def resume_session(ws, operator: OperatorAccount, kit: Kit, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                   drive: Any = None) -> RecordingSession:
    """Continue the session that has not ended (after a crash, a power cut, an idle timeout)."""
    from sweet17.services.keys import require_hub_keys

    clock = clock or utc_now
    require_hub_keys(ws)
    info = open_session(ws)
    if info is None:
        raise NoSession(_("There is no session to continue. Start one with: sweet17 session start --school CODE"))
    min_age = 16
    try:
        _slug, loaded, min_age = _resolve_school(ws, info.school_code, drive)
    except SessionError:
        pass
    s = RecordingSession(ws, info.id, operator, kit, clock=clock, min_age=min_age)
    s._reopen(operator, "session.resume")
    return s


# ------------------------------------------------------------------------------ the session

class RecordingSession:
    """One operator's session at one school on one day. Every method is one durable step."""

    def __init__(self, ws, session_id: str, operator: OperatorAccount, kit: Kit, *,  # type: ignore[no-untyped-def]
                 clock: Clock | None = None, min_age: int = 16) -> None:
        self.ws = ws
        self.id = session_id
        self.operator = operator
        self.kit = kit
        self.clock = clock or utc_now
        self.min_age = min_age
        info = self.info()
        self.drive_slug, self.school_code, self.day = info.drive_slug, info.school_code, info.day
        self._last = parse_ts(info.last_activity_at)
        self._hub_public: bytes | None = None

    # -------------------------------------------------------------- basics
    @property
    def user(self) -> str:
        return self.operator.username

    @property
    def rules(self) -> rules.CaptureRules:
        return self.kit.rules

    def info(self) -> SessionInfo:
        with self.ws.engine.connect() as c:
            row = c.execute(text(f"SELECT {_SS_COLS} FROM recording_session WHERE id = :i"), {"i": self.id}).first()
        if row is None:
            raise NoSession(_("Session {id} does not exist in this workspace.").format(id=self.id))
        return _session_info(row)

    def hub_public(self) -> bytes:
        if self._hub_public is None:
            from sweet17.services.keys import require_hub_keys

            self._hub_public = require_hub_keys(self.ws).seal_public
        return self._hub_public

    def _now(self) -> datetime:
        return self.clock()

    def _active(self) -> datetime:
        """Check the session may act now (not ended, not idle); returns the time of the action."""
        now = self._now()
        if not self.ws.db_path.exists():
            self.ws.close()
            raise WorkspaceMissing(_("The workspace at {path} cannot be reached (unplugged or removed?). Reconnect "
                                     "it, then continue: sweet17 session resume").format(path=self.ws.path))
        info = self.info()
        if info.status == "ended":
            raise NoSession(_("This session has ended. Start a new one with: sweet17 session start --school CODE"))
        if info.status == "idle":
            raise SessionIdle(_("The session was locked after {minutes} idle minutes. Sign in again to continue.")
                              .format(minutes=self.idle_minutes))
        if rules.idle_expired(self._last, now, self.idle_minutes):
            with guarded_tx(self.ws) as c:
                c.execute(text("UPDATE recording_session SET status = 'idle' WHERE id = :i AND status = 'open'"),
                          {"i": self.id})
                self.ws.audit("system", "session.idle", self.id, {"operator": self.user,
                                                                  "minutes": self.idle_minutes}, conn=c)
            raise SessionIdle(_("The session was locked after {minutes} idle minutes. Sign in again to continue.")
                              .format(minutes=self.idle_minutes))
        return now

    @property
    def idle_minutes(self) -> float:
        return float(self.ws.setting("session.idle_minutes", 10))

    def _touch(self, c: Any, now: datetime) -> None:
        c.execute(text("UPDATE recording_session SET last_activity_at = :t WHERE id = :i"), {"t": iso(now), "i": self.id})
        self._last = now

    def _reopen(self, operator: OperatorAccount, action: str) -> None:
        now = self._now()
        info = self.info()
        with guarded_tx(self.ws) as c:
            details: dict[str, Any] = {"school": info.school_code, "from_status": info.status}
            if operator.username != info.operator:
                details["handover_from"] = info.operator
            c.execute(text("UPDATE recording_session SET status = 'open', operator = :op, last_activity_at = :t "
                           "WHERE id = :i"), {"op": operator.username, "t": iso(now), "i": self.id})
            self.ws.audit(operator.username, action, self.id, details, conn=c)
        self.operator = operator
        self._last = now

    def reopen(self, operator: OperatorAccount) -> None:
        """Continue after the idle lock, with whoever signed in again."""
        self._reopen(operator, "session.unlock")

    def end(self, reason: str = "closed") -> None:
        now = self._now()
        counts = self.counts().to_dict()
        with guarded_tx(self.ws) as c:
            c.execute(text("UPDATE recording_session SET status = 'ended', ended_at = :t, end_reason = :r "
                           "WHERE id = :i AND status <> 'ended'"), {"t": iso(now), "r": reason, "i": self.id})
            self.ws.audit(self.user, "session.end", self.id, {"reason": reason, **counts}, conn=c)
        from sweet17.services.session.audit_trail import write_anchor

        write_anchor(self.ws)

    # -------------------------------------------------------------- the day's list
    def students(self) -> list[daylist.ListedStudent]:
        return daylist.day_list(self.ws, self.drive_slug, self.school_code, self.day)

    def checkins(self, *, include_cancelled: bool = False) -> list[Checkin]:
        sql = (f"SELECT {_CK_COLS} FROM checkin WHERE drive_slug = :d AND school_code = :s AND day = :day"
               + ("" if include_cancelled else " AND status <> 'cancelled'") + " ORDER BY checked_in_at")
        with self.ws.engine.connect() as c:
            rows = c.execute(text(sql), {"d": self.drive_slug, "s": self.school_code, "day": self.day.isoformat()}).all()
        return [Checkin(*r) for r in rows]

    def counts(self) -> rules.DayCounts:
        called = [s.student_ref for s in self.students()]
        return rules.day_counts(called, [(c.student_ref, c.status, c.source)
                                         for c in self.checkins(include_cancelled=True)])

    def roll(self) -> list[dict[str, Any]]:
        """The day's list with each student's status today (walk-ins at the end)."""
        by_ref = {c.student_ref: c for c in self.checkins()}
        out = []
        for s in self.students():
            ck = by_ref.pop(s.student_ref, None)
            out.append({**s.to_dict(), "status": ck.status if ck else "waiting", "checkin_id": ck.id if ck else None,
                        "source": "list"})
        for ck in by_ref.values():
            if ck.source == "walk_in":
                out.append({"student_ref": ck.student_ref, "name": ck.name, "nik": ck.nik, "nisn": ck.nisn,
                            "birth_date": ck.birth_date, "sex": ck.sex, "rombel": ck.rombel, "note": "",
                            "status": ck.status, "checkin_id": ck.id, "source": "walk_in"})
        return out

    def search(self, query: str, limit: int = 8) -> list[daylist.Match]:
        """Find a student on today's list or among today's walk-ins (NIK, NISN or fuzzy name)."""
        listed = self.students()
        refs = {s.student_ref for s in listed}
        for ck in self.checkins():
            if ck.source == "walk_in" and ck.student_ref not in refs:
                listed.append(daylist.ListedStudent(ck.student_ref, ck.name, ck.nik, ck.nisn, ck.birth_date, ck.sex,
                                                    ck.rombel, _("walk-in")))
        return daylist.search(listed, query, limit)

    def in_progress(self) -> list[Checkin]:
        return [c for c in self.checkins() if c.status in {s.value for s in rules.OPEN_STATUSES}]

    # -------------------------------------------------------------- check-in
    def checkin(self, checkin_id: str) -> Checkin:
        with self.ws.engine.connect() as c:
            row = c.execute(text(f"SELECT {_CK_COLS} FROM checkin WHERE id = :i"), {"i": checkin_id}).first()
        if row is None:
            raise SessionError(_("Unknown check-in {id}.").format(id=checkin_id))
        return Checkin(*row)

    def _today(self, c: Any, student_ref: str) -> Checkin | None:
        row = c.execute(text(f"SELECT {_CK_COLS} FROM checkin WHERE drive_slug = :d AND day = :day AND student_ref = :r "
                             "AND status <> 'cancelled'"),
                        {"d": self.drive_slug, "day": self.day.isoformat(), "r": student_ref}).first()
        return Checkin(*row) if row else None

    def _recorded_before(self, c: Any, student_ref: str, nik: str) -> str | None:
        """captured_at of an earlier recording of this student in the drive (not rejected), if any."""
        row = c.execute(text(
            "SELECT captured_at FROM recording WHERE drive_slug = :d AND status <> 'rejected' AND "
            "(student_ref = :r OR (:nik <> '' AND nik = :nik)) ORDER BY captured_at LIMIT 1"),
            {"d": self.drive_slug, "r": student_ref, "nik": nik}).first()
        return row[0] if row else None

    def check_in(self, student_ref: str) -> tuple[Checkin, bool]:
        """Check in a student of the day's list. Returns (check-in, created). Idempotent for the day."""
        now = self._active()
        listed = {s.student_ref: s for s in self.students()}
        st = listed.get(student_ref)
        if st is None:
            raise SessionError(_("This student is not on today's list of school {school}. Add them as a walk-in "
                                 "with a reason.").format(school=self.school_code))
        with guarded_tx(self.ws) as c:
            existing = self._today(c, student_ref)
            if existing is not None and existing.status != CheckinStatus.ABSENT:
                return existing, False
            earlier = self._recorded_before(c, student_ref, st.nik)
            if earlier:
                raise SessionError(_("{name} was already recorded on {date}; no second recording is made.").format(
                    name=st.name, date=earlier[:10]))
            if existing is not None:   # marked absent, arrived late
                c.execute(text("UPDATE checkin SET status = 'checked_in', checked_in_at = :t, operator = :op, "
                               "session_id = :s WHERE id = :i"),
                          {"t": iso(now), "op": self.user, "s": self.id, "i": existing.id})
                cid = existing.id
            else:
                cid = str(uuid.uuid4())
                c.execute(text(
                    "INSERT INTO checkin (id, session_id, drive_slug, school_code, day, student_ref, source, nik, nisn, "
                    "name, birth_date, sex, rombel, status, recording_id, operator, checked_in_at) VALUES (:id, :s, :d, "
                    ":sc, :day, :ref, 'list', :nik, :nisn, :name, :bd, :sex, :rombel, 'checked_in', :rid, :op, :t)"),
                    {"id": cid, "s": self.id, "d": self.drive_slug, "sc": self.school_code, "day": self.day.isoformat(),
                     "ref": student_ref, "nik": st.nik, "nisn": st.nisn, "name": st.name, "bd": st.birth_date,
                     "sex": st.sex, "rombel": st.rombel, "rid": str(uuid.uuid4()), "op": self.user, "t": iso(now)})
            self.ws.audit(self.user, "checkin", cid, {"session": self.id, "late": existing is not None}, conn=c)
            self._touch(c, now)
        return self.checkin(cid), True

    def walk_in(self, *, name: str, birth_date: str, sex: str, reason: str, nik: str = "", nisn: str = "",
                rombel: str = "") -> tuple[Checkin, bool]:
        """Add a student who is not on the list. Needs a reason; refused under the minimum age."""
        now = self._active()
        values: dict[str, str] = {}
        for fld, val in (("name", name), ("birth_date", birth_date), ("sex", sex), ("nik", nik), ("nisn", nisn)):
            if fld in ("nik", "nisn") and not str(val).strip():
                values[fld] = ""
                continue
            v, problem = rules.correction_value(fld, val, self.day)
            if problem:
                raise SessionError(_("Walk-in, field {field}: {problem}").format(
                    field=_(rules.FIELD_LABELS[fld]), problem=_(problem)), field=fld)
            values[fld] = v
        if len(reason.strip()) < 3:
            raise SessionError(_("A walk-in needs a reason (for example: transferred from another school)."),
                               field="reason")
        problem = rules.walk_in_problem(values["birth_date"], self.day, self.min_age)
        if problem:
            raise SessionError(_(problem).format(age=self.min_age), field="birth_date")
        ref = f"walkin:nik:{values['nik']}" if values["nik"] else \
            f"walkin:{rules.normalise_name(values['name'])}:{values['birth_date']}"
        with guarded_tx(self.ws) as c:
            existing = self._today(c, ref)
            if existing is not None:
                return existing, False
            if values["nik"]:
                on_list = c.execute(text("SELECT student_ref FROM day_list WHERE drive_slug = :d AND day = :day AND "
                                         "nik = :n"), {"d": self.drive_slug, "day": self.day.isoformat(),
                                                       "n": values["nik"]}).first()
                if on_list is not None and on_list[0] != ref:
                    raise SessionError(_("A student with this NIK is on today's list: check them in from the list."),
                                       field="nik")
            earlier = self._recorded_before(c, ref, values["nik"])
            if earlier:
                raise SessionError(_("{name} was already recorded on {date}; no second recording is made.").format(
                    name=values["name"], date=earlier[:10]))
            cid = str(uuid.uuid4())
            c.execute(text(
                "INSERT INTO checkin (id, session_id, drive_slug, school_code, day, student_ref, source, nik, nisn, "
                "name, birth_date, sex, rombel, status, recording_id, operator, checked_in_at) VALUES (:id, :s, :d, :sc, "
                ":day, :ref, 'walk_in', :nik, :nisn, :name, :bd, :sex, :rombel, 'checked_in', :rid, :op, :t)"),
                {"id": cid, "s": self.id, "d": self.drive_slug, "sc": self.school_code, "day": self.day.isoformat(),
                 "ref": ref, "nik": values["nik"], "nisn": values["nisn"], "name": values["name"],
                 "bd": values["birth_date"], "sex": values["sex"], "rombel": rombel.strip(), "rid": str(uuid.uuid4()),
                 "op": self.user, "t": iso(now)})
            c.execute(text("INSERT INTO walk_in (checkin_id, reason, operator, created_at) VALUES (:c, :r, :op, :t)"),
                      {"c": cid, "r": reason.strip(), "op": self.user, "t": iso(now)})
            self.ws.audit(self.user, "checkin.walk_in", cid, {"session": self.id, "reason": reason.strip()}, conn=c)
            self._touch(c, now)
        return self.checkin(cid), True

    def mark_absent(self, student_ref: str) -> Checkin:
        """Mark a listed student absent today (idempotent; a late arrival can still check in)."""
        now = self._active()
        if student_ref not in {x.student_ref for x in self.students()}:
            raise SessionError(_("This student is not on today's list of school {school}.").format(
                school=self.school_code))
        st = next(s for s in self.students() if s.student_ref == student_ref)
        with guarded_tx(self.ws) as c:
            existing = self._today(c, student_ref)
            if existing is not None:
                if existing.status == CheckinStatus.ABSENT:
                    return existing
                raise SessionError(_("{name} is already checked in today ({status}).").format(
                    name=existing.name, status=_(rules.STATUS_LABELS[CheckinStatus(existing.status)])))
            cid = str(uuid.uuid4())
            c.execute(text(
                "INSERT INTO checkin (id, session_id, drive_slug, school_code, day, student_ref, source, nik, nisn, "
                "name, birth_date, sex, rombel, status, recording_id, operator, checked_in_at) VALUES (:id, :s, :d, :sc, "
                ":day, :ref, 'list', :nik, :nisn, :name, :bd, :sex, :rombel, 'absent', :rid, :op, :t)"),
                {"id": cid, "s": self.id, "d": self.drive_slug, "sc": self.school_code, "day": self.day.isoformat(),
                 "ref": student_ref, "nik": st.nik, "nisn": st.nisn, "name": st.name, "bd": st.birth_date, "sex": st.sex,
                 "rombel": st.rombel, "rid": str(uuid.uuid4()), "op": self.user, "t": iso(now)})
            self.ws.audit(self.user, "checkin.absent", cid, {"session": self.id}, conn=c)
            self._touch(c, now)
        return self.checkin(cid)

    def _open_checkin(self, checkin_id: str) -> Checkin:
        ck = self.checkin(checkin_id)
        if ck.status == CheckinStatus.COMMITTED:
            raise SessionError(_("{name} is already recorded.").format(name=ck.name))
        if ck.status in (CheckinStatus.CANCELLED, CheckinStatus.ABSENT):
            raise SessionError(_("{name} is not checked in (status: {status}).").format(
                name=ck.name, status=_(rules.STATUS_LABELS[CheckinStatus(ck.status)])))
        return ck

    def correct(self, checkin_id: str, fld: str, value: str, reason: str) -> bool:
        """Record a correction (who, why, old and new value) on the desk copy; the roster is never changed.

        Returns False when the value is already the same (nothing recorded)."""
        now = self._active()
        ck = self._open_checkin(checkin_id)
        if fld not in rules.CORRECTABLE:
            raise SessionError(_("Field {field} cannot be corrected (use: name, birth_date, sex, nik, nisn).").format(
                field=fld), field="field")
        v, problem = rules.correction_value(fld, value, self.day)
        if problem:
            raise SessionError(_("Correction of {field}: {problem}").format(field=_(rules.FIELD_LABELS[fld]),
                                                                              problem=_(problem)), field=fld)
        if len(reason.strip()) < 3:
            raise SessionError(_("A correction needs a reason (for example: birth certificate shown)."),
                               field="reason")
        old = getattr(ck, fld)
        if old == v:
            return False
        with guarded_tx(self.ws) as c:
            c.execute(text("INSERT INTO correction (checkin_id, field, old_value, new_value, reason, operator, "
                           "created_at) VALUES (:c, :f, :o, :n, :r, :op, :t)"),
                      {"c": checkin_id, "f": fld, "o": old, "n": v, "r": reason.strip(), "op": self.user, "t": iso(now)})
            c.execute(text(f"UPDATE checkin SET {fld} = :v WHERE id = :i"), {"v": v, "i": checkin_id})
            self.ws.audit(self.user, "correction", checkin_id, {"field": fld, "reason": reason.strip()}, conn=c)
            self._touch(c, now)
        return True

    def corrections(self, checkin_id: str) -> list[dict[str, Any]]:
        with self.ws.engine.connect() as c:
            rows = c.execute(text("SELECT field, old_value, new_value, reason, operator, created_at FROM correction "
                                  "WHERE checkin_id = :c ORDER BY id"), {"c": checkin_id}).all()
        return [{"field": r[0], "old": r[1], "new": r[2], "reason": r[3], "operator": r[4], "at": r[5]} for r in rows]

    def consent(self, checkin_id: str, *, given_by: str = "student", method: str = "verbal",
                guardian_name: str = "") -> bool:
        """Record consent before capture. Returns False when it was already recorded."""
        now = self._active()
        ck = self._open_checkin(checkin_id)
        if given_by not in rules.CONSENT_GIVERS:
            raise SessionError(_("Consent is given by the student or a guardian."), field="given_by")
        if method not in rules.CONSENT_METHODS:
            raise SessionError(_("Consent is verbal or signed."), field="method")
        if given_by == "guardian" and len(guardian_name.strip()) < 2:
            raise SessionError(_("Write the guardian's name."), field="guardian_name")
        if ck.status != CheckinStatus.CHECKED_IN:
            return False
        with guarded_tx(self.ws) as c:
            c.execute(text("INSERT INTO consent (checkin_id, given_by, guardian_name, method, statement_version, "
                           "operator, recorded_at) VALUES (:c, :g, :gn, :m, :v, :op, :t)"),
                      {"c": checkin_id, "g": given_by, "gn": guardian_name.strip(), "m": method,
                       "v": rules.CONSENT_VERSION, "op": self.user, "t": iso(now)})
            c.execute(text("UPDATE checkin SET status = 'consented' WHERE id = :i AND status = 'checked_in'"),
                      {"i": checkin_id})
            self.ws.audit(self.user, "consent", checkin_id, {"given_by": given_by, "method": method,
                                                             "version": rules.CONSENT_VERSION}, conn=c)
            self._touch(c, now)
        return True

    def cancel(self, checkin_id: str, reason: str) -> None:
        """The student leaves before the commit: the check-in is cancelled and its sealed step data erased."""
        now = self._active()
        self._open_checkin(checkin_id)
        if len(reason.strip()) < 3:
            raise SessionError(_("Cancelling needs a reason."), field="reason")
        with guarded_tx(self.ws) as c:
            c.execute(text("UPDATE checkin SET status = 'cancelled', cancel_reason = :r WHERE id = :i"),
                      {"r": reason.strip(), "i": checkin_id})
            c.execute(text("UPDATE capture_step SET data = NULL WHERE checkin_id = :i"), {"i": checkin_id})
            c.execute(text("UPDATE capture_exception SET proof = NULL WHERE checkin_id = :i"), {"i": checkin_id})
            self.ws.audit(self.user, "checkin.cancel", checkin_id, {"reason": reason.strip()}, conn=c)
            self._touch(c, now)

    # -------------------------------------------------------------- capture
    def _attempts(self, checkin_id: str) -> list[tuple[Attempt, dict[str, Any]]]:
        with self.ws.engine.connect() as c:
            rows = c.execute(text(
                "SELECT step, attempt, excepted, qualities, error, problems, forced, id, nfiq2, duration_ms, "
                "force_reason, supervisor, forced_at, device, started_at FROM capture_step WHERE checkin_id = :c "
                "ORDER BY step, attempt"), {"c": checkin_id}).all()
        out = []
        for r in rows:
            a = Attempt(step=Step(r[0]), attempt=r[1], excepted=tuple(json.loads(r[2])), qualities=json.loads(r[3]),
                        error=r[4], problems=tuple(json.loads(r[5])), forced=bool(r[6]))
            out.append((a, {"id": r[7], "nfiq2": json.loads(r[8]), "duration_ms": r[9], "force_reason": r[10],
                            "supervisor": r[11], "forced_at": r[12], "device": json.loads(r[13]), "started_at": r[14]}))
        return out

    def exceptions(self, checkin_id: str) -> list[dict[str, Any]]:
        with self.ws.engine.connect() as c:
            rows = c.execute(text("SELECT modality, position, kind, reason, operator, marked_at, proof_format, "
                                  "proof IS NOT NULL FROM capture_exception WHERE checkin_id = :c ORDER BY id"),
                             {"c": checkin_id}).all()
        return [{"modality": r[0], "position": r[1], "kind": r[2], "reason": r[3], "operator": r[4], "at": r[5],
                 "proof_format": r[6], "has_proof": bool(r[7])} for r in rows]

    def progress(self, checkin_id: str) -> Progress:
        attempts = [a for a, _meta in self._attempts(checkin_id)]
        ex = [(e["modality"], e["position"]) for e in self.exceptions(checkin_id)]
        return rules.progress(attempts, ex, self.rules)

    def expected_background(self, ck: Checkin) -> str:
        try:
            return rules.background_colour(date.fromisoformat(ck.birth_date).year)
        except ValueError:
            return ""

    def _device_for(self, modality: str) -> Any:
        dev = self.kit.device(modality)
        if dev is None and modality == SIGNATURE:
            dev = self.kit.proof_camera
        return dev

    def _still_photo(self, tx: str, purpose: str) -> tuple[bytes, str, Any]:
        """A plain still photo from the face camera (proof of an exception, or a signature on paper):
        the camera's photo mode (sub type ``ExceptionPhoto``: sharpness and exposure, no face rules)."""
        cam = self.kit.proof_camera
        if cam is None:
            from sweet17.adapters.devices.base import DeviceNotFound

            raise DeviceNotFound("no face camera in the kit")
        req = CaptureRequest(modality=Modality.FACE, sub_id=0, sub_types=(PHOTO_SUB_TYPE,), requested_score=1,
                             timeout_ms=self.kit.timeout_ms, transaction_id=tx)
        result = cam.capture(req)
        if not result.records:
            from sweet17.adapters.devices.base import CaptureFailed

            raise CaptureFailed("the camera returned no photo")
        rec = result.records[0]
        return bytes(rec.data), rec.data_format or "image/jpeg", rec.device

    def capture_next(self, checkin_id: str) -> CaptureOutcome:
        """Capture the next step of the sequence once (one attempt). Device failures come back as an
        outcome with ``error`` set (the step stays open, no retry is used up)."""
        now = self._active()
        ck = self._open_checkin(checkin_id)
        if ck.status == CheckinStatus.CHECKED_IN:
            raise SessionError(_("Record the consent of {name} before capturing.").format(name=ck.name))
        prog = self.progress(checkin_id)
        nxt = prog.next
        if nxt is None:
            return CaptureOutcome(step="", attempt=0, accepted=True, qualities={}, problems=(), state="complete",
                                  message=_("Every step is done: review and commit."))
        if nxt.state == StepState.DECIDE:
            raise SessionError(_("{step}: {n} attempts stayed below the threshold. Force-capture (supervisor) or "
                                 "mark exceptions.").format(step=_(nxt.spec.label), n=nxt.counted))
        s = nxt.spec
        with self.ws.engine.connect() as c:
            attempt_no = int(c.execute(text("SELECT COALESCE(MAX(attempt), 0) FROM capture_step WHERE checkin_id = :c "
                                            "AND step = :s"), {"c": checkin_id, "s": s.step.value}).scalar()) + 1
        tx = f"{ck.recording_id[:8]}-{STEP_CODES[s.step]}-{attempt_no}"
        threshold = self.rules.threshold(s.modality)
        excepted = tuple(p for p in s.positions if p in nxt.excepted)
        background = self.expected_background(ck) if s.modality == FACE else ""
        records: tuple[BiometricRecord, ...] = ()
        error = detail = ""
        device_info: dict[str, Any] = {}
        extra_problems: list[str] = []
        t0 = time.monotonic()
        dev = self._device_for(s.modality)
        try:
            if dev is None:
                from sweet17.adapters.devices.base import DeviceNotFound

                raise DeviceNotFound("no device for " + s.modality)
            if s.modality == SIGNATURE and self.kit.device(SIGNATURE) is None:
                data, fmt, info = self._still_photo(tx, "signature")
                records = (BiometricRecord(modality=Modality.SIGNATURE, sub_type="", data=data, data_format=fmt,
                                           quality=None, device=info, transaction_id=tx,
                                           extra={"source": "camera-photo"}),)
            else:
                req = CaptureRequest(modality=Modality(s.modality), sub_id=s.sub_id, sub_types=s.positions,
                                     exceptions=excepted, requested_score=max(1, min(100, int(round(threshold)))),
                                     timeout_ms=self.kit.timeout_ms, transaction_id=tx)
                result = _capture_with_background(dev, req, background) if background else dev.capture(req)
                records = tuple(result.records)
        except QualityNotReached as e:
            records = tuple(e.result.records) if e.result is not None else ()
            extra_problems.append("quality")
        except DeviceError as e:
            error, detail = type(e).__name__, e.operator_message
        duration = int((time.monotonic() - t0) * 1000)
        qualities: dict[str, float | None] = {}
        nfiq2: dict[str, int] = {}
        for r in records:
            key = r.sub_type or s.modality
            qualities[key] = None if r.quality is None else float(r.quality)
            if r.nfiq2 is not None:
                nfiq2[key] = int(r.nfiq2)
            if r.device is not None and not device_info:
                device_info = jsonable(r.device.to_dict())
            if background and rules.background_problem(background, _measured_background(r)):
                extra_problems.append("background")
        if s.modality == FACE:   # a camera that does not score: its own checks decide
            qualities = {k: (v if v is not None else 100.0) for k, v in qualities.items()}
        if error:
            problems: tuple[str, ...] = ("device",)
        else:
            problems = rules.judge(s, qualities, excepted, self.rules, extra_problems, nfiq2)
        data = step_container(self.hub_public(), ck.recording_id, s.step.value, attempt_no, records, tx) \
            if records else None
        with guarded_tx(self.ws) as c:
            c.execute(text(
                "INSERT INTO capture_step (checkin_id, step, attempt, excepted, qualities, nfiq2, problems, error, "
                "error_detail, device, operator, started_at, duration_ms, data, data_sha256) VALUES (:c, :s, :a, :ex, "
                ":q, :n, :p, :e, :ed, :dev, :op, :t, :dur, :data, :dsha)"),
                {"c": checkin_id, "s": s.step.value, "a": attempt_no, "ex": json.dumps(list(excepted)),
                 "q": json.dumps(qualities), "n": json.dumps(nfiq2), "p": json.dumps(list(problems)), "e": error,
                 "ed": detail, "dev": json.dumps(device_info), "op": self.user, "t": iso(now), "dur": duration,
                 "data": data, "dsha": pl.sha256_hex(data) if data else ""})
            c.execute(text("UPDATE checkin SET status = 'capturing', capture_started_at = COALESCE(capture_started_at, :t) "
                           "WHERE id = :i AND status IN ('consented', 'review')"), {"t": iso(now), "i": checkin_id})
            self.ws.audit(self.user, "capture", checkin_id, {
                "step": s.step.value, "attempt": attempt_no, "ok": not problems, "problems": list(problems),
                "error": error, "min_quality": min((q for q in qualities.values() if q is not None), default=None)},
                conn=c)
            self._touch(c, now)
        after = self.progress(checkin_id)
        o = after.outcome(s.step)
        nxt2 = after.next
        if error:
            message = detail
        elif not problems:
            message = _("{step}: good.").format(step=_(s.label))
        else:
            message = "; ".join(_(rules.PROBLEM_MESSAGES[p]) for p in problems)
            if "background" in problems:
                message += " — " + _("use the {colour} background").format(
                    colour=_(rules.BACKGROUND_LABELS.get(background, background)))
            if o.state == StepState.DECIDE:
                message += ". " + _("No retries left: force-capture (supervisor) or mark exceptions.")
            else:
                message += ". " + _("Try again.")
        return CaptureOutcome(step=s.step.value, attempt=attempt_no, accepted=not problems, qualities=qualities,
                              problems=problems, error=error, message=message, state=o.state.value,
                              next_step=nxt2.spec.step.value if nxt2 else None, duration_ms=duration,
                              expected_background=background)

    def mark_exception(self, checkin_id: str, modality: str, positions: tuple[str, ...] | str, kind: str,
                       reason: str) -> list[str]:
        """Mark missing/injured positions (with a proof photo from the face camera). Returns the keys marked."""
        now = self._active()
        ck = self._open_checkin(checkin_id)
        if ck.status == CheckinStatus.CHECKED_IN:
            raise SessionError(_("Record the consent of {name} before capturing.").format(name=ck.name))
        modality = {"finger": FINGER, "iris": IRIS, "signature": SIGNATURE, "face": FACE}.get(
            str(modality).lower(), str(modality))
        if modality == FACE:
            raise SessionError(_("The face photo cannot be skipped."), field="modality")
        try:
            pos = rules.parse_positions(modality, positions)
        except ValueError as e:
            raise SessionError(_("Unknown position {position} for {modality}.").format(position=str(e),
                                                                                       modality=modality),
                               field="positions") from None
        if modality == SIGNATURE:
            pos = ("",)
        for p in pos:
            problem = rules.exception_problem(modality, p or SIGNATURE, kind, reason)
            if problem:
                raise SessionError(_(problem).format(position=p, modality=modality), field="kind")
        have = {(e["modality"], e["position"]) for e in self.exceptions(checkin_id)}
        todo = [p for p in pos if (modality, p) not in have]
        if not todo:
            return []
        proof, proof_fmt, aad, plain_sha = None, "", "", ""
        if modality in (FINGER, IRIS):
            tx = f"{ck.recording_id[:8]}-proof-{len(have) + 1}"
            try:
                data, proof_fmt, _info = self._still_photo(tx, "exception")
            except DeviceError as e:
                raise SessionError(_("The proof photo could not be taken: {problem}").format(
                    problem=e.operator_message)) from None
            aad = f"{ck.recording_id}/proof/{uuid.uuid4().hex[:12]}"
            blob = seal_blob(self.hub_public(), data, aad)
            proof, plain_sha = blob.data, blob.plain_sha256
        with guarded_tx(self.ws) as c:
            for p in todo:
                c.execute(text("INSERT INTO capture_exception (checkin_id, modality, position, kind, reason, operator, "
                               "marked_at, proof, proof_format, proof_aad, proof_plain_sha256) VALUES (:c, :m, :p, :k, "
                               ":r, :op, :t, :proof, :pf, :aad, :ps)"),
                          {"c": checkin_id, "m": modality, "p": p, "k": kind, "r": reason.strip(), "op": self.user,
                           "t": iso(now), "proof": proof, "pf": proof_fmt, "aad": aad, "ps": plain_sha})
            c.execute(text("UPDATE checkin SET status = 'capturing', capture_started_at = COALESCE(capture_started_at, "
                           ":t) WHERE id = :i AND status IN ('consented', 'review')"), {"t": iso(now), "i": checkin_id})
            self.ws.audit(self.user, "capture.exception", checkin_id, {
                "exceptions": [rules.exception_key(modality, p) for p in todo], "kind": kind,
                "reason": reason.strip(), "proof": proof is not None}, conn=c)
            self._touch(c, now)
        return [rules.exception_key(modality, p) for p in todo]

    def clear_exception(self, checkin_id: str, modality: str, position: str) -> None:
        now = self._active()
        self._open_checkin(checkin_id)
        with guarded_tx(self.ws) as c:
            n = c.execute(text("DELETE FROM capture_exception WHERE checkin_id = :c AND modality = :m AND position = :p"),
                          {"c": checkin_id, "m": modality, "p": position}).rowcount
            if n:
                c.execute(text("UPDATE checkin SET status = 'capturing' WHERE id = :i AND status = 'review'"),
                          {"i": checkin_id})
                self.ws.audit(self.user, "capture.exception_cleared", checkin_id,
                              {"exception": rules.exception_key(modality, position)}, conn=c)
            self._touch(c, now)

    def force_capture(self, checkin_id: str, step: str, reason: str, supervisor: OperatorAccount) -> bool:
        """Keep the best attempt of a step whose retries are used up. ``supervisor`` must be a signed-in
        supervisor account (see ``operators.authenticate(..., role="supervisor")``). False if already forced."""
        now = self._active()
        self._open_checkin(checkin_id)
        outcome = self.progress(checkin_id).outcome(Step(step))
        if outcome.state == StepState.FORCED:
            return False
        problem = rules.force_capture_problem(outcome, reason, self.user, supervisor.username, supervisor.role,
                                              self.rules)
        if problem:
            raise SessionError(_(problem).format(n=self.rules.attempts_before_decision), field="force")
        chosen = outcome.chosen
        assert chosen is not None
        with guarded_tx(self.ws) as c:
            c.execute(text("UPDATE capture_step SET forced = 1, force_reason = :r, supervisor = :sv, forced_at = :t "
                           "WHERE checkin_id = :c AND step = :s AND attempt = :a"),
                      {"r": reason.strip(), "sv": supervisor.username, "t": iso(now), "c": checkin_id,
                       "s": outcome.spec.step.value, "a": chosen.attempt})
            self.ws.audit(self.user, "capture.force", checkin_id, {
                "step": outcome.spec.step.value, "attempt": chosen.attempt, "reason": reason.strip(),
                "supervisor": supervisor.username, "min_quality": chosen.min_quality}, conn=c)
            self._touch(c, now)
        return True

    # -------------------------------------------------------------- review and commit
    def review(self, checkin_id: str) -> dict[str, Any]:
        """The review sheet (demographics, corrections, each step's result). Moves the check-in to review
        when every step is done."""
        now = self._active()
        ck = self._open_checkin(checkin_id)
        prog = self.progress(checkin_id)
        meta = {(a.step.value, a.attempt): m for a, m in self._attempts(checkin_id)}
        steps = []
        for o in prog.outcomes:
            ch = o.chosen if o.state in (StepState.ACCEPTED, StepState.FORCED) else None
            m = meta.get((o.spec.step.value, ch.attempt)) if ch else None
            steps.append({"step": o.spec.step.value, "label": _(o.spec.label), "state": o.state.value,
                          "attempts": o.counted, "qualities": dict(ch.qualities) if ch else {},
                          "nfiq2": m["nfiq2"] if m else {}, "forced": o.state == StepState.FORCED,
                          "force_reason": m["force_reason"] if m else "", "supervisor": m["supervisor"] if m else "",
                          "excepted": list(o.excepted)})
        sheet = {"checkin": ck.to_dict(), "corrections": self.corrections(checkin_id),
                 "exceptions": self.exceptions(checkin_id), "steps": steps, "complete": prog.complete,
                 "retries": prog.retries, "forced": [s.value for s in prog.forced],
                 "expected_background": self.expected_background(ck)}
        if prog.complete and ck.status in (CheckinStatus.CAPTURING, CheckinStatus.CONSENTED):
            with guarded_tx(self.ws) as c:
                c.execute(text("UPDATE checkin SET status = 'review' WHERE id = :i AND status IN ('capturing', "
                               "'consented')"), {"i": checkin_id})
                self.ws.audit(self.user, "review", checkin_id, {"retries": prog.retries,
                                                                "forced": [s.value for s in prog.forced]}, conn=c)
                self._touch(c, now)
            sheet["checkin"]["status"] = "review"
        return sheet

    def commit(self, checkin_id: str) -> CommitResult:
        """Seal, sign and store the recording in one transaction. Idempotent: a committed check-in returns
        its recording."""
        now = self._active()
        ck = self.checkin(checkin_id)
        if ck.status == CheckinStatus.COMMITTED:
            with self.ws.engine.connect() as c:
                r = c.execute(text("SELECT payload_sha256, payload_size, force_captured, exceptions, retries FROM "
                                   "recording WHERE id = :i"), {"i": ck.recording_id}).first()
            return CommitResult(ck.recording_id, ck.id, r[0], r[1], bool(r[2]), tuple(json.loads(r[3])), r[4],
                                already=True)
        ck = self._open_checkin(checkin_id)
        if ck.status != CheckinStatus.REVIEW:
            raise SessionError(_("Review the capture of {name} before committing.").format(name=ck.name))
        prog = self.progress(checkin_id)
        if not prog.complete:
            raise SessionError(_("The capture of {name} is not complete: {step} is still open.").format(
                name=ck.name, step=_(prog.next.spec.label)))  # type: ignore[union-attr]
        from sweet17.services.keys import laptop_id, laptop_signing_key

        # -- gather the sealed records of the chosen attempts and the exceptions
        with self.ws.engine.connect() as c:
            step_rows = {(r[0], r[1]): (r[2], r[3], r[4], r[5], r[6]) for r in c.execute(text(
                "SELECT step, attempt, data, forced, force_reason, supervisor, forced_at FROM capture_step "
                "WHERE checkin_id = :c"), {"c": checkin_id}).all()}
            ex_rows = c.execute(text("SELECT modality, position, kind, reason, operator, marked_at, proof, proof_format, "
                                     "proof_aad, proof_plain_sha256 FROM capture_exception WHERE checkin_id = :c "
                                     "ORDER BY id"), {"c": checkin_id}).all()
            walk = c.execute(text("SELECT reason FROM walk_in WHERE checkin_id = :c"), {"c": checkin_id}).scalar()
        records: list[pl.PayloadRecord] = []
        blobs: list[pl.Blob] = []
        forces: list[dict[str, Any]] = []
        modalities: dict[str, Any] = {}
        for o in prog.outcomes:
            if o.state not in (StepState.ACCEPTED, StepState.FORCED) or o.chosen is None:
                continue
            data, forced, f_reason, f_sup, f_at = step_rows[(o.spec.step.value, o.chosen.attempt)]
            if data is None:
                raise SessionError(_("The data of step {step} is missing: capture it again.").format(
                    step=_(o.spec.label)))
            frag = pl.decode(data)
            for r in frag.records:
                blobs.append(frag.blobs[r.blob])
                records.append(pl.PayloadRecord(**{**r.__dict__, "blob": len(blobs) - 1, "force_captured": bool(forced)}))
                m = modalities.setdefault(r.modality, {"count": 0, "quality": {}, "nfiq2": {}, "exceptions": {},
                                                       "forced": False})
                m["count"] += 1
                m["quality"][r.sub_type or r.modality] = r.quality
                if r.nfiq2 is not None:
                    m["nfiq2"][r.sub_type] = r.nfiq2
                m["forced"] = m["forced"] or bool(forced)
            if forced:
                forces.append({"step": o.spec.step.value, "reason": f_reason, "supervisor": f_sup, "at": f_at})
        ex_payload: list[pl.PayloadException] = []
        proof_index: dict[str, int] = {}
        for mod, pos, kind, reason, who, at, proof, pfmt, aad, psha in ex_rows:
            idx = None
            if proof is not None:
                if aad not in proof_index:
                    blobs.append(pl.Blob(bytes(proof), "sealed", aad, psha))
                    proof_index[aad] = len(blobs) - 1
                idx = proof_index[aad]
            ex_payload.append(pl.PayloadException(mod, pos, kind, reason, who, at, idx, pfmt))
            m = modalities.setdefault(mod, {"count": 0, "quality": {}, "nfiq2": {}, "exceptions": {}, "forced": False})
            m["exceptions"][pos or mod] = kind
        exception_keys = tuple(sorted(rules.exception_key(e.modality, e.position) for e in ex_payload))
        corrections = self.corrections(checkin_id)
        subject = {"student_ref": ck.student_ref, "nik": ck.nik, "nisn": ck.nisn, "name": ck.name,
                   "birth_date": ck.birth_date, "sex": ck.sex, "school_code": ck.school_code,
                   "drive": ck.drive_slug, "walk_in_reason": walk or "", "corrections": corrections}
        payload = pl.Payload(recording_id=ck.recording_id, created_at=iso(now), subject=subject,
                             records=tuple(records), exceptions=tuple(ex_payload), force_captures=tuple(forces),
                             blobs=tuple(blobs))
        plain = pl.encode(payload)
        sealed = crypto.seal(self.hub_public(), plain, aad=ck.recording_id.encode("utf-8"))
        sha, size = crypto.sha256_hex(sealed), len(sealed)
        forced_any = bool(forces)
        manifest = RecordingManifest(
            recording_id=ck.recording_id, laptop_id=laptop_id(self.ws), drive=ck.drive_slug,
            school_code=ck.school_code, nik=ck.nik, nisn=ck.nisn, name=ck.name, birth_date=ck.birth_date,
            sex=ck.sex, captured_at=iso(now), operator=self.user, session_id=self.id, payload_sha256=sha,
            payload_size=size, modalities=modalities, force_captured=forced_any, exceptions=exception_keys)
        canonical = manifest.canonical()
        signature = crypto.b64(crypto.sign(laptop_signing_key(self.ws), canonical))
        quality = {mod: m["quality"] for mod, m in modalities.items() if m["quality"]}
        with guarded_tx(self.ws) as c:
            status = c.execute(text("SELECT status FROM checkin WHERE id = :i"), {"i": checkin_id}).scalar()
            if status != CheckinStatus.REVIEW:   # another process committed it in between
                raise SessionError(_("{name} is already recorded.").format(name=ck.name))
            c.execute(text(
                "INSERT INTO recording (id, drive_slug, school_code, student_ref, nik, nisn, name, birth_date, sex, "
                "session_id, operator, status, captured_at, force_captured, exceptions, retries, quality, manifest, "
                "signature, payload_sha256, payload_size) VALUES (:id, :d, :s, :ref, :nik, :nisn, :name, :bd, :sex, "
                ":sid, :op, 'captured', :t, :fc, :ex, :rt, :q, :man, :sig, :sha, :size)"),
                {"id": ck.recording_id, "d": ck.drive_slug, "s": ck.school_code, "ref": ck.student_ref, "nik": ck.nik,
                 "nisn": ck.nisn, "name": ck.name, "bd": ck.birth_date, "sex": ck.sex, "sid": self.id,
                 "op": self.user, "t": iso(now), "fc": int(forced_any), "ex": json.dumps(list(exception_keys)),
                 "rt": prog.retries, "q": json.dumps(quality), "man": canonical.decode("utf-8"), "sig": signature,
                 "sha": sha, "size": size})
            c.execute(text("INSERT INTO recording_payload (recording_id, sealed, sha256, size) VALUES (:i, :b, :h, :n)"),
                      {"i": ck.recording_id, "b": sealed, "h": sha, "n": size})
            c.execute(text("UPDATE checkin SET status = 'committed', committed_at = :t WHERE id = :i"),
                      {"t": iso(now), "i": checkin_id})
            c.execute(text("UPDATE capture_step SET data = NULL WHERE checkin_id = :i"), {"i": checkin_id})
            c.execute(text("UPDATE capture_exception SET proof = NULL WHERE checkin_id = :i"), {"i": checkin_id})
            self.ws.audit(self.user, "recording.commit", ck.recording_id, {
                "checkin": checkin_id, "payload_sha256": sha, "size": size, "forced": forced_any,
                "exceptions": len(exception_keys), "retries": prog.retries}, conn=c)
            self._touch(c, now)
        from sweet17.services.session.audit_trail import write_anchor

        write_anchor(self.ws)
        return CommitResult(ck.recording_id, checkin_id, sha, size, forced_any, exception_keys, prog.retries)


def _capture_with_background(dev: Any, req: CaptureRequest, colour: str) -> Any:
    """Capture a face, telling the camera the background rule when its driver takes it."""
    import inspect

    try:
        params = inspect.signature(dev.capture).parameters
    except (TypeError, ValueError):
        params = {}
    if "background" in params:
        return dev.capture(req, background=colour)
    return dev.capture(req)


def _measured_background(r: BiometricRecord) -> str | None:
    extra = dict(r.extra or {})
    for key in ("background", "background_colour", "background_color"):
        v = extra.get(key)
        if isinstance(v, str):
            return v
        if isinstance(v, dict):
            got = v.get("colour") or v.get("color") or v.get("value")
            if isinstance(got, str):
                return got
    checks = extra.get("checks")
    if isinstance(checks, dict) and isinstance(checks.get("background"), dict):
        got = checks["background"].get("value") or checks["background"].get("colour")
        if isinstance(got, str):
            return got
    return None

"""Recording-session rules (pure): the capture steps, quality and retries, force-capture,
exceptions, check-in lifecycle, day counts, idle timeout and the offline limit.

A student's capture is a fixed sequence of steps: face, left slap, right slap, two thumbs,
both irises, signature. Each step is attempted through the device interface; an attempt is
accepted when every position asked for reaches the modality's threshold (from the kit
profile; defaults in the spirit of MOSIP's: fingers 40, iris 60). After ``1 + max_retries``
attempts that did not reach it, the step needs a decision: force-capture the best attempt
(with a reason and a supervisor's confirmation, marked on the recording) or mark exceptions.
Attempts that failed because of the device (unplugged, busy, timeout) do not use up retries.

Missing or injured fingers and eyes are exceptions: the device is then asked for fewer
positions (a left slap with the little finger missing asks for three fingers). A step whose
positions are all exceptions needs no device at all. Exceptions for fingers and irises need a
proof photo from the face camera; the service takes it.

Everything here is pure: the service keeps the attempts in the database and asks these
functions what to do next. Messages are English ids (``N_``), translated by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sweet17.domain.ages import age_on
from sweet17.i18n import N_

# Modalities and positions, spelled as SBI spells them (same strings as adapters.devices.base).
FACE = "Face"
FINGER = "Finger"
IRIS = "Iris"
SIGNATURE = "Signature"

LEFT_SLAP = ("Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger")
RIGHT_SLAP = ("Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger")
THUMBS = ("Left Thumb", "Right Thumb")
IRISES = ("Left", "Right")
ALL_FINGERS = LEFT_SLAP + RIGHT_SLAP + THUMBS


class Step(StrEnum):
    FACE = "face"
    LEFT_SLAP = "left_slap"
    RIGHT_SLAP = "right_slap"
    THUMBS = "thumbs"
    IRIS = "iris"
    SIGNATURE = "signature"


@dataclass(frozen=True)
class StepSpec:
    step: Step
    modality: str
    sub_id: int                     # SBI deviceSubId
    positions: tuple[str, ...]      # sub types asked for; () for face and signature (one record)
    label: str                      # English id (N_)

    @property
    def exceptions_allowed(self) -> bool:
        return self.modality in (FINGER, IRIS, SIGNATURE)

    @property
    def proof_required(self) -> bool:
        return self.modality in (FINGER, IRIS)


STEPS: tuple[StepSpec, ...] = (
    StepSpec(Step.FACE, FACE, 0, (), N_("Face photo")),
    StepSpec(Step.LEFT_SLAP, FINGER, 1, LEFT_SLAP, N_("Left hand, four fingers")),
    StepSpec(Step.RIGHT_SLAP, FINGER, 2, RIGHT_SLAP, N_("Right hand, four fingers")),
    StepSpec(Step.THUMBS, FINGER, 3, THUMBS, N_("Both thumbs")),
    StepSpec(Step.IRIS, IRIS, 3, IRISES, N_("Both irises")),
    StepSpec(Step.SIGNATURE, SIGNATURE, 0, (), N_("Signature")),
)
_BY_STEP = {s.step: s for s in STEPS}

POSITION_LABELS = {
    "Left IndexFinger": N_("left index finger"), "Left MiddleFinger": N_("left middle finger"),
    "Left RingFinger": N_("left ring finger"), "Left LittleFinger": N_("left little finger"),
    "Right IndexFinger": N_("right index finger"), "Right MiddleFinger": N_("right middle finger"),
    "Right RingFinger": N_("right ring finger"), "Right LittleFinger": N_("right little finger"),
    "Left Thumb": N_("left thumb"), "Right Thumb": N_("right thumb"),
    "Iris:Left": N_("left eye"), "Iris:Right": N_("right eye"),
}


def spec(step: Step | str) -> StepSpec:
    return _BY_STEP[Step(step)]


def step_for_position(modality: str, position: str) -> StepSpec | None:
    for s in STEPS:
        if s.modality == modality and position in s.positions:
            return s
    if modality == SIGNATURE:
        return _BY_STEP[Step.SIGNATURE]
    return None


# ------------------------------------------------------------------------------ quality rules

DEFAULT_THRESHOLDS: dict[str, float] = {FINGER: 40.0, IRIS: 60.0, FACE: 50.0, SIGNATURE: 0.0}
DEFAULT_MAX_RETRIES = 3


@dataclass(frozen=True)
class CaptureRules:
    """Thresholds per modality (0-100) and how many retries before a decision is needed."""

    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    max_retries: int = DEFAULT_MAX_RETRIES
    four_eyes: bool = True          # the supervisor confirming a force-capture is another person
    nfiq2_min: int = 0              # fingers: NIST NFIQ 2 floor (0 = not checked)

    def threshold(self, modality: str) -> float:
        return float(self.thresholds.get(modality, DEFAULT_THRESHOLDS.get(modality, 0.0)))

    @property
    def attempts_before_decision(self) -> int:
        return 1 + self.max_retries

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": dict(self.thresholds), "max_retries": self.max_retries, "four_eyes": self.four_eyes,
                "nfiq2_min": self.nfiq2_min}


def rules_from_settings(thresholds: Mapping[str, Any] | None = None, max_retries: Any = None,
                        four_eyes: Any = None) -> CaptureRules:
    """Rules from configuration values (kit profile, workspace settings); bad values raise ValueError.

    ``thresholds`` keys: finger, iris, face, signature (0-100) and nfiq2_min (0-100)."""
    th = dict(DEFAULT_THRESHOLDS)
    nfiq2_min = 0
    for key, value in (thresholds or {}).items():
        if str(key).lower() == "nfiq2_min":
            nfiq2_min = int(value)
            if not 0 <= nfiq2_min <= 100:
                raise ValueError("nfiq2_min must be between 0 and 100")
            continue
        mod = {"finger": FINGER, "fingers": FINGER, "iris": IRIS, "face": FACE,
               "signature": SIGNATURE}.get(str(key).lower(), str(key))
        if mod not in DEFAULT_THRESHOLDS:
            raise ValueError(f"unknown modality {key!r}")
        v = float(value)
        if not 0 <= v <= 100:
            raise ValueError(f"threshold for {key} must be between 0 and 100")
        th[mod] = v
    mr = DEFAULT_MAX_RETRIES if max_retries is None else int(max_retries)
    if mr < 0 or mr > 20:
        raise ValueError("max_retries must be between 0 and 20")
    return CaptureRules(thresholds=th, max_retries=mr, four_eyes=True if four_eyes is None else bool(four_eyes),
                        nfiq2_min=nfiq2_min)


# Problems a capture can have beyond its score.
PROBLEM_MESSAGES = {
    "quality": N_("Quality below the threshold"),
    "count": N_("The device returned fewer positions than asked for"),
    "background": N_("The photo background has the wrong colour"),
    "nfiq2": N_("Fingerprint NFIQ 2 score below the minimum"),
    "device": N_("Device problem"),
}


@dataclass(frozen=True)
class Attempt:
    """One capture attempt of a step, as the service stored it."""

    step: Step
    attempt: int                                    # 1, 2, ...
    excepted: tuple[str, ...] = ()                  # positions excepted when it was requested
    qualities: Mapping[str, float | None] = field(default_factory=dict)   # sub type (or modality) -> score
    error: str = ""                                 # device error kind: not counted as a retry
    problems: tuple[str, ...] = ()                  # e.g. ("background",)
    forced: bool = False

    @property
    def min_quality(self) -> float | None:
        vals = [q for q in self.qualities.values() if q is not None]
        if len(vals) != len(self.qualities) or not vals:
            return None
        return min(vals)


def wanted_positions(s: StepSpec, excepted: Iterable[str]) -> tuple[str, ...]:
    ex = set(excepted)
    return tuple(p for p in s.positions if p not in ex)


def expected_count(s: StepSpec, excepted: Iterable[str]) -> int:
    """How many records the device must return: positions minus exceptions; one for face/signature."""
    if not s.positions:
        return 0 if (s.modality == SIGNATURE and SIGNATURE in set(excepted)) else 1
    return len(wanted_positions(s, excepted))


def judge(s: StepSpec, qualities: Mapping[str, float | None], excepted: Iterable[str], rules: CaptureRules,
          extra_problems: Iterable[str] = (), nfiq2: Mapping[str, int] | None = None) -> tuple[str, ...]:
    """Problems of an attempt's result (empty tuple: accepted)."""
    problems = list(extra_problems)
    if s.modality == FINGER and rules.nfiq2_min > 0 and nfiq2 and any(v < rules.nfiq2_min for v in nfiq2.values()):
        problems.append("nfiq2")
    threshold = rules.threshold(s.modality)
    if s.positions:
        wanted = wanted_positions(s, excepted)
        if any(p not in qualities for p in wanted):
            problems.append("count")
        scores = [qualities.get(p) for p in wanted if p in qualities]
    else:
        if len(qualities) < 1:
            problems.append("count")
        scores = list(qualities.values())
    if threshold > 0 and any(q is None or q < threshold for q in scores):
        problems.append("quality")
    return tuple(dict.fromkeys(problems))


class StepState(StrEnum):
    PENDING = "pending"            # not attempted yet
    RETRY = "retry"                # attempted, not good enough, retries left
    DECIDE = "decide"              # retries used up: force-capture or exceptions
    ACCEPTED = "accepted"
    FORCED = "forced"
    EXCEPTED = "excepted"          # every position of the step is an exception

    @property
    def done(self) -> bool:
        return self in (StepState.ACCEPTED, StepState.FORCED, StepState.EXCEPTED)


@dataclass(frozen=True)
class StepOutcome:
    spec: StepSpec
    state: StepState
    chosen: Attempt | None = None      # the attempt going into the recording
    counted: int = 0                   # attempts that used up a try (device errors excluded)
    excepted: tuple[str, ...] = ()

    @property
    def retries(self) -> int:
        return max(0, self.counted - 1)


def _relevant(attempts: Iterable[Attempt], excepted: tuple[str, ...]) -> list[Attempt]:
    key = tuple(sorted(excepted))
    return [a for a in sorted(attempts, key=lambda a: a.attempt) if tuple(sorted(a.excepted)) == key]


def best_attempt(attempts: Iterable[Attempt]) -> Attempt | None:
    """The attempt to keep when forcing: the highest lowest score; ties go to the latest."""
    best: Attempt | None = None
    for a in attempts:
        if a.error:
            continue
        score = a.min_quality if a.min_quality is not None else -1.0
        if best is None or score >= (best.min_quality if best.min_quality is not None else -1.0):
            best = a
    return best


def step_outcome(s: StepSpec, attempts: Iterable[Attempt], excepted: Iterable[str], rules: CaptureRules) -> StepOutcome:
    """Where a step stands, given every attempt made for it and the exceptions now in force."""
    ex = tuple(p for p in (s.positions or (SIGNATURE,)) if p in set(excepted))
    all_attempts = list(attempts)
    counted_all = len([a for a in all_attempts if not a.error])
    if expected_count(s, ex) == 0:
        return StepOutcome(s, StepState.EXCEPTED, None, counted_all, ex)
    relevant = _relevant(all_attempts, ex)
    forced = [a for a in relevant if a.forced]
    if forced:
        return StepOutcome(s, StepState.FORCED, forced[-1], counted_all, ex)
    for a in relevant:
        if not a.error and not a.problems:
            return StepOutcome(s, StepState.ACCEPTED, a, counted_all, ex)
    counted = len([a for a in relevant if not a.error])
    if counted >= rules.attempts_before_decision:
        return StepOutcome(s, StepState.DECIDE, best_attempt(relevant), counted_all, ex)
    return StepOutcome(s, StepState.RETRY if counted else StepState.PENDING, None, counted_all, ex)


@dataclass(frozen=True)
class Progress:
    outcomes: tuple[StepOutcome, ...]

    @property
    def next(self) -> StepOutcome | None:
        for o in self.outcomes:
            if not o.state.done:
                return o
        return None

    @property
    def complete(self) -> bool:
        return self.next is None

    @property
    def retries(self) -> int:
        return sum(o.retries for o in self.outcomes)

    @property
    def forced(self) -> tuple[Step, ...]:
        return tuple(o.spec.step for o in self.outcomes if o.state == StepState.FORCED)

    def outcome(self, step: Step | str) -> StepOutcome:
        for o in self.outcomes:
            if o.spec.step == Step(step):
                return o
        raise KeyError(step)


def progress(attempts: Iterable[Attempt], exceptions: Iterable[tuple[str, str]], rules: CaptureRules) -> Progress:
    """The state of every step. ``exceptions`` are (modality, position) pairs marked so far."""
    by_step: dict[Step, list[Attempt]] = {}
    for a in attempts:
        by_step.setdefault(Step(a.step), []).append(a)
    ex_by_mod: dict[str, set[str]] = {}
    for mod, pos in exceptions:
        ex_by_mod.setdefault(mod, set()).add(pos or mod)
    return Progress(tuple(step_outcome(s, by_step.get(s.step, []), ex_by_mod.get(s.modality, set()), rules)
                          for s in STEPS))


# ------------------------------------------------------------------------------ force-capture

def force_capture_problem(outcome: StepOutcome, reason: str, operator: str, supervisor: str,
                          supervisor_role: str, rules: CaptureRules) -> str | None:
    """Why a force-capture is not allowed now (English id), or None when it is."""
    if outcome.state != StepState.DECIDE:
        return N_("Force-capture is allowed only after {n} attempts below the threshold.")
    if outcome.chosen is None:
        return N_("There is no usable attempt to keep: capture again or mark exceptions.")
    if len(reason.strip()) < 3:
        return N_("A force-capture needs a reason.")
    if supervisor_role != "supervisor":
        return N_("A force-capture must be confirmed by a supervisor account.")
    if rules.four_eyes and supervisor == operator:
        return N_("The supervisor who confirms must be someone other than the operator.")
    return None


# ------------------------------------------------------------------------------ exceptions

EXCEPTION_KINDS = {
    "missing": N_("missing (amputated or absent)"),
    "injured": N_("injured or bandaged"),
    "unable": N_("unable to sign"),
}


def exception_key(modality: str, position: str) -> str:
    """How an exception is named in the manifest: ``Finger:Left LittleFinger``, ``Iris:Left``, ``Signature``."""
    return modality if modality == SIGNATURE else f"{modality}:{position}"


def exception_problem(modality: str, position: str, kind: str, reason: str) -> str | None:
    """Why an exception cannot be marked (English id), or None."""
    if modality == FACE:
        return N_("The face photo cannot be skipped.")
    s = step_for_position(modality, position)
    if s is None:
        return N_("Unknown position {position} for {modality}.")
    if modality == SIGNATURE:
        if kind != "unable":
            return N_("For the signature the only exception is: unable to sign.")
    elif kind not in ("missing", "injured"):
        return N_("The exception must be 'missing' or 'injured'.")
    if len(reason.strip()) < 3:
        return N_("An exception needs a short reason (what the operator saw).")
    return None


def parse_positions(modality: str, text: str | Iterable[str]) -> tuple[str, ...]:
    """Positions from operator or script text: SBI names, or short forms like ``L4``/``R1``/``LT``/``left``.

    Fingers: L1-L4 (index..little) / R1-R4, LT / RT (thumbs), ``left-slap``/``right-slap``/``thumbs``;
    iris: ``left`` / ``right`` / ``both``. Raises ValueError on anything else.
    """
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t and t.strip()]
    out: list[str] = []
    short = {f"L{i + 1}": p for i, p in enumerate(LEFT_SLAP)} | {f"R{i + 1}": p for i, p in enumerate(RIGHT_SLAP)}
    short |= {"LT": "Left Thumb", "RT": "Right Thumb"}
    groups = {"LEFT-SLAP": LEFT_SLAP, "RIGHT-SLAP": RIGHT_SLAP, "THUMBS": THUMBS}
    for it in items:
        key = it.upper().replace("_", "-").replace(" ", "-")
        if modality == FINGER:
            if it in ALL_FINGERS:
                out.append(it)
            elif key in short:
                out.append(short[key])
            elif key in groups:
                out.extend(groups[key])
            else:
                raise ValueError(it)
        elif modality == IRIS:
            if key in ("LEFT", "L", "KIRI"):
                out.append("Left")
            elif key in ("RIGHT", "R", "KANAN"):
                out.append("Right")
            elif key in ("BOTH", "KEDUANYA"):
                out.extend(IRISES)
            else:
                raise ValueError(it)
        elif modality == SIGNATURE:
            out.append(SIGNATURE)
        else:
            raise ValueError(it)
    if not out:
        raise ValueError("no positions")
    return tuple(dict.fromkeys(out))


# ------------------------------------------------------------------------------ face background

BACKGROUND_RED = "red"
BACKGROUND_BLUE = "blue"
BACKGROUND_LABELS = {BACKGROUND_RED: N_("red"), BACKGROUND_BLUE: N_("blue")}


def background_colour(birth_year: int) -> str:
    """The KTP-el photo background for a birth year: red for odd years, blue for even years."""
    return BACKGROUND_RED if birth_year % 2 else BACKGROUND_BLUE


def background_problem(expected: str, measured: str | None) -> bool:
    """True when the camera measured a background colour and it is not the expected one."""
    return bool(measured) and str(measured).lower() not in (expected, "")


# ------------------------------------------------------------------------------ check-in lifecycle

class CheckinStatus(StrEnum):
    CHECKED_IN = "checked_in"
    CONSENTED = "consented"
    CAPTURING = "capturing"
    REVIEW = "review"
    COMMITTED = "committed"
    CANCELLED = "cancelled"
    ABSENT = "absent"


CHECKIN_TRANSITIONS: dict[CheckinStatus, frozenset[CheckinStatus]] = {
    CheckinStatus.CHECKED_IN: frozenset({CheckinStatus.CONSENTED, CheckinStatus.CANCELLED}),
    CheckinStatus.CONSENTED: frozenset({CheckinStatus.CAPTURING, CheckinStatus.CANCELLED}),
    CheckinStatus.CAPTURING: frozenset({CheckinStatus.REVIEW, CheckinStatus.CANCELLED}),
    CheckinStatus.REVIEW: frozenset({CheckinStatus.COMMITTED, CheckinStatus.CAPTURING, CheckinStatus.CANCELLED}),
    CheckinStatus.COMMITTED: frozenset(),
    CheckinStatus.CANCELLED: frozenset(),
    CheckinStatus.ABSENT: frozenset({CheckinStatus.CHECKED_IN}),   # arrived late
}
OPEN_STATUSES = (CheckinStatus.CHECKED_IN, CheckinStatus.CONSENTED, CheckinStatus.CAPTURING, CheckinStatus.REVIEW)

STATUS_LABELS = {
    CheckinStatus.CHECKED_IN: N_("checked in"), CheckinStatus.CONSENTED: N_("consent given"),
    CheckinStatus.CAPTURING: N_("capturing"), CheckinStatus.REVIEW: N_("review"),
    CheckinStatus.COMMITTED: N_("recorded"), CheckinStatus.CANCELLED: N_("cancelled"),
    CheckinStatus.ABSENT: N_("absent"),
}


def can_move(current: CheckinStatus | str, wanted: CheckinStatus | str) -> bool:
    return CheckinStatus(wanted) in CHECKIN_TRANSITIONS[CheckinStatus(current)]


@dataclass(frozen=True)
class DayCounts:
    called: int
    checked_in: int
    recorded: int
    absent: int
    remaining: int
    walk_ins: int
    in_progress: int

    def to_dict(self) -> dict[str, int]:
        return {"called": self.called, "checked_in": self.checked_in, "recorded": self.recorded,
                "absent": self.absent, "remaining": self.remaining, "walk_ins": self.walk_ins,
                "in_progress": self.in_progress}


def day_counts(called: Iterable[str], checkins: Iterable[tuple[str, str, str]]) -> DayCounts:
    """Counts for the day's list. ``checkins`` are (student_ref, status, source) rows.

    A student counts once, by their most advanced status: recorded > in progress > absent.
    Cancelled check-ins leave the student remaining (they may come back).
    """
    called_set = set(called)
    best: dict[str, tuple[int, str]] = {}
    rank = {CheckinStatus.COMMITTED: 4, CheckinStatus.REVIEW: 3, CheckinStatus.CAPTURING: 3,
            CheckinStatus.CONSENTED: 3, CheckinStatus.CHECKED_IN: 3, CheckinStatus.ABSENT: 1,
            CheckinStatus.CANCELLED: 0}
    walk_ins: set[str] = set()
    for ref, status, source in checkins:
        st = CheckinStatus(status)
        if source == "walk_in" and st != CheckinStatus.CANCELLED:
            walk_ins.add(ref)
        r = rank[st]
        if ref not in best or r > best[ref][0]:
            best[ref] = (r, st)
    recorded = sum(1 for r, _ in best.values() if r == 4)
    in_progress = sum(1 for r, _ in best.values() if r == 3)
    absent = sum(1 for ref, (r, _) in best.items() if r == 1 and ref in called_set)
    checked_in = recorded + in_progress
    remaining = sum(1 for ref in called_set if best.get(ref, (0, ""))[0] == 0)
    return DayCounts(len(called_set), checked_in, recorded, absent, remaining, len(walk_ins), in_progress)


# ------------------------------------------------------------------------------ check-in data

CORRECTABLE = ("name", "birth_date", "sex", "nik", "nisn")
FIELD_LABELS = {"name": N_("name"), "birth_date": N_("birth date"), "sex": N_("sex"), "nik": N_("NIK"),
                "nisn": N_("NISN")}


def normalise_name(text: str) -> str:
    """Upper case, accents and punctuation removed, spaces collapsed (for search and comparison)."""
    t = unicodedata.normalize("NFKD", str(text))
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"[^0-9A-Za-z' ]+", " ", t).replace("'", "")
    return re.sub(r"\s+", " ", t).strip().upper()


def clean_name(text: str) -> str:
    """A name as it will be stored: spaces collapsed, each word capitalised as Dukcapil prints (upper)."""
    return re.sub(r"\s+", " ", str(text)).strip().upper()


def correction_value(fld: str, value: str, today: date) -> tuple[str, str | None]:
    """(normalised value, problem id or None) for a correction or a walk-in field."""
    v = str(value).strip()
    if fld == "name":
        v = clean_name(v)
        if len(v) < 2 or not re.search(r"[A-Z]", v) or re.search(r"\d", v):
            return v, N_("A name needs letters only (at least two).")
        return v, None
    if fld == "birth_date":
        try:
            d = date.fromisoformat(v)
        except ValueError:
            return v, N_("A birth date is written YYYY-MM-DD.")
        if d > today or d.year < today.year - 100:
            return v, N_("The birth date is not plausible.")
        return d.isoformat(), None
    if fld == "sex":
        v = v.upper()[:1]
        if v not in ("L", "P"):
            return v, N_("Sex is L or P.")
        return v, None
    if fld == "nik":
        v = re.sub(r"[\s.\-]", "", v)
        if not re.fullmatch(r"\d{16}", v):
            return v, N_("A NIK has 16 digits.")
        return v, None
    if fld == "nisn":
        v = re.sub(r"\s", "", v)
        if v and not re.fullmatch(r"\d{10}", v):
            return v, N_("A NISN has 10 digits.")
        return v, None
    return v, N_("This field cannot be corrected.")


def walk_in_problem(birth_date: str, day: date, min_age: int) -> str | None:
    """Why a walk-in cannot be recorded today (English id), or None."""
    try:
        b = date.fromisoformat(birth_date)
    except ValueError:
        return N_("A birth date is written YYYY-MM-DD.")
    if b > day:
        return N_("The birth date is not plausible.")
    if age_on(b, day) < min_age:
        return N_("The student is younger than {age} today and cannot be recorded yet.")
    return None


# ------------------------------------------------------------------------------ consent

CONSENT_VERSION = "2026.1"
CONSENT_TEXT = N_("The student (or the guardian) was told that a photo, ten fingerprints, both irises and a "
                  "signature are taken for the e-KTP, that they are sent encrypted only to Dukcapil, and agrees.")
CONSENT_GIVERS = ("student", "guardian")
CONSENT_METHODS = ("verbal", "signed")


# ------------------------------------------------------------------------------ time limits

def idle_expired(last_activity: datetime, now: datetime, idle_minutes: float) -> bool:
    """True when nothing happened for ``idle_minutes`` (0 disables the timeout)."""
    return idle_minutes > 0 and now - last_activity >= timedelta(minutes=idle_minutes)


@dataclass(frozen=True)
class OfflineLimits:
    max_days: int = 7           # unsynced recordings older than this block new sessions
    max_awaiting: int = 400     # more than this many awaiting approval block new sessions


def offline_problem(oldest_unsynced: datetime | None, awaiting_approval: int, now: datetime,
                    limits: OfflineLimits) -> tuple[str, dict[str, Any]] | None:
    """(English id, params) when a new session must not start, else None."""
    if oldest_unsynced is not None and limits.max_days > 0:
        age = now - oldest_unsynced
        if age > timedelta(days=limits.max_days):
            return (N_("Recordings made {days} days ago have not been synced (the limit is {limit} days). "
                       "Take the laptop to the office: approve and sync (sweet17 queue, sweet17 sync), "
                       "then start the session."),
                    {"days": age.days, "limit": limits.max_days})
    if limits.max_awaiting > 0 and awaiting_approval > limits.max_awaiting:
        return (N_("{count} recordings await the supervisor's approval (the limit is {limit}). "
                   "Ask the supervisor to review them (sweet17 queue approve), then start the session."),
                {"count": awaiting_approval, "limit": limits.max_awaiting})
    return None

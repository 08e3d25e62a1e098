"""Scripted sessions: a JSON or TOML file of actions that drives the same session code as the
terminal interface (rehearsals, tests, ``make run``).

TOML::

    [session]
    stop_on_error = true          # default; an action may say on_error = "continue"

    [[action]]
    do = "signin"
    username = "op1"
    password_env = "SWEET17_OP_PASSWORD"    # or password = "..." (rehearsals only)

    [[action]]
    do = "checkin"
    nisn = "0081234502"           # or nik = ..., ref = ..., name = "siti nurhaliza" (must be unambiguous)

    [[action]]
    do = "record"                 # consent + capture sequence + review + commit
    exceptions = [{ modality = "finger", positions = "L4", kind = "missing", reason = "amputated" }]

JSON: ``{"session": {...}, "actions": [{"do": "signin", ...}, ...]}`` or just the list.

Actions (each is safe to run again after a crash: ``session resume --script`` with the same file
continues the day without duplicates):

============  ==========================================================================
signin        username + password/password_env, or card = true + pin/pin_env (card reader);
              inside a session it unlocks it after the idle timeout
checkin       ref | nisn | nik | name — the current student
walkin        name, birth_date, sex, reason [, nik, nisn, rombel] — becomes the current student
absent        ref | nisn | nik | name
correct       field (name, birth_date, sex, nik, nisn), value, reason
consent       given_by (student|guardian), method (verbal|signed), guardian_name
capture       run the sequence until it is complete or a step needs a decision;
              max_device_errors (default 0), retry_wait (seconds)
exception     modality (finger|iris|signature), positions ("L4", "R1,R2", "left", "both"), kind
              (missing|injured|unable), reason
force         reason, supervisor, supervisor_password/supervisor_password_env [, step]
review        show the review sheet
commit        commit the current student
record        consent + exceptions + capture + (force) + review + commit in one action:
              consent = {...}, exceptions = [...], force = {...}, max_device_errors
cancel        reason
wait          seconds
status        print the day's counts
end           reason — end the session
============  ==========================================================================
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweet17.errors import UserError, ValidationError
from sweet17.i18n import _
from sweet17.services.session.errors import SessionError, SessionIdle

AFTER_COMMIT_NOOP = ("correct", "consent", "capture", "exception", "force", "review", "cancel")
ACTIONS = ("signin", "checkin", "walkin", "absent", "correct", "consent", "capture", "exception", "force",
           "review", "commit", "record", "cancel", "wait", "status", "end")


@dataclass
class Script:
    path: Path
    actions: list[dict[str, Any]]
    stop_on_error: bool = True

    @property
    def signin(self) -> dict[str, Any] | None:
        for a in self.actions:
            if a.get("do") == "signin":
                return a
        return None


def load_script(path: Path | str) -> Script:
    """Read and check a script (JSON or TOML); ``ValidationError`` names the file and the action."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as e:
        raise ValidationError(_("Script {path} cannot be read: {detail}").format(path=path, detail=e.strerror),
                              path=path) from None
    try:
        if path.suffix.lower() == ".json":
            data: Any = json.loads(raw_bytes.decode("utf-8"))
        else:
            data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationError(_("Script {path} is not valid JSON or TOML: {detail}").format(path=path, detail=e),
                              path=path) from None
    if isinstance(data, list):
        data = {"actions": data}
    if not isinstance(data, dict):
        raise ValidationError(_("Script {path}: expected a list of actions").format(path=path), path=path)
    actions = data.get("actions", data.get("action"))
    if not isinstance(actions, list) or not actions:
        raise ValidationError(_("Script {path}: no actions (use [[action]] tables or an \"actions\" list)").format(
            path=path), path=path)
    for i, a in enumerate(actions, 1):
        if not isinstance(a, dict) or a.get("do") not in ACTIONS:
            raise ValidationError(_("Script {path}, action {n}: 'do' must be one of: {known}").format(
                path=path, n=i, known=", ".join(ACTIONS)), path=path, row=i, field="do")
        if a.get("on_error", "stop") not in ("stop", "continue"):
            raise ValidationError(_("Script {path}, action {n}: on_error is stop or continue").format(path=path, n=i),
                                  path=path, row=i, field="on_error")
    session = data.get("session", {}) or {}
    return Script(path=path, actions=actions, stop_on_error=bool(session.get("stop_on_error", True)))


def _step_label(step: str | None) -> str:
    from sweet17.domain.session import spec

    try:
        return _(spec(str(step)).label)
    except (KeyError, ValueError):
        return str(step)


def secret(action: dict[str, Any], key: str) -> str | None:
    """A secret from the action: ``key`` itself, or the environment variable named by ``key_env``."""
    env = action.get(f"{key}_env")
    if env:
        v = os.environ.get(str(env))
        if v is None:
            raise UserError(_("The environment variable {name} is not set.").format(name=env), field=f"{key}_env")
        return v
    v = action.get(key)
    return None if v is None else str(v)


def sign_in(ws, action: dict[str, Any], *, role: str | None = None, card_reader: Any = None):  # type: ignore[no-untyped-def]
    """Authenticate from a script action (password or card + PIN)."""
    from sweet17.services import operators

    if action.get("card"):
        pin = secret(action, "pin")
        if card_reader is None:
            raise UserError(_("This kit has no card reader: sign in with a username and password."), field="card")
        return operators.sign_in_with_card(ws, card_reader, pin or "", role=role)
    user = action.get("username")
    pw = secret(action, "password")
    if not user or pw is None:
        raise UserError(_("Sign-in needs a username and a password (or card = true and a PIN)."), field="username")
    return operators.authenticate(ws, str(user), pw, role=role)


@dataclass
class StepLog:
    n: int
    do: str
    ok: bool
    message: str = ""
    checkin_id: str | None = None
    recording_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "do": self.do, "ok": self.ok, "message": self.message, "checkin_id": self.checkin_id,
                "recording_id": self.recording_id, **({"data": self.data} if self.data else {})}


class ScriptFailed(UserError):
    def __init__(self, message: str, log: list[StepLog]) -> None:
        super().__init__(message)
        self.log = log


class Runner:
    """Runs actions against a ``RecordingSession``; ``on_step`` sees each action's log line."""

    def __init__(self, session: Any, *, on_step: Callable[[StepLog], None] | None = None,
                 on_capture: Callable[[Any], None] | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.s = session
        self.current: str | None = None
        self.on_step = on_step or (lambda _log: None)
        self.on_capture = on_capture or (lambda _o: None)
        self.sleep = sleep
        self.log: list[StepLog] = []
        self.ended = False

    # ------------------------------------------------------------------ helpers
    def _cur(self) -> str:
        if self.current is None:
            raise SessionError(_("No current student: check one in first."))
        return self.current

    def _find(self, a: dict[str, Any]) -> str:
        from sweet17.services.session.daylist import unambiguous

        for key in ("ref", "nisn", "nik", "name", "query"):
            if a.get(key):
                q = str(a[key])
                break
        else:
            raise SessionError(_("Say who: ref, nisn, nik or name."), field="ref")
        matches = self.s.search(q)
        m = unambiguous(matches)
        if m is None:
            if not matches:
                raise SessionError(_("No student on today's list matches '{query}'.").format(query=q), field="name")
            names = "; ".join(f"{x.student.name} ({x.student.nisn or '-'}, {x.score:.0f})" for x in matches[:4])
            raise SessionError(_("'{query}' is ambiguous: {names}. Use the NISN.").format(query=q, names=names),
                               field="name")
        return m.student.student_ref

    def _capture_loop(self, cid: str, a: dict[str, Any]) -> dict[str, Any]:
        from sweet17.services.session.errors import DeviceProblem

        max_dev = int(a.get("max_device_errors", 0))
        wait = float(a.get("retry_wait", 0))
        dev_errors = 0
        attempts = 0
        while True:
            nxt = self.s.progress(cid).next
            if nxt is not None and nxt.state.value == "decide":
                return {"attempts": attempts, "state": "decide", "step": nxt.spec.step.value,
                        "device_errors": dev_errors}
            o = self.s.capture_next(cid)
            self.on_capture(o)
            if o.state == "complete":
                return {"attempts": attempts, "state": "complete", "device_errors": dev_errors}
            attempts += 1
            if o.error:
                dev_errors += 1
                if dev_errors > max_dev:
                    raise DeviceProblem(o.message, kind=o.error)
                if wait:
                    self.sleep(wait)
                continue
            if o.state == "decide":
                return {"attempts": attempts, "state": "decide", "step": o.step, "device_errors": dev_errors}

    def _force(self, cid: str, a: dict[str, Any]) -> bool:
        from sweet17.domain.session import StepState

        prog = self.s.progress(cid)
        step = a.get("step")
        if step is None:
            pending = [o for o in prog.outcomes if o.state == StepState.DECIDE]
            if not pending:
                if any(o.state == StepState.FORCED for o in prog.outcomes):
                    return False   # already forced (a replay after a crash)
                raise SessionError(_("No step is waiting for a decision."), field="step")
            step = pending[0].spec.step.value
        if prog.outcome(step).state == StepState.FORCED:
            return False
        sup = sign_in(self.s.ws, {"username": a.get("supervisor"), "password": a.get("supervisor_password"),
                                  "password_env": a.get("supervisor_password_env")}, role="supervisor")
        return self.s.force_capture(cid, step, str(a.get("reason", "")), sup)

    # ------------------------------------------------------------------ actions
    def do(self, n: int, a: dict[str, Any]) -> StepLog:
        kind = a["do"]
        log = StepLog(n, kind, True)
        s = self.s
        if kind in AFTER_COMMIT_NOOP and self.current is not None:
            ck = s.checkin(self.current)
            if ck.status in ("committed", "cancelled"):     # a replay after a crash: already done
                log.checkin_id = ck.id
                log.message = _("Already done for {name}.").format(name=ck.name)
                return log
        if kind == "signin":
            op = sign_in(s.ws, a, card_reader=getattr(s.kit, "card_reader", None))
            info = s.info()
            if info.status == "idle" or op.username != s.user:
                s.reopen(op)
            log.message = _("Signed in: {user}").format(user=op.username)
        elif kind == "checkin":
            ck, created = s.check_in(self._find(a))
            self.current = ck.id
            log.checkin_id = ck.id
            log.message = (_("Checked in: {name}") if created else _("Already checked in: {name}")).format(name=ck.name)
        elif kind == "walkin":
            ck, created = s.walk_in(name=str(a.get("name", "")), birth_date=str(a.get("birth_date", "")),
                                    sex=str(a.get("sex", "")), reason=str(a.get("reason", "")),
                                    nik=str(a.get("nik", "")), nisn=str(a.get("nisn", "")),
                                    rombel=str(a.get("rombel", "")))
            self.current = ck.id
            log.checkin_id = ck.id
            log.message = _("Walk-in checked in: {name}").format(name=ck.name)
        elif kind == "absent":
            ck = s.mark_absent(self._find(a))
            log.checkin_id = ck.id
            log.message = _("Absent: {name}").format(name=ck.name)
        elif kind == "correct":
            changed = s.correct(self._cur(), str(a.get("field", "")), str(a.get("value", "")), str(a.get("reason", "")))
            log.checkin_id = self.current
            log.message = _("Correction recorded.") if changed else _("No change.")
        elif kind == "consent":
            self._consent(a)
            log.checkin_id = self.current
            log.message = _("Consent recorded.")
        elif kind == "capture":
            res = self._capture_loop(self._cur(), a)
            log.checkin_id, log.data = self.current, res
            log.message = _("Capture complete.") if res["state"] == "complete" else \
                _("Step {step} needs a decision (force-capture or exceptions).").format(step=_step_label(res.get("step")))
        elif kind == "exception":
            keys = s.mark_exception(self._cur(), str(a.get("modality", "")), a.get("positions", ""),
                                    str(a.get("kind", "")), str(a.get("reason", "")))
            log.checkin_id, log.data = self.current, {"marked": keys}
            log.message = _("Exceptions marked: {keys}").format(keys=", ".join(keys) or "-")
        elif kind == "force":
            done = self._force(self._cur(), a)
            log.checkin_id = self.current
            log.message = _("Force-capture confirmed.") if done else _("Already force-captured.")
        elif kind == "review":
            sheet = s.review(self._cur())
            log.checkin_id = self.current
            log.data = {"complete": sheet["complete"], "retries": sheet["retries"], "forced": sheet["forced"]}
            log.message = _("Review: complete.") if sheet["complete"] else _("Review: capture not complete.")
        elif kind == "commit":
            r = s.commit(self._cur())
            log.checkin_id, log.recording_id = self.current, r.recording_id
            log.message = _("Recorded and sealed.")
        elif kind == "record":
            r = self._record(a)
            log.checkin_id, log.recording_id = self.current, r.recording_id
            log.data = {"retries": r.retries, "forced": r.force_captured, "exceptions": list(r.exceptions)}
            log.message = _("Recorded and sealed.")
            if r.retries or r.force_captured or r.exceptions:
                log.message += " " + _("(retries {retries}, force-captured: {forced}, exceptions: {exceptions})").format(
                    retries=r.retries, forced=_("yes") if r.force_captured else _("no"),
                    exceptions=", ".join(r.exceptions) or "-")
        elif kind == "cancel":
            s.cancel(self._cur(), str(a.get("reason", "")))
            log.checkin_id = self.current
            self.current = None
            log.message = _("Cancelled.")
        elif kind == "wait":
            self.sleep(float(a.get("seconds", 1)))
        elif kind == "status":
            log.data = s.counts().to_dict()
            log.message = _("Called {called} · checked in {checked_in} · recorded {recorded} · absent {absent} · "
                            "remaining {remaining} · walk-ins {walk_ins}").format(**log.data)
        elif kind == "end":
            s.end(str(a.get("reason", "closed")))
            self.ended = True
            log.message = _("Session ended.")
        return log

    def _consent(self, a: dict[str, Any]) -> None:
        self.s.consent(self._cur(), given_by=str(a.get("given_by", "student")), method=str(a.get("method", "verbal")),
                       guardian_name=str(a.get("guardian_name", "")))

    def _record(self, a: dict[str, Any]) -> Any:
        from sweet17.domain.session import CheckinStatus

        cid = self._cur()
        ck = self.s.checkin(cid)
        if ck.status == CheckinStatus.COMMITTED:
            return self.s.commit(cid)
        self._consent(dict(a.get("consent", {}) or {}))
        for ex in a.get("exceptions", []) or []:
            self.s.mark_exception(cid, str(ex.get("modality", "")), ex.get("positions", ""), str(ex.get("kind", "")),
                                  str(ex.get("reason", "")))
        for _round in range(8):
            res = self._capture_loop(cid, a)
            if res["state"] == "complete":
                break
            if not a.get("force"):
                raise SessionError(_("Step {step} needs a decision (force-capture or exceptions).").format(
                    step=_step_label(res.get("step"))))
            self._force(cid, dict(a["force"]))
        self.s.review(cid)
        return self.s.commit(cid)

    def run(self, actions: list[dict[str, Any]], *, stop_on_error: bool = True, skip_first_signin: bool = True) -> list[StepLog]:
        skipped = False
        for n, a in enumerate(actions, 1):
            if skip_first_signin and not skipped and a.get("do") == "signin":
                skipped = True      # used to open the session
                continue
            try:
                log = self.do(n, a)
            except (UserError, SessionIdle) as e:
                log = StepLog(n, a["do"], False, str(e), self.current)
                self.log.append(log)
                self.on_step(log)
                stop = a.get("on_error", "stop" if stop_on_error else "continue") == "stop"
                if stop:
                    raise ScriptFailed(_("Action {n} ({do}) failed: {problem}").format(n=n, do=a["do"], problem=e),
                                       self.log) from None
                continue
            self.log.append(log)
            self.on_step(log)
            if self.ended:
                break
        return self.log

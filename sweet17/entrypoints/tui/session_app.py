"""The operator's screen for a recording session (rich panels, numbered choices, Bahasa Indonesia).

Made for an operator with no IT training: every screen starts with the same header — school,
operator, the day's counts and the status of every device (always visible) — then a short
numbered menu. Everything goes through the same session service as the scripted mode.
Input comes from ``ask`` (``console.input`` by default), so tests drive it with a list of answers.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sweet17.domain import session as rules
from sweet17.errors import UserError
from sweet17.i18n import _

Ask = Callable[[str, bool], str]

STATE_MARK = {"accepted": ("✓", "green"), "forced": ("!", "yellow"), "excepted": ("–", "cyan"),
              "retry": ("↻", "yellow"), "decide": ("?", "red"), "pending": ("·", "dim")}


def default_ask(console: Console) -> Ask:
    def ask(prompt: str, secret: bool = False) -> str:
        if secret:
            return getpass.getpass(prompt + " ")
        return console.input(f"[bold]{prompt}[/] ")
    return ask


class SessionScreen:
    def __init__(self, session: Any, *, console: Console | None = None, ask: Ask | None = None) -> None:
        self.s = session
        self.console = console or Console()
        self.ask = ask or default_ask(self.console)

    # ------------------------------------------------------------------ header (always shown)
    def header(self) -> Panel:
        from sweet17.services.session.kit import MODALITY_LABELS, status_label

        info = self.s.info()
        c = self.s.counts()
        line1 = Text.assemble((_("School") + " ", "bold"), info.school_code, "  ·  ", info.day.isoformat(), "  ·  ",
                              (_("Operator") + " ", "bold"), self.s.user, "  ·  ", (_("Kit") + " ", "bold"), info.kit)
        dev = Text()
        for d in self.s.kit.status():
            colour = "green" if d["ok"] else "red"
            mark = "●" if d["ok"] else "✗"
            label = _(MODALITY_LABELS.get(d["modality"], d["modality"]))
            dev.append(mark + " " + label + ": ", style=colour)
            dev.append(status_label(d["status"]) + "   ", style=colour)
        counts = Text.assemble(
            (_("Called") + f" {c.called}   ", "bold"), (_("Checked in") + f" {c.checked_in}   ", ""),
            (_("Recorded") + f" {c.recorded}   ", "green"), (_("Absent") + f" {c.absent}   ", "yellow"),
            (_("Remaining") + f" {c.remaining}   ", "cyan"), (_("Walk-ins") + f" {c.walk_ins}", ""))
        return Panel(Group(line1, dev, counts), title="sweet17 — " + _("Recording session"), border_style="blue")

    def show(self, *body: Any) -> None:
        self.console.print(self.header())
        for b in body:
            self.console.print(b)

    def say(self, message: str, style: str = "") -> None:
        self.console.print(Text(message, style=style))

    def choose(self, options: list[tuple[str, str]]) -> str:
        for key, label in options:
            self.console.print(f"  [bold]{key}[/]  {label}", highlight=False)
        return self.ask(_("Choose:"), False).strip()

    # ------------------------------------------------------------------ sign-in after idle
    def sign_in_again(self) -> bool:
        from sweet17.services import operators

        self.say(_("The session is locked. Sign in again to continue."), "yellow")
        user = self.ask(_("Username:"), False).strip()
        pw = self.ask(_("Password:"), True)
        try:
            op = operators.authenticate(self.s.ws, user, pw)
        except UserError as e:
            self.say(str(e), "red")
            return False
        self.s.reopen(op)
        return True

    def guarded(self, fn: Callable[[], Any]) -> Any:
        """Run an action; a user error is shown, an idle lock asks for sign-in and retries once."""
        from sweet17.services.session.errors import SessionIdle

        try:
            return fn()
        except SessionIdle:
            if self.sign_in_again():
                return self.guarded(fn)
            return None
        except UserError as e:
            self.say("✗ " + str(e), "bold red")
            return None

    # ------------------------------------------------------------------ main menu
    def run(self) -> None:
        while True:
            open_now = self.s.in_progress()
            self.show()
            if open_now:
                self.say(_("Students not finished: {names}").format(names=", ".join(c.name for c in open_now[:5])),
                         "yellow")
            choice = self.choose([("1", _("Find a student and check in")), ("2", _("Walk-in (not on the list)")),
                                  ("3", _("Mark a student absent")), ("4", _("Continue a student not finished")),
                                  ("5", _("Today's list")), ("9", _("End the session")), ("0", _("Leave (session stays open)"))])
            if choice == "1":
                self.find_and_check_in()
            elif choice == "2":
                self.walk_in()
            elif choice == "3":
                self.absent()
            elif choice == "4":
                if open_now:
                    self.student(open_now[0].id)
                else:
                    self.say(_("Nobody is waiting."), "dim")
            elif choice == "5":
                self.roll()
            elif choice == "9":
                if self.ask(_("End the session now? (y/n)"), False).strip().lower() in ("y", "ya"):
                    self.guarded(lambda: self.s.end("closed"))
                    self.say(_("Session ended."), "green")
                    return
            elif choice in ("0", "q"):
                return

    def pick(self, query: str) -> str | None:
        matches = self.guarded(lambda: self.s.search(query))
        if not matches:
            self.say(_("No student on today's list matches '{query}'.").format(query=query), "yellow")
            return None
        table = Table(show_header=True)
        for col in ("#", _("Name"), _("NISN"), _("Birth date"), _("Class"), _("Match")):
            table.add_column(col)
        for i, m in enumerate(matches, 1):
            table.add_row(str(i), m.student.name, m.student.nisn, m.student.birth_date, m.student.rombel,
                          f"{m.score:.0f}")
        self.console.print(table)
        ans = self.ask(_("Number of the student (empty: none):"), False).strip()
        if not ans.isdigit() or not 1 <= int(ans) <= len(matches):
            return None
        return matches[int(ans) - 1].student.student_ref

    def find_and_check_in(self) -> None:
        q = self.ask(_("Name, NISN or NIK:"), False)
        ref = self.pick(q)
        if ref is None:
            return
        got = self.guarded(lambda: self.s.check_in(ref))
        if got:
            ck, created = got
            if ck.status == rules.CheckinStatus.COMMITTED:
                self.say(_("{name} is already recorded.").format(name=ck.name), "green")
                return
            self.student(ck.id)

    def walk_in(self) -> None:
        name = self.ask(_("Full name:"), False)
        bd = self.ask(_("Birth date (YYYY-MM-DD):"), False)
        sex = self.ask(_("Sex (L/P):"), False)
        nik = self.ask(_("NIK (if known):"), False)
        nisn = self.ask(_("NISN (if known):"), False)
        reason = self.ask(_("Why is the student not on the list?"), False)
        got = self.guarded(lambda: self.s.walk_in(name=name, birth_date=bd, sex=sex, nik=nik, nisn=nisn, reason=reason))
        if got:
            self.student(got[0].id)

    def absent(self) -> None:
        ref = self.pick(self.ask(_("Name, NISN or NIK:"), False))
        if ref is not None:
            ck = self.guarded(lambda: self.s.mark_absent(ref))
            if ck:
                self.say(_("Absent: {name}").format(name=ck.name), "yellow")

    def roll(self) -> None:
        table = Table(title=_("Today's list"), title_justify="left")
        for col in (_("Name"), _("NISN"), _("Class"), _("Status")):
            table.add_column(col)
        labels = {s.value: _(rules.STATUS_LABELS[s]) for s in rules.CheckinStatus}
        for r in self.s.roll():
            table.add_row(r["name"], r["nisn"], r["rombel"], labels.get(r["status"], _("not yet")))
        self.console.print(table)

    # ------------------------------------------------------------------ one student
    def steps_table(self, checkin_id: str) -> Table:
        prog = self.s.progress(checkin_id)
        table = Table(show_header=True, title=_("Capture steps"), title_justify="left")
        for col in ("", _("Step"), _("Attempts"), _("Quality")):
            table.add_column(col)
        nxt = prog.next
        for o in prog.outcomes:
            mark, style = STATE_MARK.get(o.state.value, ("·", ""))
            if nxt is not None and o.spec.step == nxt.spec.step and o.state.value in ("pending", "retry"):
                mark, style = "▶", "bold"
            q = o.chosen.min_quality if o.chosen is not None else None
            table.add_row(Text(mark, style=style), _(o.spec.label), str(o.counted),
                          "" if q is None else f"{q:.0f}")
        return table

    def student(self, checkin_id: str) -> None:
        while True:
            ck = self.s.checkin(checkin_id)
            if ck.status in (rules.CheckinStatus.COMMITTED, rules.CheckinStatus.CANCELLED):
                return
            bg = self.s.expected_background(ck)
            who = Text.assemble((ck.name, "bold"), f"  NISN {ck.nisn or '-'}  ·  ", _("born") + f" {ck.birth_date}  ·  ",
                                f"{ck.sex}  ·  {ck.rombel}")
            if bg:
                who.append("  ·  " + _("photo background: {colour}").format(colour=_(rules.BACKGROUND_LABELS[bg])),
                           style="red" if bg == "red" else "blue")
            self.show(Panel(who, title=_("Student")), self.steps_table(checkin_id))
            if ck.status == rules.CheckinStatus.CHECKED_IN:
                self.say(_(rules.CONSENT_TEXT))
                choice = self.choose([("1", _("The student agrees")), ("2", _("A guardian agrees")),
                                      ("3", _("Correct the data")), ("6", _("Cancel this student")), ("0", _("Back"))])
                if choice == "1":
                    self.guarded(lambda: self.s.consent(checkin_id))
                elif choice == "2":
                    g = self.ask(_("Guardian's name:"), False)
                    self.guarded(lambda g=g: self.s.consent(checkin_id, given_by="guardian", guardian_name=g))
                elif choice == "3":
                    self.correct(checkin_id)
                elif choice == "6":
                    self.cancel(checkin_id)
                elif choice == "0":
                    return
                continue
            prog = self.s.progress(checkin_id)
            if prog.complete:
                if self.review(checkin_id):
                    return
                continue
            choice = self.choose([("1", _("Capture the next step")), ("2", _("Mark a missing or injured finger/eye")),
                                  ("3", _("Correct the data")), ("4", _("Force-capture (supervisor)")),
                                  ("6", _("Cancel this student")), ("0", _("Back"))])
            if choice == "1":
                o = self.guarded(lambda: self.s.capture_next(checkin_id))
                if o is not None:
                    self.say(("✓ " if o.accepted else "✗ ") + o.message, "green" if o.accepted else "red")
            elif choice == "2":
                self.exception(checkin_id)
            elif choice == "3":
                self.correct(checkin_id)
            elif choice == "4":
                self.force(checkin_id)
            elif choice == "6":
                self.cancel(checkin_id)
            elif choice == "0":
                return

    def correct(self, checkin_id: str) -> None:
        fld = self.ask(_("Which field (name, birth_date, sex, nik, nisn)?"), False).strip()
        value = self.ask(_("Correct value:"), False)
        reason = self.ask(_("Why (which document was shown)?"), False)
        if self.guarded(lambda: self.s.correct(checkin_id, fld, value, reason)):
            self.say(_("Correction recorded."), "green")

    def exception(self, checkin_id: str) -> None:
        mod = self.choose([("1", _("Fingers")), ("2", _("Eyes")), ("3", _("Signature (cannot sign)"))])
        modality = {"1": "finger", "2": "iris", "3": "signature"}.get(mod)
        if modality is None:
            return
        positions = "signature"
        kind = "unable"
        if modality != "signature":
            hint = _("L1-L4 left index..little, R1-R4, LT/RT thumbs") if modality == "finger" else _("left, right or both")
            positions = self.ask(_("Which ({hint}):").format(hint=hint), False)
            kind = "missing" if self.choose([("1", _("missing")), ("2", _("injured or bandaged"))]) == "1" else "injured"
            self.say(_("Hold the hand or face to the camera for the proof photo."), "yellow")
        reason = self.ask(_("What did you see?"), False)
        keys = self.guarded(lambda: self.s.mark_exception(checkin_id, modality, positions, kind, reason))
        if keys:
            self.say(_("Exceptions marked: {keys}").format(keys=", ".join(keys)), "cyan")

    def force(self, checkin_id: str) -> None:
        from sweet17.services import operators

        prog = self.s.progress(checkin_id)
        nxt = prog.next
        if nxt is None or nxt.state.value != "decide":
            self.say(_("Force-capture is allowed only after {n} attempts below the threshold.").format(
                n=self.s.rules.attempts_before_decision), "yellow")
            return
        reason = self.ask(_("Reason for the force-capture:"), False)
        user = self.ask(_("Supervisor username:"), False)
        pw = self.ask(_("Supervisor password:"), True)
        sup = self.guarded(lambda: operators.authenticate(self.s.ws, user, pw, role="supervisor"))
        if sup is not None and self.guarded(lambda: self.s.force_capture(checkin_id, nxt.spec.step.value, reason, sup)):
            self.say(_("Force-capture confirmed."), "yellow")

    def cancel(self, checkin_id: str) -> None:
        reason = self.ask(_("Why does the student leave?"), False)
        self.guarded(lambda: self.s.cancel(checkin_id, reason))

    def review(self, checkin_id: str) -> bool:
        sheet = self.guarded(lambda: self.s.review(checkin_id))
        if sheet is None:
            return False
        ck = sheet["checkin"]
        t = Table(title=_("Review before saving"), title_justify="left", show_header=False)
        t.add_row(_("Name"), ck["name"])
        t.add_row(_("NISN"), ck["nisn"] or "-")
        t.add_row(_("Birth date"), ck["birth_date"])
        for c in sheet["corrections"]:
            t.add_row(_("Correction"), f"{c['field']}: {c['old']} → {c['new']} ({c['reason']})")
        for st in sheet["steps"]:
            q = [v for v in st["qualities"].values() if v is not None]
            extra = " " + _("(force-captured)") if st["forced"] else ""
            t.add_row(st["label"], (f"{min(q):.0f}" if q else st["state"]) + extra)
        for e in sheet["exceptions"]:
            t.add_row(_("Exception"), f"{e['modality']} {e['position']}: {e['kind']} ({e['reason']})")
        self.console.print(t)
        choice = self.choose([("1", _("Save the recording")), ("6", _("Cancel this student")), ("0", _("Back"))])
        if choice == "1":
            r = self.guarded(lambda: self.s.commit(checkin_id))
            if r is not None:
                self.say(_("Recorded and sealed."), "bold green")
                return True
            return False
        if choice == "6":
            self.cancel(checkin_id)
        return True

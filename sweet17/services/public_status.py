"""The hub's public status page: a student or parent checks where a recording is with the NIK and
the birth date, so nobody has to ask by WhatsApp.

What it shows: only the stage reached and its dates (received by the office, verified, card
printed, card handed over, or a duplicate to sort out at the office) and what to do next. No name,
no school, nothing else. A wrong birth date and an unknown NIK get the same answer, so the page
cannot be used to find out whether a NIK exists. Requests are rate-limited per client address and
per NIK (a birth date cannot be guessed by trying the days of a year). NIKs are never logged.

    svc = PublicStatusService(hub.store)
    answer = svc.check("203.0.113.7", "6311065708080012", "2008-08-17")   # or RateLimited
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

from sqlalchemy import text

from sweet17.domain.lifecycle import NEXT_STEP, STAGE_LABELS, Stage
from sweet17.i18n import N_, _

# Hub statuses (sweet17.services.sync.protocol.HUB_STATUSES) as the public stages.
HUB_TO_STAGE: dict[str, Stage] = {
    "received": Stage.SYNCED,
    "verified": Stage.ACKNOWLEDGED,
    "sent": Stage.ACKNOWLEDGED,
    "recorded": Stage.ACKNOWLEDGED,
    "printed": Stage.PRINTED,
    "delivered": Stage.DELIVERED,
    "duplicate": Stage.DUPLICATE,
}
PUBLIC_STEPS = (Stage.SYNCED, Stage.ACKNOWLEDGED, Stage.PRINTED, Stage.DELIVERED)
IP_LIMIT = (10, 600)          # requests per client address per 10 minutes
NIK_LIMIT = (5, 3600)         # lookups of one NIK per hour, whatever the birth date

NOT_FOUND = N_("No recording was found for this NIK and birth date. Check both; if they are right, your recording "
               "may not have reached the office yet.")


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


class SlidingWindow:
    """At most ``limit`` events per key in the last ``window`` seconds (thread-safe, in memory)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one event for ``key``; ``RateLimited`` (nothing counted) when the key is over its limit."""
        now = self.clock()
        with self._lock:
            q = self._events[key]
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                raise RateLimited(max(1, int(q[0] + self.window - now) + 1))
            q.append(now)
            if len(self._events) > 100_000:            # forget idle keys
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                    del self._events[k]


@dataclass
class PublicAnswer:
    kind: str                                   # found | not_found | invalid
    message: str = ""
    stage: Stage | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.kind == "found", "kind": self.kind, "message": self.message,
                "status": str(self.stage) if self.stage else None,
                "label": _(STAGE_LABELS[self.stage]) if self.stage else None,
                "next_step": _(NEXT_STEP[self.stage]) if self.stage else None, "steps": self.steps}


def parse_birth_date(raw: str) -> date | None:
    s = str(raw or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s) or None
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", s)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def _nik_key(nik: str) -> str:
    """The rate limiter's key for a NIK (a hash, so the NIK itself is not kept in memory)."""
    return "nik:" + hashlib.sha256(nik.encode()).hexdigest()[:32]


class PublicStatusService:
    def __init__(self, store: Any, *, ip_limit: tuple[int, float] = IP_LIMIT, nik_limit: tuple[int, float] = NIK_LIMIT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.by_ip = SlidingWindow(*ip_limit, clock=clock)
        self.by_nik = SlidingWindow(*nik_limit, clock=clock)

    def check(self, client: str, nik_raw: str, birth_raw: str) -> PublicAnswer:
        self.by_ip.hit("ip:" + (client or "-"))
        nik = re.sub(r"[\s.\-]", "", str(nik_raw or ""))
        birth = parse_birth_date(birth_raw)
        if not re.fullmatch(r"\d{16}", nik):
            return PublicAnswer("invalid", _("The NIK has 16 digits; check the number on your family card (KK)."))
        if birth is None:
            return PublicAnswer("invalid", _("Give the birth date as on the family card (day, month, year)."))
        self.by_nik.hit(_nik_key(nik))
        return self.lookup(nik, birth)

    def lookup(self, nik: str, birth: date) -> PublicAnswer:
        with self.store.connect() as conn:
            rows = conn.execute(text(
                "SELECT recording_id, manifest, status FROM hub_recording WHERE nik = :n AND state = 'complete' "
                "AND superseded_by IS NULL ORDER BY captured_at DESC"), {"n": nik}).all()
            match = None
            for rid, manifest, status in rows:
                try:
                    bd = json.loads(manifest).get("birth_date", "")
                except ValueError:
                    continue
                if bd == birth.isoformat():
                    match = (rid, status)
                    break
            if match is None:
                return PublicAnswer("not_found", _(NOT_FOUND))
            events = conn.execute(text("SELECT status, at FROM status_event WHERE recording_id = :r ORDER BY seq"),
                                  {"r": match[0]}).all()
        reached: dict[Stage, str] = {}
        for status, at in events:
            st = HUB_TO_STAGE.get(status)
            if st is not None and st not in reached:
                reached[st] = at[:10]
        current = HUB_TO_STAGE.get(match[1], Stage.SYNCED)
        if current not in reached:
            reached[current] = ""
        steps = [{"status": str(s), "label": _(STAGE_LABELS[s]), "reached": s in reached, "date": reached.get(s) or None}
                 for s in PUBLIC_STEPS]
        if Stage.DUPLICATE in reached:
            steps.append({"status": str(Stage.DUPLICATE), "label": _(STAGE_LABELS[Stage.DUPLICATE]), "reached": True,
                          "date": reached[Stage.DUPLICATE] or None})
        return PublicAnswer("found", _(STAGE_LABELS[current]), current, steps)


# ------------------------------------------------------------------------------- the page

_CSS = ("body{font-family:system-ui,sans-serif;max-width:34rem;margin:1.5rem auto;padding:0 1rem;color:#222}"
        "h1{font-size:1.3rem;color:#1F4E78}label{display:block;margin:.8rem 0 .2rem}"
        "input{font-size:1.1rem;padding:.4rem;width:100%;box-sizing:border-box}"
        "button{margin-top:1rem;font-size:1.1rem;padding:.5rem 1.2rem;background:#1F4E78;color:#fff;border:0}"
        ".box{margin-top:1.2rem;padding:.8rem;border-left:4px solid #1F4E78;background:#F2F7FB}"
        ".warn{border-color:#C0504D;background:#FBEAEA}ol{padding-left:1.2rem}li.no{color:#999}"
        "small{color:#666}")


def render_page(answer: PublicAnswer | None = None, *, office: str = "", retry_after: int | None = None) -> str:
    """The page: the form, and the answer under it. Everything is escaped; nothing is echoed back."""
    title = escape(_("Check your e-KTP recording"))
    intro = escape(_("Enter the NIK and the birth date of the student. Only the status is shown."))
    nik_label = escape(_("NIK (16 digits)"))
    birth_label = escape(_("Birth date"))
    button = escape(_("Check the status"))
    footer = escape(_("Your data is not shown on this page and the check is not stored."))
    parts = ['<!doctype html><html lang="id"><head><meta charset="utf-8">'
             '<meta name="viewport" content="width=device-width,initial-scale=1">'
             f'<meta name="robots" content="noindex"><title>{title}</title><style>{_CSS}</style></head><body>',
             f"<h1>{title}</h1>"]
    if office:
        parts.append(f"<p>{escape(office)}</p>")
    parts.append(f"<p>{intro}</p>")
    parts.append('<form method="post" action="status" autocomplete="off">'
                 f'<label for="nik">{nik_label}</label>'
                 '<input id="nik" name="nik" inputmode="numeric" maxlength="20" required>'
                 f'<label for="birth_date">{birth_label}</label>'
                 '<input id="birth_date" name="birth_date" type="date" required>'
                 f'<button type="submit">{button}</button></form>')
    if retry_after is not None:
        minutes = max(1, (retry_after + 59) // 60)
        busy = escape(_("Too many checks from here. Try again in {n} minute(s).").format(n=minutes))
        parts.append(f'<div class="box warn">{busy}</div>')
    elif answer is not None:
        if answer.kind != "found":
            parts.append(f'<div class="box warn">{escape(answer.message)}</div>')
        else:
            d = answer.to_dict()
            status_word = escape(_("Status"))
            items = "".join(
                f'<li class="{"yes" if s["reached"] else "no"}">{escape(s["label"])}'
                f'{" - " + escape(s["date"]) if s["date"] else ""}</li>' for s in answer.steps)
            parts.append(f'<div class="box"><p><strong>{status_word}: {escape(d["label"])}</strong></p>'
                         f'<ol>{items}</ol><p>{escape(d["next_step"])}</p></div>')
    parts.append(f"<p><small>{footer}</small></p>")
    parts.append("</body></html>")
    return "".join(parts)

"""Complaints (pengaduan): categories, channels, and the register's figures. Pure.

The office's service standard asks that at least 91% of complaints are resolved; the register
reports the share resolved and the time to resolution (days from receipt to resolution).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sweet17.i18n import N_

TARGET_RESOLVED = 0.91

CATEGORIES: dict[str, str] = {
    "schedule": N_("visit schedule"),
    "queue": N_("queue and waiting time"),
    "data": N_("wrong personal data (name, birth date, address)"),
    "recording": N_("recording failed or must be repeated"),
    "not_printed": N_("card not printed yet"),
    "not_delivered": N_("card not handed over yet"),
    "card_error": N_("error on the printed card"),
    "conduct": N_("staff conduct"),
    "levy": N_("payment asked (illegal levy)"),
    "information": N_("unclear information"),
    "facilities": N_("facilities"),
    "other": N_("other"),
}

CHANNELS: dict[str, str] = {
    "in_person": N_("in person"),
    "whatsapp": N_("WhatsApp"),
    "phone": N_("telephone"),
    "lapor": N_("SP4N-LAPOR!"),
    "social_media": N_("social media"),
    "email": N_("e-mail"),
    "letter": N_("letter"),
    "suggestion_box": N_("suggestion box"),
    "website": N_("website"),
}

# Words people use for the categories and channels in hand-kept registers (lower case, Indonesian
# and English), so an imported register or a typed option can use them.
ALIASES: dict[str, str] = {
    "jadwal": "schedule", "antrean": "queue", "antrian": "queue", "data": "data", "data salah": "data",
    "perekaman": "recording", "belum dicetak": "not_printed", "belum cetak": "not_printed",
    "belum diterima": "not_delivered", "belum sampai": "not_delivered", "salah cetak": "card_error",
    "perilaku": "conduct", "perilaku petugas": "conduct", "pungutan": "levy", "pungli": "levy",
    "informasi": "information", "sarana": "facilities", "fasilitas": "facilities", "lainnya": "other",
    "lain-lain": "other",
    "langsung": "in_person", "tatap muka": "in_person", "wa": "whatsapp", "telepon": "phone", "telp": "phone",
    "sp4n-lapor!": "lapor", "sp4n lapor": "lapor", "lapor!": "lapor", "media sosial": "social_media",
    "medsos": "social_media", "instagram": "social_media", "facebook": "social_media", "surel": "email",
    "surat": "letter", "kotak saran": "suggestion_box", "situs": "website", "web": "website",
}


def normalise_code(value: str, known: dict[str, str]) -> str | None:
    """The code of a category or channel given as its code, an alias or its English label."""
    v = " ".join(str(value).strip().lower().replace("_", " ").split())
    for code, label in known.items():
        if v in (code.replace("_", " "), label.lower()):
            return code
    alias = ALIASES.get(v)
    return alias if alias in known else None


@dataclass(frozen=True)
class Complaint:
    id: str
    received_on: date
    channel: str
    category: str
    description: str
    school_code: str = ""
    resolved_on: date | None = None
    resolution: str = ""

    @property
    def resolved(self) -> bool:
        return self.resolved_on is not None

    @property
    def days_to_resolve(self) -> int | None:
        return (self.resolved_on - self.received_on).days if self.resolved_on else None


def check_dates(received_on: date, resolved_on: date | None, today: date) -> tuple[str, str] | None:
    """``(field, English message id)`` when the dates are impossible, else None."""
    if received_on > today:
        return "received_on", N_("the receipt date {date} lies in the future")
    if resolved_on is not None and resolved_on < received_on:
        return "resolved_on", N_("the resolution date {date} is before the date the complaint was received")
    if resolved_on is not None and resolved_on > today:
        return "resolved_on", N_("the resolution date {date} lies in the future")
    return None


@dataclass(frozen=True)
class GroupCount:
    key: str
    received: int
    resolved: int

    @property
    def share_resolved(self) -> float | None:
        return self.resolved / self.received if self.received else None

    def to_dict(self) -> dict:
        return {"key": self.key, "received": self.received, "resolved": self.resolved,
                "share_resolved": None if self.share_resolved is None else round(self.share_resolved, 4)}


@dataclass(frozen=True)
class ComplaintStats:
    as_of: date
    received: int
    resolved: int
    open: int
    share_resolved: float | None
    target: float
    days_mean: float | None
    days_median: float | None
    days_max: int | None
    oldest_open_days: int | None
    by_category: tuple[GroupCount, ...]
    by_channel: tuple[GroupCount, ...]

    @property
    def meets_target(self) -> bool | None:
        return None if self.share_resolved is None else self.share_resolved >= self.target

    def to_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "received": self.received,
            "resolved": self.resolved,
            "open": self.open,
            "share_resolved": None if self.share_resolved is None else round(self.share_resolved, 4),
            "target": self.target,
            "meets_target": self.meets_target,
            "days_to_resolve_mean": None if self.days_mean is None else round(self.days_mean, 2),
            "days_to_resolve_median": self.days_median,
            "days_to_resolve_max": self.days_max,
            "oldest_open_days": self.oldest_open_days,
            "by_category": [g.to_dict() for g in self.by_category],
            "by_channel": [g.to_dict() for g in self.by_channel],
        }


def _groups(items: list[Complaint], key: str) -> tuple[GroupCount, ...]:
    rec = Counter(getattr(c, key) for c in items)
    res = Counter(getattr(c, key) for c in items if c.resolved)
    return tuple(GroupCount(k, rec[k], res[k]) for k, _n in sorted(rec.items(), key=lambda kv: (-kv[1], kv[0])))


def stats(complaints: Iterable[Complaint], as_of: date, target: float = TARGET_RESOLVED) -> ComplaintStats:
    """The register's figures on ``as_of`` (complaints received up to that day)."""
    items = [c for c in complaints if c.received_on <= as_of]
    # A complaint resolved after ``as_of`` was still open on that day.
    done = [c for c in items if c.resolved_on is not None and c.resolved_on <= as_of]
    open_ = [c for c in items if c not in done]
    days = [c.days_to_resolve for c in done]
    return ComplaintStats(
        as_of=as_of,
        received=len(items),
        resolved=len(done),
        open=len(open_),
        share_resolved=len(done) / len(items) if items else None,
        target=target,
        days_mean=statistics.fmean(days) if days else None,  # type: ignore[arg-type]
        days_median=statistics.median(days) if days else None,  # type: ignore[type-var]
        days_max=max(days) if days else None,  # type: ignore[type-var]
        oldest_open_days=max(((as_of - c.received_on).days for c in open_), default=None),
        by_category=_groups([_as_of(c, as_of) for c in items], "category"),
        by_channel=_groups([_as_of(c, as_of) for c in items], "channel"),
    )


def _as_of(c: Complaint, as_of: date) -> Complaint:
    if c.resolved_on is not None and c.resolved_on > as_of:
        return Complaint(c.id, c.received_on, c.channel, c.category, c.description, c.school_code)
    return c

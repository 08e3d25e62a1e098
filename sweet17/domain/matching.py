"""Matching roster students to the registry extract (pure).

The registry extract lists residents Dukcapil has already recorded. A student is recorded when:

1. the student's NIK (a usable one: 16 digits, checked) is on the extract — unless the names
   disagree completely, which more likely means a wrong NIK on the roster: then a person decides;
2. otherwise (NIK missing or unusable), exactly one person on the extract with the same birth
   date and sex has a name similar above ``threshold`` (rapidfuzz, on normalised names) and no
   other candidate comes within ``margin`` of it.

Anything less certain is returned for review with its candidates, never decided here: several
close candidates, a best candidate between ``review_floor`` and ``threshold``, one person
claimed by two students. A person's decision (``Decision``) overrides the computation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

THRESHOLD = 90.0        # a name match at or above this is accepted when unambiguous
MARGIN = 5.0            # another candidate within this many points of the best makes it ambiguous
REVIEW_FLOOR = 75.0     # candidates below this are not shown for review
NIK_NAME_MIN = 50.0     # an exact NIK match whose names score below this goes to review

REVIEW_REASONS = ("several", "close", "nik_name_differs", "shared_person")


# The values below are named tuples: a matching run makes hundreds of thousands of them.


class RegistryPerson(NamedTuple):
    nik: str
    name: str
    name_key: str
    birth_date: date | None
    sex: str            # 'L', 'P' or ''
    status: str = "recorded"


class StudentForMatch(NamedTuple):
    student_id: int
    nik: str            # usable NIK or ''
    name_key: str
    birth_date: date | None
    sex: str


class Candidate(NamedTuple):
    person: RegistryPerson
    score: float


@dataclass(frozen=True)
class Decision:
    """A person's decision for one student: ``match`` with the person whose NIK is given, or ``no_match``."""

    kind: str           # 'match' | 'no_match'
    nik: str = ""


class MatchOutcome(NamedTuple):
    student_id: int
    method: str                     # 'nik' | 'name' | 'decision' | '' (not matched)
    person: RegistryPerson | None = None
    score: float = 0.0
    review: str = ""                # '' or one of REVIEW_REASONS
    candidates: tuple[Candidate, ...] = ()

    @property
    def matched(self) -> bool:
        return self.person is not None and not self.review


# Spelling variants of Indonesian names (old and new spelling, Arabic transliterations): compared
# after these rewrites, AKHMAD = ACHMAD = AHMAD, SYAHRANI = SAHRANI, RIZKY = RIZKI = RISKY, NOOR = NOR.
_PHONETIC = (("kh", "h"), ("ch", "h"), ("sy", "s"), ("sh", "s"), ("dz", "z"), ("dh", "d"), ("th", "t"),
             ("ph", "f"), ("oe", "u"), ("dj", "j"), ("tj", "c"), ("q", "k"), ("v", "f"), ("z", "s"), ("ie", "i"),
             ("y", "i"), ("x", "ks"))
_VOWELS = frozenset("aiueo")


def phonetic_key(name_key: str) -> str:
    """A normalised name (``sweet17.domain.roster.name_key``) with spelling variants folded together."""
    words = []
    for w in name_key.split():
        for a, b in _PHONETIC:
            if a in w:
                w = w.replace(a, b)
        out = []
        for ch in w:
            if not out or out[-1] != ch:
                out.append(ch)
        if len(out) > 3 and out[-1] == "h" and out[-2] in _VOWELS:
            out.pop()
        words.append("".join(out))
    return " ".join(words)


def name_score(a: str, b: str) -> float:
    """Similarity 0-100 of two normalised names, insensitive to word order and to spelling variants."""
    from rapidfuzz import fuzz

    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    return float(max(fuzz.token_sort_ratio(a, b), fuzz.token_sort_ratio(phonetic_key(a), phonetic_key(b))))


def blocks_by_birth(persons: Iterable[RegistryPerson]) -> dict[tuple[date, str], list[RegistryPerson]]:
    out: dict[tuple[date, str], list[RegistryPerson]] = defaultdict(list)
    for p in persons:
        if p.birth_date is not None:
            out[(p.birth_date, p.sex)].append(p)
    return out


def match_students(
    students: Iterable[StudentForMatch],
    by_nik: Mapping[str, RegistryPerson],
    by_birth: Mapping[tuple[date, str], list[RegistryPerson]],
    *,
    decisions: Mapping[int, Decision] | None = None,
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
    review_floor: float = REVIEW_FLOOR,
    nik_name_min: float = NIK_NAME_MIN,
) -> list[MatchOutcome]:
    """One outcome per student (matched, for review, or not matched)."""
    from rapidfuzz import fuzz, process

    decisions = decisions or {}
    students = list(students)
    cache: dict[str, str] = {}

    def _ph(k: str) -> str:
        v = cache.get(k)
        if v is None:
            v = cache[k] = phonetic_key(k)
        return v

    out: dict[int, MatchOutcome] = {}
    claimed: set[str] = set()
    fallback: list[StudentForMatch] = []
    for s in students:
        if s.nik:
            p = by_nik.get(s.nik)
            if p is None:
                out[s.student_id] = MatchOutcome(s.student_id, "")
                continue
            score = name_score(s.name_key, p.name_key) if s.name_key and p.name_key else 100.0
            if score >= nik_name_min:
                out[s.student_id] = MatchOutcome(s.student_id, "nik", p, score)
                claimed.add(p.nik)
            else:
                out[s.student_id] = MatchOutcome(s.student_id, "", None, score, "nik_name_differs",
                                                 (Candidate(p, score),))
        else:
            fallback.append(s)
    tentative: dict[str, list[int]] = defaultdict(list)
    for s in fallback:
        if s.birth_date is None or not s.name_key:
            out[s.student_id] = MatchOutcome(s.student_id, "")
            continue
        pool: list[RegistryPerson] = []
        for sex in ((s.sex,) if s.sex else ("L", "P", "")):
            pool.extend(p for p in by_birth.get((s.birth_date, sex), ()) if p.nik not in claimed)
        if s.sex:  # a registry row without sex is still a candidate
            pool.extend(p for p in by_birth.get((s.birth_date, ""), ()) if p.nik not in claimed)
        if not pool:
            out[s.student_id] = MatchOutcome(s.student_id, "")
            continue
        key = phonetic_key(s.name_key)
        scored = process.extract(key, [_ph(p.name_key) for p in pool], scorer=fuzz.token_sort_ratio,
                                 score_cutoff=review_floor, limit=5)
        cands = tuple(Candidate(pool[i], float(sc)) for _n, sc, i in scored)
        if not cands:
            out[s.student_id] = MatchOutcome(s.student_id, "")
            continue
        best = cands[0]
        rivals = [c for c in cands[1:] if c.score >= best.score - margin and c.person.nik != best.person.nik]
        if best.score >= threshold and not rivals:
            out[s.student_id] = MatchOutcome(s.student_id, "name", best.person, best.score, "", cands)
            tentative[best.person.nik].append(s.student_id)
        else:
            reason = "several" if rivals else "close"
            out[s.student_id] = MatchOutcome(s.student_id, "", None, best.score, reason, cands)
    for _nik, ids in tentative.items():
        if len(ids) > 1:
            for sid in ids:
                o = out[sid]
                out[sid] = MatchOutcome(sid, "", None, o.score, "shared_person", o.candidates)
    for sid, d in decisions.items():
        if sid not in out:
            continue
        if d.kind == "no_match":
            out[sid] = MatchOutcome(sid, "decision", None, 0.0)
        elif d.kind == "match":
            p = by_nik.get(d.nik)
            if p is not None:
                out[sid] = MatchOutcome(sid, "decision", p, 100.0)
    return [out[s.student_id] for s in students]

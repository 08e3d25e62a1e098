"""The audit trail's hash chain (pure): each entry's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def entry_hash(prev_hash: str, ts: str, actor: str, action: str, obj: str, details: str) -> str:
    body = json.dumps([prev_hash, ts, actor, action, obj, details], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def canonical_details(details: dict[str, Any] | None) -> str:
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str   # "hash" (entry edited), "link" (entry removed or reordered), "seq" (gap in numbering)


def verify_chain(entries: list[tuple[int, str, str, str, str, str, str, str]]) -> list[ChainBreak]:
    """Check rows of (seq, ts, actor, action, object, details, prev_hash, hash) in seq order."""
    breaks: list[ChainBreak] = []
    prev = GENESIS
    last_seq = 0
    for seq, ts, actor, action, obj, details, prev_hash, h in entries:
        if seq != last_seq + 1:
            breaks.append(ChainBreak(seq, "seq"))
        if prev_hash != prev:
            breaks.append(ChainBreak(seq, "link"))
        if entry_hash(prev_hash, ts, actor, action, obj, details) != h:
            breaks.append(ChainBreak(seq, "hash"))
        prev, last_seq = h, seq
    return breaks

"""Checking the audit trail: the hash chain, a signed anchor of its head, and cross-checks.

The chain (``domain.audit``) shows an entry edited (its hash no longer matches), removed or
reordered (the next entry's link breaks, or a gap in the numbering). Two things the chain alone
cannot show are caught here too:

* the **last entries removed**: after each commit and at the end of a session the laptop writes
  ``logs/audit-anchor.json`` — the head's sequence number and hash, signed with the laptop's key.
  The chain must still hold that entry with that hash;
* a **recording without its commit entry** (an entry removed and the chain rebuilt): every
  committed recording must have a ``recording.commit`` entry naming it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from sweet17.adapters import crypto
from sweet17.domain.audit import ChainBreak, verify_chain
from sweet17.i18n import N_

ANCHOR = "audit-anchor.json"

REASONS = {
    "hash": N_("entry changed after it was written"),
    "link": N_("an entry before this one was removed or moved"),
    "seq": N_("numbering gap: entries were removed"),
    "anchor_missing": N_("the signed anchor's entry is gone: the last entries were removed"),
    "anchor_changed": N_("the signed anchor's entry was changed"),
    "anchor_signature": N_("the anchor file's signature does not verify"),
    "recording_unaudited": N_("a recording has no commit entry in the audit trail"),
}


@dataclass
class AuditReport:
    entries: int
    head_seq: int
    head_hash: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    anchor: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self, translate: Any = lambda s: s) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head_seq": self.head_seq, "head_hash": self.head_hash,
                "anchor": self.anchor,
                "problems": [{**p, "message": translate(REASONS[p["reason"]])} for p in self.problems]}


def _entries(conn: Any) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(
        "SELECT seq, ts, actor, action, object, details, prev_hash, hash FROM audit_log ORDER BY seq")).all()]


def anchor_path(ws) -> Any:  # type: ignore[no-untyped-def]
    return ws.logs_dir / ANCHOR


def _anchor_message(seq: int, h: str) -> bytes:
    return f"sweet17-audit-anchor:{seq}:{h}".encode()


def write_anchor(ws) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    """Sign the chain's head into ``logs/audit-anchor.json`` (atomic replace). None if the log is empty."""
    from sweet17.services.keys import laptop_signing_key

    with ws.engine.connect() as c:
        row = c.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    if row is None:
        return None
    seq, h = int(row[0]), str(row[1])
    sig = crypto.b64(crypto.sign(laptop_signing_key(ws), _anchor_message(seq, h)))
    doc = {"seq": seq, "hash": h, "signature": sig}
    path = anchor_path(ws)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        return None   # the anchor is a second line of defence; a full disk must not fail a commit
    return doc


def verify(ws) -> AuditReport:  # type: ignore[no-untyped-def]
    """Check the whole trail; ``report.problems`` lists each break with its sequence number."""
    from sweet17.services.keys import laptop_public

    with ws.engine.connect() as c:
        entries = _entries(c)
        committed = [r[0] for r in c.execute(text("SELECT id FROM recording ORDER BY captured_at")).all()]
        audited = {r[0] for r in c.execute(text("SELECT object FROM audit_log WHERE action = 'recording.commit'"))}
    breaks: list[ChainBreak] = verify_chain(entries)
    problems: list[dict[str, Any]] = [{"seq": b.seq, "reason": b.reason} for b in breaks]
    head_seq, head_hash = (entries[-1][0], entries[-1][7]) if entries else (0, "")
    anchor = None
    path = anchor_path(ws)
    if path.exists():
        try:
            anchor = json.loads(path.read_text(encoding="utf-8"))
            crypto.verify(laptop_public(ws), crypto.unb64(anchor["signature"]),
                          _anchor_message(int(anchor["seq"]), str(anchor["hash"])))
            by_seq = {e[0]: e[7] for e in entries}
            if int(anchor["seq"]) not in by_seq:
                problems.append({"seq": int(anchor["seq"]), "reason": "anchor_missing"})
            elif by_seq[int(anchor["seq"])] != anchor["hash"]:
                problems.append({"seq": int(anchor["seq"]), "reason": "anchor_changed"})
        except (ValueError, KeyError, TypeError, crypto.CryptoError):
            problems.append({"seq": 0, "reason": "anchor_signature"})
    for rid in committed:
        if rid not in audited:
            problems.append({"seq": 0, "reason": "recording_unaudited", "object": rid})
    problems.sort(key=lambda p: p["seq"])
    return AuditReport(entries=len(entries), head_seq=head_seq, head_hash=head_hash, problems=problems, anchor=anchor)


def list_entries(ws, *, action: str | None = None, actor: str | None = None, obj: str | None = None,  # type: ignore[no-untyped-def]
                 since: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest entries (newest first), filtered by action prefix, actor, object or date."""
    where, params = [], {"lim": int(limit)}
    if action:
        where.append("(action = :a OR action LIKE :ap)")
        params.update({"a": action, "ap": action + ".%"})
    if actor:
        where.append("actor = :actor")
        params["actor"] = actor
    if obj:
        where.append("object = :obj")
        params["obj"] = obj
    if since:
        where.append("ts >= :since")
        params["since"] = since
    sql = ("SELECT seq, ts, actor, action, object, details, hash FROM audit_log"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq DESC LIMIT :lim")
    with ws.engine.connect() as c:
        rows = c.execute(text(sql), params).all()
    return [{"seq": r[0], "ts": r[1], "actor": r[2], "action": r[3], "object": r[4], "details": json.loads(r[5]),
             "hash": r[6]} for r in rows]

"""The supervisor's queue on the laptop: listing, approval, rejection, and the purge of payloads.

* ``list_queue`` — every recording with its status, quality flags (force-captured, exceptions,
  retries) first, and what is held on the laptop and why (``held``).
* ``approve`` / ``reject`` — the supervisor's end-of-day decision, signed in with their own
  account (``services.operators.authenticate``); a rejection needs a reason. A rejected
  recording no longer counts as recorded (``RECORDED_STATUSES``), so the student is called
  again at the next visit.
* ``purge`` — a biometric payload is deleted only when the hub's verified receipt is held and
  the retention period (``sync.retention_days``, default 14) has passed since the later of the
  receipt's hub time and the moment the laptop stored it (a laptop clock that is wrong cannot
  shorten retention). Rejected recordings' payloads are deleted after the same period.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from sweet17.domain.recording import RecordingStatus, TransitionError, transition
from sweet17.errors import UserError
from sweet17.i18n import N_, _

# A student with a recording in one of these statuses counts as recorded (rejected ones do not).
RECORDED_STATUSES = ("captured", "approved", "synced", "acknowledged")
STATUS_ORDER = {"captured": 0, "approved": 1, "rejected": 2, "synced": 3, "acknowledged": 4}
DEFAULT_RETENTION_DAYS = 14

HELD_LABELS = {
    "awaiting_approval": N_("held: waiting for supervisor approval"),
    "awaiting_sync": N_("held: waiting to be sent to the hub"),
    "awaiting_receipts": N_("held: in a USB bundle, waiting for the hub's receipts"),
    "unverified_receipt": N_("held: the hub could not open the payload"),
    "retention": N_("held until {until} (retention)"),
    "rejected_retention": N_("rejected; held until {until}, then deleted"),
    "purged": N_("deleted on {at} (hub receipt held)"),
    "purged_rejected": N_("deleted on {at} (rejected)"),
    "missing": N_("no payload on this laptop"),
}


def retention_days(ws) -> int:  # type: ignore[no-untyped-def]
    return int(ws.setting("sync.retention_days", DEFAULT_RETENTION_DAYS))


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        d = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _iso(d: datetime) -> str:
    return d.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class QueueItem:
    id: str
    status: str
    name: str
    school_code: str
    drive: str
    captured_at: str
    operator: str
    force_captured: bool
    exceptions: list[str]
    retries: int
    flagged: bool
    approved_by: str | None
    decided_at: str | None
    rejected_reason: str | None
    hub_status: str | None
    hub_status_at: str | None
    payload_size: int
    payload_held: bool
    held: str                    # key of HELD_LABELS
    held_until: str | None
    purged_at: str | None
    last_error: str = ""
    bundles: list[str] = field(default_factory=list)

    def held_text(self) -> str:
        return _(HELD_LABELS[self.held]).format(until=(self.held_until or "")[:10], at=(self.purged_at or "")[:10])

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "name": self.name, "school_code": self.school_code,
                "drive": self.drive, "captured_at": self.captured_at, "operator": self.operator,
                "flags": {"force_captured": self.force_captured, "exceptions": self.exceptions,
                          "retries": self.retries},
                "flagged": self.flagged, "decided_by": self.approved_by, "decided_at": self.decided_at,
                "rejected_reason": self.rejected_reason, "hub_status": self.hub_status,
                "hub_status_at": self.hub_status_at, "payload_size": self.payload_size,
                "payload_held": self.payload_held, "held": self.held, "held_text": self.held_text(),
                "held_until": self.held_until, "purged_at": self.purged_at, "last_error": self.last_error,
                "bundles": self.bundles}


def _retention_start(stored_at: str | None, hub_received_at: str | None) -> datetime | None:
    times = [t for t in (_parse(stored_at), _parse(hub_received_at)) if t is not None]
    return max(times) if times else None


def _held(status: str, payload: bool, purged_at: str | None, receipt: dict[str, Any] | None,
          bundles: list[str], decided_at: str | None, days: int) -> tuple[str, str | None]:
    if purged_at:
        return ("purged_rejected" if status == "rejected" else "purged"), None
    if not payload:
        return "missing", None
    if status == "captured":
        return "awaiting_approval", None
    if status == "rejected":
        start = _parse(decided_at)
        return "rejected_retention", _iso(start + timedelta(days=days)) if start else None
    if receipt is None:
        return ("awaiting_receipts" if bundles else "awaiting_sync"), None
    if not receipt["verified"]:
        return "unverified_receipt", None
    start = _retention_start(receipt["stored_at"], receipt["hub_received_at"])
    return "retention", _iso(start + timedelta(days=days)) if start else None


def list_queue(ws, status: str | None = None) -> list[QueueItem]:  # type: ignore[no-untyped-def]
    """Recordings with flags first, then by status (captured, approved, rejected, synced, acknowledged)."""
    if status is not None and status not in STATUS_ORDER:
        raise UserError(_("Option --status: use captured, approved, rejected, synced or acknowledged"),
                        field="--status")
    days = retention_days(ws)
    where = "WHERE r.status = :s " if status else ""
    with ws.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT r.id, r.status, r.name, r.school_code, r.drive_slug, r.captured_at, r.operator, r.force_captured, "
            "r.exceptions, r.retries, r.approved_by, r.approved_at, r.rejected_reason, r.hub_status, r.hub_status_at, "
            "r.payload_size, r.purged_at, p.recording_id IS NOT NULL AS has_payload, "
            "c.verified, c.stored_at, c.hub_received_at, u.last_error, "
            "(SELECT MAX(decided_at) FROM queue_decision d WHERE d.recording_id = r.id) AS decided_at, "
            "(SELECT GROUP_CONCAT(bundle_id) FROM sync_bundle_item b WHERE b.recording_id = r.id) AS bundles "
            "FROM recording r LEFT JOIN recording_payload p ON p.recording_id = r.id "
            "LEFT JOIN sync_receipt c ON c.recording_id = r.id LEFT JOIN sync_upload u ON u.recording_id = r.id "
            f"{where}"), {"s": status}).mappings().all()
    items = []
    for r in rows:
        try:
            exc = [str(e) for e in json.loads(r["exceptions"] or "[]")]
        except ValueError:
            exc = [str(r["exceptions"])]
        receipt = ({"verified": bool(r["verified"]), "stored_at": r["stored_at"],
                    "hub_received_at": r["hub_received_at"]} if r["stored_at"] else None)
        bundles = [b for b in (r["bundles"] or "").split(",") if b]
        decided = r["decided_at"] or r["approved_at"]
        held, until = _held(r["status"], bool(r["has_payload"]), r["purged_at"], receipt, bundles, decided, days)
        flagged = bool(r["force_captured"]) or bool(exc)
        items.append(QueueItem(
            id=r["id"], status=r["status"], name=r["name"], school_code=r["school_code"], drive=r["drive_slug"],
            captured_at=r["captured_at"], operator=r["operator"], force_captured=bool(r["force_captured"]),
            exceptions=exc, retries=int(r["retries"] or 0), flagged=flagged, approved_by=r["approved_by"],
            decided_at=decided, rejected_reason=r["rejected_reason"], hub_status=r["hub_status"],
            hub_status_at=r["hub_status_at"], payload_size=int(r["payload_size"]), payload_held=bool(r["has_payload"]),
            held=held, held_until=until, purged_at=r["purged_at"], last_error=r["last_error"] or "",
            bundles=bundles))
    items.sort(key=lambda i: (not i.flagged, STATUS_ORDER[i.status], i.captured_at, i.id))
    return items


def counts(items: list[QueueItem]) -> dict[str, int]:
    out = {s: 0 for s in STATUS_ORDER}
    for i in items:
        out[i.status] += 1
    out["flagged"] = sum(1 for i in items if i.flagged)
    out["payloads_held"] = sum(1 for i in items if i.payload_held)
    return out


# ---------------------------------------------------------------------------- decisions

def resolve_ids(conn: Any, refs: list[str]) -> list[str]:
    """Recording ids from full ids or unique prefixes (at least 6 characters)."""
    out: list[str] = []
    for ref in refs:
        ref = ref.strip()
        if conn.execute(text("SELECT 1 FROM recording WHERE id = :i"), {"i": ref}).first():
            out.append(ref)
            continue
        found = conn.execute(text("SELECT id FROM recording WHERE id LIKE :p"), {"p": ref + "%"}).scalars().all() \
            if len(ref) >= 6 else []
        if len(found) == 1:
            out.append(found[0])
        elif len(found) > 1:
            raise UserError(_("Recording {ref}: more than one recording id starts with this; give more "
                              "characters").format(ref=ref), field="ID")
        else:
            raise UserError(_("Recording {ref} is not in this laptop's queue").format(ref=ref), field="ID")
    return list(dict.fromkeys(out))


def sign_in_supervisor(ws, username: str, password: str) -> str:  # type: ignore[no-untyped-def]
    """The supervisor's username after a successful sign-in (``UserError`` otherwise, with lockout)."""
    from sweet17.services.operators import authenticate

    account = authenticate(ws, username, password, role="supervisor")
    return str(getattr(account, "username", username))


@dataclass
class Decision:
    decided: list[str]
    skipped: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {"decided": self.decided, "count": len(self.decided), "skipped": self.skipped}


def _clean_ids(conn: Any) -> list[str]:
    rows = conn.execute(text("SELECT id, force_captured, exceptions FROM recording WHERE status = 'captured' "
                             "ORDER BY captured_at, id")).all()
    out = []
    for rid, force, exc in rows:
        try:
            has_exc = bool(json.loads(exc or "[]"))
        except ValueError:
            has_exc = True
        if not force and not has_exc:
            out.append(rid)
    return out


def approve(ws, refs: list[str], supervisor: str, *, all_clean: bool = False,  # type: ignore[no-untyped-def]
            all_captured: bool = False) -> Decision:
    """Approve recordings (one transaction). ``all_clean`` adds every captured recording without flags;
    ``all_captured`` every captured recording, flagged ones too (after the supervisor reviewed them).

    ``supervisor`` is the signed-in supervisor (see ``sign_in_supervisor``).
    """
    from sweet17.services.workspace import now_utc

    if not refs and not all_clean and not all_captured:
        raise UserError(_("Give the recording IDs to approve, or --all-clean"), field="ID")
    now = now_utc()
    decided: list[str] = []
    skipped: list[dict[str, str]] = []
    with ws.engine.begin() as conn:
        ids = resolve_ids(conn, refs) if refs else []
        if all_clean:
            ids = list(dict.fromkeys(ids + _clean_ids(conn)))
        if all_captured:
            ids = list(dict.fromkeys(ids + list(conn.execute(text(
                "SELECT id FROM recording WHERE status = 'captured' ORDER BY captured_at, id")).scalars())))
        for rid in ids:
            status = conn.execute(text("SELECT status FROM recording WHERE id = :i"), {"i": rid}).scalar()
            if status == "approved":
                skipped.append({"id": rid, "reason": "already approved"})
                continue
            try:
                transition(status, RecordingStatus.APPROVED)
            except TransitionError:
                raise UserError(_("Recording {id} is {status} and cannot be approved").format(
                    id=rid, status=_(status)), field="ID") from None
            conn.execute(text("UPDATE recording SET status = 'approved', approved_by = :s, approved_at = :t "
                              "WHERE id = :i AND status = 'captured'"), {"s": supervisor, "t": now, "i": rid})
            conn.execute(text("INSERT INTO queue_decision (recording_id, decision, supervisor, reason, decided_at) "
                              "VALUES (:i, 'approved', :s, '', :t)"), {"i": rid, "s": supervisor, "t": now})
            ws.audit(supervisor, "recording.approve", rid, conn=conn)
            decided.append(rid)
    return Decision(decided, skipped)


def reject(ws, refs: list[str], supervisor: str, reason: str) -> Decision:  # type: ignore[no-untyped-def]
    """Reject recordings with a reason (one transaction); the students go back to the next visit's list."""
    from sweet17.services.workspace import now_utc

    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("A rejection needs a reason (--reason)"), field="--reason")
    if not refs:
        raise UserError(_("Give the recording IDs to reject"), field="ID")
    now = now_utc()
    decided: list[str] = []
    with ws.engine.begin() as conn:
        for rid in resolve_ids(conn, refs):
            status = conn.execute(text("SELECT status FROM recording WHERE id = :i"), {"i": rid}).scalar()
            try:
                transition(status, RecordingStatus.REJECTED)
            except TransitionError:
                raise UserError(_("Recording {id} is {status} and cannot be rejected").format(
                    id=rid, status=_(status)), field="ID") from None
            sent = conn.execute(text("SELECT (SELECT COUNT(*) FROM sync_upload WHERE recording_id = :i "
                                     "AND confirmed_bytes > 0) + (SELECT COUNT(*) FROM sync_bundle_item "
                                     "WHERE recording_id = :i)"), {"i": rid}).scalar()
            if sent:
                raise UserError(_("Recording {id} has already been (partly) sent to the hub and cannot be rejected "
                                  "here; ask the office to handle it").format(id=rid), field="ID")
            conn.execute(text("UPDATE recording SET status = 'rejected', rejected_reason = :r WHERE id = :i"),
                         {"r": reason, "i": rid})
            conn.execute(text("INSERT INTO queue_decision (recording_id, decision, supervisor, reason, decided_at) "
                              "VALUES (:i, 'rejected', :s, :r, :t)"), {"i": rid, "s": supervisor, "r": reason, "t": now})
            ws.audit(supervisor, "recording.reject", rid, {"reason": reason}, conn=conn)
            decided.append(rid)
    return Decision(decided, [])


def recorded_student_refs(ws, drive_slug: str | None = None, school_code: str | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    """Students (``student_ref``) with a recording that counts (not rejected): the next visit skips them."""
    sql = f"SELECT DISTINCT student_ref FROM recording WHERE status IN {RECORDED_STATUSES!r} AND student_ref <> ''"
    params: dict[str, Any] = {}
    if drive_slug:
        sql += " AND drive_slug = :d"
        params["d"] = drive_slug
    if school_code:
        sql += " AND school_code = :s"
        params["s"] = school_code
    with ws.engine.connect() as conn:
        return set(conn.execute(text(sql), params).scalars())


# ---------------------------------------------------------------------------- purge

@dataclass
class PurgeResult:
    purged: list[str]
    bytes_freed: int
    dry_run: bool
    retention_days: int

    def to_dict(self) -> dict[str, Any]:
        return {"purged": self.purged, "count": len(self.purged), "bytes_freed": self.bytes_freed,
                "dry_run": self.dry_run, "retention_days": self.retention_days}


def purge(ws, *, now: datetime | None = None, dry_run: bool = False, actor: str = "system") -> PurgeResult:  # type: ignore[no-untyped-def]
    """Delete the payloads whose retention has passed (one transaction, overwritten on disk)."""
    days = retention_days(ws)
    now = now or datetime.now(UTC)
    due: list[tuple[str, int]] = []
    for item in list_queue(ws):
        if not item.payload_held or item.held not in ("retention", "rejected_retention"):
            continue
        until = _parse(item.held_until)
        if until is not None and until <= now:
            due.append((item.id, item.payload_size))
    if dry_run or not due:
        return PurgeResult([d[0] for d in due], sum(d[1] for d in due), dry_run, days)
    stamp = _iso(now)
    with ws.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA secure_delete=ON")
        for rid, size in due:
            # Re-check inside the transaction: only with a verified receipt (or rejected).
            ok = conn.execute(text(
                "SELECT 1 FROM recording r LEFT JOIN sync_receipt c ON c.recording_id = r.id WHERE r.id = :i AND "
                "(r.status = 'rejected' OR (c.verified = 1 AND r.status IN ('synced', 'acknowledged')))"),
                {"i": rid}).first()
            if not ok:
                continue
            conn.execute(text("DELETE FROM recording_payload WHERE recording_id = :i"), {"i": rid})
            conn.execute(text("UPDATE recording SET purged_at = :t WHERE id = :i"), {"t": stamp, "i": rid})
            ws.audit(actor, "recording.purge", rid, {"bytes": size, "retention_days": days}, conn=conn)
    return PurgeResult([d[0] for d in due], sum(d[1] for d in due), False, days)

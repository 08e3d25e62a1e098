"""Status events at the hub: one row per status a recording reaches, its latest kept on the recording."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from sweet17.services.sync.protocol import HUB_STATUSES

RANK = {s: i for i, s in enumerate(HUB_STATUSES)}


def add_event(conn: Any, recording_id: str, status: str, at: str, source: str, detail: str = "") -> bool:
    """Record a status (idempotent per recording, status and time). True if it was new."""
    assert status in HUB_STATUSES, status
    res = conn.execute(text("INSERT INTO status_event (recording_id, status, at, source, detail) "
                            "VALUES (:r, :s, :at, :src, :d) ON CONFLICT (recording_id, status, at) DO NOTHING"),
                       {"r": recording_id, "s": status, "at": at, "src": source, "d": detail[:300]})
    if not res.rowcount:
        return False
    current = conn.execute(text("SELECT status FROM hub_recording WHERE recording_id = :r"),
                           {"r": recording_id}).scalar()
    # The recording shows the furthest status reached (events may be imported out of order).
    if current not in RANK or RANK[status] >= RANK[current]:
        conn.execute(text("UPDATE hub_recording SET status = :s WHERE recording_id = :r"),
                     {"s": status, "r": recording_id})
    return True


def events_for(conn: Any, recording_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {rid: [] for rid in recording_ids}
    for i in range(0, len(recording_ids), 500):
        part = recording_ids[i:i + 500]
        marks = ", ".join(f":r{j}" for j in range(len(part)))
        rows = conn.execute(text(f"SELECT seq, recording_id, status, at, detail FROM status_event "
                                 f"WHERE recording_id IN ({marks}) ORDER BY seq"),
                            {f"r{j}": rid for j, rid in enumerate(part)}).all()
        for seq, rid, status, at, detail in rows:
            out[rid].append({"seq": int(seq), "status": status, "at": at, "detail": detail})
    return out

"""Recordings: the lifecycle of one student's e-KTP recording and the manifest that travels with it.

A recording is committed on the laptop (``captured``), reviewed by a supervisor (``approved`` or
``rejected``), sent to the hub (``synced`` once the hub's signed receipt is held), and
``acknowledged`` when the hub reports it verified. The hub's later statuses (sent on to the
central system, duplicate, printed, delivered) are pulled back as ``hub_status``.

The manifest is the signed, readable part (demographics, quality flags, the sealed payload's
hash and size); the biometrics travel as a sealed box whose hash the manifest pins.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from sweet17.i18n import N_


class RecordingStatus(StrEnum):
    CAPTURED = "captured"
    APPROVED = "approved"
    REJECTED = "rejected"
    SYNCED = "synced"
    ACKNOWLEDGED = "acknowledged"


STATUS_LABELS = {
    RecordingStatus.CAPTURED: N_("captured"),
    RecordingStatus.APPROVED: N_("approved"),
    RecordingStatus.REJECTED: N_("rejected"),
    RecordingStatus.SYNCED: N_("synced"),
    RecordingStatus.ACKNOWLEDGED: N_("acknowledged"),
}

TRANSITIONS: dict[RecordingStatus, frozenset[RecordingStatus]] = {
    RecordingStatus.CAPTURED: frozenset({RecordingStatus.APPROVED, RecordingStatus.REJECTED}),
    RecordingStatus.APPROVED: frozenset({RecordingStatus.SYNCED, RecordingStatus.REJECTED}),
    RecordingStatus.REJECTED: frozenset(),
    RecordingStatus.SYNCED: frozenset({RecordingStatus.ACKNOWLEDGED}),
    RecordingStatus.ACKNOWLEDGED: frozenset(),
}


class TransitionError(ValueError):
    def __init__(self, current: RecordingStatus, wanted: RecordingStatus) -> None:
        self.current, self.wanted = current, wanted
        super().__init__(f"cannot go from {current} to {wanted}")


def transition(current: RecordingStatus | str, wanted: RecordingStatus | str) -> RecordingStatus:
    """The new status, or ``TransitionError`` if the lifecycle does not allow the move."""
    cur, new = RecordingStatus(current), RecordingStatus(wanted)
    if new not in TRANSITIONS[cur]:
        raise TransitionError(cur, new)
    return new


MANIFEST_VERSION = 1


@dataclass(frozen=True)
class RecordingManifest:
    """The signed description of a recording. ``canonical()`` is what the laptop signs."""

    recording_id: str
    laptop_id: str
    drive: str
    school_code: str
    nik: str
    nisn: str
    name: str
    birth_date: str          # ISO date
    sex: str                 # L / P
    captured_at: str         # ISO timestamp, UTC
    operator: str
    session_id: str
    payload_sha256: str      # of the sealed box
    payload_size: int
    modalities: dict[str, Any] = field(default_factory=dict)   # per modality: count, quality, exceptions
    force_captured: bool = False
    exceptions: tuple[str, ...] = ()
    version: int = MANIFEST_VERSION

    def canonical(self) -> bytes:
        d = asdict(self)
        d["exceptions"] = list(self.exceptions)
        return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_canonical(cls, data: bytes) -> RecordingManifest:
        d = json.loads(data)
        d["exceptions"] = tuple(d.get("exceptions", ()))
        return cls(**d)

"""KTPku Datang: handing printed cards over at the school, checked with the card reader.

    desk = DeliveryDesk(ws, loaded_drive, "A", operator="op1", reader=reader, devices={"Signature": pad})
    cand = desk.find("0010000102")[0]          # NISN, NIK or name
    uid = desk.read_card(timeout_ms=10_000)      # the card on the contactless reader (PC/SC)
    check = desk.check(cand, uid)                # refused when it is not this student's card
    conf = desk.confirm("signature", delivery_id)   # the receiver signs (or gives a thumbprint)
    desk.hand_over(cand, uid, "Nama Penerima", "self", conf)

The check: a card whose UID is on the printed-card list must be the student's own card; a card
whose UID belongs to another student's printed card is refused; when the list has no UID for the
student, the card is accepted on its serial (checked by eye) and its UID is recorded. A card
already handed over is refused. The receiver's confirmation (signature image or thumbprint) is
sealed to the hub's key like the recordings' biometrics; only its hash and quality stay readable.
Each hand-over is one transaction with its audit entry; the hub learns of it through
``pending_deliveries`` (the sync sends them) and ``mark_deliveries_synced``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from sweet17.errors import UserError
from sweet17.i18n import N_, _

RELATIONS: dict[str, str] = {
    "self": N_("the student"),
    "parent": N_("a parent"),
    "guardian": N_("a guardian"),
    "teacher": N_("a teacher of the school"),
    "other": N_("someone else"),
}
CONFIRMATIONS = ("signature", "fingerprint")
FINGER_ATTEMPTS = 3


class DeliveryRefused(UserError):
    """The card cannot be handed over (wrong card, already handed over, not printed)."""


@dataclass
class Candidate:
    nik: str
    nisn: str
    name: str
    school_code: str
    rombel: str
    printed_on: str | None
    card_serial: str
    card_uid: str
    delivered_at: str | None = None
    delivered_to: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"nik": self.nik, "nisn": self.nisn, "name": self.name, "school_code": self.school_code,
                "rombel": self.rombel, "printed_on": self.printed_on, "card_serial": self.card_serial,
                "card_uid": self.card_uid or None, "delivered_at": self.delivered_at}


@dataclass(frozen=True)
class CardCheck:
    uid: str
    uid_checked: bool              # True: the UID was compared with the printed-card list
    note: str = ""                 # shown to the operator when the list has no UID


@dataclass(frozen=True)
class Confirmation:
    kind: str                      # signature | fingerprint
    sha256: str
    quality: float | None
    device: str
    sealed: bytes


def _now() -> datetime:
    return datetime.now(UTC)


def _norm(name: str) -> str:
    return " ".join("".join(ch for ch in name.lower() if ch.isalnum() or ch.isspace()).split())


class DeliveryDesk:
    """The hand-over desk at one school: candidates, the card check, the confirmation, the record."""

    def __init__(self, ws, loaded, school_code: str, *, operator: str, reader: Any = None,  # type: ignore[no-untyped-def]
                 devices: Mapping[str, Any] | None = None, clock: Callable[[], datetime] = _now) -> None:
        self.ws = ws
        self.drive = loaded.drive
        try:
            self.school = self.drive.school(school_code)
        except KeyError:
            codes = ", ".join(s.code for s in self.drive.schools[:5])
            raise UserError(_("Option --school: {code} is not a school of the drive {drive} (for example: {codes})")
                            .format(code=school_code, drive=self.drive.slug, codes=codes), field="--school") from None
        self.operator = operator
        self.reader = reader
        self.devices = dict(devices or {})
        self.clock = clock
        self._candidates: list[Candidate] | None = None

    # ------------------------------------------------------------------ who can receive a card here
    def candidates(self, refresh: bool = False) -> list[Candidate]:
        """Students of this school whose card is on the printed list (handed over or not)."""
        if self._candidates is None or refresh:
            from sweet17.services.reports.students import drive_students

            out = []
            for f in drive_students(self.ws, self.drive.slug, self.drive.min_age):
                if f.school_code != self.school.code or not f.nik or f.printed_on is None:
                    continue
                out.append(Candidate(f.nik, f.nisn, f.name, f.school_code, f.rombel, f.printed_on.isoformat(),
                                     f.card_serial, f.card_uid, f.delivered_at, f.delivery_receiver))
            self._candidates = sorted(out, key=lambda c: (c.rombel, c.name))
        return self._candidates

    def counts(self) -> dict[str, int]:
        cs = self.candidates()
        done = sum(1 for c in cs if c.delivered_at)
        return {"printed": len(cs), "delivered": done, "waiting": len(cs) - done}

    def find(self, query: str) -> list[Candidate]:
        """By NIK (16 digits), NISN (10 digits), or name (words in any order, small typos allowed)."""
        q = query.strip()
        digits = "".join(ch for ch in q if ch.isdigit())
        cs = self.candidates()
        if digits and len(digits) == len(q.replace(" ", "")):
            if len(digits) == 16:
                return [c for c in cs if c.nik == digits]
            if len(digits) == 10:
                return [c for c in cs if c.nisn == digits]
            return []
        from rapidfuzz import fuzz

        want = _norm(q)
        if not want:
            return []
        scored = [(fuzz.token_set_ratio(want, _norm(c.name)), c) for c in cs]
        best = max((s for s, _c in scored), default=0)
        if best < 80:
            return []
        return [c for s, c in scored if s >= max(80, best - 5)]

    # ------------------------------------------------------------------ the card
    def read_card(self, timeout_ms: int = 15_000) -> str:
        """The UID (upper-case hex) of the card on the reader; ``DeliveryRefused`` for a card without one."""
        if self.reader is None:
            raise UserError(_("No card reader: give --reader NAME or a kit profile with a smartcard reader (--kit)."),
                            field="--reader")
        info = self.reader.read_card(timeout_ms)
        uid = info.uid.hex().upper() if getattr(info, "uid", None) else ""
        if not uid:
            raise DeliveryRefused(_("This card has no contactless chip UID: it is not a KTP-el. Do not hand it over."))
        return uid

    def check(self, cand: Candidate, uid: str) -> CardCheck:
        """Is the card with ``uid`` this student's printed card? ``DeliveryRefused`` when it is not."""
        from sweet17.services.cards import card_by_uid

        if cand.delivered_at:
            raise DeliveryRefused(_("The card of {name} was already handed over on {date} (to {receiver}).").format(
                name=cand.name, date=cand.delivered_at[:10], receiver=cand.delivered_to or "-"))
        owner = card_by_uid(self.ws, uid)
        if cand.card_uid:
            if uid == cand.card_uid:
                return CardCheck(uid, True)
            if owner is not None:
                raise DeliveryRefused(_("Wrong card: this card (UID {uid}) was printed for another person ({who}), not "
                                        "for {name}. Do not hand it over; look for the card with serial {serial}.")
                                      .format(uid=uid, who=self._who(owner.nik), name=cand.name,
                                              serial=cand.card_serial or "-"))
            raise DeliveryRefused(_("Wrong card: this card (UID {uid}) is not the card printed for {name}. Do not hand "
                                    "it over; look for the card with serial {serial}.").format(
                uid=uid, name=cand.name, serial=cand.card_serial or "-"))
        if owner is not None and owner.nik != cand.nik:
            raise DeliveryRefused(_("Wrong card: this card (UID {uid}) was printed for another person ({who}), not "
                                    "for {name}. Do not hand it over.").format(uid=uid, who=self._who(owner.nik),
                                                                               name=cand.name))
        return CardCheck(uid, False, _("The printed-card list has no UID for this card: check by eye that the card "
                                       "serial is {serial} and the name is {name}.").format(
            serial=cand.card_serial or "-", name=cand.name))

    def _who(self, nik: str) -> str:
        for c in self.candidates():
            if c.nik == nik:
                return c.name
        return _("a student of another school") if nik else "-"

    # ------------------------------------------------------------------ the receiver's confirmation
    def confirm(self, kind: str, delivery_id: str) -> Confirmation:
        """Capture the receiver's signature (signature pad, else a photo of the signed receipt with the face
        camera) or right thumbprint, and seal it to the hub's key."""
        from sweet17.adapters import crypto
        from sweet17.adapters.devices.base import CaptureRequest, Modality, QualityNotReached
        from sweet17.services.keys import require_hub_keys

        if kind not in CONFIRMATIONS:
            raise UserError(_("confirm: use signature or fingerprint"), field="confirm")
        hub = require_hub_keys(self.ws)
        if kind == "signature":
            dev = self.devices.get("Signature") or self.devices.get("Face")
            if dev is None:
                raise UserError(_("The kit has no signature pad and no camera to photograph the signed receipt."),
                                field="--kit")
            modality = Modality.SIGNATURE if "Signature" in self.devices else Modality.FACE
            request = CaptureRequest(modality=modality, transaction_id=f"dlv-{delivery_id[:8]}-1")
            record = dev.capture(request).records[0]
        else:
            dev = self.devices.get("Finger")
            if dev is None:
                raise UserError(_("The kit has no fingerprint scanner for the thumbprint."), field="--kit")
            record = None
            for attempt in range(1, FINGER_ATTEMPTS + 1):
                request = CaptureRequest(modality=Modality.FINGER, sub_id=3, sub_types=("Left Thumb", "Right Thumb"),
                                         exceptions=("Left Thumb",), transaction_id=f"dlv-{delivery_id[:8]}-{attempt}")
                try:
                    record = dev.capture(request).records[0]
                    break
                except QualityNotReached as e:     # keep the best attempt; a confirmation needs no enrolment quality
                    if e.result is not None and e.result.records:
                        cand = e.result.records[0]
                        if record is None or (cand.quality or 0) > (record.quality or 0):
                            record = cand
            if record is None:
                raise UserError(_("The thumbprint could not be taken; try again or use a signature."))
        info = record.device
        device = " ".join(x for x in (getattr(info, "make", ""), getattr(info, "model", ""),
                                      getattr(info, "serial", "")) if x) if info else ""
        plain = json.dumps({"delivery_id": delivery_id, "kind": kind, "format": record.data_format,
                            "data": base64.b64encode(record.data).decode("ascii"), "quality": record.quality,
                            "device": device}, sort_keys=True).encode("utf-8")
        sealed = crypto.seal(hub.seal_public, plain, aad=f"delivery:{delivery_id}".encode())
        return Confirmation(kind, crypto.sha256_hex(record.data), record.quality, device, sealed)

    # ------------------------------------------------------------------ the record
    def hand_over(self, cand: Candidate, check: CardCheck, receiver: str, relation: str,
                  confirmation: Confirmation, delivery_id: str | None = None) -> dict[str, Any]:
        """Record the hand-over (one transaction, with its audit entry). Returns the delivery as a dict."""
        from sqlalchemy.exc import IntegrityError

        if relation not in RELATIONS:
            raise UserError(_("relation: use one of {choices}").format(choices=", ".join(RELATIONS)), field="relation")
        receiver = " ".join(receiver.split())
        if not receiver:
            raise UserError(_("The receiver's name is needed."), field="receiver")
        did = delivery_id or str(uuid.uuid4())
        at = self.clock().isoformat(timespec="seconds")
        try:
            with self.ws.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO delivery (id, drive_slug, school_code, nik, nisn, name, card_uid, card_serial, "
                    "uid_checked, receiver_name, receiver_relation, confirmation, confirmation_sha256, "
                    "confirmation_quality, confirmation_device, confirmation_sealed, operator, delivered_at) VALUES "
                    "(:id, :d, :s, :nik, :nisn, :n, :uid, :serial, :chk, :rn, :rr, :ck, :csha, :cq, :cdev, :seal, :op, "
                    ":at)"), {
                    "id": did, "d": self.drive.slug, "s": self.school.code, "nik": cand.nik, "nisn": cand.nisn,
                    "n": cand.name, "uid": check.uid, "serial": cand.card_serial, "chk": int(check.uid_checked),
                    "rn": receiver, "rr": relation, "ck": confirmation.kind, "csha": confirmation.sha256,
                    "cq": confirmation.quality, "cdev": confirmation.device, "seal": confirmation.sealed,
                    "op": self.operator, "at": at})
                self.ws.audit(self.operator, "card.deliver", did, {
                    "school": self.school.code, "uid_checked": check.uid_checked, "relation": relation,
                    "confirmation": confirmation.kind, "confirmation_sha256": confirmation.sha256}, conn=conn)
        except IntegrityError:
            raise DeliveryRefused(_("The card of {name} was already handed over.").format(name=cand.name)) from None
        cand.delivered_at, cand.delivered_to = at, receiver
        return {"id": did, "nik": cand.nik, "nisn": cand.nisn, "name": cand.name, "school_code": self.school.code,
                "card_uid": check.uid, "card_serial": cand.card_serial, "uid_checked": check.uid_checked,
                "receiver": receiver, "relation": relation, "confirmation": confirmation.kind,
                "confirmation_quality": confirmation.quality, "delivered_at": at}

    def deliver(self, query: str, *, receiver: str | None = None, relation: str = "self", confirm: str = "signature",
                card_timeout_ms: int = 15_000) -> dict[str, Any]:
        """One hand-over from start to end (the scripted mode): find, read the card, check, confirm, record.

        Returns ``{"find", "status", "message", "delivery"}`` with status ``delivered``, ``refused`` (wrong card,
        already handed over), ``not_found`` or ``ambiguous``; device problems raise ``DeviceError``."""
        from sweet17.adapters.devices.base import DeviceError

        found = self.find(query)
        if not found:
            return {"find": query, "status": "not_found", "delivery": None,
                    "message": _("No student with a printed card matches '{query}' at {school}.").format(
                        query=query, school=self.school.code)}
        if len(found) > 1:
            return {"find": query, "status": "ambiguous", "delivery": None,
                    "message": _("'{query}' matches {n} students: {names}. Use the NISN.").format(
                        query=query, n=len(found), names=", ".join(c.name for c in found[:5]))}
        cand = found[0]
        uid = ""
        try:
            if cand.delivered_at:
                self.check(cand, "")
            uid = self.read_card(card_timeout_ms)
            check = self.check(cand, uid)
            did = str(uuid.uuid4())
            conf = self.confirm(confirm, did)
            rec = self.hand_over(cand, check, receiver or cand.name, relation, conf, did)
        except DeliveryRefused as e:
            self.refuse_logged(cand, uid, str(e))
            return {"find": query, "status": "refused", "message": str(e), "delivery": None,
                    "student": cand.to_dict()}
        except DeviceError as e:
            return {"find": query, "status": "device_error", "message": e.operator_message, "delivery": None,
                    "student": cand.to_dict()}
        msg = _("Card of {name} handed over to {receiver}.").format(name=cand.name, receiver=rec["receiver"])
        if check.note:
            msg += " " + check.note
        return {"find": query, "status": "delivered", "message": msg, "delivery": rec}

    def refuse_logged(self, cand: Candidate | None, uid: str, reason: str) -> None:
        """Keep a refused card in the audit trail (no NIK: the delivery desk's own record)."""
        self.ws.audit(self.operator, "card.refused", self.school.code,
                      {"uid": uid, "nisn": cand.nisn if cand else "", "reason": reason[:200]})


# ------------------------------------------------------------------------------- for the sync

_SYNC_COLUMNS = ("id", "drive_slug", "school_code", "nik", "nisn", "name", "card_uid", "card_serial", "uid_checked",
                 "receiver_name", "receiver_relation", "confirmation", "confirmation_sha256", "confirmation_quality",
                 "confirmation_device", "confirmation_sealed", "operator", "delivered_at", "synced_at")
_SYNC_KEYS = ("id", "drive", *_SYNC_COLUMNS[2:])


def _sync_rows(conn: Any, where: str, params: Mapping[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(_SYNC_COLUMNS)} FROM delivery WHERE {where} ORDER BY delivered_at, id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    out = []
    for r in conn.execute(text(sql), dict(params)).all():
        d = dict(zip(_SYNC_KEYS, r, strict=True))
        d["uid_checked"] = bool(d["uid_checked"])
        d["confirmation_sealed"] = bytes(d["confirmation_sealed"])
        out.append(d)
    return out


def pending_deliveries(ws, limit: int | None = None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Hand-overs not yet acknowledged by the hub, oldest first, as the sync sends them.

    Keys: id, drive, school_code, nik, nisn, name, card_uid, card_serial, uid_checked, receiver_name,
    receiver_relation, confirmation, confirmation_sha256, confirmation_quality, confirmation_device,
    confirmation_sealed (bytes, sealed to the hub's key with aad ``delivery:<id>``), operator, delivered_at,
    synced_at (None).
    """
    with ws.engine.connect() as conn:
        return _sync_rows(conn, "synced_at IS NULL", {}, limit)


def deliveries_by_id(conn: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The hand-overs with these ids, synced or not (the keys of ``pending_deliveries``), by id."""
    out: dict[str, dict[str, Any]] = {}
    wanted = list(dict.fromkeys(ids))
    for i in range(0, len(wanted), 500):
        part = wanted[i:i + 500]
        marks = ", ".join(f":d{j}" for j in range(len(part)))
        for d in _sync_rows(conn, f"id IN ({marks})", {f"d{j}": did for j, did in enumerate(part)}):
            out[d["id"]] = d
    return out


def mark_deliveries_synced(ws, receipts: Mapping[str, str], at: str | None = None,  # type: ignore[no-untyped-def]
                           conn: Any = None) -> int:
    """Record the hub's receipts (delivery id -> receipt text) in one transaction (``conn``'s, when given);
    returns how many were newly marked (a hand-over already marked keeps its first receipt)."""
    from sweet17.services.workspace import now_utc

    at = at or now_utc()

    def mark(c: Any) -> int:
        n = 0
        for did, receipt in receipts.items():
            n += c.execute(text("UPDATE delivery SET synced_at = :at, hub_receipt = :r WHERE id = :id "
                                "AND synced_at IS NULL"), {"at": at, "r": receipt, "id": did}).rowcount
        if n:
            ws.audit("system", "card.deliveries_synced", "", {"count": n}, conn=c)
        return n

    if conn is not None:
        return mark(conn)
    with ws.engine.begin() as c:
        return mark(c)

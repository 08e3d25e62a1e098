"""The list of printed cards (from the hub or the central system): import and look-up.

Columns: NIK, the print date, and when known the card's serial number (nomor blangko) and its
chip UID (the contactless UID a PC/SC reader returns for GET DATA, as hex). Every row is checked
first; then the whole list is stored in one transaction, or nothing with the problems named by
row and column. A NIK printed again (a reprint) keeps the card with the latest print date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.domain import nik as nikcore
from sweet17.errors import ValidationError
from sweet17.i18n import _
from sweet17.services.reports.tables import (
    digits_value,
    log_import,
    parse_date_value,
    read_table,
    refuse_problems,
    text_value,
)

ALIASES: dict[str, tuple[str, ...]] = {
    "nik": ("nomor induk kependudukan", "no nik"),
    "printed_on": ("tanggal cetak", "tgl cetak", "tgl_cetak", "tanggal pencetakan", "print date", "printed",
                   "printed on", "date printed"),
    "card_serial": ("no seri", "nomor seri", "no seri kartu", "nomor seri kartu", "no blangko", "nomor blangko",
                    "serial", "card serial", "serial number"),
    "chip_uid": ("uid", "uid chip", "chip uid", "uid kartu", "card uid"),
    "name": ("nama", "nama lengkap", "nama lgkp"),
}
REQUIRED = ("nik", "printed_on")
UID_LENGTHS = (8, 14, 20)      # 4, 7 or 10 bytes (ISO/IEC 14443 single, double, triple size)


def normalise_uid(raw: str) -> str | None:
    """Upper-case hex without separators ('04:a2:...' -> '04A2...'); None when not a 4/7/10-byte UID."""
    s = re.sub(r"[\s:\-]", "", str(raw)).upper()
    if s.startswith("0X"):
        s = s[2:]
    return s if re.fullmatch(r"[0-9A-F]+", s) and len(s) in UID_LENGTHS else None


@dataclass(frozen=True)
class PrintedCard:
    nik: str
    printed_on: date
    card_serial: str = ""
    chip_uid: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"nik": self.nik, "printed_on": self.printed_on.isoformat(), "card_serial": self.card_serial,
                "chip_uid": self.chip_uid}


def printed_card(ws, nik: str) -> PrintedCard | None:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        r = conn.execute(text("SELECT nik, printed_on, card_serial, chip_uid FROM printed_card WHERE nik = :n"),
                         {"n": nik}).first()
    return PrintedCard(r[0], date.fromisoformat(r[1]), r[2], r[3]) if r else None


def card_by_uid(ws, uid: str) -> PrintedCard | None:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        r = conn.execute(text("SELECT nik, printed_on, card_serial, chip_uid FROM printed_card WHERE chip_uid = :u"),
                         {"u": uid}).first()
    return PrintedCard(r[0], date.fromisoformat(r[1]), r[2], r[3]) if r else None


def import_cards(ws, path: Path | str, *, actor: str, drive_slug: str = "",  # type: ignore[no-untyped-def]
                 today: date | None = None) -> dict[str, Any]:
    """Import a printed-card list (CSV or spreadsheet); all rows or none."""
    from sweet17.services.workspace import now_utc

    today = today or date.today()
    table = read_table(path, ALIASES, REQUIRED)
    cards: dict[str, tuple[int, PrintedCard]] = {}
    uids: dict[str, tuple[int, str]] = {}
    errors: list[str] = []
    for n, row in table.rows:
        def err(fld: str, msg: str, n: int = n) -> None:
            errors.append(table.problem(n, fld, msg))

        raw = table.cell(row, "nik")
        if raw is None:
            err("nik", _("the NIK is empty"))
            continue
        nik, lost = digits_value(raw)
        if lost:
            err("nik", _("the NIK {value} was stored as a number and has lost digits; export it as text").format(
                value=text_value(raw)))
            continue
        if nikcore.split(nik) is None:
            err("nik", _("'{value}' is not a 16-digit NIK").format(value=text_value(raw)))
            continue
        raw_date = table.cell(row, "printed_on")
        if raw_date is None:
            err("printed_on", _("the print date is empty"))
            continue
        try:
            printed = parse_date_value(raw_date)
        except ValueError:
            err("printed_on", _("'{value}' is not a date").format(value=raw_date))
            continue
        if printed > today:
            err("printed_on", _("the print date {date} lies in the future").format(date=printed))
            continue
        uid = ""
        raw_uid = text_value(table.cell(row, "chip_uid"))
        if raw_uid:
            norm = normalise_uid(raw_uid)
            if norm is None:
                err("chip_uid", _("'{value}' is not a card UID (4, 7 or 10 bytes in hex)").format(value=raw_uid))
                continue
            uid = norm
            if uid in uids and uids[uid][1] != nik:
                err("chip_uid", _("UID {uid} is also given for another NIK in row {other}").format(
                    uid=uid, other=uids[uid][0]))
                continue
            uids[uid] = (n, nik)
        serial = text_value(table.cell(row, "card_serial"))
        card = PrintedCard(nik, printed, serial, uid)
        if nik in cards:
            first_row, other = cards[nik]
            if other == card:
                continue                      # the same line twice: harmless
            if other.printed_on == printed:
                err("nik", _("this NIK is listed twice with different cards printed on the same day (row {other})")
                    .format(other=first_row))
                continue
            if printed < other.printed_on:
                continue                      # an older print of a reprinted card
        cards[nik] = (n, card)
    refuse_problems(errors, table.path)
    counts = {"new": 0, "reprinted": 0, "unchanged": 0, "older_kept": 0}
    now = now_utc()
    with ws.engine.begin() as conn:
        imp = log_import(conn, "cards", table, drive_slug=drive_slug, rows=len(cards), actor=actor, at=now)
        for _n, card in cards.values():
            old = conn.execute(text("SELECT printed_on, card_serial, chip_uid FROM printed_card WHERE nik = :n"),
                               {"n": card.nik}).first()
            if old is not None:
                if (old[0], old[1], old[2]) == (card.printed_on.isoformat(), card.card_serial, card.chip_uid):
                    counts["unchanged"] += 1
                    continue
                if old[0] > card.printed_on.isoformat():
                    counts["older_kept"] += 1
                    continue
            if card.chip_uid:
                holder = conn.execute(text("SELECT nik FROM printed_card WHERE chip_uid = :u AND nik <> :n"),
                                      {"u": card.chip_uid, "n": card.nik}).scalar()
                if holder is not None:
                    raise ValidationError(_("{path}: UID {uid} is already on the list for another NIK; nothing "
                                            "was imported").format(path=table.path.name, uid=card.chip_uid),
                                          path=table.path)
            conn.execute(text(
                "INSERT INTO printed_card (nik, card_serial, chip_uid, printed_on, import_id, updated_at) "
                "VALUES (:n, :s, :u, :p, :i, :at) ON CONFLICT(nik) DO UPDATE SET card_serial = excluded.card_serial, "
                "chip_uid = excluded.chip_uid, printed_on = excluded.printed_on, import_id = excluded.import_id, "
                "updated_at = excluded.updated_at"),
                {"n": card.nik, "s": card.card_serial, "u": card.chip_uid, "p": card.printed_on.isoformat(),
                 "i": imp, "at": now})
            counts["reprinted" if old is not None else "new"] += 1
        ws.audit(actor, "cards.import", table.path.name, {"rows": len(cards), "sha256": table.sha256, **counts},
                 conn=conn)
        recorded = {r[0] for r in conn.execute(text("SELECT DISTINCT nik FROM recording WHERE nik <> ''"))}
    matched = len(recorded & set(cards))
    return {"file": str(table.path), "rows": len(cards), **counts,
            "with_uid": sum(1 for _n, c in cards.values() if c.chip_uid),
            "with_serial": sum(1 for _n, c in cards.values() if c.card_serial),
            "matching_recordings": matched}

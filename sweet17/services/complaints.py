"""The complaints register (pengaduan): add, resolve, list, import, and the register's figures.

Complaint numbers are ``ADU-<year>-<nnnn>``, counted per year of receipt. The complainant's
NIK and contact are kept for follow-up but are never written to the audit trail, the report
or the exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.domain import complaints as core
from sweet17.domain import nik as nikcore
from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.reports.tables import (
    log_import,
    parse_date_value,
    read_table,
    refuse_problems,
    refuse_reimport,
    text_value,
)


@dataclass(frozen=True)
class ComplaintRecord:
    id: str
    drive_slug: str
    received_on: date
    channel: str
    category: str
    school_code: str
    complainant: str
    description: str
    resolved_on: date | None
    resolution: str
    resolved_by: str
    recorded_by: str

    @property
    def status(self) -> str:
        return "resolved" if self.resolved_on else "open"

    def domain(self) -> core.Complaint:
        return core.Complaint(self.id, self.received_on, self.channel, self.category, self.description,
                              self.school_code, self.resolved_on, self.resolution)

    def to_dict(self, as_of: date | None = None) -> dict[str, Any]:
        days = (self.resolved_on - self.received_on).days if self.resolved_on else None
        return {
            "id": self.id, "drive": self.drive_slug, "received_on": self.received_on.isoformat(),
            "channel": self.channel, "category": self.category, "school_code": self.school_code,
            "complainant": self.complainant, "description": self.description, "status": self.status,
            "resolved_on": self.resolved_on.isoformat() if self.resolved_on else None,
            "resolution": self.resolution, "resolved_by": self.resolved_by, "days_to_resolve": days,
            "days_open": (as_of - self.received_on).days if as_of and not self.resolved_on else None,
        }


def _code(value: str, known: dict[str, str], option: str) -> str:
    code = core.normalise_code(value, known)
    if code is None:
        raise UserError(_("{field}: '{value}' is not known; use one of: {choices}").format(
            field=option, value=value, choices=", ".join(known)), field=option)
    return code


def _drive_schools(ws, drive_slug: str) -> set[str] | None:  # type: ignore[no-untyped-def]
    """The school codes of drive ``drive_slug`` when it is the workspace's current drive; None when the
    drive is not known here (its schools are then not checked)."""
    if not drive_slug:
        return None
    from sweet17.services.drives import current_drive

    try:
        loaded = current_drive(ws)
    except UserError:
        return None
    return {s.code for s in loaded.drive.schools} if loaded.slug == drive_slug else None


def check_school(ws, school_code: str, drive_slug: str) -> None:  # type: ignore[no-untyped-def]
    """Refuse a school code the drive does not have (when the drive is known)."""
    if not school_code:
        return
    schools = _drive_schools(ws, drive_slug)
    if schools is not None and school_code not in schools:
        raise UserError(_("School {code} is not in drive {drive}").format(code=school_code, drive=drive_slug),
                        field="school")


def _next_id(conn, year: int) -> str:  # type: ignore[no-untyped-def]
    prefix = f"ADU-{year}-"
    last = conn.execute(text("SELECT id FROM complaint WHERE id LIKE :p ORDER BY id DESC LIMIT 1"),
                        {"p": prefix + "%"}).scalar()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def _insert(conn, *, received_on: date, channel: str, category: str, description: str, school_code: str,  # type: ignore[no-untyped-def]
            complainant: str, contact: str, nik: str, drive_slug: str, actor: str,
            resolved_on: date | None = None, resolution: str = "", import_id: int | None = None) -> str:
    from sweet17.services.workspace import now_utc

    cid = _next_id(conn, received_on.year)
    conn.execute(text(
        "INSERT INTO complaint (id, drive_slug, received_on, channel, category, school_code, complainant, contact, "
        "nik, description, resolved_on, resolution, resolved_by, recorded_by, recorded_at, import_id) VALUES "
        "(:id, :drive, :rec, :ch, :cat, :school, :who, :contact, :nik, :desc, :res_on, :res, :res_by, :by, :at, "
        ":imp)"), {
        "id": cid, "drive": drive_slug, "rec": received_on.isoformat(), "ch": channel, "cat": category,
        "school": school_code, "who": complainant, "contact": contact, "nik": nik, "desc": description,
        "res_on": resolved_on.isoformat() if resolved_on else None, "res": resolution,
        "res_by": actor if resolved_on else "", "by": actor, "at": now_utc(), "imp": import_id})
    return cid


def _check_nik(raw: str, where: str) -> str:
    if not raw:
        return ""
    n = nikcore.clean(raw)
    if nikcore.split(n) is None:
        raise UserError(_("{field}: '{value}' is not a 16-digit NIK").format(field=where, value=raw), field=where)
    return n


def add_complaint(ws, *, received_on: date, channel: str, category: str, description: str,  # type: ignore[no-untyped-def]
                  school_code: str = "", complainant: str = "", contact: str = "", nik: str = "",
                  drive_slug: str = "", actor: str, today: date | None = None) -> str:
    """Register a complaint; returns its number."""
    today = today or date.today()
    ch = _code(channel, core.CHANNELS, "--channel")
    cat = _code(category, core.CATEGORIES, "--category")
    if not description.strip():
        raise UserError(_("--text: the complaint needs a description"), field="--text")
    problem = core.check_dates(received_on, None, today)
    if problem:
        raise UserError(_("--date: {problem}").format(problem=_(problem[1]).format(date=received_on)),
                        field="--date")
    n = _check_nik(nik, "--nik")
    check_school(ws, school_code, drive_slug)
    with ws.engine.begin() as conn:
        cid = _insert(conn, received_on=received_on, channel=ch, category=cat, description=description.strip(),
                      school_code=school_code, complainant=complainant.strip(), contact=contact.strip(), nik=n,
                      drive_slug=drive_slug, actor=actor)
        ws.audit(actor, "complaint.add", cid, {"category": cat, "channel": ch, "school": school_code}, conn=conn)
    return cid


def resolve_complaint(ws, complaint_id: str, *, resolution: str, resolved_on: date, actor: str,  # type: ignore[no-untyped-def]
                      today: date | None = None) -> ComplaintRecord:
    today = today or date.today()
    if not resolution.strip():
        raise UserError(_("--text: say how the complaint was resolved"), field="--text")
    with ws.engine.begin() as conn:
        row = conn.execute(text("SELECT received_on, resolved_on FROM complaint WHERE id = :id"),
                           {"id": complaint_id}).first()
        if row is None:
            raise UserError(_("There is no complaint {id}").format(id=complaint_id))
        if row[1] is not None:
            raise UserError(_("Complaint {id} was already resolved on {date}").format(id=complaint_id, date=row[1]))
        problem = core.check_dates(date.fromisoformat(row[0]), resolved_on, today)
        if problem:
            raise UserError(_("--date: {problem}").format(problem=_(problem[1]).format(date=resolved_on)),
                            field="--date")
        conn.execute(text("UPDATE complaint SET resolved_on = :d, resolution = :r, resolved_by = :by "
                          "WHERE id = :id"),
                     {"d": resolved_on.isoformat(), "r": resolution.strip(), "by": actor, "id": complaint_id})
        ws.audit(actor, "complaint.resolve", complaint_id,
                 {"days": (resolved_on - date.fromisoformat(row[0])).days}, conn=conn)
    return get_complaint(ws, complaint_id)


_COLUMNS = ("id, drive_slug, received_on, channel, category, school_code, complainant, description, resolved_on, "
            "resolution, resolved_by, recorded_by")


def _record(r) -> ComplaintRecord:  # type: ignore[no-untyped-def]
    return ComplaintRecord(r[0], r[1], date.fromisoformat(r[2]), r[3], r[4], r[5], r[6], r[7],
                           date.fromisoformat(r[8]) if r[8] else None, r[9], r[10], r[11])


def get_complaint(ws, complaint_id: str) -> ComplaintRecord:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        r = conn.execute(text(f"SELECT {_COLUMNS} FROM complaint WHERE id = :id"), {"id": complaint_id}).first()
    if r is None:
        raise UserError(_("There is no complaint {id}").format(id=complaint_id))
    return _record(r)


def list_complaints(ws, *, status: str = "all", since: date | None = None, until: date | None = None,  # type: ignore[no-untyped-def]
                    category: str | None = None, channel: str | None = None,
                    drive_slug: str | None = None) -> list[ComplaintRecord]:
    where, params = ["1 = 1"], {}
    if status == "open":
        where.append("resolved_on IS NULL")
    elif status == "resolved":
        where.append("resolved_on IS NOT NULL")
    if since:
        where.append("received_on >= :since")
        params["since"] = since.isoformat()
    if until:
        where.append("received_on <= :until")
        params["until"] = until.isoformat()
    if category:
        where.append("category = :cat")
        params["cat"] = _code(category, core.CATEGORIES, "--category")
    if channel:
        where.append("channel = :ch")
        params["ch"] = _code(channel, core.CHANNELS, "--channel")
    if drive_slug:
        where.append("drive_slug IN (:drive, '')")
        params["drive"] = drive_slug
    with ws.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_COLUMNS} FROM complaint WHERE {' AND '.join(where)} "
                                 "ORDER BY received_on, id"), params).all()
    return [_record(r) for r in rows]


def complaint_stats(ws, *, as_of: date | None = None, since: date | None = None,  # type: ignore[no-untyped-def]
                    drive_slug: str | None = None) -> core.ComplaintStats:
    as_of = as_of or date.today()
    items = [c.domain() for c in list_complaints(ws, since=since, until=as_of, drive_slug=drive_slug)]
    return core.stats(items, as_of)


# ------------------------------------------------------------------------------- import

ALIASES: dict[str, tuple[str, ...]] = {
    "received_on": ("tanggal", "tanggal pengaduan", "tgl pengaduan", "tanggal diterima", "tgl", "date",
                    "received", "date received"),
    "channel": ("saluran", "media", "media pengaduan", "sarana pengaduan", "via"),
    "category": ("kategori", "jenis", "jenis pengaduan", "kategori pengaduan"),
    "description": ("uraian", "isi pengaduan", "pengaduan", "keterangan", "isi", "text", "complaint"),
    "school_code": ("sekolah", "kode sekolah", "school"),
    "complainant": ("nama", "nama pengadu", "pelapor", "name"),
    "contact": ("kontak", "no hp", "hp", "telepon"),
    "nik": ("nik pengadu",),
    "resolved_on": ("tanggal selesai", "tgl selesai", "tanggal penyelesaian", "resolved", "date resolved"),
    "resolution": ("tindak lanjut", "penyelesaian", "hasil", "tanggapan"),
}
REQUIRED = ("received_on", "channel", "category", "description")


def import_complaints(ws, path: Path | str, *, actor: str, drive_slug: str = "",  # type: ignore[no-untyped-def]
                      today: date | None = None) -> dict[str, Any]:
    """Load a register kept in a spreadsheet or CSV: every row is checked first, then all are stored in
    one transaction (or none, with the first problems named by row and column)."""
    today = today or date.today()
    table = read_table(path, ALIASES, REQUIRED)
    schools = _drive_schools(ws, drive_slug)
    rows, errors = [], []
    for n, row in table.rows:
        def err(fld: str, msg: str, n: int = n) -> None:
            errors.append(table.problem(n, fld, msg))

        vals: dict[str, Any] = {}
        for fld in ("received_on", "resolved_on"):
            v = table.cell(row, fld)
            if v is None:
                vals[fld] = None
                if fld == "received_on":
                    err(fld, _("the date is empty"))
                continue
            try:
                vals[fld] = parse_date_value(v)
            except ValueError:
                err(fld, _("'{value}' is not a date").format(value=v))
                vals[fld] = None
        for fld, known in (("channel", core.CHANNELS), ("category", core.CATEGORIES)):
            v = text_value(table.cell(row, fld))
            code = core.normalise_code(v, known) if v else None
            if code is None:
                err(fld, _("'{value}' is not known; use one of: {choices}").format(value=v, choices=", ".join(known)))
            vals[fld] = code
        vals["description"] = text_value(table.cell(row, "description"))
        if not vals["description"]:
            err("description", _("the complaint needs a description"))
        vals["resolution"] = text_value(table.cell(row, "resolution"))
        vals["school_code"] = text_value(table.cell(row, "school_code"))
        if schools is not None and vals["school_code"] and vals["school_code"] not in schools:
            err("school_code", _("school {code} is not in drive {drive}").format(code=vals["school_code"],
                                                                             drive=drive_slug))
        raw_nik = text_value(table.cell(row, "nik"))
        vals["nik"] = nikcore.clean(raw_nik) if raw_nik else ""
        if vals["nik"] and nikcore.split(vals["nik"]) is None:
            err("nik", _("'{value}' is not a 16-digit NIK").format(value=raw_nik))
        if vals["received_on"]:
            problem = core.check_dates(vals["received_on"], vals["resolved_on"], today)
            if problem:
                err(problem[0], _(problem[1]).format(date=vals[problem[0]]))
        if vals["resolved_on"] and not vals["resolution"]:
            err("resolution", _("a resolved complaint needs its resolution"))
        vals["complainant"] = text_value(table.cell(row, "complainant"))
        vals["contact"] = text_value(table.cell(row, "contact"))
        rows.append(vals)
    refuse_problems(errors, table.path)
    with ws.engine.begin() as conn:
        refuse_reimport(conn, "complaints", table)
        imp = log_import(conn, "complaints", table, drive_slug=drive_slug, rows=len(rows), actor=actor)
        ids = []
        for v in sorted(rows, key=lambda v: v["received_on"]):
            ids.append(_insert(conn, received_on=v["received_on"], channel=v["channel"], category=v["category"],
                               description=v["description"], school_code=v["school_code"],
                               complainant=v["complainant"], contact=v["contact"], nik=v["nik"],
                               drive_slug=drive_slug, actor=actor, resolved_on=v["resolved_on"],
                               resolution=v["resolution"], import_id=imp))
        ws.audit(actor, "complaint.import", table.path.name, {"rows": len(ids), "sha256": table.sha256}, conn=conn)
    return {"file": str(table.path), "imported": len(ids), "first_id": ids[0], "last_id": ids[-1],
            "resolved": sum(1 for v in rows if v["resolved_on"])}

"""IKM survey responses: import the questionnaires, compute the index per period."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.domain import ikm
from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.reports.tables import (
    log_import,
    norm_header,
    parse_date_value,
    read_table,
    refuse_problems,
    refuse_reimport,
    text_value,
)

ALIASES: dict[str, tuple[str, ...]] = {
    "responded_on": ("tanggal", "tanggal survei", "tgl survei", "tanggal pengisian", "tgl", "date", "timestamp",
                     "waktu", "cap waktu"),
    "school_code": ("sekolah", "kode sekolah", "school"),
    "service": ("jenis layanan", "layanan", "service"),
    "sex": ("jenis kelamin", "jk", "l p", "sex"),
    "age": ("umur", "usia", "age"),
    "education": ("pendidikan", "pendidikan terakhir", "education"),
    "occupation": ("pekerjaan", "pekerjaan utama", "occupation"),
    "suggestion": ("saran", "saran dan masukan", "kritik dan saran", "suggestion"),
}
for _i, _e in enumerate(ikm.ELEMENTS, start=1):
    ALIASES[_e] = (f"U{_i}", f"unsur {_i}", f"U-{_i}", f"P{_i}", f"Q{_i}", ikm.ELEMENT_NAMES_ID[_e],
                   norm_header(ikm.ELEMENT_LABELS[_e]))
ALIASES["u2"] += ("prosedur", "sistem mekanisme dan prosedur")
ALIASES["u3"] += ("waktu pelayanan",)
ALIASES["u4"] += ("biaya", "tarif", "biaya tarif")
ALIASES["u5"] += ("produk layanan", "produk spesifikasi jenis layanan")
ALIASES["u6"] += ("kompetensi petugas",)
ALIASES["u7"] += ("perilaku petugas",)
ALIASES["u8"] += ("penanganan pengaduan", "pengaduan saran dan masukan")
ALIASES["u9"] += ("sarana", "sarana prasarana")
REQUIRED = ("responded_on", *ikm.ELEMENTS)
# Answers as printed on the standard questionnaire: a (1) .. d (4).
LETTERS = {"a": 1, "b": 2, "c": 3, "d": 4}


def _score(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int | float):
        if float(v).is_integer() and ikm.MIN_SCORE <= v <= ikm.MAX_SCORE:
            return int(v)
        raise ValueError(v)
    s = str(v).strip().lower().rstrip(".")
    if not s:
        return None
    if s in LETTERS:
        return LETTERS[s]
    if s.isdigit() and ikm.MIN_SCORE <= int(s) <= ikm.MAX_SCORE:
        return int(s)
    raise ValueError(v)


def import_survey(ws, path: Path | str, *, actor: str, drive_slug: str = "",  # type: ignore[no-untyped-def]
                  today: date | None = None) -> dict[str, Any]:
    """Import survey responses (one row per respondent, scores 1-4 or a-d for U1-U9); all rows or none."""
    today = today or date.today()
    table = read_table(path, ALIASES, REQUIRED)
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for n, row in table.rows:
        def err(fld: str, msg: str, n: int = n) -> None:
            errors.append(table.problem(n, fld, msg))

        rec: dict[str, Any] = {"source_row": n}
        raw = table.cell(row, "responded_on")
        try:
            rec["responded_on"] = parse_date_value(raw) if raw is not None else None
        except ValueError:
            err("responded_on", _("'{value}' is not a date").format(value=raw))
            continue
        if rec["responded_on"] is None:
            err("responded_on", _("the date is empty"))
            continue
        if rec["responded_on"] > today:
            err("responded_on", _("the date {date} lies in the future").format(date=rec["responded_on"]))
            continue
        ok = True
        for e in ikm.ELEMENTS:
            v = table.cell(row, e)
            try:
                rec[e] = _score(v)
            except ValueError:
                err(e, _("'{value}' is not a score from 1 to 4").format(value=text_value(v)))
                ok = False
        if not ok:
            continue
        if all(rec[e] is None for e in ikm.ELEMENTS):
            err("u1", _("the respondent gave no score at all"))
            continue
        for fld in ("school_code", "service", "education", "occupation", "suggestion"):
            rec[fld] = text_value(table.cell(row, fld))
        sex = text_value(table.cell(row, "sex")).upper()
        rec["sex"] = {"LAKI-LAKI": "L", "PEREMPUAN": "P", "M": "L", "F": "P"}.get(sex, sex)
        if rec["sex"] not in ("", "L", "P"):
            err("sex", _("'{value}' is not L or P").format(value=sex))
            continue
        age = table.cell(row, "age")
        rec["age"] = None
        if age is not None:
            try:
                rec["age"] = int(float(str(age).strip()))
            except ValueError:
                err("age", _("'{value}' is not a number").format(value=age))
                continue
            if not 10 <= rec["age"] <= 120:
                err("age", _("'{value}' is not a plausible age").format(value=age))
                continue
        rows.append(rec)
    refuse_problems(errors, table.path)
    with ws.engine.begin() as conn:
        refuse_reimport(conn, "ikm", table)
        imp = log_import(conn, "ikm", table, drive_slug=drive_slug, rows=len(rows), actor=actor)
        cols = ["import_id", "source_row", "drive_slug", "responded_on", "school_code", "service", "sex", "age",
                "education", "occupation", *ikm.ELEMENTS, "suggestion"]
        sql = text(f"INSERT INTO survey_response ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})")
        conn.execute(sql, [{**r, "import_id": imp, "drive_slug": drive_slug,
                            "responded_on": r["responded_on"].isoformat()} for r in rows])
        ws.audit(actor, "ikm.import", table.path.name, {"rows": len(rows), "sha256": table.sha256}, conn=conn)
    dates = [r["responded_on"] for r in rows]
    return {"file": str(table.path), "imported": len(rows), "first_date": min(dates).isoformat(),
            "last_date": max(dates).isoformat()}


def load_responses(ws, *, since: date | None = None, until: date | None = None,  # type: ignore[no-untyped-def]
                   drive_slug: str | None = None, school_code: str | None = None) -> list[ikm.Response]:
    where, params = ["1 = 1"], {}
    if since:
        where.append("responded_on >= :since")
        params["since"] = since.isoformat()
    if until:
        where.append("responded_on <= :until")
        params["until"] = until.isoformat()
    if drive_slug:
        where.append("drive_slug IN (:drive, '')")
        params["drive"] = drive_slug
    if school_code:
        where.append("school_code = :school")
        params["school"] = school_code
    with ws.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT responded_on, school_code, {', '.join(ikm.ELEMENTS)} FROM survey_response "
                                 f"WHERE {' AND '.join(where)} ORDER BY responded_on, id"), params).all()
    return [ikm.Response(date.fromisoformat(r[0]), dict(zip(ikm.ELEMENTS, r[2:], strict=True)), school_code=r[1])
            for r in rows]


# ------------------------------------------------------------------------------- the report

def element_label(code: str) -> str:
    label = _(ikm.ELEMENT_LABELS[code])
    return f"{code.upper()} {label}"


class IkmReport:
    """IKM per period, plus the same over the whole selection (the figure the office reports)."""

    def __init__(self, periods: list[ikm.IkmResult], overall: ikm.IkmResult, period_kind: str,
                 history: dict[int, float] | None = None) -> None:
        self.periods = periods
        self.overall = overall
        self.period_kind = period_kind
        self.history = history or {}

    def to_dict(self) -> dict[str, Any]:
        return {"period_kind": self.period_kind, "overall": self.overall.to_dict(),
                "periods": [p.to_dict() for p in self.periods],
                "history": {str(y): v for y, v in sorted(self.history.items())}}

    def tables(self) -> list:
        from sweet17.services.reports.base import Column, ReportTable

        cat = {c: _(label) for c, label in ikm.CATEGORY_LABELS.items()}
        per = ReportTable(_("IKM"), _("Satisfaction index (IKM) per period"), [
            Column("period", _("Period")), Column("start", _("From"), "date"), Column("end", _("To"), "date"),
            Column("respondents", _("Respondents"), "int"), Column("index", _("Index (1-4)"), "float", digits=4),
            Column("converted", _("Converted (25-100)"), "float"), Column("category", _("Category")),
            Column("weakest", _("Weakest element"), width=40)],
            notes=[_("Permenpan RB 14/2017: each element's average, weighted equally (1/9), summed to the index; "
                     "x25 for the 25-100 scale. A 88.31-100 very good, B 76.61-88.30 good, C 65.00-76.60 not quite "
                     "good, D 25.00-64.99 not good.")])
        results = self.periods if self.period_kind != "all" else []
        for r in [*results, self.overall]:
            per.rows.append({
                "period": r.period if r is not self.overall else _("whole selection"), "start": r.start, "end": r.end,
                "respondents": r.respondents, "index": r.index_float,
                "converted": float(r.converted) if r.converted is not None else None,
                "category": f"{r.category} ({cat[r.category]})" if r.category else None,
                "weakest": ", ".join(element_label(e) for e in r.weakest)})
        cols = [Column("element", _("Element"), width=44)]
        shown = [*results, self.overall]
        for i, r in enumerate(shown):
            cols.append(Column(f"p{i}", r.period if r is not self.overall else _("all"), "float"))
        cols.append(Column("answers", _("Answers"), "int"))
        el = ReportTable(_("Elements"), _("Average score per element (1-4); the weakest first to improve"), cols)
        for code in ikm.ELEMENTS:
            row: dict[str, Any] = {"element": element_label(code), "answers": self.overall.element(code).answers}
            for i, r in enumerate(shown):
                row[f"p{i}"] = r.element(code).average_float
            el.rows.append(row)
            if code in self.overall.weakest:
                el.highlight[len(el.rows) - 1] = "bad"
        tables = [per, el]
        if self.history:
            hist = ReportTable(_("Earlier years"), _("IKM of earlier years and of this selection"), [
                Column("year", _("Year")), Column("index", _("Index (1-4)"), "float"),
                Column("category", _("Category"))])
            for y, v in sorted(self.history.items()):
                c = ikm.category(v)
                hist.rows.append({"year": str(y), "index": v, "category": f"{c} ({cat[c]})"})
            if self.overall.index is not None:
                hist.rows.append({"year": _("this selection"), "index": self.overall.index_float,
                                  "category": f"{self.overall.category} ({cat[self.overall.category]})"})
            tables.append(hist)
        return tables

    def charts(self, folder: Path) -> list:
        from sweet17.adapters import charts
        from sweet17.services.reports.base import Chart

        r = self.overall
        if r.index is None:
            return []
        title = _("IKM element scores: index {index:.2f} ({converted}, category {category})").format(
            index=float(r.index), converted=r.converted, category=r.category)
        p = charts.element_scores([element_label(e) for e in ikm.ELEMENTS],
                                  [r.element(e).average_float for e in ikm.ELEMENTS],
                                  folder / "ikm-elements.png", title=title,
                                  weakest=[ikm.ELEMENTS.index(e) for e in r.weakest],
                                  thresholds=[(2.60, "C"), (3.0644, "B"), (3.5324, "A")])
        return [Chart("ikm_elements", title, p)]


def build_ikm(ws, *, period: str = "all", since: date | None = None, until: date | None = None,  # type: ignore[no-untyped-def]
              drive_slug: str | None = None, history: dict[int, float] | None = None) -> IkmReport:
    if period not in ikm.PERIODS:
        raise UserError(_("--period: use one of {choices}").format(choices=", ".join(ikm.PERIODS)), field="--period")
    responses = load_responses(ws, since=since, until=until, drive_slug=drive_slug)
    overall = ikm.by_period(responses, "all")[0]
    periods = ikm.by_period(responses, period) if period != "all" else [overall]
    return IkmReport(periods, overall, period, history)

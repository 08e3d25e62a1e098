"""The coverage report: per school, kecamatan and drive — on the roster, of age, already recorded,
eligible, recorded, synced, printed, delivered — and the recording rate of first-time card holders
against the earlier years given in the drive file (``[history]``).

Definitions (documented in docs/reports.md):

* of age: counted roster students (not moved away) who reach the drive's minimum age by the
  reference date (the school's first planned visit, or the report date without a plan);
* already recorded: of age and recorded before the drive (matched in the registry extract);
* eligible: of age and not recorded before: the students the drive is for;
* recorded / synced: eligible students whose recording counts (not rejected), and has reached the hub;
* printed / delivered: students of the school (recorded in the drive or before it) whose card is on
  the printed-card list, and whose card was handed over;
* other recorded: recordings of students outside ``eligible`` (walk-ins not on a roster, students
  under age on the reference date, students the registry already listed);
* drive rate = recorded / eligible;
* first-time card holders' recording rate = (already recorded + recorded) / of age: the share of
  the regency's new card holders who hold a recording, the figure the office reported for 2017
  (19.7%, before school drives) and 2018 (28.6%).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sweet17.i18n import _
from sweet17.services.reports.base import Chart, Column, ReportTable, pct
from sweet17.services.reports.students import StudentFacts, drive_students

COUNTS = ("on_roster", "of_age", "already_recorded", "eligible", "recorded", "synced", "printed", "delivered",
          "other_recorded")


@dataclass
class Counts:
    name: str
    code: str = ""
    on_roster: int = 0
    of_age: int = 0
    already_recorded: int = 0
    eligible: int = 0
    recorded: int = 0
    synced: int = 0
    printed: int = 0
    delivered: int = 0
    other_recorded: int = 0

    def add_student(self, s: StudentFacts) -> None:
        if s.on_roster and not s.moved_on:
            self.on_roster += 1
            if s.of_age:
                self.of_age += 1
                if s.already_recorded:
                    self.already_recorded += 1
        if s.eligible:
            self.eligible += 1
            if s.recorded:
                self.recorded += 1
                self.synced += s.synced
        elif s.recorded:
            self.other_recorded += 1
        if not s.moved_on:                  # cards come back for everyone printed, recorded now or before
            self.printed += s.printed
            self.delivered += s.delivered and s.printed

    def add(self, other: Counts) -> None:
        for k in COUNTS:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def drive_rate(self) -> float | None:
        return pct(self.recorded, self.eligible)

    @property
    def first_time_rate(self) -> float | None:
        return pct(self.already_recorded + self.recorded, self.of_age)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        if self.code:
            d["code"] = self.code
        d.update({k: getattr(self, k) for k in COUNTS})
        d["drive_rate"] = None if self.drive_rate is None else round(self.drive_rate, 4)
        d["first_time_rate"] = None if self.first_time_rate is None else round(self.first_time_rate, 4)
        return d

    def row(self) -> dict[str, Any]:
        d = self.to_dict()
        d["label"] = f"{self.code} {self.name}".strip() if self.code else self.name
        return d


@dataclass
class CoverageReport:
    drive_slug: str
    drive_name: str
    year: int
    as_of: date
    min_age: int
    schools: list[Counts]
    kecamatan: list[Counts]
    total: Counts
    history: dict[int, float]
    progress: list[dict[str, Any]] = field(default_factory=list)    # per day: recorded, synced, cumulative
    planned: list[dict[str, Any]] = field(default_factory=list)     # per planned visit day: students

    def comparison(self) -> list[dict[str, Any]]:
        rows = [{"year": y, "rate": r, "source": "history"} for y, r in sorted(self.history.items())]
        if self.total.first_time_rate is not None:
            rows.append({"year": self.year, "rate": round(self.total.first_time_rate, 4), "source": "drive"})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"drive": self.drive_slug, "as_of": self.as_of.isoformat(), "min_age": self.min_age,
                "total": self.total.to_dict(), "kecamatan": [k.to_dict() for k in self.kecamatan],
                "schools": [s.to_dict() for s in self.schools], "history": self.comparison(),
                "progress": self.progress, "planned": self.planned}

    def _table(self, key: str, title: str, items: list[Counts], first: str) -> ReportTable:
        t = ReportTable(key, title, [
            Column("label", first), Column("on_roster", _("On roster"), "int", short=_("Roster"), optional=True),
            Column("of_age", _("Of age"), "int", short=_("Age ok")),
            Column("already_recorded", _("Recorded before"), "int", short=_("Before"), optional=True),
            Column("eligible", _("Eligible"), "int", short=_("To record")),
            Column("recorded", _("Recorded"), "int", short=_("Done")),
            Column("synced", _("At the hub"), "int", short=_("Hub")),
            Column("printed", _("Printed"), "int", short=_("Cards")),
            Column("delivered", _("Delivered"), "int", short=_("Handed")),
            Column("drive_rate", _("Drive rate"), "pct", short=_("Drive %")),
            Column("first_time_rate", _("First-time holders"), "pct", short=_("First %")),
            Column("other_recorded", _("Other recorded"), "int", short=_("Other"), optional=True)],
            [c.row() for c in items], total=self.total.row())
        if self.total.recorded:             # once recording has started, flag the places left behind
            for i, c in enumerate(items):
                if c.eligible and c.drive_rate is not None and c.drive_rate < 0.5:
                    t.highlight[i] = "warn"
        return t

    def tables(self) -> list[ReportTable]:
        notes = [_("Of age: {age} or older on the school's visit date (or on {date} without a plan). Eligible: of "
                   "age and not recorded before the drive. Drive rate: recorded / eligible. First-time holders: "
                   "(recorded before + recorded) / of age.").format(age=self.min_age, date=self.as_of)]
        kec = self._table(_("Kecamatan"), _("Coverage by kecamatan"), self.kecamatan, _("Kecamatan"))
        kec.notes = notes
        schools = self._table(_("Schools"), _("Coverage by school"), self.schools, _("School"))
        hist = ReportTable(_("Earlier years"), _("Recording rate of first-time card holders, compared with earlier "
                                                 "years"), [Column("year", _("Year")), Column("rate", _("Rate"), "pct"),
                                                            Column("source", _("Source"))])
        for h in self.comparison():
            hist.rows.append({"year": str(h["year"]), "rate": h["rate"],
                              "source": _("drive file") if h["source"] == "history" else _("this drive")})
        if hist.rows and hist.rows[-1]["source"] == _("this drive"):
            hist.highlight[len(hist.rows) - 1] = "good"
        tables = [kec, schools, hist]
        if self.progress:
            prog = ReportTable(_("Progress"), _("Progress over the drive's days"), [
                Column("date", _("Date"), "date"), Column("recorded", _("Recorded"), "int"),
                Column("recorded_cum", _("Recorded, cumulative"), "int"), Column("synced", _("At the hub"), "int"),
                Column("synced_cum", _("At the hub, cumulative"), "int"),
                Column("share", _("Of the eligible"), "pct")])
            for p in self.progress:
                prog.rows.append({**p, "date": date.fromisoformat(p["date"]),
                                  "share": pct(p["recorded_cum"], self.total.eligible)})
            tables.append(prog)
        return tables

    def terminal_tables(self) -> list[ReportTable]:
        """For the terminal: schools by code only, without empty columns, so the table fits 100 columns."""
        tables = self.tables()
        drop = set() if self.total.other_recorded else {"other_recorded"}
        for t in tables[:2]:
            t.columns = [c for c in t.columns if c.key not in drop]
        for row in tables[1].rows:
            row["label"] = row.get("code") or row["label"]
        return tables

    def charts(self, folder: Path) -> list[Chart]:
        from sweet17.adapters import charts

        out = []
        if self.kecamatan:
            title = _("Coverage by kecamatan")
            bars = [charts.Bar(k.name, {"eligible": k.eligible, "recorded": k.recorded, "printed": k.printed,
                                        "delivered": k.delivered}) for k in self.kecamatan]
            rates = [f"{k.drive_rate * 100:.0f}%" if k.drive_rate is not None else None for k in self.kecamatan]
            p = charts.grouped_bars(bars, [("eligible", _("Eligible")), ("recorded", _("Recorded")),
                                           ("printed", _("Printed")), ("delivered", _("Delivered"))],
                                    folder / "coverage-by-kecamatan.png", title=title, xlabel=_("students"),
                                    rates=rates)
            out.append(Chart("coverage_by_kecamatan", title, p))
        days = [date.fromisoformat(p["date"]) for p in self.progress]
        if days:
            title = _("Progress over the drive's days")
            series = [("recorded", _("Recorded, cumulative"), [p["recorded_cum"] for p in self.progress]),
                      ("synced", _("At the hub, cumulative"), [p["synced_cum"] for p in self.progress])]
            p = charts.progress(days, series, folder / "progress.png", title=title, ylabel=_("students"),
                                target=(self.total.eligible, _("eligible")) if self.total.eligible else None,
                                daily=(_("recorded that day"), [p["recorded"] for p in self.progress]))
            out.append(Chart("progress", title, p))
        comp = self.comparison()
        if comp:
            title = _("First-time card holders with a recording")
            p = charts.rates_by_year([str(h["year"]) for h in comp], [h["rate"] for h in comp],
                                     folder / "rate-by-year.png", title=title,
                                     highlight_last=comp[-1]["source"] == "drive")
            out.append(Chart("rate_by_year", title, p))
        return out


def _progress(students: list[StudentFacts]) -> list[dict[str, Any]]:
    rec: dict[date, int] = defaultdict(int)
    syn: dict[date, int] = defaultdict(int)
    for s in students:
        r = s.recording
        if r is None or not s.recorded or not s.eligible:
            continue
        rec[date.fromisoformat(r.captured_at[:10])] += 1
        if s.synced and r.synced_at:
            syn[date.fromisoformat(r.synced_at[:10])] += 1
    if not rec:
        return []
    first, last = min(rec), max(max(rec), max(syn) if syn else min(rec))
    out, cr, cs = [], 0, 0
    d = first
    while d <= last:
        cr += rec.get(d, 0)
        cs += syn.get(d, 0)
        if rec.get(d) or syn.get(d) or d.weekday() < 6:
            out.append({"date": d.isoformat(), "recorded": rec.get(d, 0), "recorded_cum": cr,
                        "synced": syn.get(d, 0), "synced_cum": cs})
        d += timedelta(days=1)
    return out


def _planned(ws, slug: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with ws.engine.connect() as conn:
        try:
            plan_id = conn.execute(text("SELECT id FROM plan WHERE drive_slug = :s ORDER BY version DESC LIMIT 1"),
                                   {"s": slug}).scalar()
        except Exception:  # noqa: BLE001  no planning tables
            return []
        if plan_id is None:
            return []
        rows = conn.execute(text("SELECT visit_date, SUM(students) FROM plan_visit WHERE plan_id = :p "
                                 "GROUP BY visit_date ORDER BY visit_date"), {"p": plan_id}).all()
    out, cum = [], 0
    for d, n in rows:
        cum += int(n)
        out.append({"date": d, "students": int(n), "cumulative": cum})
    return out


def build_coverage(ws, loaded, as_of: date | None = None) -> CoverageReport:  # type: ignore[no-untyped-def]
    drive = loaded.drive
    as_of = as_of or date.today()
    students = drive_students(ws, drive.slug, drive.min_age, as_of)
    school_counts: dict[str, Counts] = {}
    for sc in drive.schools:
        school_counts[sc.code] = Counts(sc.name, sc.code)
    kec_of = {sc.code: (sc.kecamatan_code, sc.kecamatan or sc.kecamatan_code) for sc in drive.schools}
    for s in students:
        if s.school_code not in school_counts:
            school_counts[s.school_code] = Counts(_("(not in the drive file)"), s.school_code)
        school_counts[s.school_code].add_student(s)
    kec: dict[str, Counts] = {}
    for code, c in school_counts.items():
        kcode, kname = kec_of.get(code, ("", _("(unknown)")))
        kec.setdefault(kcode, Counts(kname)).add(c)
    total = Counts(_("Total"))
    for c in school_counts.values():
        total.add(c)
    return CoverageReport(
        drive_slug=drive.slug, drive_name=drive.name, year=drive.year, as_of=as_of, min_age=drive.min_age,
        schools=[school_counts[k] for k in sorted(school_counts)],
        kecamatan=[kec[k] for k in sorted(kec, key=lambda k: kec[k].name)], total=total,
        history=dict(drive.history), progress=_progress(students), planned=_planned(ws, drive.slug))

"""The whole drive in one place: every report in one workbook, their charts, and the head-of-office PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sweet17.i18n import _
from sweet17.services.reports.base import ReportTable, write_workbook


def _pdf_table(t: ReportTable):  # type: ignore[no-untyped-def]
    from sweet17.adapters.pdf_report import PdfTable

    return PdfTable(title=t.title, headers=[c.header for c in t.columns], rows=[t.cells(r) for r in t.rows],
                    numeric=[c.kind in ("int", "float", "pct") for c in t.columns], highlight=dict(t.highlight),
                    total=t.cells(t.total) if t.total is not None else None, notes=list(t.notes))


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _n(v: int) -> str:
    return f"{v:,}".replace(",", ".")


def build_drive_report(ws, loaded, *, as_of: date | None = None, out: Path, pdf: bool = True,  # type: ignore[no-untyped-def]
                       ikm_history: dict[int, float] | None = None, actor: str = "system") -> dict[str, Any]:
    """Build every report of the drive; write the charts, one workbook and (``pdf``) the PDF into ``out``.

    Returns ``{"pdf", "xlsx", "charts", "charts_folder", "figures"}`` (paths as text)."""
    from sweet17.services.reports.complaints import build_complaints
    from sweet17.services.reports.coverage import build_coverage
    from sweet17.services.reports.ikm import build_ikm
    from sweet17.services.reports.quality import build_quality
    from sweet17.services.reports.teams import build_teams

    drive = loaded.drive
    as_of = as_of or date.today()
    base = f"{drive.slug}-drive-report-{as_of.isoformat()}"
    charts_dir = Path(out) / "charts" / base
    coverage = build_coverage(ws, loaded, as_of)
    teams = build_teams(ws, loaded, as_of)
    quality = build_quality(ws, drive_slug=drive.slug, school_names={s.code: s.name for s in drive.schools})
    complaints = build_complaints(ws, as_of=as_of, drive_slug=drive.slug)
    ikm = build_ikm(ws, period="quarter", until=as_of, drive_slug=drive.slug, history=ikm_history)
    parts = [
        (_("Coverage"), coverage),
        (_("Teams and kits"), teams),
        (_("Capture quality"), quality),
        (_("Complaints"), complaints),
        (_("Public satisfaction (IKM)"), ikm),
    ]
    charts = {}
    tables: dict[str, list[ReportTable]] = {}
    all_tables: list[ReportTable] = []
    for title, report in parts:
        charts[title] = report.charts(charts_dir)
        tables[title] = report.tables()
        for t in tables[title]:
            prefixed = ReportTable(f"{title[:12]} - {t.key}"[:31], t.title, t.columns, t.rows, t.total, t.notes,
                                   t.highlight)
            all_tables.append(prefixed)
    xlsx = write_workbook(Path(out) / f"{base}.xlsx", _("Drive results"), all_tables,
                          [c for cs in charts.values() for c in cs], subtitle=drive.name, charts_sheet=_("Charts"))
    t = coverage.total
    st = complaints.stats
    o = ikm.overall
    kit_rate = _kit_rate(teams)
    figures = {
        "eligible": t.eligible, "recorded": t.recorded, "drive_rate": t.drive_rate,
        "first_time_rate": t.first_time_rate, "synced": t.synced, "printed": t.printed, "delivered": t.delivered,
        "recordings_per_kit_hour": None if kit_rate is None else round(kit_rate, 2),
        "force_captured_share": quality.total.forced / quality.total.recordings if quality.total.recordings else None,
        "complaints_share_resolved": st.share_resolved, "ikm_index": o.index_float, "ikm_category": o.category,
    }
    result: dict[str, Any] = {"xlsx": str(xlsx), "pdf": None, "charts_folder": str(charts_dir),
                              "charts": [str(c.path) for cs in charts.values() for c in cs],
                              "figures": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}}
    if pdf:
        result["pdf"] = str(_write_pdf(Path(out) / f"{base}.pdf", loaded, as_of, coverage, teams, quality, complaints,
                                       ikm, charts, tables))
    ws.audit(actor, "report.drive", drive.slug, {"pdf": bool(pdf), "as_of": as_of.isoformat()})
    return result


def _kit_rate(teams) -> float | None:  # type: ignore[no-untyped-def]
    """Recordings per kit-hour over the drive (None before any session)."""
    return teams.total.recordings / teams.total.hours if teams.total.hours else None


def _write_pdf(path: Path, loaded, as_of: date, coverage, teams, quality, complaints, ikm, charts,  # type: ignore[no-untyped-def]
               tables: dict[str, list[ReportTable]]) -> Path:
    """The head-of-office PDF; ``charts`` and ``tables`` are the reports' own, by part title."""
    from sweet17.adapters.pdf_report import KeyFigure, PdfImage, PdfReport, PdfSection, write_pdf
    from sweet17.domain import ikm as ikm_core

    drive = loaded.drive
    t = coverage.total
    last_year = max(coverage.history) if coverage.history else None
    kit_rate = _kit_rate(teams)
    st = complaints.stats
    o = ikm.overall
    figures = [
        KeyFigure(_("students eligible for recording"), _n(t.eligible),
                  _("of {n} of age on the school rosters").format(n=_n(t.of_age))),
        KeyFigure(_("recorded at school"), _n(t.recorded), _("{rate} of the eligible").format(rate=_pct(t.drive_rate))),
        KeyFigure(_("first-time card holders with a recording"), _pct(t.first_time_rate),
                  f"{last_year}: {_pct(coverage.history[last_year])}" if last_year else ""),
        KeyFigure(_("recordings at the hub"), _n(t.synced)),
        KeyFigure(_("cards printed / handed over"), f"{_n(t.printed)} / {_n(t.delivered)}"),
        KeyFigure(_("recordings per kit-hour"), "-" if kit_rate is None else f"{kit_rate:.1f}",
                  _("planned: {rate:.1f}").format(rate=60 / drive.recording.minutes_per_student)),
        KeyFigure(_("force-captured recordings"),
                  _pct(quality.total.forced / quality.total.recordings if quality.total.recordings else None)),
        KeyFigure(_("complaints resolved"), _pct(st.share_resolved),
                  _("{n} received; target {target}").format(n=st.received, target=f"{st.target * 100:.0f}%")),
        KeyFigure(_("satisfaction index (IKM)"), "-" if o.index is None else f"{float(o.index):.2f}",
                  "" if o.index is None else _("{converted} - {category} ({label}), {n} respondents").format(
                      converted=o.converted, category=o.category, label=_(ikm_core.CATEGORY_LABELS[o.category]),
                      n=o.respondents)),
    ]

    def images(key: str, names: tuple[str, ...], frac: float = 1.0) -> list[PdfImage]:
        return [PdfImage(c.path, "", frac) for c in charts.get(key, []) if c.key in names]

    cov_tables = tables[_("Coverage")]
    team_tables = tables[_("Teams and kits")]
    q_tables = tables[_("Capture quality")]
    c_tables = tables[_("Complaints")]
    i_tables = tables[_("Public satisfaction (IKM)")]
    sections = [
        PdfSection(_("Coverage"), [
            _("Of {of_age} students aged {age} or more on the school rosters, {before} were recorded before the drive "
              "and {eligible} needed recording; {recorded} of them were recorded ({rate}). With those recorded "
              "before, {ft} of the first-time card holders now hold a recording.").format(
                of_age=_n(t.of_age), age=drive.min_age, before=_n(t.already_recorded), eligible=_n(t.eligible),
                recorded=_n(t.recorded), rate=_pct(t.drive_rate), ft=_pct(t.first_time_rate))],
            [_pdf_table(x) for x in cov_tables[:3]],
            images(_("Coverage"), ("coverage_by_kecamatan", "progress")) +
            images(_("Coverage"), ("rate_by_year",), 0.6), images_first=True),
        PdfSection(_("Teams and kits"), [], [_pdf_table(x) for x in (team_tables[0], team_tables[2], team_tables[3])],
                   images(_("Teams and kits"), ("travel_vs_recording", "rate_by_operator"))),
        PdfSection(_("Capture quality"), [], [_pdf_table(x) for x in (q_tables[0], q_tables[1], q_tables[4],
                                                                      q_tables[5])],
                   images(_("Capture quality"), ("nfiq2",), 0.8)),
        PdfSection(_("Complaints"), [], [_pdf_table(x) for x in c_tables[:2]],
                   images(_("Complaints"), ("complaints_by_category",), 0.8)) if st.received else
        PdfSection(_("Complaints"), [_("No complaints were registered (sweet17 complaint add).")]),
        PdfSection(_("Public satisfaction (IKM)"), [], [_pdf_table(x) for x in i_tables],
                   images(_("Public satisfaction (IKM)"), ("ikm_elements",))) if o.respondents else
        PdfSection(_("Public satisfaction (IKM)"), [_("No survey responses were imported (sweet17 ikm import FILE).")]),
    ]
    if not quality.total.recordings:
        sections[2] = PdfSection(_("Capture quality"), [_("No recordings yet.")])
    if not teams.total.sessions:
        sections[1] = PdfSection(_("Teams and kits"), [_("No recording sessions yet.")])
    meta = [(_("Office"), drive.office.name), (_("Regency"), f"{drive.regency} ({drive.regency_code})"),
            (_("Drive period"), f"{drive.start.isoformat()} - {drive.end.isoformat()}"),
            (_("Schools and teams"), _("{schools} schools, {teams} teams with {kits} kits").format(
                schools=len(drive.schools), teams=len(drive.teams), kits=len(drive.kits))),
            (_("Figures as on"), as_of.isoformat())]
    report = PdfReport(title=_("Drive results: e-KTP recording at schools"), subtitle=drive.name, meta=meta,
                       key_figures=figures, sections=sections,
                       footer=_("sweet17 - {drive} - figures as on {date}").format(drive=drive.slug, date=as_of),
                       page_label=_("Page {page}"))
    return write_pdf(path, report)

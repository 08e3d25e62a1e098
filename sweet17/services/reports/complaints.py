"""The complaints report: the register's figures against the 91% target, by category and channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sweet17.domain import complaints as core
from sweet17.i18n import _
from sweet17.services.reports.base import Chart, Column, ReportTable


@dataclass
class ComplaintsReport:
    stats: core.ComplaintStats
    items: list  # ComplaintRecord
    since: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.stats.to_dict(), "since": self.since.isoformat() if self.since else None,
                "complaints": [c.to_dict(self.stats.as_of) for c in self.items]}

    def summary_rows(self) -> list[dict[str, Any]]:
        st = self.stats
        verdict = None if st.meets_target is None else (_("yes") if st.meets_target else _("no"))
        return [
            {"measure": _("Complaints received"), "value": st.received},
            {"measure": _("Resolved"), "value": st.resolved},
            {"measure": _("Still open"), "value": st.open},
            {"measure": _("Share resolved"), "value": f"{st.share_resolved * 100:.1f}%" if st.share_resolved
             is not None else None},
            {"measure": _("Target"), "value": f"{st.target * 100:.0f}%"},
            {"measure": _("Target met"), "value": verdict},
            {"measure": _("Days to resolve (median)"), "value": st.days_median},
            {"measure": _("Days to resolve (mean)"), "value": None if st.days_mean is None else round(st.days_mean, 1)},
            {"measure": _("Days to resolve (longest)"), "value": st.days_max},
            {"measure": _("Oldest open complaint (days)"), "value": st.oldest_open_days},
        ]

    def tables(self) -> list[ReportTable]:
        st = self.stats
        summary = ReportTable(_("Summary"), _("Complaints on {date}").format(date=st.as_of),
                              [Column("measure", _("Measure")), Column("value", _("Value"))], self.summary_rows())
        if st.meets_target is not None:
            summary.highlight[5] = "good" if st.meets_target else "bad"
        groups = []
        for key, title, labels in (("by_category", _("By category"), core.CATEGORIES),
                                   ("by_channel", _("By channel"), core.CHANNELS)):
            gs = getattr(st, key)
            t = ReportTable(title, title, [Column("name", _("Name")), Column("received", _("Received"), "int"),
                                         Column("resolved", _("Resolved"), "int"),
                                         Column("share", _("Share resolved"), "pct")],
                            [{"name": _(labels.get(g.key, g.key)), "received": g.received, "resolved": g.resolved,
                              "share": g.share_resolved} for g in gs],
                            total={"name": _("Total"), "received": st.received, "resolved": st.resolved,
                                   "share": st.share_resolved})
            groups.append(t)
        register = ReportTable(_("Register"), _("Register"), [
            Column("id", _("Number")), Column("received_on", _("Received"), "date"),
            Column("channel", _("Channel")), Column("category", _("Category")), Column("school", _("School")),
            Column("description", _("Complaint"), width=50), Column("status", _("Status")),
            Column("resolved_on", _("Resolved"), "date"), Column("days", _("Days"), "int"),
            Column("resolution", _("Resolution"), width=50)])
        for c in self.items:
            days = (c.resolved_on - c.received_on).days if c.resolved_on else (st.as_of - c.received_on).days
            register.rows.append({
                "id": c.id, "received_on": c.received_on, "channel": _(core.CHANNELS.get(c.channel, c.channel)),
                "category": _(core.CATEGORIES.get(c.category, c.category)), "school": c.school_code,
                "description": c.description, "status": _("resolved") if c.resolved_on else _("open"),
                "resolved_on": c.resolved_on, "days": days, "resolution": c.resolution})
            if not c.resolved_on:
                register.highlight[len(register.rows) - 1] = "warn"
        return [summary, *groups, register]

    def terminal_tables(self) -> list[ReportTable]:
        """For the terminal: the figures, the groups, and only the complaints still open."""
        summary, cat, ch, register = self.tables()
        still_open = ReportTable(_("Open"), _("Complaints still open"), [
            c for c in register.columns if c.key in ("id", "received_on", "category", "school", "description", "days")])
        still_open.rows = [r for r in register.rows if r["resolved_on"] is None]
        return [summary, cat, ch] + ([still_open] if still_open.rows else [])

    def charts(self, folder: Path) -> list[Chart]:
        from sweet17.adapters import charts

        gs = self.stats.by_category
        if not gs:
            return []
        title = _("Complaints by category")
        bars = [charts.Bar(_(core.CATEGORIES.get(g.key, g.key)), {"eligible": g.received, "recorded": g.resolved})
                for g in gs]
        p = charts.grouped_bars(bars, [("eligible", _("Received")), ("recorded", _("Resolved"))],
                                folder / "complaints-by-category.png", title=title, xlabel=_("complaints"))
        return [Chart("complaints_by_category", title, p)]


def build_complaints(ws, *, as_of: date | None = None, since: date | None = None,  # type: ignore[no-untyped-def]
                     drive_slug: str | None = None) -> ComplaintsReport:
    from sweet17.services.complaints import list_complaints

    as_of = as_of or date.today()
    items = list_complaints(ws, since=since, until=as_of, drive_slug=drive_slug)
    st = core.stats([c.domain() for c in items], as_of)
    return ComplaintsReport(st, items, since)

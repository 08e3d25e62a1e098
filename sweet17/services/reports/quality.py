"""The quality report: retries, force-captures, exceptions, NFIQ 2 scores and rejection reasons.

Read from the ``recording`` table (every status, rejected included): ``retries``,
``force_captured``, ``exceptions`` (JSON list of keys such as ``Finger:Left LittleFinger``),
``quality`` (device scores per modality and position), the signed manifest's per-modality
``nfiq2`` scores (NIST NFIQ 2 re-scores of each fingerprint), and ``rejected_reason``.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.i18n import _
from sweet17.services.reports.base import Chart, Column, ReportTable, pct

NFIQ2_BINS = tuple(range(0, 101, 10))
FINGER_THRESHOLD = 40.0       # default finger threshold of the capture rules (domain.session)


@dataclass
class Group:
    key: str
    recordings: int = 0
    retries: int = 0
    with_retries: int = 0
    forced: int = 0
    with_exceptions: int = 0
    rejected: int = 0
    nfiq2: list[int] = field(default_factory=list)

    def add(self, r: dict[str, Any]) -> None:
        self.recordings += 1
        self.retries += r["retries"]
        self.with_retries += r["retries"] > 0
        self.forced += r["forced"]
        self.with_exceptions += bool(r["exceptions"])
        self.rejected += r["status"] == "rejected"
        self.nfiq2.extend(r["nfiq2"].values())

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "recordings": self.recordings, "retries": self.retries,
                "retries_per_recording": round(self.retries / self.recordings, 3) if self.recordings else None,
                "with_retries": self.with_retries, "force_captured": self.forced,
                "force_captured_share": _r(pct(self.forced, self.recordings)),
                "with_exceptions": self.with_exceptions,
                "with_exceptions_share": _r(pct(self.with_exceptions, self.recordings)),
                "rejected": self.rejected, "rejected_share": _r(pct(self.rejected, self.recordings)),
                "nfiq2_median": statistics.median(self.nfiq2) if self.nfiq2 else None,
                "nfiq2_scores": len(self.nfiq2)}

    def row(self, label: str) -> dict[str, Any]:
        d = self.to_dict()
        return {"name": label, "recordings": self.recordings, "retries_per": d["retries_per_recording"],
                "forced": pct(self.forced, self.recordings), "exceptions": pct(self.with_exceptions, self.recordings),
                "rejected": pct(self.rejected, self.recordings), "nfiq2": d["nfiq2_median"]}


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def _recordings(ws, drive_slug: str | None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    sql = ("SELECT id, school_code, operator, status, retries, force_captured, exceptions, quality, manifest, "
           "rejected_reason, captured_at FROM recording")
    params = {}
    if drive_slug:
        sql += " WHERE drive_slug = :d"
        params["d"] = drive_slug
    out = []
    with ws.engine.connect() as conn:
        for r in conn.execute(text(sql + " ORDER BY captured_at"), params):
            try:
                manifest = json.loads(r[8])
            except ValueError:
                manifest = {}
            nfiq2: dict[str, int] = {}
            for mod, m in (manifest.get("modalities") or {}).items():
                for pos, v in ((m or {}).get("nfiq2") or {}).items():
                    if isinstance(v, int | float):
                        nfiq2[f"{mod}:{pos}"] = int(v)
            try:
                quality = json.loads(r[7] or "{}")
                exceptions = json.loads(r[6] or "[]")
            except ValueError:
                quality, exceptions = {}, []
            out.append({"id": r[0], "school": r[1], "operator": r[2], "status": r[3], "retries": int(r[4] or 0),
                        "forced": bool(r[5]), "exceptions": list(exceptions), "quality": quality, "nfiq2": nfiq2,
                        "rejected_reason": r[9] or "", "captured_at": r[10]})
    return out


@dataclass
class QualityReport:
    drive_slug: str
    total: Group
    by_school: dict[str, Group]
    by_operator: dict[str, Group]
    exceptions: Counter
    rejections: Counter
    device_quality: dict[str, list[float]]
    nfiq2_by_position: dict[str, list[int]]
    school_names: dict[str, str] = field(default_factory=dict)

    def nfiq2_histogram(self) -> list[dict[str, Any]]:
        counts = Counter(min(s // 10, 9) for s in self.total.nfiq2)
        n = len(self.total.nfiq2)
        return [{"from": b * 10, "to": b * 10 + 9 if b < 9 else 100, "count": counts.get(b, 0),
                 "share": _r(pct(counts.get(b, 0), n))} for b in range(10)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "drive": self.drive_slug,
            "summary": self.total.to_dict(),
            "by_school": [g.to_dict() for g in self.by_school.values()],
            "by_operator": [g.to_dict() for g in self.by_operator.values()],
            "exceptions": [{"key": k, "count": n} for k, n in self.exceptions.most_common()],
            "rejection_reasons": [{"reason": k, "count": n} for k, n in self.rejections.most_common()],
            "device_quality": {m: {"scores": len(v), "median": statistics.median(v) if v else None,
                                   "min": min(v) if v else None} for m, v in sorted(self.device_quality.items())},
            "nfiq2": {"scores": len(self.total.nfiq2),
                      "median": statistics.median(self.total.nfiq2) if self.total.nfiq2 else None,
                      "below_threshold": sum(1 for s in self.total.nfiq2 if s < FINGER_THRESHOLD),
                      "threshold": FINGER_THRESHOLD, "histogram": self.nfiq2_histogram(),
                      "by_position": {p: statistics.median(v) for p, v in sorted(self.nfiq2_by_position.items())}},
        }

    def tables(self) -> list[ReportTable]:
        t = self.total
        d = t.to_dict()
        summary = ReportTable(_("Summary"), _("Capture quality"), [Column("measure", _("Measure")),
                                                                   Column("value", _("Value"))], [
            {"measure": _("Recordings"), "value": t.recordings},
            {"measure": _("Retries (total)"), "value": t.retries},
            {"measure": _("Retries per recording"), "value": d["retries_per_recording"]},
            {"measure": _("Recordings with a retry"), "value": t.with_retries},
            {"measure": _("Force-captured recordings"), "value": _share(t.forced, t.recordings)},
            {"measure": _("Recordings with exceptions (missing fingers, eyes)"),
             "value": _share(t.with_exceptions, t.recordings)},
            {"measure": _("Rejected by the supervisor"), "value": _share(t.rejected, t.recordings)},
            {"measure": _("Fingerprints scored with NFIQ 2"), "value": len(t.nfiq2)},
            {"measure": _("NFIQ 2 median"), "value": d["nfiq2_median"]},
            {"measure": _("NFIQ 2 below {threshold:g}").format(threshold=FINGER_THRESHOLD),
             "value": _share(sum(1 for s in t.nfiq2 if s < FINGER_THRESHOLD), len(t.nfiq2))},
        ])
        cols = [Column("name", _("Name")), Column("recordings", _("Recordings"), "int"),
                Column("retries_per", _("Retries per recording"), "float"),
                Column("forced", _("Force-captured"), "pct"), Column("exceptions", _("With exceptions"), "pct"),
                Column("rejected", _("Rejected"), "pct"), Column("nfiq2", _("NFIQ 2 median"), "float", digits=1)]
        schools = ReportTable(_("By school"), _("Quality by school"), list(cols),
                              [g.row(f"{k} {self.school_names.get(k, '')}".strip()) for k, g in
                               sorted(self.by_school.items())], total=t.row(_("Total")))
        ops = ReportTable(_("By operator"), _("Quality by operator"), list(cols),
                          [g.row(k) for k, g in sorted(self.by_operator.items())], total=t.row(_("Total")))
        hist = ReportTable(_("NFIQ 2"), _("NFIQ 2 scores of the fingerprints (0-100, higher is better)"), [
            Column("range", _("Score")), Column("count", _("Fingerprints"), "int"), Column("share", _("Share"), "pct")],
            [{"range": f"{h['from']}-{h['to']}", "count": h["count"], "share": h["share"]}
             for h in self.nfiq2_histogram()])
        for i, h in enumerate(self.nfiq2_histogram()):
            if h["to"] < FINGER_THRESHOLD and h["count"]:
                hist.highlight[i] = "bad"
        exc = ReportTable(_("Exceptions"), _("Exceptions marked (missing or injured fingers and eyes)"), [
            Column("key", _("Exception")), Column("count", _("Recordings"), "int")],
            [{"key": k, "count": n} for k, n in self.exceptions.most_common()])
        rej = ReportTable(_("Rejections"), _("Rejection reasons"), [
            Column("reason", _("Reason"), width=60), Column("count", _("Recordings"), "int")],
            [{"reason": k, "count": n} for k, n in self.rejections.most_common()])
        dev = ReportTable(_("Device scores"), _("Device quality scores per modality"), [
            Column("modality", _("Modality")), Column("scores", _("Scores"), "int"),
            Column("median", _("Median"), "float", digits=1), Column("min", _("Lowest"), "float", digits=1)],
            [{"modality": m, "scores": len(v), "median": statistics.median(v) if v else None,
              "min": min(v) if v else None} for m, v in sorted(self.device_quality.items())])
        return [summary, schools, ops, hist, exc, rej, dev]

    def charts(self, folder: Path) -> list[Chart]:
        from sweet17.adapters import charts

        out = []
        if self.total.nfiq2:
            title = _("NFIQ 2 scores of the fingerprints")
            p = charts.histogram(self.total.nfiq2, folder / "nfiq2.png", title=title, xlabel=_("NFIQ 2 score"),
                                 bins=NFIQ2_BINS, reference=(FINGER_THRESHOLD, _("threshold")))
            out.append(Chart("nfiq2", title, p))
        if self.by_school:
            title = _("Retries per recording, by school")
            items = sorted(self.by_school.items())
            p = charts.simple_bars([k for k, _g in items], [g.retries / g.recordings if g.recordings else 0
                                                            for _k, g in items],
                                   folder / "retries-by-school.png", title=title, fmt="{:.2f}", key="printed")
            out.append(Chart("retries_by_school", title, p))
        return out


def _share(n: int, d: int) -> str:
    return f"{n} ({n / d * 100:.1f}%)" if d else str(n)


def build_quality(ws, *, drive_slug: str | None = None, school_names: dict[str, str] | None = None) -> QualityReport:  # type: ignore[no-untyped-def]
    rows = _recordings(ws, drive_slug)
    total = Group("total")
    by_school: dict[str, Group] = {}
    by_op: dict[str, Group] = {}
    exceptions: Counter = Counter()
    rejections: Counter = Counter()
    device_quality: dict[str, list[float]] = defaultdict(list)
    by_position: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        total.add(r)
        by_school.setdefault(r["school"], Group(r["school"])).add(r)
        by_op.setdefault(r["operator"], Group(r["operator"])).add(r)
        exceptions.update(r["exceptions"])
        if r["status"] == "rejected":
            rejections[r["rejected_reason"].strip() or _("(no reason given)")] += 1
        for mod, scores in (r["quality"] or {}).items():
            if isinstance(scores, dict):
                device_quality[mod].extend(float(v) for v in scores.values() if isinstance(v, int | float))
        for pos, s in r["nfiq2"].items():
            by_position[pos.split(":", 1)[-1]].append(s)
    return QualityReport(drive_slug or "", total, by_school, by_op, exceptions, rejections, dict(device_quality),
                         dict(by_position), school_names or {})

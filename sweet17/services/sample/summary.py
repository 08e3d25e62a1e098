"""The summary ``sweet17 sample balangan`` prints, and registering the sample in a workspace.

``summarise`` runs the NIK core (``sweet17.domain.nik.check``) over every NIK cell exactly as the
rosters hold it, with the roster's birth date and sex and the drive's regency, and counts the
findings by kind. A NIK cell that Excel turned into a number is counted as ``nik.as_number``
(its digits are gone, so checking the digits Excel kept would be misleading).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sweet17.domain import nik as nikcore
from sweet17.domain.ages import anniversary
from sweet17.domain.regions import BALANGAN, BALANGAN_KECAMATAN
from sweet17.i18n import N_, _
from sweet17.services.sample.generator import SampleDrive

AS_NUMBER = "nik.as_number"

# Short labels for the summary table, by finding code.
FINDING_LABELS: dict[str, str] = {
    "nik.missing": N_("NIK empty"),
    "nik.not_digits": N_("NIK has characters other than digits (e.g. a KITAS number)"),
    "nik.length": N_("NIK is not 16 digits"),
    AS_NUMBER: N_("NIK stored by Excel as a number (digits lost)"),
    "nik.province_unknown": N_("Unknown province code"),
    "nik.regency_unknown": N_("Unknown regency code"),
    "nik.region_before_split": N_("Regency code from before Balangan was split off (6308)"),
    "nik.region_outside": N_("NIK issued outside Balangan"),
    "nik.kecamatan_unknown": N_("Unknown kecamatan code"),
    "nik.date_invalid": N_("Impossible birth date in the NIK"),
    "nik.date_future": N_("Birth date in the NIK lies in the future"),
    "nik.birthdate_mismatch": N_("NIK birth date differs from the roster"),
    "nik.sex_mismatch": N_("NIK sex differs from the roster"),
    "nik.serial_zero": N_("NIK serial 0000"),
}


def nik_findings(sample: SampleDrive, as_of: date | None = None) -> tuple[list[dict[str, Any]], int]:
    """Findings by kind over every roster row's NIK cell: ([{code, severity, label, count}], rows clean)."""
    as_of = as_of or sample.start
    counts: Counter[str] = Counter()
    severity: dict[str, str] = {AS_NUMBER: "error"}
    clean = 0
    for t in sample.truth:
        if isinstance(t.nik_cell, float | int):
            counts[AS_NUMBER] += 1
            continue
        res = nikcore.check(t.nik_cell, as_of=as_of, birth_date=t.birth_date, sex=t.sex, drive_regency=BALANGAN)
        if not res.findings:
            clean += 1
        for f in res.findings:
            counts[f.code] += 1
            severity[f.code] = str(f.severity)
    order = {"error": 0, "warning": 1, "info": 2}
    rows = [{"code": code, "severity": severity[code], "label": _(FINDING_LABELS.get(code, code)), "count": n}
            for code, n in counts.items()]
    rows.sort(key=lambda r: (order.get(r["severity"], 3), -r["count"], r["code"]))
    return rows, clean


def summarise(sample: SampleDrive) -> dict[str, Any]:
    """The figures of the summary (the ``--json`` output without the workspace keys)."""
    start, end = sample.start, sample.end
    min_age = 16
    people = [t for t in sample.truth if t.transfer != "stale"]    # each student once
    aged = [t for t in people if t.age_on(start) >= min_age]
    turning = [t for t in people if t.age_on(start) < min_age and start < anniversary(t.birth_date, min_age) <= end]
    by_school_rows = Counter(t.school_code for t in sample.truth)
    by_school_aged = Counter(t.school_code for t in aged)
    by_school_rec = Counter(t.school_code for t in people if t.recorded)
    kec: list[dict[str, Any]] = []
    for code, name in BALANGAN_KECAMATAN.items():
        codes = [s.code for s in sample.schools if s.kecamatan_code == code]
        kec.append({
            "code": code, "name": name, "schools": len(codes),
            "roster_rows": sum(by_school_rows[c] for c in codes),
            "aged_min_at_start": sum(by_school_aged[c] for c in codes),
            "recorded": sum(by_school_rec[c] for c in codes),
        })
    findings, clean = nik_findings(sample)
    eligible = sample.eligible_truth(start, min_age)
    return {
        "drive": sample.slug,
        "folder": str(sample.folder),
        "drive_file": str(sample.drive_file),
        "registry_file": str(sample.registry_file),
        "seed": sample.seed,
        "start": start,
        "end": end,
        "min_age": min_age,
        "students": sample.students,
        "roster_rows": len(sample.truth),
        "transfers": sum(1 for t in sample.truth if t.transfer == "current"),
        "leavers": len(sample.leavers),
        "school_count": len(sample.schools),
        "schools": [{
            "code": s.code, "name": s.name, "kind": s.kind, "status": "negeri" if s.negeri else "swasta",
            "kecamatan_code": s.kecamatan_code, "kecamatan": s.kecamatan, "travel_minutes": s.travel_minutes,
            "roster": s.roster, "roster_rows": s.rows, "leavers_file": s.leavers_file,
            "aged_min_at_start": by_school_aged[s.code], "recorded": by_school_rec[s.code],
            "eligible_at_start": eligible[s.code],
        } for s in sample.schools],
        "kecamatan": kec,
        "aged_min_at_start": len(aged),
        "turning_min_during_drive": len(turning),
        "recorded": sum(1 for t in people if t.recorded),
        "eligible_at_start": sum(eligible.values()),
        "registry_rows": sample.registry_rows,
        "nik_findings": findings,
        "nik_cells_without_findings": clean,
        "anomalies": sample.anomaly_counts(),
        "seconds": round(sample.seconds, 2),
    }


def register_sample(ws: Any, sample: SampleDrive) -> None:
    """Register the written drive in the workspace (it becomes the current drive) and audit it."""
    from sweet17.services.drives import load_drive, register_drive

    loaded = load_drive(sample.folder)
    register_drive(ws, loaded)
    ws.audit("system", "sample.generate", sample.slug,
             {"seed": sample.seed, "students": sample.students, "start": sample.start.isoformat(),
              "folder": str(sample.folder)})

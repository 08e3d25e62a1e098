"""NIK, the 16-digit Indonesian population number: ``PP RR SS DDMMYY SSSS``.

PP province, RR regency, SS kecamatan (Kemendagri codes at the time of first registration),
DDMMYY birth date with 40 added to the day for females, SSSS a serial. Two-digit years are
resolved against a reference date (or a known birth date), never against a fixed window: a
student born in 2008 is 2008, not 1908.

Everything here is pure. Anomalies are ``Finding`` values, never exceptions: real NIKs often
disagree with real birth dates, and a NIK never changes when a birth date is corrected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sweet17.domain.findings import Finding, Severity
from sweet17.domain.regions import DEFAULT_REGIONS, SPLIT_FROM, RegionTable
from sweet17.i18n import N_

NIK_LENGTH = 16
_DIGITS = re.compile(r"^\d{16}$")


def clean(raw: object) -> str:
    """Text form of a NIK as typed or exported: spaces, dots, dashes and a leading quote removed."""
    s = str(raw).strip().lstrip("'")
    return re.sub(r"[\s.\-]", "", s)


@dataclass(frozen=True)
class NikParts:
    """The fields of a structurally valid NIK (16 digits); the date may still be impossible."""

    nik: str
    province: str    # 2 digits
    regency: str     # 4 digits
    kecamatan: str   # 6 digits
    day: int         # 1-31 after removing the female offset
    month: int
    yy: int
    serial: str
    sex: str         # "L" or "P"

    @property
    def raw_day(self) -> int:
        return self.day + (40 if self.sex == "P" else 0)


def split(nik: str) -> NikParts | None:
    """Split a 16-digit NIK into its fields; None when it is not 16 digits."""
    if not _DIGITS.match(nik):
        return None
    dd = int(nik[6:8])
    sex = "P" if dd > 40 else "L"
    return NikParts(
        nik=nik, province=nik[:2], regency=nik[:4], kecamatan=nik[:6],
        day=dd - 40 if sex == "P" else dd, month=int(nik[8:10]), yy=int(nik[10:12]),
        serial=nik[12:], sex=sex,
    )


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def resolve_birth_date(parts: NikParts, as_of: date, hint: date | None = None) -> date | None:
    """The birth date a NIK encodes, with the century chosen against ``as_of``.

    With ``hint`` (the roster's birth date) whose two-digit year matches, the hint's century
    wins. Otherwise the latest century that does not put the birth after ``as_of``.
    """
    if hint is not None and hint.year % 100 == parts.yy:
        d = _make_date(hint.year, parts.month, parts.day)
        if d is not None:
            return d
    century = as_of.year - as_of.year % 100
    for c in (century, century - 100):
        d = _make_date(c + parts.yy, parts.month, parts.day)
        if d is not None and d <= as_of:
            return d
    return None


def encode(kecamatan: str, birth_date: date, sex: str, serial: int | str) -> str:
    """Build a NIK from its fields (used by the sample generator and by tests)."""
    if not re.fullmatch(r"\d{6}", kecamatan):
        raise ValueError("kecamatan code must be 6 digits")
    if sex not in ("L", "P"):
        raise ValueError("sex must be L or P")
    serial_s = f"{int(serial):04d}"
    if len(serial_s) != 4:
        raise ValueError("serial must be 0-9999")
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{kecamatan}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial_s}"


@dataclass(frozen=True)
class NikCheck:
    """The result of checking one NIK: its decoded fields (when readable) and the findings."""

    nik: str
    parts: NikParts | None = None
    birth_date: date | None = None
    province_name: str | None = None
    regency_name: str | None = None
    kecamatan_name: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == Severity.ERROR for f in self.findings)

    @property
    def sex(self) -> str | None:
        return self.parts.sex if self.parts else None

    def to_dict(self, translate=lambda s: s) -> dict:
        p = self.parts
        return {
            "nik": self.nik,
            "valid": self.ok,
            "province_code": p.province if p else None,
            "province": self.province_name,
            "regency_code": p.regency if p else None,
            "regency": self.regency_name,
            "kecamatan_code": p.kecamatan if p else None,
            "kecamatan": self.kecamatan_name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": p.sex if p else None,
            "serial": p.serial if p else None,
            "findings": [f.to_dict(translate) for f in self.findings],
        }


def _f(finding_code: str, sev: Severity, msg: str, **params) -> Finding:
    return Finding(code=finding_code, severity=sev, message=msg, params=params, field="nik")


def check(
    raw: object,
    *,
    as_of: date,
    birth_date: date | None = None,
    sex: str | None = None,
    drive_regency: str | None = None,
    regions: RegionTable = DEFAULT_REGIONS,
) -> NikCheck:
    """Decode and check a NIK. ``birth_date``/``sex`` are the roster's values to compare with.

    Errors: not 16 digits, impossible date, unknown province, birth after ``as_of``.
    Warnings: region outside the drive's regency (including codes from before a regency split),
    unknown regency or kecamatan, date or sex disagreeing with the roster, serial 0000.
    """
    nik = clean(raw) if raw is not None else ""
    if not nik:
        return NikCheck(nik="", findings=[_f("nik.missing", Severity.ERROR, N_("NIK is empty"))])
    parts = split(nik)
    if parts is None:
        if not nik.isdigit():
            return NikCheck(nik=nik, findings=[_f("nik.not_digits", Severity.ERROR,
                                                  N_("NIK {nik} contains characters other than digits"), nik=nik)])
        return NikCheck(nik=nik, findings=[_f("nik.length", Severity.ERROR,
                                              N_("NIK {nik} has {n} digits, not 16"), nik=nik, n=len(nik))])
    findings: list[Finding] = []
    prov = regions.province(parts.province)
    if prov is None:
        findings.append(_f("nik.province_unknown", Severity.ERROR,
                           N_("NIK {nik}: province code {code} does not exist"), nik=nik, code=parts.province))
    reg = regions.regency(parts.regency)
    kec = regions.kecamatan_name(parts.kecamatan)
    if prov is not None and reg is None and parts.province in regions.regency_provinces:
        findings.append(_f("nik.regency_unknown", Severity.WARNING,
                           N_("NIK {nik}: regency code {code} is not known"), nik=nik, code=parts.regency))
    if drive_regency and parts.regency != drive_regency:
        parent = SPLIT_FROM.get(drive_regency)
        if parent and parts.regency == parent[0]:
            findings.append(_f("nik.region_before_split", Severity.WARNING,
                               N_("NIK {nik} carries regency code {code} ({name}), issued before {year} when "
                                  "the regency was split off; the person may still live here"),
                               nik=nik, code=parts.regency, name=reg or "", year=parent[1]))
        else:
            findings.append(_f("nik.region_outside", Severity.WARNING,
                               N_("NIK {nik} was issued outside the drive's regency (code {code}{name})"),
                               nik=nik, code=parts.regency, name=f" {reg}" if reg else ""))
    elif drive_regency and kec is None and regions.kecamatan_of(drive_regency):
        findings.append(_f("nik.kecamatan_unknown", Severity.WARNING,
                           N_("NIK {nik}: kecamatan code {code} does not exist in this regency"),
                           nik=nik, code=parts.kecamatan))
    born = resolve_birth_date(parts, as_of, hint=birth_date)
    if born is None:
        century = as_of.year - as_of.year % 100
        if all(_make_date(c + parts.yy, parts.month, parts.day) is None for c in (century, century - 100)):
            findings.append(_f("nik.date_invalid", Severity.ERROR,
                               N_("NIK {nik}: digits 7-12 ({digits}) are not a possible birth date"),
                               nik=nik, digits=nik[6:12]))
        else:
            findings.append(_f("nik.date_future", Severity.ERROR,
                               N_("NIK {nik}: the birth date it encodes lies after {as_of}"), nik=nik, as_of=as_of))
    if born is not None and birth_date is not None and born != birth_date:
        findings.append(_f("nik.birthdate_mismatch", Severity.WARNING,
                           N_("NIK {nik} encodes birth date {nik_date}, the roster says {roster_date}"),
                           nik=nik, nik_date=born, roster_date=birth_date))
    if sex in ("L", "P") and sex != parts.sex:
        findings.append(_f("nik.sex_mismatch", Severity.WARNING,
                           N_("NIK {nik} encodes sex {nik_sex}, the roster says {roster_sex}"),
                           nik=nik, nik_sex=parts.sex, roster_sex=sex))
    if parts.serial == "0000":
        findings.append(_f("nik.serial_zero", Severity.WARNING, N_("NIK {nik} has serial 0000"), nik=nik))
    return NikCheck(nik=nik, parts=parts, birth_date=born, province_name=prov, regency_name=reg,
                    kecamatan_name=kec, findings=findings)

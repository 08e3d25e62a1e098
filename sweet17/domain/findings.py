"""Findings: anomalies in data, reported with a severity, never raised as exceptions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sweet17.i18n import N_


class Severity(StrEnum):
    ERROR = "error"      # the value cannot be used (blocks recording until fixed)
    WARNING = "warning"  # usable, but someone should look at it
    INFO = "info"


SEVERITY_LABELS = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning"), Severity.INFO: N_("info")}


@dataclass(frozen=True)
class Finding:
    """One anomaly. ``message`` is an English template (marked with N_), ``params`` fill it."""

    code: str
    severity: Severity
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str = ""

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        return translate(self.message).format(**self.params)

    def to_dict(self, translate: Callable[[str], str] = lambda s: s) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "field": self.field,
            "message": self.render(translate),
            "params": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.params.items()},
        }


def worst(findings: list[Finding]) -> Severity | None:
    order = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    for sev in order:
        if any(f.severity == sev for f in findings):
            return sev
    return None

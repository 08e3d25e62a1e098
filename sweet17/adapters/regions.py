"""Indonesia's regency names from python-stdnum's region table (``stdnum/id/loc.dat``).

Only the names are taken from it (python-stdnum's NIK date logic is not used: it resolves a 2008
birth year to 1908). The table predates the provinces created after 2012 (65 Kalimantan Utara and
the new Papua provinces), so those provinces' regencies stay unknown and are never flagged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from sweet17.domain.regions import BALANGAN_KECAMATAN, KALSEL_REGENCIES, PROVINCES, RegionTable

_LINE = re.compile(r'^(\s*)(\d{2})\s+.*?name_id="([^"]+)"')


def parse_loc_dat(text: str) -> dict[str, str]:
    """'6371' -> 'Banjarmasin' for every regency/city line of stdnum's loc.dat."""
    out: dict[str, str] = {}
    province = None
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        indent, code, name = m.groups()
        if not indent:
            province = code
        elif province:
            out[province + code] = name.title()
    return out


@lru_cache(maxsize=1)
def national_regions() -> RegionTable:
    """Every province, every regency python-stdnum knows (Kalimantan Selatan's names from sweet17's
    own table), and Balangan's kecamatan."""
    text = resources.files("stdnum").joinpath("id/loc.dat").read_text(encoding="utf-8")
    regencies = parse_loc_dat(text)
    regencies.update(KALSEL_REGENCIES)
    complete = frozenset(code[:2] for code in regencies)
    return RegionTable(provinces=dict(PROVINCES), regencies=regencies, kecamatan=dict(BALANGAN_KECAMATAN),
                       regency_provinces=complete)

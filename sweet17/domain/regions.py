"""Region codes (Kemendagri): provinces, the regencies we need by name, Balangan's kecamatan.

The full regency table is not embedded here: ``sweet17.adapters.regions.national_regions()``
builds a ``RegionTable`` from python-stdnum's table (which lacks the provinces created after
2012; their names are listed below, their regencies are then simply unknown, never flagged).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROVINCES: dict[str, str] = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung", "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau", "31": "DKI Jakarta", "32": "Jawa Barat", "33": "Jawa Tengah",
    "34": "DI Yogyakarta", "35": "Jawa Timur", "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur", "61": "Kalimantan Barat", "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan", "64": "Kalimantan Timur", "65": "Kalimantan Utara",
    "71": "Sulawesi Utara", "72": "Sulawesi Tengah", "73": "Sulawesi Selatan", "74": "Sulawesi Tenggara",
    "75": "Gorontalo", "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara", "91": "Papua Barat",
    "92": "Papua Barat Daya", "94": "Papua", "95": "Papua Selatan", "96": "Papua Tengah",
    "97": "Papua Pegunungan",
}

KALSEL_REGENCIES: dict[str, str] = {
    "6301": "Tanah Laut", "6302": "Kotabaru", "6303": "Banjar", "6304": "Barito Kuala", "6305": "Tapin",
    "6306": "Hulu Sungai Selatan", "6307": "Hulu Sungai Tengah", "6308": "Hulu Sungai Utara",
    "6309": "Tabalong", "6310": "Tanah Bumbu", "6311": "Balangan", "6371": "Banjarmasin",
    "6372": "Banjarbaru",
}

BALANGAN = "6311"
BALANGAN_KECAMATAN: dict[str, str] = {
    "631101": "Juai", "631102": "Halong", "631103": "Awayan", "631104": "Batu Mandi",
    "631105": "Lampihong", "631106": "Paringin", "631107": "Paringin Selatan", "631108": "Tebing Tinggi",
}

# Regencies that were split: NIKs issued before the split carry the parent's code.
# Balangan was formed from Hulu Sungai Utara in 2003.
SPLIT_FROM: dict[str, tuple[str, int]] = {"6311": ("6308", 2003)}


@dataclass(frozen=True)
class RegionTable:
    """Names of regions by code: provinces (2 digits), regencies (4), kecamatan (6)."""

    provinces: dict[str, str] = field(default_factory=lambda: dict(PROVINCES))
    regencies: dict[str, str] = field(default_factory=lambda: dict(KALSEL_REGENCIES))
    kecamatan: dict[str, str] = field(default_factory=lambda: dict(BALANGAN_KECAMATAN))
    # Provinces whose regencies are all listed: an unknown regency code there is a finding.
    regency_provinces: frozenset[str] = frozenset({"63"})

    def province(self, code: str) -> str | None:
        return self.provinces.get(code[:2])

    def regency(self, code: str) -> str | None:
        return self.regencies.get(code[:4])

    def kecamatan_name(self, code: str) -> str | None:
        return self.kecamatan.get(code[:6])

    def kecamatan_of(self, regency: str) -> dict[str, str]:
        return {c: n for c, n in self.kecamatan.items() if c.startswith(regency)}


DEFAULT_REGIONS = RegionTable()


def normalise_place(name: str) -> str:
    """'Kec. Paringin Selatan' -> 'paringin selatan' (for joining Dapodik names to codes)."""
    s = " ".join(name.replace(".", ". ").split()).lower()
    for prefix in ("kecamatan ", "kec. ", "kec ", "kabupaten ", "kab. ", "kab ", "kota ", "provinsi ", "prov. "):
        if s.startswith(prefix):
            s = s[len(prefix):]
    return s.strip()


def kecamatan_code_by_name(name: str, table: RegionTable = DEFAULT_REGIONS) -> str | None:
    wanted = normalise_place(name)
    for code, kname in table.kecamatan.items():
        if normalise_place(kname) == wanted:
            return code
    return None

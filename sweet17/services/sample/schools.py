"""The sample regency: Balangan's eight kecamatan and about 22 upper-secondary schools.

School names follow the official patterns (SMA NEGERI 1 <KECAMATAN>, MA NEGERI 1 BALANGAN, private
madrasah and vocational schools with foundation names) but the list, the NPSNs, the sizes, the
addresses and the coordinates are made up for the sample; do not use them as reference data.
Coordinates are approximate kecamatan centres plus a small offset; travel minutes are one way by
car or motorbike from the Disdukcapil office in Paringin (the Meratus foothills in Halong and
Tebing Tinggi take up to two hours).
"""

from __future__ import annotations

from dataclasses import dataclass

from sweet17.domain.regions import BALANGAN_KECAMATAN

# Approximate centre of each kecamatan (lat, lon).
KECAMATAN_CENTRE: dict[str, tuple[float, float]] = {
    "631101": (-2.205, 115.560),   # Juai
    "631102": (-2.225, 115.700),   # Halong
    "631103": (-2.445, 115.540),   # Awayan
    "631104": (-2.240, 115.400),   # Batu Mandi
    "631105": (-2.330, 115.360),   # Lampihong
    "631106": (-2.333, 115.466),   # Paringin
    "631107": (-2.392, 115.478),   # Paringin Selatan
    "631108": (-2.520, 115.720),   # Tebing Tinggi
}

# Which kecamatan border which (students often hold a NIK from the next kecamatan).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "631106": ("631107", "631105", "631104", "631101", "631103"),
    "631107": ("631106", "631103", "631105"),
    "631105": ("631106", "631104", "631107"),
    "631104": ("631106", "631105", "631101"),
    "631101": ("631104", "631106", "631102"),
    "631102": ("631101", "631103", "631108"),
    "631103": ("631106", "631107", "631102", "631108"),
    "631108": ("631103", "631102"),
}

POSTCODE: dict[str, str] = {
    "631101": "71665", "631102": "71666", "631103": "71664", "631104": "71663",
    "631105": "71661", "631106": "71662", "631107": "71662", "631108": "71664",
}

VILLAGES: dict[str, tuple[str, ...]] = {
    "631101": ("Juai", "Lalayau", "Sirap", "Buntu Karau", "Mihu", "Sungai Batung", "Bata", "Wonorejo"),
    "631102": ("Halong", "Binjai Punggal", "Mamantang", "Aniungan", "Uren", "Liyu", "Kapul", "Sumber Agung"),
    "631103": ("Awayan", "Sikontan", "Putat Basiun", "Pulantan", "Badalungga", "Tundakan", "Ambakiang", "Baru"),
    "631104": ("Batumandi", "Mampari", "Guntung", "Pelajau", "Munjung", "Karuh", "Bakung", "Hamarung"),
    "631105": ("Lampihong Kanan", "Lampihong Selatan", "Simpang Tiga", "Kupang", "Matang Hanau", "Pimping",
               "Sungsum", "Tampang"),
    "631106": ("Paringin Kota", "Paringin Timur", "Lasung Batu", "Murung Jambu", "Balida", "Layap",
               "Lok Batung", "Mangkayahu", "Babayau", "Hujan Mas"),
    "631107": ("Batu Piring", "Lamida Atas", "Tanah Habang", "Galumbang", "Bungin", "Halubau", "Teluk Karya",
               "Kusambi Hulu"),
    "631108": ("Dayak Pitap", "Ajung", "Mayanau", "Tebing Tinggi", "Langkap", "Kambiyain", "Auh",
               "Simpang Bumbuan"),
}

# Places of birth written on rosters, by kecamatan of the NIK (plus the hospitals nearby).
BIRTHPLACES: dict[str, tuple[str, ...]] = {code: (name.upper(), "BALANGAN", "PARINGIN", "AMUNTAI")
                                           for code, name in BALANGAN_KECAMATAN.items()}
OTHER_BIRTHPLACES = ("AMUNTAI", "BARABAI", "TANJUNG", "BANJARMASIN", "KANDANGAN", "MARTAPURA")

OFFICE = {
    "name": "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Balangan",
    "address": "Kawasan Perkantoran Pemerintah Kabupaten Balangan, Paringin",
    "lat": -2.3336,
    "lon": 115.4712,
}


@dataclass(frozen=True)
class SchoolSpec:
    """A sample school. ``weight`` sets its share of the students; ``programs`` its class streams."""

    code: str
    name: str
    kind: str                    # SMA, SMK, MA
    negeri: bool
    kecamatan_code: str
    travel_minutes: int
    weight: float
    programs: tuple[str, ...]
    days: str                    # mon-fri or mon-sat
    village: str
    offset: tuple[float, float]  # from the kecamatan centre (degrees)
    npsn: str

    @property
    def kecamatan(self) -> str:
        return BALANGAN_KECAMATAN[self.kecamatan_code]

    @property
    def lat(self) -> float:
        return round(KECAMATAN_CENTRE[self.kecamatan_code][0] + self.offset[0], 5)

    @property
    def lon(self) -> float:
        return round(KECAMATAN_CENTRE[self.kecamatan_code][1] + self.offset[1], 5)

    @property
    def address(self) -> str:
        return f"{STREETS[self.code]}, Desa {self.village}, Kec. {self.kecamatan}"


SMA = ("IPA", "IPS")
MA = ("IPA", "IPS", "AGAMA")

SCHOOLS: tuple[SchoolSpec, ...] = (
    SchoolSpec("sman1-paringin", "SMA NEGERI 1 PARINGIN", "SMA", True, "631106", 8, 2.3, SMA, "mon-fri",
               "Paringin Kota", (0.004, 0.002), "30990101"),
    SchoolSpec("sman2-paringin", "SMA NEGERI 2 PARINGIN", "SMA", True, "631106", 14, 1.4, SMA, "mon-fri",
               "Lasung Batu", (-0.012, 0.018), "30990102"),
    SchoolSpec("smkn1-paringin", "SMK NEGERI 1 PARINGIN", "SMK", True, "631106", 11, 2.0,
               ("TKJ", "TKR", "AKL", "MPLB"), "mon-fri", "Paringin Timur", (0.008, 0.011), "30990103"),
    SchoolSpec("man1-balangan", "MA NEGERI 1 BALANGAN", "MA", True, "631106", 6, 1.6, MA, "mon-sat",
               "Murung Jambu", (-0.005, -0.006), "30990104"),
    SchoolSpec("smait-paringin", "SMA ISLAM TERPADU NURUL ILMI PARINGIN", "SMA", False, "631106", 12, 0.5, ("IPA",),
               "mon-sat", "Balida", (0.015, -0.010), "30990105"),
    SchoolSpec("sman1-paringin-selatan", "SMA NEGERI 1 PARINGIN SELATAN", "SMA", True, "631107", 20, 1.1, SMA,
               "mon-fri", "Batu Piring", (0.002, 0.004), "30990106"),
    SchoolSpec("ma-nurul-hidayah", "MA NURUL HIDAYAH BATU PIRING", "MA", False, "631107", 23, 0.5, MA, "mon-sat",
               "Batu Piring", (-0.006, 0.009), "30990107"),
    SchoolSpec("sman1-lampihong", "SMA NEGERI 1 LAMPIHONG", "SMA", True, "631105", 28, 1.3, SMA, "mon-fri",
               "Lampihong Kanan", (0.003, -0.004), "30990108"),
    SchoolSpec("smkn1-lampihong", "SMK NEGERI 1 LAMPIHONG", "SMK", True, "631105", 32, 1.0, ("ATPH", "TBSM", "AKL"),
               "mon-fri", "Simpang Tiga", (-0.010, 0.008), "30990109"),
    SchoolSpec("ma-darul-ulum", "MA DARUL ULUM LAMPIHONG", "MA", False, "631105", 35, 0.4, ("IPS", "AGAMA"),
               "mon-sat", "Kupang", (0.012, -0.015), "30990110"),
    SchoolSpec("sman1-batumandi", "SMA NEGERI 1 BATU MANDI", "SMA", True, "631104", 30, 1.2, SMA, "mon-fri",
               "Batumandi", (0.001, 0.002), "30990111"),
    SchoolSpec("smkn1-batumandi", "SMK NEGERI 1 BATU MANDI", "SMK", True, "631104", 34, 0.9, ("TKR", "TITL", "TKJ"),
               "mon-fri", "Mampari", (-0.011, 0.012), "30990112"),
    SchoolSpec("man2-balangan", "MA NEGERI 2 BALANGAN", "MA", True, "631104", 27, 0.9, MA, "mon-sat",
               "Guntung", (0.010, 0.020), "30990113"),
    SchoolSpec("sman1-awayan", "SMA NEGERI 1 AWAYAN", "SMA", True, "631103", 40, 1.1, SMA, "mon-fri",
               "Awayan", (0.002, -0.003), "30990114"),
    SchoolSpec("ma-nurul-falah", "MA NURUL FALAH AWAYAN", "MA", False, "631103", 46, 0.4, ("IPA", "AGAMA"),
               "mon-sat", "Sikontan", (-0.013, 0.010), "30990115"),
    SchoolSpec("sman1-juai", "SMA NEGERI 1 JUAI", "SMA", True, "631101", 52, 1.0, SMA, "mon-fri",
               "Juai", (0.003, 0.001), "30990116"),
    SchoolSpec("smk-karya-bakti", "SMK KARYA BAKTI JUAI", "SMK", False, "631101", 57, 0.4, ("TKR", "ATPH"),
               "mon-sat", "Lalayau", (-0.009, -0.012), "30990117"),
    SchoolSpec("sman1-halong", "SMA NEGERI 1 HALONG", "SMA", True, "631102", 78, 1.0, SMA, "mon-fri",
               "Halong", (0.002, 0.003), "30990118"),
    SchoolSpec("smkn1-halong", "SMK NEGERI 1 HALONG", "SMK", True, "631102", 84, 0.7, ("ATPH", "TKR"),
               "mon-fri", "Binjai Punggal", (-0.012, 0.014), "30990119"),
    SchoolSpec("ma-raudhatul-jannah", "MA RAUDHATUL JANNAH HALONG", "MA", False, "631102", 88, 0.3, ("IPS", "AGAMA"),
               "mon-sat", "Mamantang", (0.015, -0.011), "30990120"),
    SchoolSpec("sman1-tebing-tinggi", "SMA NEGERI 1 TEBING TINGGI", "SMA", True, "631108", 112, 0.6, SMA, "mon-sat",
               "Tebing Tinggi", (0.004, -0.002), "30990121"),
    SchoolSpec("ma-nurul-iman", "MA NURUL IMAN TEBING TINGGI", "MA", False, "631108", 120, 0.25, ("AGAMA",),
               "mon-sat", "Dayak Pitap", (-0.018, 0.022), "30990122"),
)

STREETS: dict[str, str] = {
    "sman1-paringin": "Jl. Ahmad Yani Km 1", "sman2-paringin": "Jl. Pendidikan No. 2",
    "smkn1-paringin": "Jl. Jend. Sudirman Km 3", "man1-balangan": "Jl. Pangeran Antasari No. 17",
    "smait-paringin": "Jl. Tugu Obor RT 04", "sman1-paringin-selatan": "Jl. Batu Piring Km 6",
    "ma-nurul-hidayah": "Jl. Pesantren RT 02", "sman1-lampihong": "Jl. Raya Lampihong No. 9",
    "smkn1-lampihong": "Jl. Simpang Tiga RT 01", "ma-darul-ulum": "Jl. Masjid Al-Falah RT 03",
    "sman1-batumandi": "Jl. Trans Kalimantan Km 12", "smkn1-batumandi": "Jl. Mampari RT 05",
    "man2-balangan": "Jl. Guntung Raya No. 4", "sman1-awayan": "Jl. Awayan Raya No. 1",
    "ma-nurul-falah": "Jl. Sikontan RT 02", "sman1-juai": "Jl. Juai - Halong Km 2",
    "smk-karya-bakti": "Jl. Lalayau RT 06", "sman1-halong": "Jl. Poros Halong No. 8",
    "smkn1-halong": "Jl. Binjai Punggal RT 01", "ma-raudhatul-jannah": "Jl. Mamantang RT 03",
    "sman1-tebing-tinggi": "Jl. Poros Tebing Tinggi Km 1", "ma-nurul-iman": "Jl. Dayak Pitap RT 02",
}

# Junior secondary schools the students came from, by kecamatan.
FEEDER_SCHOOLS: dict[str, tuple[str, ...]] = {
    code: (f"SMP NEGERI 1 {name.upper()}", f"SMP NEGERI 2 {name.upper()}", f"MTS NEGERI {i} BALANGAN",
           f"MTS DARUSSALAM {name.upper()}")
    for i, (code, name) in enumerate(BALANGAN_KECAMATAN.items(), 1)
}

# Travel between schools where the road does not follow the straight line (minutes).
TRAVEL_BETWEEN: tuple[tuple[str, str, int], ...] = (
    ("sman1-halong", "sman1-tebing-tinggi", 95),
    ("smkn1-halong", "ma-nurul-iman", 100),
)

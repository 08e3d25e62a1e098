"""Synthetic Banjar and Indonesian names, and the spelling variants registries carry.

Every person the sample generator makes is built from these word lists at random: no real
person's name is stored. The lists follow how names are actually formed in Hulu Sungai (Banjar
names with Muhammad/Ahmad, Noor/Nor, the -noor and -syah endings, the noble title Gusti; a few
Dayak Meratus Christian names in Halong and Tebing Tinggi), so that importers and fuzzy matching
meet realistic data.
"""

from __future__ import annotations

import random

MALE_GIVEN = (
    "RIZKY", "RAHMADI", "JUMBERI", "RUSDIANSYAH", "MAHLIANOOR", "SYAHRANI", "FAUZAN", "HAIRIL", "FAHRUL",
    "ARBAIN", "SUPIANI", "HAMDANI", "RAHMAT", "SAPRUDIN", "ILHAM", "HAFIZ", "RIDHO", "FAJAR", "ALDI",
    "DIMAS", "REZA", "ALFIAN", "IRFAN", "YUSUF", "HENDRA", "ABDURRAHMAN", "HASBULLAH", "SYARIFUDIN",
    "RUDIANSYAH", "NURDIANSYAH", "MAULANA", "ADITYA", "RAFI", "GALIH", "RIDUAN", "ZAINAL", "AMINULLAH",
    "BASUNI", "JUHRIANSYAH", "NORHADI", "FADILLAH", "TAUFIK", "WAHYUDI", "FIRDAUS", "KHAIRULLAH",
    "MUHLIS", "RAMADHANI", "ALFARIZI", "RAHMADANI", "SAPUTRA", "ANSHARI", "FIKRI", "HIDAYAT", "IQBAL",
    "RIFQI", "NAZAR", "ZULKIFLI", "HUSIN", "MURSYID", "HAMIDI", "ARDIANSYAH", "AKBAR", "FATHURRAHMAN",
    "SALMANOOR", "AHMADNOOR", "MAHYUDIN", "NORDIN", "SAHRIL", "HAIRUDIN", "AGUS", "BAHRUDIN", "RIFANI",
    "HERIANSYAH", "RAIHAN", "NAUFAL", "ARYA", "DAFFA", "FARHAN", "ZAKI", "HABIBI", "RASYID", "ANWAR",
    "MAULIDI", "SAIFUL", "JAINUDIN", "RIYADI", "YAMANI", "HAPIANSYAH", "MIRHAN", "SUHAIMI", "NASRULLAH",
)

FEMALE_GIVEN = (
    "AULIA", "FITRIANI", "NABILA", "HAIRUNNISA", "SYAHRANI", "RAHMAH", "ANNISA", "NORHAYATI", "RUSMIATI",
    "MAHDALENA", "FATIMAH", "ZAHRA", "SALSABILA", "NADIA", "PUTRI", "RINA", "DEWI", "RAHMAWATI", "HUSNUL",
    "KHOTIMAH", "MAULIDA", "AYU", "LAILA", "RABIATUL", "ADAWIYAH", "NAFISAH", "HAMIDAH", "HALIMAH",
    "WULANDARI", "YULIANI", "SARAH", "AISYAH", "MARIATUL", "QIBTIYAH", "JAMILAH", "RAUDAH", "NORMILA",
    "NORLATIFAH", "RISNA", "HELDA", "SYARIFAH", "AINUN", "JARIYAH", "FADHILAH", "NADYA", "AMELIA", "DINA",
    "MULYANI", "RIZKA", "MARDIANA", "NOORHASANAH", "HAFSAH", "ZULAIHA", "MASITAH", "ELIYANI", "NORJANAH",
    "RAHMIDA", "SAUDAH", "HIKMAH", "NURHALIZA", "SELVIANA", "INAYAH", "MUTIARA", "KHAIRIAH", "FAUZIAH",
    "NORSIAH", "HIDAYATI", "RAMADHANI", "SALWA", "ALYA", "KEISYA", "NAILA", "AZZAHRA", "FEBRIANI",
)

# Leading words: "MUHAMMAD RIZKY", "SITI AULIA", "NOOR HIDAYAH"...
MALE_LEAD = ("MUHAMMAD", "MUHAMMAD", "MUHAMMAD", "AHMAD", "AKHMAD", "M.", "NOOR", "NOR", "ABDUL")
FEMALE_LEAD = ("SITI", "SITI", "NOOR", "NOR", "NUR", "NURUL", "RAHMI", "DEWI", "PUTRI")
# Single-word names are common in Banjar families.
MALE_SINGLE = ("RAHMADI", "JUMBERI", "RUSDIANSYAH", "MAHLIANOOR", "SYAHRANI", "SAPRUDIN", "ARBAIN",
               "SUPIANI", "HAMDANI", "JUHRIANSYAH", "NORHADI", "SALMANOOR", "AHMADNOOR", "HAPIANSYAH",
               "RIDUAN", "BASUNI", "MIRHAN", "HERIANSYAH", "RUDIANSYAH", "YAMANI")
FEMALE_SINGLE = ("HAIRUNNISA", "NORHAYATI", "RUSMIATI", "MAHDALENA", "NORMILA", "NORLATIFAH",
                 "NOORHASANAH", "NORJANAH", "FITRIANI", "SYAHRANI", "RAHMIDA", "NORSIAH", "MASITAH")

# Dayak Meratus families (Halong, Tebing Tinggi): Christian or Kaharingan given names.
CHRISTIAN_MALE = ("YOHANES", "DANIEL", "MARKUS", "YOSUA", "PETRUS", "STEFANUS", "ANDREAS", "YAKOBUS", "NATANAEL")
CHRISTIAN_FEMALE = ("MARIA", "LIDIA", "NATALIA", "KRISTINA", "DEBORA", "AGNES", "MARTA", "YOHANA", "ELISABET")
DAYAK_SECOND = ("DEWANTO", "SUPRIADI", "ARIANTO", "LUSIANA", "SETIAWAN", "HARIANTO", "SUSANTI", "KURNIAWAN",
                "PRATAMA", "LESTARI", "RIYANTO", "WIDIA")

# Parents: older Banjar names.
FATHER = ("ABDUL HAMID", "SAPRUDIN", "JUMBERI", "ASLANI", "ARBAIN", "MAHLIANSYAH", "SYAMSUDIN", "ABDULLAH",
          "RUSLAN", "HAMDAN", "MASRANI", "SAHRANI", "JUHDI", "BAHRANI", "MARJUKI", "ISMAIL", "HASANI",
          "ASMUNI", "NORHASAN", "ZAINUDIN", "MUHAMMAD YUSRAN", "AHMAD FAUZI", "SAMSUL ARIFIN", "ANTUNG ASLI",
          "BASRI", "JAMHURI", "RASIDI", "AKHMAD HIDAYAT", "SUPIAN NOOR", "HERMANSYAH", "KASRANI", "ALIANSYAH")
MOTHER = ("NORJANAH", "HALIMAH", "RUSMILAWATI", "SITI AISYAH", "MASRAH", "JUMIATI", "NORBAYAH", "FAHRIAH",
          "ASNAH", "MARIAM", "NORHIDAYAH", "SITI RAHMAH", "HAMSIAH", "SALAMAH", "NURLIANI", "RUSMINI",
          "MAHMUDAH", "SAUDAH", "NOOR ASIAH", "HERLINA", "MURNI", "SITI HAWA", "JUNAIDAH", "ANISAH", "ROSIDAH",
          "NORMAH", "RABIAH", "ZUBAIDAH", "SUMIATI", "NOORHAYATI")

# Foreign students: Malaysian-style names (children of plantation and mining staff).
FOREIGN_MALE = ("MUHAMMAD HAZIQ BIN ROSLAN", "AHMAD DANIAL BIN ISMAIL", "MUHAMMAD IRFAN BIN AZMAN",
                "NUR AIMAN BIN ZULKIFLI")
FOREIGN_FEMALE = ("NUR AQILAH BINTI HASHIM", "SITI NUR AISYAH BINTI RAZAK", "NURUL IZZATI BINTI SALLEH",
                  "AIN SOFEA BINTI KAMAL")
FOREIGN_BIRTHPLACES = ("KUALA LUMPUR", "KOTA KINABALU", "KUCHING", "TAWAU", "SANDAKAN")

# Spellings the population registry (SIAK) and a school often disagree on.
SPELLING_VARIANTS: dict[str, tuple[str, ...]] = {
    "MUHAMMAD": ("MUHAMAD", "MOHAMMAD", "MUHAMMAD"),
    "M.": ("MUHAMMAD", "MUHAMAD"),
    "AHMAD": ("AKHMAD", "ACHMAD"),
    "AKHMAD": ("AHMAD",),
    "NOOR": ("NOR", "NUR"),
    "NOR": ("NOOR",),
    "NUR": ("NOOR", "NUUR"),
    "RIZKY": ("RIZKI", "RISKY"),
    "FITRIANI": ("FITRIYANI",),
    "AULIA": ("AULYA", "AULIYA"),
    "SYAHRANI": ("SAHRANI", "SYAHRANIE"),
    "HAIRUNNISA": ("KHAIRUNNISA", "HAIRUNISA"),
    "RAHMADI": ("RAHMADY", "RACHMADI"),
    "MAHLIANOOR": ("MAHLIANOR", "MAHLIANUR"),
    "NABILA": ("NABILAH",),
    "SITI": ("SITTI",),
    "ANNISA": ("ANISA", "ANNISAA"),
    "FADHILAH": ("FADILAH",),
    "ZAHRA": ("ZAHRAH",),
    "NORHAYATI": ("NOORHAYATI", "NURHAYATI"),
    "RUSDIANSYAH": ("RUSDIANSAH",),
    "HIDAYAT": ("HIDAYATT", "HIDAYATULLAH"),
    "SYARIFUDIN": ("SYARIFUDDIN", "SARIFUDIN"),
    "FAUZAN": ("FAWZAN",),
    "SALMANOOR": ("SALMANOR",),
    "AHMADNOOR": ("AHMADNOR", "AHMAD NOOR"),
}


def student_name(rng: random.Random, sex: str, *, dayak: bool = False) -> str:
    """A synthetic student name in capitals (1-3 words)."""
    if dayak:
        first = rng.choice(CHRISTIAN_MALE if sex == "L" else CHRISTIAN_FEMALE)
        return f"{first} {rng.choice(DAYAK_SECOND)}" if rng.random() < 0.85 else first
    given = MALE_GIVEN if sex == "L" else FEMALE_GIVEN
    lead = MALE_LEAD if sex == "L" else FEMALE_LEAD
    single = MALE_SINGLE if sex == "L" else FEMALE_SINGLE
    r = rng.random()
    if r < 0.12:
        return rng.choice(single)
    if r < 0.47:
        words = [rng.choice(lead), rng.choice(given)]
    elif r < 0.57:
        words = [rng.choice(lead), rng.choice(given), rng.choice(given)]
    elif r < 0.62:
        words = ["GUSTI", rng.choice(given)] if rng.random() < 0.6 else ["GUSTI", rng.choice(lead), rng.choice(given)]
    else:
        words = [rng.choice(given), rng.choice(given)]
    out: list[str] = []
    for w in words:  # no word twice ("RIDHO RIDHO")
        if w not in out and not (w in ("NOOR", "NOR", "NUR") and {"NOOR", "NOR", "NUR"} & set(out)):
            out.append(w)
    return " ".join(out)


def full_name(name: str) -> str:
    """The name as the population registry holds it: abbreviations written out ("M." -> "MUHAMMAD")."""
    return " ".join("MUHAMMAD" if w == "M." else w for w in name.split())


def parent_name(rng: random.Random, sex: str) -> str:
    name = rng.choice(FATHER if sex == "L" else MOTHER)
    if rng.random() < 0.12:  # hajj title
        name = ("H. " if sex == "L" else "HJ. ") + name
    return name


def spelling_variant(rng: random.Random, name: str) -> str | None:
    """The same name as another office might spell it (one word changed), or None if no rule applies."""
    words = name.split()
    candidates = [i for i, w in enumerate(words) if w in SPELLING_VARIANTS]
    if not candidates:
        return None
    i = rng.choice(candidates)
    options = [v for v in SPELLING_VARIANTS[words[i]] if v != words[i]]
    words[i] = rng.choice(options)
    return " ".join(words)


def title_case(name: str) -> str:
    """'MUHAMMAD RIZKY' -> 'Muhammad Rizky' (some operators type names this way)."""
    return " ".join(w.capitalize() for w in name.split())

"""Sample KTPku Datang data for the sample drive: a printed-card list, a complaints register and IKM
survey responses. Synthetic only, deterministic for a seed, dated up to ``today``.

    from sweet17.services.sample_reports import generate_ktpku_datang
    res = generate_ktpku_datang(ws, loaded_drive, seed=17, load=True)

* ``kartu-tercetak.xlsx`` — the printed-card list as the hub or the central system gives it: the
  drive's recordings that reached the hub (nine in ten acknowledged ones, half of the synced
  ones) and about a third of the students recorded before the drive (their cards come back
  through KTPku Datang too); print dates a few days after the recording, never after ``today``;
  card serials; the chip UID for about seven cards in ten (the others are checked by serial).
* ``pengaduan.xlsx`` — about two dozen complaints over the last ten weeks with the channels and
  categories a Dukcapil office sees, most resolved in one to ten days, a few still open.
* ``survei-ikm.xlsx`` — some 150 questionnaires over the last three months from students and
  parents, answered so that the index lands near the office's recent figures (3.32 in 2021,
  3.37 in 2022): cost scores best (the e-KTP is free), completion time and complaint handling
  worst.

With ``load=True`` the three files are imported into the workspace through the same code as
``sweet17 cards import``, ``sweet17 complaint import`` and ``sweet17 ikm import``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.domain.ikm import ELEMENT_NAMES_ID, ELEMENTS
from sweet17.errors import UserError
from sweet17.i18n import _

FOLDER = "ktpku-datang"
CARDS_FILE = "kartu-tercetak.xlsx"
COMPLAINTS_FILE = "pengaduan.xlsx"
SURVEY_FILE = "survei-ikm.xlsx"

# (channel, weight) and (category, weight, complaint text, resolution text) in plain Indonesian.
CHANNELS = (("WhatsApp", 9), ("Langsung", 4), ("Telepon", 3), ("SP4N-LAPOR!", 2), ("Media sosial", 2),
            ("Kotak saran", 1))
CATEGORIES = (
    ("Belum diterima", 6, "KTP-el anak saya belum sampai ke sekolah, padahal teman sekelasnya sudah menerima.",
     "Kartu sudah dicetak; diserahkan pada kunjungan KTPku Datang berikutnya."),
    ("Belum dicetak", 5, "Sudah direkam bulan lalu tetapi status KTP-el belum dicetak.",
     "Data sudah diverifikasi pusat; kartu dicetak dan dikabarkan ke sekolah."),
    ("Antrean", 4, "Antrean perekaman di sekolah lama, siswa menunggu sampai siang.",
     "Jumlah kit ditambah untuk kunjungan berikutnya."),
    ("Data salah", 4, "Tanggal lahir di data sekolah berbeda dengan akta kelahiran.",
     "Data diperbaiki sesuai KK dan akta; perekaman dilanjutkan."),
    ("Jadwal", 3, "Jadwal perekaman bentrok dengan ujian sekolah.",
     "Kunjungan dijadwal ulang setelah ujian."),
    ("Informasi", 2, "Orang tua tidak tahu dokumen apa yang harus dibawa.",
     "Surat pemberitahuan dikirim ulang lewat sekolah dan grup WhatsApp kelas."),
    ("Perekaman", 2, "Sidik jari tidak terbaca, siswa diminta datang lagi.",
     "Perekaman ulang dilakukan di kantor Disdukcapil."),
    ("Salah cetak", 1, "Nama di KTP-el salah satu huruf.", "Kartu dicetak ulang dengan nama yang benar."),
    ("Perilaku petugas", 1, "Petugas kurang ramah saat melayani.", "Petugas dibina oleh kepala bidang."),
)
RESOLVED_SHARE = 0.92
# Mean score per element (1-4) for the sample survey: U4 cost best, U3 time and U8 complaints worst.
ELEMENT_MEANS = {"u1": 3.35, "u2": 3.30, "u3": 3.05, "u4": 3.85, "u5": 3.35, "u6": 3.40, "u7": 3.45, "u8": 2.95,
                 "u9": 3.20}
EDUCATION = ("SMP", "SMA/SMK/MA", "SMA/SMK/MA", "SMA/SMK/MA", "D3", "S1")
OCCUPATION_PARENT = ("Petani", "Pedagang", "Wiraswasta", "PNS", "Karyawan swasta", "Ibu rumah tangga")
SUGGESTIONS = ("", "", "", "Pelayanan sudah baik, pertahankan.", "Mohon jadwal diumumkan lebih awal.",
               "Tambah petugas supaya antrean tidak lama.", "KTP-el cepat dibagikan ke sekolah.",
               "Terima kasih sudah datang ke sekolah.")


@dataclass
class SampleReports:
    folder: Path
    cards: int
    complaints: int
    survey: int
    files: dict[str, str] = field(default_factory=dict)
    loaded: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "cards": self.cards, "complaints": self.complaints,
                "survey_responses": self.survey, "files": self.files, "loaded": self.loaded}


def _weighted(rng: random.Random, items: tuple) -> Any:  # type: ignore[type-arg]
    return rng.choices(items, weights=[i[1] for i in items])[0]


def _score(rng: random.Random, mean: float) -> int:
    """A 1-4 answer whose expected value is ``mean`` (2 <= mean <= 4), mostly 3s and 4s as on real sheets.

    mean >= 3: P(2) = 0.05, P(4) = mean - 2.95, the rest 3 (E = 0.1 + 2.85 + P(4) = mean).
    mean < 3:  P(1) = 0.02, P(4) = 0.05, P(2) = 3.01 - mean, the rest 3 (E = 3.01 - P(2) = mean).
    """
    r = rng.random()
    if mean >= 3:
        p2, p4 = 0.05, mean - 2.95
        return 2 if r < p2 else 4 if r < p2 + p4 else 3
    p1, p4, p2 = 0.02, 0.05, 3.01 - mean
    return 1 if r < p1 else 4 if r < p1 + p4 else 2 if r < p1 + p4 + p2 else 3


def _uid(rng: random.Random) -> str:
    return "04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6))


def _recorded_niks(ws, slug: str) -> list[tuple[str, str, date]]:  # type: ignore[no-untyped-def]
    """(nik, status, date recorded) of the drive's recordings that reached the hub."""
    with ws.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT nik, status, captured_at FROM recording WHERE drive_slug = :d AND nik <> '' AND status IN "
            "('synced', 'acknowledged') ORDER BY captured_at, id"), {"d": slug}).all()
    return [(nik, st, datetime.fromisoformat(at).date()) for nik, st, at in rows]


def _registry_niks(ws, slug: str) -> list[str]:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
        if "registry_match" not in tables:
            return []
        return [r[0] for r in conn.execute(text(
            "SELECT s.nik FROM registry_match m JOIN roster_student s ON s.id = m.student_id WHERE m.drive_slug = :d "
            "AND length(s.nik) = 16 ORDER BY s.id"), {"d": slug})]


def _write(path: Path, header: list[str], rows: list[list[Any]], title: list[str]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Data")
    for t in title:
        sheet.append([t])
    sheet.append([])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)


def generate_ktpku_datang(ws, loaded, *, seed: int = 17, out_dir: Path | None = None,  # type: ignore[no-untyped-def]
                          today: date | None = None, load: bool = False, actor: str = "sample") -> SampleReports:
    """Write the three sample files for the drive (and import them with ``load``). With ``load``, a drive
    whose sample data was loaded before is refused (UserError) before anything is written."""
    from sweet17.services.sample.names import parent_name

    today = today or date.today()
    drive = loaded.drive
    if load:
        with ws.engine.connect() as conn:
            done = conn.execute(text("SELECT imported_at FROM ktpku_import WHERE drive_slug = :d AND file_name IN "
                                     "(:a, :b) LIMIT 1"), {"d": drive.slug, "a": COMPLAINTS_FILE,
                                                           "b": SURVEY_FILE}).scalar()
        if done:
            raise UserError(_("The sample KTPku Datang data of {drive} was already loaded on {date}; use "
                              "--no-load to only write the files.").format(drive=drive.slug, date=done[:10]))
    rng = random.Random(f"ktpku-{seed}-{drive.slug}")
    folder = Path(out_dir) if out_dir else loaded.folder / FOLDER
    res = SampleReports(folder, 0, 0, 0)
    # ------------------------------------------------------------------ printed cards
    cards: list[list[Any]] = []
    for nik, status, recorded_on in _recorded_niks(ws, drive.slug):
        if rng.random() > (0.9 if status == "acknowledged" else 0.5):
            continue
        cards.append([nik, min(today, recorded_on + timedelta(days=rng.randint(3, 10)))])
    registry = _registry_niks(ws, drive.slug)
    for nik in rng.sample(registry, k=len(registry) // 3) if registry else []:
        cards.append([nik, today - timedelta(days=rng.randint(5, 60))])
    rows = []
    for i, (nik, printed) in enumerate(sorted(cards, key=lambda c: (c[1], c[0])), start=1):
        serial = f"{drive.regency_code}{chr(65 + (i // 10000) % 26)}{i:07d}"
        uid = _uid(rng) if rng.random() < 0.7 else ""
        rows.append([i, nik, printed, serial, uid])
    if rows:
        _write(folder / CARDS_FILE, ["No", "NIK", "Tanggal Cetak", "No Seri Kartu", "UID Chip"], rows,
               ["DAFTAR KTP-EL TERCETAK (DATA CONTOH)", f"Kabupaten {drive.regency or drive.regency_code}"])
        res.files["cards"] = str(folder / CARDS_FILE)
    res.cards = len(rows)
    # ------------------------------------------------------------------ complaints
    schools = [s.code for s in drive.schools]
    rows = []
    n = 24
    for _i in range(n):
        received = today - timedelta(days=rng.randint(3, 70))
        channel = _weighted(rng, CHANNELS)[0]
        cat, _w, what, answer = _weighted(rng, CATEGORIES)
        resolved = None
        if rng.random() < RESOLVED_SHARE:
            resolved = min(today, received + timedelta(days=rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5, 7, 10))))
        sex = rng.choice("LP")
        who = parent_name(rng, sex) if rng.random() < 0.6 else ""
        rows.append([received, channel, cat, rng.choice(schools) if rng.random() < 0.8 else "", what,
                     resolved, answer if resolved else "", who.title()])
    rows.sort(key=lambda r: r[0])
    _write(folder / COMPLAINTS_FILE, ["Tanggal Pengaduan", "Saluran", "Kategori", "Kode Sekolah", "Isi Pengaduan",
                                      "Tanggal Selesai", "Tindak Lanjut", "Nama Pengadu"], rows,
           ["REGISTER PENGADUAN (DATA CONTOH)", drive.office.name])
    res.files["complaints"] = str(folder / COMPLAINTS_FILE)
    res.complaints = len(rows)
    # ------------------------------------------------------------------ IKM survey
    rows = []
    for i in range(150):
        answered = today - timedelta(days=rng.randint(0, 90))
        parent = rng.random() < 0.35
        sex = rng.choice("LP")
        age = rng.randint(38, 55) if parent else rng.randint(16, 18)
        scores = [_score(rng, ELEMENT_MEANS[e]) for e in ELEMENTS]
        if rng.random() < 0.03:
            scores[3] = None                          # some leave "cost" empty: the service is free
        rows.append([i + 1, answered, "L" if sex == "L" else "P", age,
                     rng.choice(EDUCATION) if parent else "SMA/SMK/MA",
                     rng.choice(OCCUPATION_PARENT) if parent else "Pelajar", rng.choice(schools), *scores,
                     rng.choice(SUGGESTIONS)])
    rows.sort(key=lambda r: r[1])
    _write(folder / SURVEY_FILE, ["No", "Tanggal", "Jenis Kelamin", "Umur", "Pendidikan", "Pekerjaan", "Kode Sekolah",
                                  *[ELEMENT_NAMES_ID[e] for e in ELEMENTS], "Saran"], rows,
           ["REKAP SURVEI KEPUASAN MASYARAKAT (DATA CONTOH)", "Layanan: perekaman KTP-el di sekolah"])
    res.files["survey"] = str(folder / SURVEY_FILE)
    res.survey = len(rows)
    if load:
        from sweet17.services.cards import import_cards
        from sweet17.services.complaints import import_complaints
        from sweet17.services.reports.ikm import import_survey

        if "cards" in res.files:
            res.loaded["cards"] = import_cards(ws, res.files["cards"], actor=actor, drive_slug=drive.slug, today=today)
        res.loaded["complaints"] = import_complaints(ws, res.files["complaints"], actor=actor, drive_slug=drive.slug,
                                                     today=today)
        res.loaded["survey"] = import_survey(ws, res.files["survey"], actor=actor, drive_slug=drive.slug, today=today)
    return res

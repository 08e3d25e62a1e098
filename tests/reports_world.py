"""A small drive whose every count is known by hand, for the report, status and delivery tests.

Three schools in two kecamatan, thirteen roster students, one walk-in, a plan, four sessions,
seven recordings in every status, a printed-card list and one hand-over. Rows are written with
the schema's own SQL (the tables of migrations 2-7), so the tests do not depend on how the other
services build them. Synthetic people only.

Reference date 2026-11-20 (``AS_OF``); school C has a planned visit on 2026-12-10, so age is
counted on that date there. Minimum age 16: born on or before 2010-11-20 (A, B) or 2010-12-10 (C).

=====  ==========  ===========================================================
 key    born        what happens
=====  ==========  ===========================================================
 A1     2009-05-01  recorded before the drive (registry)
 A2     2010-01-15  recorded, approved, synced, acknowledged, printed, handed over
 A3     2010-03-03  recorded (force-captured, one exception), synced, printed
 A4     2010-06-06  recorded (captured, awaiting approval)
 A5     2010-07-07  recorded, then rejected ("Foto buram")
 A6     2010-08-08  called, absent
 A7     2011-02-02  not of age
 A8     2010-11-25  not of age on 2026-11-20
 B1     2009-09-09  recorded, approved (one retry)
 B2     2010-02-02  eligible, not recorded
 B3     2009-12-12  recorded before the drive (registry)
 C1     2010-12-01  of age on the visit date 2026-12-10; recorded, synced, acknowledged
 C2     2010-12-20  not of age
 C3     2010-04-04  left the school (leavers' list)
 W1     2010-05-05  walk-in at A (not on the roster), recorded
=====  ==========  ===========================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text

AS_OF = date(2026, 11, 20)
SLUG = "uji-2026"

DRIVE_TOML = """
[drive]
slug = "uji-2026"
name = "Perekaman KTP-el di Sekolah, Uji 2026"
regency_code = "6311"
regency = "Balangan"
province = "Kalimantan Selatan"
start = 2026-11-02
end = 2026-12-18
min_age = 16

[office]
name = "Disdukcapil Kabupaten Balangan"

[recording]
minutes_per_student = 6.0

[history]
"2017" = 0.197
"2018" = 0.286

[reports.ikm_history]
"2021" = 3.32
"2022" = 3.37

[[teams]]
id = "tim-1"
kits = ["kit-1", "kit-2"]

[[teams]]
id = "tim-2"
kits = ["kit-3"]

[[schools]]
code = "A"
name = "SMA NEGERI 1 UJI"
kind = "SMA"
kecamatan_code = "631106"
kecamatan = "Paringin"
travel_minutes = 30

[[schools]]
code = "B"
name = "SMK NEGERI 1 UJI"
kind = "SMK"
kecamatan_code = "631106"
kecamatan = "Paringin"
travel_minutes = 20

[[schools]]
code = "C"
name = "MA NEGERI 1 UJI"
kind = "MA"
kecamatan_code = "631101"
kecamatan = "Juai"
travel_minutes = 60
"""


@dataclass(frozen=True)
class Student:
    key: str
    school: str
    name: str
    born: date
    sex: str
    serial: int

    @property
    def nik(self) -> str:
        from sweet17.domain.nik import encode

        kec = {"A": "631106", "B": "631106", "C": "631101"}[self.school]
        return encode(kec, self.born, self.sex, self.serial)

    @property
    def nisn(self) -> str:
        return f"00{self.born.year % 100:02d}{self.serial:06d}"


STUDENTS = [
    Student("A1", "A", "SITI RAHMAH UJI", date(2009, 5, 1), "P", 101),
    Student("A2", "A", "MUHAMMAD RIZKY UJI", date(2010, 1, 15), "L", 102),
    Student("A3", "A", "NOR AINI UJI", date(2010, 3, 3), "P", 103),
    Student("A4", "A", "AHMAD FAUZAN UJI", date(2010, 6, 6), "L", 104),
    Student("A5", "A", "RINA MARLINA UJI", date(2010, 7, 7), "P", 105),
    Student("A6", "A", "GUSTI RAHMAN UJI", date(2010, 8, 8), "L", 106),
    Student("A7", "A", "LAILA SARI UJI", date(2011, 2, 2), "P", 107),
    Student("A8", "A", "ABDUL HADI UJI", date(2010, 11, 25), "L", 108),
    Student("B1", "B", "FITRIANI UJI", date(2009, 9, 9), "P", 201),
    Student("B2", "B", "SYAHRIL UJI", date(2010, 2, 2), "L", 202),
    Student("B3", "B", "NURUL HUDA UJI", date(2009, 12, 12), "P", 203),
    Student("C1", "C", "RAHMADANI UJI", date(2010, 12, 1), "L", 301),
    Student("C2", "C", "SALSABILA UJI", date(2010, 12, 20), "P", 302),
    Student("C3", "C", "HAIRUL ANWAR UJI", date(2010, 4, 4), "L", 303),
]
WALK_IN = Student("W1", "A", "DEWI ANGGRAINI UJI", date(2010, 5, 5), "P", 109)
BY_KEY = {s.key: s for s in [*STUDENTS, WALK_IN]}

UID_A2 = "04A1B2C3D4E5F6"
UID_A3 = "04A1B2C3D4E5F7"


@dataclass
class World:
    ws: object
    folder: Path
    student_ids: dict[str, int]

    def nik(self, key: str) -> str:
        return BY_KEY[key].nik


def _manifest(nfiq2: dict[str, dict[str, int]] | None = None) -> str:
    mods = {m: {"count": len(v), "quality": {}, "nfiq2": v, "exceptions": {}, "forced": False}
            for m, v in (nfiq2 or {}).items()}
    return json.dumps({"modalities": mods})


def build_world(ws, tmp: Path, *, deliveries: bool = True) -> World:  # type: ignore[no-untyped-def]
    from sweet17.services.drives import load_drive, register_drive

    folder = tmp / "drive-uji"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drive.toml").write_text(DRIVE_TOML, encoding="utf-8")
    register_drive(ws, load_drive(folder))
    ids: dict[str, int] = {}
    with ws.engine.begin() as c:
        for school in ("A", "B", "C"):
            imp = c.execute(text(
                "INSERT INTO roster_import (drive_slug, school_code, file_name, file_sha256, file_format, imported_at, "
                "imported_by) VALUES (:d, :s, :f, 'x', 'dapodik', '2026-10-20T08:00:00+00:00', 'uji') RETURNING id"),
                {"d": SLUG, "s": school, "f": f"{school}.xlsx"}).scalar()
            for n, st in enumerate([s for s in STUDENTS if s.school == school], start=7):
                ids[st.key] = c.execute(text(
                    "INSERT INTO roster_student (import_id, drive_slug, school_code, row_number, student_key, name, "
                    "name_key, nisn, nik, sex, birth_date, rombel) VALUES (:i, :d, :s, :n, :k, :name, :nk, :nisn, "
                    ":nik, :sex, :bd, 'XI IPA 1') RETURNING id"),
                    {"i": imp, "d": SLUG, "s": school, "n": n, "k": f"nisn:{st.nisn}", "name": st.name,
                     "nk": st.name.lower(), "nisn": st.nisn, "nik": st.nik, "sex": st.sex,
                     "bd": st.born.isoformat()}).scalar()
        leavers = c.execute(text(
            "INSERT INTO roster_import (drive_slug, school_code, kind, file_name, file_sha256, file_format, "
            "imported_at, imported_by) VALUES (:d, 'C', 'leavers', 'C-keluar.xlsx', 'y', 'dapodik', "
            "'2026-11-05T08:00:00+00:00', 'uji') RETURNING id"), {"d": SLUG}).scalar()
        c3 = BY_KEY["C3"]
        c.execute(text(
            "INSERT INTO roster_student (import_id, drive_slug, school_code, row_number, student_key, name, name_key, "
            "nisn, nik, sex, birth_date, left_reason, left_date) VALUES (:i, :d, 'C', 7, :k, :n, :nk, :nisn, :nik, "
            "'L', :bd, 'Mutasi', '2026-11-01')"),
            {"i": leavers, "d": SLUG, "k": f"nisn:{c3.nisn}", "n": c3.name, "nk": c3.name.lower(), "nisn": c3.nisn,
             "nik": c3.nik, "bd": c3.born.isoformat()})
        ext = c.execute(text(
            "INSERT INTO registry_extract (drive_slug, file_name, file_sha256, file_format, imported_at, imported_by) "
            "VALUES (:d, 'rekam.csv', 'z', 'csv', '2026-10-21T08:00:00+00:00', 'uji') RETURNING id"),
            {"d": SLUG}).scalar()
        for key in ("A1", "B3"):
            c.execute(text(
                "INSERT INTO registry_match (student_id, drive_slug, extract_id, method, registry_nik, registry_status, "
                "matched_at) VALUES (:s, :d, :e, 'nik', :nik, 'recorded', '2026-10-21T08:00:00+00:00')"),
                {"s": ids[key], "d": SLUG, "e": ext, "nik": BY_KEY[key].nik})
        # the plan: tim-1 at A then B, tim-2 at C on 10 December
        plan = c.execute(text(
            "INSERT INTO plan (drive_slug, version, created_at, method, status, first_date, end_date, kit_days, "
            "team_days, visit_days, travel_minutes, students, bound_end_date, bound_kit_days, solve_seconds) VALUES "
            "(:d, 1, '2026-10-25T08:00:00+00:00', 'cp-sat', 'optimal', '2026-11-10', '2026-12-10', 4, 3, 3, 220, 12, "
            "'2026-12-10', 3, 0.5) RETURNING id"), {"d": SLUG}).scalar()
        for day, team, school, kits, students, travel in (
                ("2026-11-10", "tim-1", "A", ["kit-1", "kit-2"], 6, 30),
                ("2026-11-11", "tim-1", "B", ["kit-1"], 2, 20),
                ("2026-12-10", "tim-2", "C", ["kit-3"], 1, 60)):
            c.execute(text(
                "INSERT INTO plan_visit (plan_id, visit_date, team_id, school_code, kits, students, arrival, "
                "travel_minutes) VALUES (:p, :day, :t, :s, :k, :n, '08:00', :tr)"),
                {"p": plan, "day": day, "t": team, "s": school, "k": json.dumps(kits), "n": students, "tr": travel})
        sessions = {
            "S1": ("A", "2026-11-10", "kit-1", "op-a", "2026-11-10T08:00:00+08:00", "2026-11-10T12:00:00+08:00"),
            "S2": ("A", "2026-11-10", "kit-2", "op-b", "2026-11-10T08:30:00+08:00", "2026-11-10T10:30:00+08:00"),
            "S3": ("B", "2026-11-11", "kit-1", "op-a", "2026-11-11T08:00:00+08:00", "2026-11-11T11:00:00+08:00"),
            "S4": ("C", "2026-11-12", "kit-3", "op-b", "2026-11-12T09:00:00+08:00", "2026-11-12T10:00:00+08:00"),
        }
        for sid, (school, day, kit, op, start, end) in sessions.items():
            c.execute(text(
                "INSERT INTO recording_session (id, drive_slug, school_code, day, kit, operator, status, started_at, "
                "last_activity_at, ended_at) VALUES (:id, :d, :s, :day, :kit, :op, 'ended', :a, :b, :b)"),
                {"id": sid, "d": SLUG, "s": school, "day": day, "kit": kit, "op": op, "a": start, "b": end})
        for pos, key in enumerate(("A2", "A3", "A4", "A5", "A6")):
            st = BY_KEY[key]
            c.execute(text(
                "INSERT INTO day_list (drive_slug, school_code, day, student_ref, position, nik, nisn, name) VALUES "
                "(:d, 'A', '2026-11-10', :ref, :p, :nik, :nisn, :n)"),
                {"d": SLUG, "ref": str(ids[key]), "p": pos, "nik": st.nik, "nisn": st.nisn, "n": st.name})
        a6 = BY_KEY["A6"]
        c.execute(text(
            "INSERT INTO checkin (id, session_id, drive_slug, school_code, day, student_ref, nik, nisn, name, status, "
            "recording_id, operator, checked_in_at) VALUES ('ck-a6', 'S1', :d, 'A', '2026-11-10', :ref, :nik, :nisn, "
            ":n, 'absent', 'rec-a6-none', 'op-a', '2026-11-10T11:50:00+08:00')"),
            {"d": SLUG, "ref": str(ids["A6"]), "nik": a6.nik, "nisn": a6.nisn, "n": a6.name})
        recs = [
            # key, session, status, captured, retries, forced, exceptions, nfiq2, approved, synced, ack, reason
            ("A2", "S1", "acknowledged", "2026-11-10T08:10:00+08:00", 2, 0, [],
             {"Finger": {"Left IndexFinger": 55, "Right IndexFinger": 35}}, "2026-11-10T17:00:00+08:00",
             "2026-11-11T09:00:00+08:00", "2026-11-12T09:00:00+08:00", None),
            ("A3", "S1", "synced", "2026-11-10T08:20:00+08:00", 0, 1, ["Finger:Left LittleFinger"], None,
             "2026-11-10T17:00:00+08:00", "2026-11-11T09:00:00+08:00", None, None),
            ("A4", "S2", "captured", "2026-11-10T09:00:00+08:00", 0, 0, [], None, None, None, None, None),
            ("A5", "S1", "rejected", "2026-11-10T09:30:00+08:00", 0, 0, [], None, None, None, None, "Foto buram"),
            ("W1", "S1", "captured", "2026-11-10T10:00:00+08:00", 0, 0, [], None, None, None, None, None),
            ("B1", "S3", "approved", "2026-11-11T08:30:00+08:00", 1, 0, [], None, "2026-11-11T17:00:00+08:00",
             None, None, None),
            ("C1", "S4", "acknowledged", "2026-11-12T09:15:00+08:00", 0, 0, [], {"Finger": {"Left Thumb": 80}},
             "2026-11-12T17:00:00+08:00", "2026-11-13T09:00:00+08:00", "2026-11-14T09:00:00+08:00", None),
        ]
        for key, sid, status, cap, retries, forced, exc, nfiq2, appr, syn, ack, reason in recs:
            st = BY_KEY[key]
            ref = str(ids[key]) if key in ids else "walkin-1"
            rid = f"rec-{key.lower()}"
            c.execute(text(
                "INSERT INTO recording (id, drive_slug, school_code, student_ref, nik, nisn, name, birth_date, sex, "
                "session_id, operator, status, captured_at, force_captured, exceptions, retries, quality, manifest, "
                "signature, payload_sha256, payload_size, approved_by, approved_at, rejected_reason, synced_at, "
                "acknowledged_at) VALUES (:id, :d, :s, :ref, :nik, :nisn, :n, :bd, :sex, :sid, :op, :st, :cap, :fc, "
                ":ex, :rt, :q, :man, 'sig', 'sha', 100, :ab, :appr, :reason, :syn, :ack)"),
                {"id": rid, "d": SLUG, "s": st.school, "ref": ref, "nik": st.nik, "nisn": st.nisn, "n": st.name,
                 "bd": st.born.isoformat(), "sex": st.sex, "sid": sid, "op": sessions[sid][3], "st": status,
                 "cap": cap, "fc": forced, "ex": json.dumps(exc), "rt": retries,
                 "q": json.dumps({"Face": {"Face": 70.0}}), "man": _manifest(nfiq2), "ab": "sup" if appr else None,
                 "appr": appr, "reason": reason, "syn": syn, "ack": ack})
            c.execute(text(
                "INSERT INTO checkin (id, session_id, drive_slug, school_code, day, student_ref, nik, nisn, name, "
                "status, recording_id, operator, checked_in_at, capture_started_at, committed_at) VALUES (:id, :sid, "
                ":d, :s, :day, :ref, :nik, :nisn, :n, 'committed', :rid, :op, :cap, :cap, :done)"),
                {"id": f"ck-{key.lower()}", "sid": sid, "d": SLUG, "s": st.school, "day": cap[:10], "ref": ref,
                 "nik": st.nik, "nisn": st.nisn, "n": st.name, "rid": rid, "op": sessions[sid][3], "cap": cap,
                 "done": cap[:14] + f"{int(cap[14:16]) + 5:02d}" + cap[16:]})
            if status == "rejected":
                c.execute(text(
                    "INSERT INTO queue_decision (recording_id, decision, supervisor, reason, decided_at) VALUES "
                    "(:r, 'rejected', 'sup', :why, '2026-11-10T17:05:00+08:00')"), {"r": rid, "why": reason})
    cards = tmp / "cetak.csv"
    cards.write_text("NIK;Tanggal Cetak;No Seri;UID\n"
                     f"{BY_KEY['A2'].nik};2026-11-15;6311A0000001;{UID_A2}\n"
                     f"{BY_KEY['A3'].nik};2026-11-16;6311A0000002;{UID_A3}\n", encoding="utf-8")
    from sweet17.services.cards import import_cards

    import_cards(ws, cards, actor="uji", drive_slug=SLUG, today=AS_OF)
    if deliveries:
        with ws.engine.begin() as c:
            a2 = BY_KEY["A2"]
            c.execute(text(
                "INSERT INTO delivery (id, drive_slug, school_code, nik, nisn, name, card_uid, card_serial, uid_checked, "
                "receiver_name, receiver_relation, confirmation, confirmation_sha256, confirmation_sealed, operator, "
                "delivered_at) VALUES ('dlv-a2', :d, 'A', :nik, :nisn, :n, :uid, '6311A0000001', 1, :n, 'self', "
                "'signature', 'abc', X'00', 'op-a', '2026-11-18T10:00:00+08:00')"),
                {"d": SLUG, "nik": a2.nik, "nisn": a2.nisn, "n": a2.name, "uid": UID_A2})
    return World(ws, folder, ids)

"""Helpers for the planning tests: small drive files and synthetic students due (no real people)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sweet17.services.planning.instance import Instance, Params, SchoolInput, TeamInput


@dataclass(frozen=True)
class FakeDue:
    """What ``students_due`` returns, reduced to what the planner and the exports read."""
    school_code: str
    turns_min_age_on: date | None
    name: str = ""
    nisn: str = ""
    rombel: str = "X 1"
    sex: str = "L"


def students(school: str, n: int, of_age_on: date, later: list[date] = (), prefix: str = "Siswa") -> list[FakeDue]:
    out = [FakeDue(school, of_age_on, f"{prefix} {school} {i:03d}", f"00{i:08d}"[-10:], f"X {1 + i % 3}",
                   "LP"[i % 2]) for i in range(n)]
    out += [FakeDue(school, d, f"{prefix} {school} muda {j:02d}", f"01{j:08d}"[-10:], "X 1", "P")
            for j, d in enumerate(later)]
    return out


def drive_dict(**over) -> dict:  # type: ignore[no-untyped-def]
    """A small synthetic drive: 4 schools in 2 kecamatan, 2 teams (2 kits, 1 kit), two weeks in 2027."""
    d = {
        "drive": {"slug": "uji-2027", "name": "Perekaman Uji 2027", "regency_code": "6311", "regency": "Balangan",
                  "province": "Kalimantan Selatan", "start": date(2027, 2, 1), "end": date(2027, 2, 26)},
        "office": {"name": "Disdukcapil Uji", "address": "Jl. Contoh 1, Paringin", "lat": -2.33, "lon": 115.47},
        "recording": {"minutes_per_student": 6, "setup_minutes": 30, "day_start": "07:30", "day_end": "13:00"},
        "schools": [
            {"code": "A", "name": "SMA UJI A", "kecamatan_code": "631106", "kecamatan": "Paringin",
             "travel_minutes": 10, "days": "mon-fri", "address": "Jl. A"},
            {"code": "B", "name": "SMK UJI B", "kecamatan_code": "631106", "kecamatan": "Paringin",
             "travel_minutes": 20, "days": "mon-sat"},
            {"code": "C", "name": "MA UJI C", "kecamatan_code": "631101", "kecamatan": "Halong",
             "travel_minutes": 90, "days": "mon-fri",
             "blackouts": [{"start": date(2027, 2, 1), "end": date(2027, 2, 5), "reason": "Ujian"}]},
            {"code": "D", "name": "SMA UJI D", "kecamatan_code": "631101", "kecamatan": "Halong",
             "travel_minutes": 95, "days": "mon-fri"},
        ],
        "travel_between": [{"from": "A", "to": "B", "minutes": 12}, {"from": "C", "to": "D", "minutes": 8}],
        "teams": [{"id": "T1", "name": "Tim Satu", "kits": ["K1", "K2"], "working_days": "mon-fri"},
                  {"id": "T2", "name": "Tim Dua", "kits": ["K3"], "working_days": "mon-fri"}],
    }
    for k, v in over.items():
        d[k] = v
    return d


def write_drive(folder: Path, data: dict) -> Path:
    import tomli_w

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drive.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    return folder


def default_due() -> list[FakeDue]:
    start = date(2027, 2, 1)
    return (students("A", 100, start - timedelta(days=200), later=[date(2027, 2, 3), date(2027, 4, 1)])
            + students("B", 40, start - timedelta(days=100))
            + students("C", 50, start - timedelta(days=300))
            + students("D", 30, start - timedelta(days=30)))


def tiny_instance(days: int = 10, demand: dict[str, int] | None = None, travel: dict[str, int] | None = None,
                  kits: tuple[int, ...] = (1,), between: dict | None = None, setup: int = 30, mps: float = 6.0,
                  window: int = 330, closed: dict[str, set[int]] | None = None) -> Instance:
    """Schools open every weekday of a horizon starting Monday 1 Feb 2027 (no holiday in it)."""
    start = date(2027, 2, 1)
    all_days = [start + timedelta(days=i) for i in range(days)]
    wd = [d for d in all_days if d.weekday() < 5]
    demand = demand or {"A": 60}
    travel = travel or {c: 30 for c in demand}
    closed = closed or {}
    schools = tuple(SchoolInput(code=c, travel=travel[c],
                                open_days=frozenset(d for i, d in enumerate(wd) if i not in closed.get(c, set())),
                                eligible_from=(None,) * n) for c, n in demand.items())
    teams = tuple(TeamInput(id=f"T{i + 1}", kits=tuple(f"K{i + 1}{j}" for j in range(k)), work_days=frozenset(wd))
                  for i, k in enumerate(kits))
    return Instance(start=start, end=all_days[-1], schools=schools, teams=teams,
                    params=Params(window=window, setup=setup, minutes_per_student=mps), between=between or {})


def seed_cards(ws, slug: str, tmp: Path, printed: dict[str, int], delivered: dict[str, int] | None = None,  # type: ignore[no-untyped-def]
               extra: dict[str, int] | None = None, printed_on: date = date(2027, 2, 20)) -> dict[str, int]:
    """Roster students of ``slug``, printed cards for ``printed[school]`` of them (imported with the
    printed-card import), ``delivered[school]`` of those already handed over, ``extra[school]`` more
    students without a card. Returns the cards still to hand over per school. Synthetic people only."""
    from sqlalchemy import text

    from sweet17.domain.nik import encode
    from sweet17.services.cards import import_cards

    delivered = delivered or {}
    extra = extra or {}
    rows = ["NIK;Tanggal Cetak;No Seri"]
    serial = 1000
    with ws.engine.begin() as c:
        for school in sorted(set(printed) | set(extra)):
            imp = c.execute(text(
                "INSERT INTO roster_import (drive_slug, school_code, file_name, file_sha256, file_format, "
                "imported_at, imported_by) VALUES (:d, :s, :f, 'x', 'dapodik', '2027-01-05T08:00:00+00:00', 'uji') "
                "RETURNING id"), {"d": slug, "s": school, "f": f"{school}.xlsx"}).scalar()
            n_cards, n_done = printed.get(school, 0), delivered.get(school, 0)
            for i in range(n_cards + extra.get(school, 0)):
                serial += 1
                born = date(2010, 1 + i % 12, 1 + i % 28)
                sex = "LP"[i % 2]
                nik = encode("631106", born, sex, serial)
                nisn = f"0010{serial:06d}"
                name = f"Siswa Kartu {school} {i:03d}"
                c.execute(text(
                    "INSERT INTO roster_student (import_id, drive_slug, school_code, row_number, student_key, name, "
                    "name_key, nisn, nik, sex, birth_date, rombel) VALUES (:i, :d, :s, :n, :k, :name, :nk, :nisn, "
                    ":nik, :sex, :bd, 'XII 1')"),
                    {"i": imp, "d": slug, "s": school, "n": 7 + i, "k": f"nisn:{nisn}", "name": name,
                     "nk": name.lower(), "nisn": nisn, "nik": nik, "sex": sex, "bd": born.isoformat()})
                if i < n_cards:
                    rows.append(f"{nik};{printed_on.isoformat()};6311K{serial:07d}")
                if i < n_done:
                    c.execute(text(
                        "INSERT INTO delivery (id, drive_slug, school_code, nik, nisn, name, card_uid, card_serial, "
                        "uid_checked, receiver_name, receiver_relation, confirmation, confirmation_sha256, "
                        "confirmation_sealed, operator, delivered_at) VALUES (:id, :d, :s, :nik, :nisn, :n, '', :ser, "
                        "0, :n, 'self', 'signature', 'abc', X'00', 'op', '2027-02-25T10:00:00+08:00')"),
                        {"id": f"dlv-{serial}", "d": slug, "s": school, "nik": nik, "nisn": nisn, "n": name,
                         "ser": f"6311K{serial:07d}"})
    cards = tmp / "kartu-tercetak.csv"
    cards.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_cards(ws, cards, actor="uji", drive_slug=slug, today=date(2027, 2, 28))
    return {s: printed[s] - delivered.get(s, 0) for s in printed}

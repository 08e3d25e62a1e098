"""The registry extract's array path (``_add_block``) files every line where the line-by-line reading
(``_add_csv_lines``) does: same groups, in the same order, same counts and skipped rows, on lines with
every kind of anomaly (NIK missing, short, as a number, with other digits; birth date invalid, in other
formats, disagreeing with the NIK; sex missing or odd; short and long lines; blank lines), in several
encodings, delimiters and line ends, read in small blocks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sweet17.services import registry

HEADER = ["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"]


def _rows(seed: int, n: int = 3000) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        y = rng.choice([1900, 1999, 2000, 2004, 2008, 1957, 2100])
        m, d = rng.randint(0, 13), rng.randint(0, 32)
        sex = rng.choice(["1", "2", "L", "P", "l", "p", "", "X", " 1"])
        dd = d + (40 if sex in ("2", "P", "p") and rng.random() < 0.95 else 0)
        nik = f"6311{rng.randint(0, 99):02d}{dd:02d}{m:02d}{y % 100:02d}{rng.randint(0, 9999):04d}"
        r = rng.random()
        if r < 0.02:
            nik = ""
        elif r < 0.03:
            nik = nik[:15]
        elif r < 0.04:
            nik = f"{int(nik):.14e}"
        elif r < 0.05:
            nik = " " + nik
        elif r < 0.055:
            nik = nik[:6] + "\u0663" + nik[7:]          # another script's digit
        sep = rng.choice("---/.x")
        bd = f"{d:02d}{sep}{m:02d}{sep}{y}"
        r = rng.random()
        if r < 0.05:
            bd = f"{y}-{m:02d}-{d:02d}"
        elif r < 0.07:
            bd = ""
        elif r < 0.08:
            bd = f"{d}/{m}/{y}"
        row = [nik, "6311061203150001", rng.choice(["AHMAD", "SITI", "JOS\u00c9 \u00c4LI", "", "  "]), sex, "PARINGIN",
               bd, rng.choice(["SUDAH CETAK", "REKAM", "\u00c7ETAK"])]
        r = rng.random()
        if r < 0.01:
            row = row[:4]
        elif r < 0.02:
            row = row + ["x"]
        elif r < 0.03:
            row = []
        rows.append(row)
        if rng.random() < 0.02:
            rows.append(list(row))
    return rows


def _reference(text: str, delimiter: str) -> registry._Buckets:
    """The lines read one by one (as before the array path)."""
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    if lines[-1] == "":
        lines.pop()
    cols = {"nik": 0, "no_kk": 1, "name": 2, "sex": 3, "birth_place": 4, "birth_date": 5, "status": 6}
    b = registry._Buckets()
    registry._add_csv_lines(b, lines[1:], 2, delimiter, cols)
    return b


def _groups(b: registry._Buckets) -> list[tuple[str, str]]:
    return [(code, g if g.__class__ is str else "\n".join(g)) for code, g in b.groups.items()]


@pytest.mark.parametrize(("seed", "delimiter", "encoding", "newline", "chunk"), [
    (1, ",", "utf-8", "\n", 1 << 20),
    (2, ";", "utf-8-sig", "\r\n", 20_000),
    (3, "\t", "cp1252", "\n", 7_000),
    (4, "|", "utf-8", "\r\n", 1 << 20),
])
def test_array_path_files_lines_as_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int,
                                                delimiter: str, encoding: str, newline: str, chunk: int) -> None:
    text = newline.join(delimiter.join(r) for r in [HEADER, *_rows(seed)]) + (newline if seed % 2 else "")
    path = tmp_path / "extract.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    monkeypatch.setattr(registry, "CHUNK", chunk)
    plain = registry._plain_csv_text(path)
    assert plain is not None
    src = registry._open_plain_csv(plain, None)
    assert src.delimiter == delimiter
    b = registry._Buckets()
    registry._add_text(b, src, src.pos, len(src.data), src.first_row)
    ref = _reference(path.read_bytes().decode("utf-8-sig" if encoding.startswith("utf") else encoding,
                                              errors="replace"), delimiter)
    assert _groups(b) == _groups(ref)
    assert (b.rows, b.persons, b.bad_birth_dates) == (ref.rows, ref.persons, ref.bad_birth_dates)
    assert dict(b.skipped) == dict(ref.skipped) and b.skipped_rows == ref.skipped_rows
    # the sample has lines of both kinds: filed by arrays, and read one by one
    assert 0 < ref.bad_birth_dates < ref.persons and ref.skipped
    assert src.hashing.result() == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_look_ups_in_memory_are_the_stored_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``MemoryExtract`` (the groups held in memory, as a large import matches them while storing them) finds
    the same persons, in the same order, as ``StoredExtract`` on the rows stored part by part: by NIK (rows with
    one NIK in both halves) and by birth date and sex (rows filed under several codes, sex missing)."""
    import json
    from datetime import date

    from sqlalchemy import text

    from sweet17.adapters.storage import migrate
    from sweet17.adapters.storage.db import sqlite_engine

    rows = _rows(7)
    rows += [list(r) for r in rows[::5]]                # the same NIKs again, in the second half
    path = tmp_path / "extract.csv"
    path.write_bytes(("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n").encode("utf-8"))
    monkeypatch.setattr(registry, "CHUNK", 20_000)
    monkeypatch.setattr(registry, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr("sweet17.services.roster.usable_cpus", lambda: 2)
    plain = registry._plain_csv_text(path)
    assert plain is not None
    src = registry._open_plain_csv(plain, None)
    b = registry._Buckets()
    parts = [groups for groups, _last in registry._plain_parts(src, b)]
    engine = sqlite_engine(tmp_path / "ws.db")
    migrate.upgrade(engine)
    with engine.begin() as c:
        c.execute(text("INSERT INTO registry_extract (id, drive_slug, file_name, file_sha256, file_format, "
                       "imported_at, imported_by, rows, persons, layout) VALUES (1, 'd', 'x.csv', 'h', 'csv', 't', "
                       "'a', 0, 0, :lay)"), {"lay": json.dumps(src.layout)})
        for part in parts:
            c.connection.driver_connection.executemany(
                "INSERT INTO registry_bucket (extract_id, code, data) VALUES (1, ?, ?)",
                [(code, g if g.__class__ is str else "\n".join(g)) for code, g in part.items()])
    niks = {r[0].strip() for r in rows if r}
    births = {(date(y, m, d), sex) for y in (1999, 2000, 2004, 2008) for m in range(1, 13) for d in (1, 9, 17, 28)
              for sex in ("L", "P", "")}
    memory = registry.MemoryExtract(1, parts, src.layout)
    with engine.connect() as c:
        stored = registry.StoredExtract(c.connection.driver_connection, 1)
        by_nik = stored.by_nik(niks)
        born = stored.born(births)
    assert len(parts) == 2 and len(by_nik) > 1000 and len(born) > 100
    assert memory.by_nik(niks) == by_nik
    assert memory.born(births) == born

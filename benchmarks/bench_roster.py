"""Rosters at province scale: import + validate + match + list eligible, against the calamine floor and
the naive pandas approach, measured in the same run on the same inputs.

Inputs (synthetic, generated once and cached in the temp folder, keyed by the parameters):
about 200,000 students over 300 Dapodik-format workbooks (66 columns, anomalies at realistic rates:
NIK missing, NIK stored as a number, NIK and No KK swapped, dates as text, date cells and serials)
and a SIAK-style registry extract CSV of 2,000,000 NIKs holding about a third of the students aged
16+. ``SWEET17_BENCH_SCALE=0.1`` scales everything down to try it quickly.

Each contender runs in its own process, so its peak memory (ru_maxrss) is its own; sweet17's worker
processes (it reads and checks workbooks on every usable core) are counted apart (their largest peak)
and added to its own for the target:

- floor: python-calamine reading every cell of every workbook + the csv module reading the extract
  (one core: what reading the inputs costs at the least)
- sweet17: ``import_rosters`` (read, normalise, check, store) + ``import_extract`` (store, match) +
  ``eligibility`` — the whole coordinator's path into a fresh workspace
- naive: pandas ``read_excel`` (openpyxl) of every workbook + ``read_csv`` + a merge on NIK + the age filter

The machine may be shared: the contenders run in turn ``SWEET17_BENCH_REPEAT`` times (default 3 up to
scale 0.2, else 1) and each one's fastest run counts; every run is printed.

Targets (issue 3): sweet17 <= 1.5x the floor, >= 5x faster than naive, peak memory < 1.5 GB.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

VERSION = "v2"
START = date(2027, 1, 11)
STUDENTS = 200_000
SCHOOLS = 300
EXTRACT = 2_000_000
KECAMATAN = ["631101", "631102", "631103", "631104", "631105", "631106", "631107", "631108"]
OTHER = ["630101", "630201", "630301", "630401", "630501", "630601", "630701", "630801", "630901", "631001",
         "637101", "637201"]
GIVEN_L = ["MUHAMMAD", "AHMAD", "RIZKY", "FAUZI", "GUSTI", "BAHRUL", "ILMI", "NOOR", "HIDAYAT", "RAHMAN", "ARIF",
           "SYAHRANI", "FIRMAN", "HAFIZ", "ABDUL", "AKBAR", "RAMADHAN", "FAJAR", "IRFAN", "YUSUF"]
GIVEN_P = ["SITI", "NOR", "AULIA", "FITRIANI", "RAHMAH", "HALIZA", "AMINAH", "RINA", "DEWI", "PUTRI", "NURUL",
           "HAIRUNNISA", "ZAHRA", "SALSABILA", "MAULIDA", "RAUDHAH", "ANNISA", "LESTARI", "WULAN", "INDAH"]


def scale() -> float:
    try:
        return max(0.001, float(os.environ.get("SWEET17_BENCH_SCALE", "1")))
    except ValueError:
        return 1.0


def params() -> tuple[int, int, int]:
    s = scale()
    return max(300, round(STUDENTS * s)), max(3, round(SCHOOLS * s)), max(3000, round(EXTRACT * s))


def cache_dir() -> Path:
    n, k, e = params()
    return Path(tempfile.gettempdir()) / f"sweet17-bench-roster-{VERSION}-{n}-{k}-{e}"


# ---------------------------------------------------------------- inputs


def _name(rng: random.Random, sex: str) -> str:
    pool = GIVEN_L if sex == "L" else GIVEN_P
    return " ".join(rng.sample(pool, rng.choice((1, 2, 2, 3))))


def generate(folder: Path) -> None:
    from sweet17.adapters.xlsx.dapodik_writer import RosterTitle, write_daftar_peserta_didik
    from sweet17.domain import nik as nikcore

    n, k, e = params()
    rng = random.Random(17)
    tmp = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    (tmp / "rosters").mkdir(parents=True, exist_ok=True)
    schools = []
    lines = ['[drive]\nslug = "bench"\nname = "Bench"\nregency_code = "6311"\nstart = 2027-01-11\nend = 2027-06-30\n',
             '[office]\nname = "Dukcapil"\n', '[[teams]]\nid = "t1"\nkits = ["k1"]\n']
    for i in range(k):
        kec = KECAMATAN[i % len(KECAMATAN)]
        code = f"s{i + 1:04d}"
        name = f"SMA NEGERI {i + 1} BENCH"
        schools.append((code, name, kec))
        lines.append(f'[[schools]]\ncode = "{code}"\nname = "{name}"\nkind = "SMA"\nkecamatan_code = "{kec}"\n'
                     f'kecamatan = "K{kec}"\ntravel_minutes = 30\n')
    (tmp / "drive.toml").write_text("\n".join(lines), encoding="utf-8")
    serial: dict[str, int] = {}

    def new_nik(kec: str, born: date, sex: str) -> str:
        key = nikcore.encode(kec, born, sex, 0)[:12]
        serial[key] = serial.get(key, 0) + 1
        return nikcore.encode(kec, born, sex, serial[key])

    recorded: list[tuple[str, str, str, date]] = []
    per = [n // k + (1 if i < n % k else 0) for i in range(k)]
    for (code, name, kec), size in zip(schools, per, strict=True):
        rows = []
        for j in range(size):
            sex = rng.choice("LP")
            born = START - timedelta(days=rng.randint(14 * 365, 19 * 365))
            home = kec if rng.random() < 0.9 else rng.choice(OTHER)
            nik = new_nik(home, born, sex)
            kk = new_nik(kec, START - timedelta(days=rng.randint(400, 4000)), "L")
            nm = _name(rng, sex)
            r = rng.random()
            nik_cell: object = nik
            kk_cell: object = kk
            if r < 0.015:
                nik_cell = None
            elif r < 0.025:
                nik_cell = float(f"{int(nik):.14e}")
            elif r < 0.030:
                nik_cell, kk_cell = kk, nik
            w = rng.random()
            bd: object = born.isoformat() if w < 0.8 else (born if w < 0.9 else (born - date(1899, 12, 30)).days)
            rows.append({
                "nama": nm, "nipd": f"{j:06d}", "jk": sex, "nisn": f"{born.year % 1000:03d}{rng.randrange(10**7):07d}",
                "tempat_lahir": "PARINGIN", "tanggal_lahir": bd, "nik": nik_cell, "agama": "Islam",
                "alamat": f"Jl. Contoh No. {j}", "rt": "001", "rw": "002", "dusun": "Dusun I", "kelurahan": "Desa",
                "kecamatan": f"Kec. K{kec}", "kode_pos": "71662", "jenis_tinggal": "Bersama orang tua",
                "alat_transportasi": "Sepeda motor", "hp": "081234567890", "penerima_kps": "Tidak",
                "ayah_nama": "H. AYAH", "ayah_tahun_lahir": born.year - 30, "ayah_pendidikan": "SMA / sederajat",
                "ayah_pekerjaan": "Petani", "ayah_penghasilan": "Rp. 500,000 - Rp. 999,999",
                "ayah_nik": new_nik(kec, date(born.year - 30, 1, 1), "L"), "ibu_nama": "IBU",
                "ibu_tahun_lahir": born.year - 27, "ibu_pendidikan": "SMP / sederajat", "ibu_pekerjaan": "Tidak bekerja",
                "ibu_penghasilan": "Tidak Berpenghasilan", "rombel": f"{rng.choice(('X', 'XI', 'XII'))} IPA {rng.randint(1, 6)}",
                "penerima_kip": "Tidak", "layak_pip": "Tidak", "kebutuhan_khusus": "Tidak ada", "sekolah_asal": "SMP",
                "anak_ke": 2, "lintang": -2.3, "bujur": 115.4, "no_kk": kk_cell, "berat_badan": 50,
                "tinggi_badan": 160, "lingkar_kepala": 0, "jml_saudara": 2, "jarak_km": 3.5,
            })
            if (START - born).days >= 16 * 365 and rng.random() < 0.35:
                recorded.append((nik, nm, sex, born))
        title = RosterTitle(school_name=name, kecamatan=f"Kec. K{kec}", kabupaten="Kab. Balangan",
                            provinsi="Prov. Kalimantan Selatan", downloaded_at=datetime(2026, 12, 1, 8, 0, 0),
                            downloader="OPERATOR (op@example.com)")
        write_daftar_peserta_didik(tmp / "rosters" / f"{code}.xlsx", title, rows)
    with (tmp / "registry.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"])
        out = [(nik, nm, sex, born) for nik, nm, sex, born in recorded]
        codes = KECAMATAN + OTHER
        while len(out) < e:
            sex = rng.choice("LP")
            born = START - timedelta(days=rng.randint(17 * 365, 80 * 365))
            out.append((new_nik(rng.choice(codes), born, sex), _name(rng, sex), sex, born))
        rng.shuffle(out)
        for nik, nm, sex, born in out:
            w.writerow([nik, "6311061203150001", nm, "1" if sex == "L" else "2", "PARINGIN", born.strftime("%d-%m-%Y"),
                        "SUDAH CETAK"])
    os.replace(tmp, folder)


def ensure_inputs() -> Path:
    folder = cache_dir()
    if not (folder / "registry.csv").exists():
        t0 = time.perf_counter()
        print(f"generating inputs in {folder} (cached for later runs) ...", flush=True)
        generate(folder)
        print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return folder


# ---------------------------------------------------------------- contenders (each in its own process)


def _rss_mb(who: int = 0) -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN if who else resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def phase_floor(folder: Path) -> dict:
    from python_calamine import CalamineWorkbook

    c0 = _cpu_s()
    t0 = time.perf_counter()
    cells = 0
    for p in sorted((folder / "rosters").glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(p))
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
        cells += sum(len(r) for r in rows)
        wb.close()
    t1 = time.perf_counter()
    with (folder / "registry.csv").open(newline="", encoding="utf-8") as fh:
        n = sum(1 for _ in csv.reader(fh))
    t2 = time.perf_counter()
    return {"workbooks_s": t1 - t0, "extract_s": t2 - t1, "total_s": t2 - t0, "cells": cells, "extract_rows": n,
            "cpu_s": _cpu_s() - c0, "peak_mb": _rss_mb()}


def phase_sweet17(folder: Path) -> dict:
    import shutil

    from sweet17.services.drives import load_drive, register_drive
    from sweet17.services.eligibility import eligibility
    from sweet17.services.registry import import_extract
    from sweet17.services.roster import import_rosters, plan_workers, start_method
    from sweet17.services.workspace import Workspace

    wsdir = Path(tempfile.mkdtemp(prefix="sweet17-bench-ws-"))
    try:
        ws = Workspace.create(wsdir / "ws")
        register_drive(ws, load_drive(folder))
        files = sorted((folder / "rosters").glob("*.xlsx"))
        c0 = _cpu_s()
        t0 = time.perf_counter()
        rep = import_rosters(ws, [folder / "rosters"], today=START - timedelta(days=30))
        t1 = time.perf_counter()
        peak_rosters = _rss_mb()
        ext = import_extract(ws, folder / "registry.csv")
        t2 = time.perf_counter()
        peak_extract = _rss_mb()
        el = eligibility(ws, as_of=START)
        t3 = time.perf_counter()
        cpu = _cpu_s() - c0
        total = el.total()
        ws.close()
        db_mb = sum(f.stat().st_size for f in (wsdir / "ws").glob("sweet17.db*")) / 1e6
        return {"rosters_s": t1 - t0, "extract_match_s": t2 - t1, "eligible_s": t3 - t2, "total_s": t3 - t0,
                "cpu_s": cpu, "workers": plan_workers(files, start_method()), "start": start_method(),
                "files": len(rep.files), "failed": len(rep.failed), "students": total.students,
                "recorded": total.recorded, "eligible": total.eligible, "persons": ext.persons,
                "matched_by_nik": ext.match.by_nik, "matched_by_name": ext.match.by_name, "review": ext.match.review,
                "peak_rosters_mb": peak_rosters, "peak_extract_mb": peak_extract, "peak_mb": _rss_mb(),
                "workers_peak_mb": _rss_mb(1), "db_mb": db_mb}
    finally:
        shutil.rmtree(wsdir, ignore_errors=True)


def phase_naive(folder: Path) -> dict:
    import pandas as pd

    c0 = _cpu_s()
    t0 = time.perf_counter()
    frames = []
    for p in sorted((folder / "rosters").glob("*.xlsx")):
        df = pd.read_excel(p, engine="openpyxl", header=None, skiprows=6, dtype=object)
        frames.append(df[[1, 3, 4, 6, 7]].set_axis(["name", "sex", "nisn", "birth", "nik"], axis=1))
    students = pd.concat(frames, ignore_index=True)
    t1 = time.perf_counter()
    reg = pd.read_csv(folder / "registry.csv", dtype=str)
    merged = students.assign(nik=students["nik"].astype(str)).merge(reg[["NIK"]], how="left", left_on="nik",
                                                                    right_on="NIK", indicator=True)
    born = pd.to_datetime(merged["birth"].astype(str), errors="coerce", format="mixed")
    limit = pd.Timestamp(START.replace(year=START.year - 16))
    eligible = int(((merged["_merge"] == "left_only") & (born <= limit)).sum())
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "merge_s": t2 - t1, "total_s": t2 - t0, "eligible": eligible, "cpu_s": _cpu_s() - c0,
            "peak_mb": _rss_mb()}


PHASES = {"floor": phase_floor, "sweet17": phase_sweet17, "naive": phase_naive}


def run_phase(name: str, folder: Path) -> dict:
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_roster", "--phase", name, str(folder)],
                         capture_output=True, text=True, cwd=root, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def repeats() -> int:
    try:
        return max(1, int(os.environ["SWEET17_BENCH_REPEAT"]))
    except (KeyError, ValueError):
        return 3 if scale() <= 0.2 else 1


def main() -> int:
    n, k, e = params()
    reps = repeats()
    print(f"scale {scale()}: {n} students in {k} workbooks, registry extract of {e} rows; {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}; best of {reps} run(s) each")
    folder = ensure_inputs()
    runs: dict[str, list[dict]] = {"floor": [], "sweet17": [], "naive": []}
    for i in range(reps):
        for name in runs:
            r = run_phase(name, folder)
            runs[name].append(r)
            print(f"  run {i + 1} {name:8s}: {r['total_s']:.2f} s (cpu {r['cpu_s']:.2f} s)", flush=True)
    floor, ours, naive = (min(runs[x], key=lambda r: r["total_s"]) for x in ("floor", "sweet17", "naive"))
    print(f"floor   : calamine {floor['workbooks_s']:.2f} s ({floor['cells']:,} cells) + csv {floor['extract_s']:.2f} s "
          f"({floor['extract_rows']:,} rows) = {floor['total_s']:.2f} s, peak {floor['peak_mb']:.0f} MB")
    print(f"sweet17 : rosters {ours['rosters_s']:.2f} s + extract & match {ours['extract_match_s']:.2f} s + "
          f"eligible {ours['eligible_s']:.2f} s = {ours['total_s']:.2f} s (cpu {ours['cpu_s']:.2f} s; "
          f"{ours['workers']} worker process(es) by {ours['start']} + the main one)")
    print(f"          {ours['students']:,} students, {ours['recorded']:,} recorded [{ours['matched_by_nik']:,} by NIK, "
          f"{ours['matched_by_name']:,} by name, {ours['review']} to review], {ours['eligible']:,} eligible; "
          f"{ours['persons']:,} extract rows kept; database {ours['db_mb']:.0f} MB")
    print(f"          peak memory: main {ours['peak_rosters_mb']:.0f} MB after rosters, {ours['peak_extract_mb']:.0f} MB "
          f"after extract & match, {ours['peak_mb']:.0f} MB at the end; workers {ours['workers_peak_mb']:.0f} MB each")
    print(f"naive   : pandas read_excel(openpyxl) {naive['read_s']:.2f} s + read_csv & merge {naive['merge_s']:.2f} s "
          f"= {naive['total_s']:.2f} s, peak {naive['peak_mb']:.0f} MB ({naive['eligible']:,} eligible by its count)")
    r_floor = ours["total_s"] / floor["total_s"]
    r_naive = naive["total_s"] / ours["total_s"]
    peak = ours["peak_mb"] + ours["workers"] * ours["workers_peak_mb"]
    print(f"sweet17 / floor = {r_floor:.2f}x (target <= 1.5x: {'met' if r_floor <= 1.5 else 'NOT met'}); "
          f"rosters / calamine = {ours['rosters_s'] / floor['workbooks_s']:.2f}x, "
          f"extract & match / csv = {ours['extract_match_s'] / floor['extract_s']:.2f}x")
    print(f"naive / sweet17 = {r_naive:.1f}x faster (target >= 5x: {'met' if r_naive >= 5 else 'NOT met'})")
    print(f"sweet17 peak memory = {peak:.0f} MB, main + workers (target < 1536 MB: "
          f"{'met' if peak < 1536 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--phase":
        print(json.dumps(PHASES[sys.argv[2]](Path(sys.argv[3]))))
    else:
        sys.exit(main())

"""Done when: the sample drive imports with every seeded anomaly found and reported, and the eligible
counts agree with a count computed here from the generator's ground truth."""

import json
from collections import Counter
from datetime import date, timedelta

import pytest

START = date(2027, 1, 11)

# seeded anomaly (sweet17.services.sample.ANOMALIES) -> the finding that reports it at that row
EXPECTED = {
    "nik_missing": "nik.missing",
    "nik_kk_swapped": "roster.nik_kk_swapped",
    "nik_as_number": "roster.nik_number",
    "nik_kitas": "roster.nik_kitas",
    "nik_date_mismatch": "nik.birthdate_mismatch",
    "nik_region_6308": "nik.region_before_split",
    "nik_other_regency": "nik.region_outside",
    "birth_excel_date": "roster.birth_date_cell",
    "birth_excel_serial": "roster.birth_date_serial",
    "nisn_as_number": "roster.nisn_restored",
    "transfer": "roster.at_other_school",
    "penghasilan_mojibake": "roster.mojibake",
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from sweet17.entrypoints.cli.main import run
    from sweet17.services.drives import load_drive, register_drive
    from sweet17.services.sample import generate_balangan
    from sweet17.services.workspace import Workspace

    base = tmp_path_factory.mktemp("sample")
    sample = generate_balangan(base / "drive", seed=5, students=1500, start=START)
    ws = Workspace.create(base / "ws")
    register_drive(ws, load_drive(sample.folder))
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(["--workspace", str(ws.path), "roster", "import", str(sample.folder / "rosters"), "--json"]) == 0
        rosters = json.loads(out.getvalue())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(["--workspace", str(ws.path), "registry-extract", "import", "--json"]) == 0
        extract = json.loads(out.getvalue())
    yield sample, ws, rosters, extract
    ws.close()


def test_every_file_imports(imported):
    sample, _ws, rosters, extract = imported
    assert rosters["failed"] == 0
    assert len(rosters["files"]) == len(sample.schools) + len(sample.leaver_files)
    by = {(f["school"], f["kind"]): f for f in rosters["files"]}
    for s in sample.schools:
        assert by[(s.code, "roster")]["students"] == s.rows
    assert extract["persons"] == sample.registry_rows and extract["skipped"] == {}


def test_every_seeded_anomaly_is_found_and_reported(imported):
    from sweet17.services.roster import list_problems

    sample, ws, _r, _e = imported
    found = {(p.school_code, p.row, p.code) for p in list_problems(ws, sample.slug, min_severity="info")}
    seeded = Counter()
    missed = []
    for t in sample.truth:
        for a in t.anomalies:
            if a not in EXPECTED:
                continue
            seeded[a] += 1
            if (t.school_code, t.row, EXPECTED[a]) not in found:
                missed.append((a, t.school_code, t.row))
    assert not missed, missed[:10]
    assert set(seeded) == set(EXPECTED)          # the sample seeds each kind at least once
    # the spelling variants on the registry extract are still matched (not left for review)
    from sqlalchemy import text

    with ws.engine.connect() as c:
        rows = dict(c.execute(text("SELECT s.school_code || ':' || s.row_number, m.method FROM roster_student s "
                                   "LEFT JOIN registry_match m ON m.student_id = s.id")).all())
        reviews = c.execute(text("SELECT COUNT(*) FROM registry_review")).scalar()
    variants = [t for t in sample.truth if "registry_name_variant" in t.anomalies]
    assert variants and all(rows[f"{t.school_code}:{t.row}"] for t in variants)
    assert reviews == 0
    wrong = [(t.school_code, t.row) for t in sample.truth if bool(rows[f"{t.school_code}:{t.row}"]) != t.recorded]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("offset", [0, 30])
def test_eligible_counts_agree_with_the_ground_truth(imported, offset):
    from sweet17.domain.ages import age_on
    from sweet17.services.eligibility import eligibility

    sample, ws, _r, _e = imported
    on = START + timedelta(days=offset)
    expected = Counter()
    for t in sample.truth:        # independently: citizens, not on the extract, 16 or older on the day
        if t.citizen and not t.recorded and t.left_reason is None and t.birth_date <= on and \
                age_on(t.birth_date, on) >= 16:
            expected[t.school_code] += 1
    rep = eligibility(ws, as_of=on)
    got = {s.code: s.counts.eligible for s in rep.schools}
    assert got == {s.code: expected[s.code] for s in sample.schools}
    # the generator's own count, each listing of a transferred student at its school
    assert got == sample.eligible_truth(on, transfers="both")
    assert sum(got.values()) - sum(sample.eligible_truth(on).values()) == sum(
        1 for t in sample.truth if t.transfer == "stale" and t.eligible_on(on))


def test_problem_workbooks_for_the_schools(imported, tmp_path):
    import openpyxl

    from sweet17.services.roster import export_problems, list_problems

    sample, ws, _r, _e = imported
    probs = list_problems(ws, sample.slug)
    files = export_problems(ws, sample.slug, probs, out_dir=tmp_path)
    assert len(files) == len({p.school_code for p in probs})
    some = next(p for p in probs if p.code == "roster.nik_number")
    wb = openpyxl.load_workbook(tmp_path / f"roster-problems-{some.school_code}.xlsx")
    sh = wb.active
    assert sh.freeze_panes == "A4" and sh.auto_filter.ref
    head = [c.value for c in sh[3]]
    assert head[:6] == ["Baris", "NISN", "Nama", "Kolom", "Isi di berkas", "Tingkat"]
    rows = [r for r in sh.iter_rows(min_row=4, values_only=True)]
    hit = [r for r in rows if r[0] == some.row and r[3] == "NIK"]
    assert hit and "Excel" in hit[0][6] and "KK" in hit[0][7]

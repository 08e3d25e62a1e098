"""The sample Balangan generator: determinism, rates, anomalies, NIK consistency, the ground truth."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweet17.domain import nik as nikcore
from sweet17.domain.ages import age_on
from sweet17.domain.regions import BALANGAN_KECAMATAN
from sweet17.errors import UserError
from sweet17.services.sample import ANOMALIES, default_start, generate_balangan, plan_balangan
from sweet17.services.sample.generator import MOJIBAKE_DASH, excel_float, excel_serial
from sweet17.services.sample.schools import NEIGHBOURS, SCHOOLS

START = date(2027, 1, 11)


@pytest.fixture(scope="module")
def big():
    """The default-size sample, in memory (about 0.4 s)."""
    return plan_balangan(seed=17, students=6500, start=START)


def _cells(path):
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_same_seed_same_bytes_truth_and_cells(tmp_path):
    a = generate_balangan(tmp_path / "a", seed=9, students=400, start=START)
    b = generate_balangan(tmp_path / "b", seed=9, students=400, start=START)
    assert a.drive_file.read_bytes() == b.drive_file.read_bytes()
    assert a.registry_file.read_bytes() == b.registry_file.read_bytes()
    assert [t.to_dict() for t in a.truth] == [t.to_dict() for t in b.truth]
    assert [t.to_dict() for t in a.leavers] == [t.to_dict() for t in b.leavers]
    assert sorted(p.name for p in (a.folder / "rosters").iterdir()) == \
        sorted(p.name for p in (b.folder / "rosters").iterdir())
    for code, path in a.rosters.items():
        assert _cells(path) == _cells(b.rosters[code]), code
        assert path.read_bytes() == b.rosters[code].read_bytes(), code
    c = generate_balangan(tmp_path / "c", seed=10, students=400, start=START)
    assert [t.to_dict() for t in c.truth] != [t.to_dict() for t in a.truth]
    assert c.registry_file.read_bytes() != a.registry_file.read_bytes()


def test_workbooks_written_an_hour_apart_are_the_same_bytes(tmp_path, monkeypatch):
    import time
    import zipfile

    generate_balangan(tmp_path / "a", seed=9, students=200, start=START)
    now = time.time()
    monkeypatch.setattr(zipfile.time, "time", lambda: now + 3600)   # the clock openpyxl's parts would carry
    later = tmp_path / "b"
    b = generate_balangan(later, seed=9, students=200, start=START)
    for code, path in b.rosters.items():
        first = tmp_path / "a" / path.relative_to(later)
        assert first.read_bytes() == path.read_bytes(), code
        with zipfile.ZipFile(path) as z:
            assert {i.date_time for i in z.infolist()} == {z.infolist()[0].date_time}


def test_today_does_not_matter_when_start_is_given():
    a = plan_balangan(seed=3, students=300, start=START, today=date(2020, 2, 2))
    b = plan_balangan(seed=3, students=300, start=START, today=date(2031, 12, 31))
    assert a.truth == b.truth and a.registry == b.registry and a.drive == b.drive


@pytest.mark.parametrize("today,expected", [
    (date(2026, 11, 22), date(2027, 1, 11)),   # after 1 October: second Monday of January
    (date(2026, 10, 2), date(2027, 1, 11)),
    (date(2026, 10, 1), date(2026, 10, 19)),   # not after: first Monday 14+ days ahead
    (date(2026, 3, 2), date(2026, 3, 16)),     # a Monday: exactly 14 days
    (date(2027, 12, 31), date(2028, 1, 10)),   # 1 January 2028 is a Saturday
])
def test_default_start(today, expected):
    assert default_start(today) == expected
    assert plan_balangan(seed=1, students=100, today=today).start == expected


def test_size_limits_are_user_errors():
    with pytest.raises(UserError, match="--students"):
        plan_balangan(students=10, start=START)


def test_every_anomaly_appears_in_a_small_sample():
    for seed in (1, 2, 17):
        plan = plan_balangan(seed=seed, students=400, start=START)
        counts = Counter(a for t in plan.truth for a in t.anomalies)
        assert {k for k in ANOMALIES if counts[k] == 0} == set(), seed


def test_anomalies_are_what_the_cells_hold(big):
    for t in big.truth:
        a = set(t.anomalies)
        if "nik_missing" in a:
            assert t.nik_cell is None and t.true_nik
        elif "nik_kk_swapped" in a:
            assert t.nik_cell == t.kk and t.kk_cell == t.true_nik and t.kk != t.true_nik
        elif "nik_as_number" in a:
            assert isinstance(t.nik_cell, float) and t.nik_cell == excel_float(t.true_nik)
            kept = f"{t.nik_cell:.0f}"
            assert len(kept) == 16 and kept.endswith("0") and kept[:12] == t.true_nik[:12]
        elif "nik_kitas" in a:
            assert not t.citizen and t.true_nik is None and t.nik_cell == t.kitas and not t.nik_cell.isdigit()
            assert t.kk_cell is None
        else:
            assert t.nik_cell == t.true_nik and t.kk_cell == t.kk and t.nik_usable
        written = {"excel_date": "birth_excel_date", "excel_serial": "birth_excel_serial"}.get(t.birth_written)
        assert (written in a) if written else not ({"birth_excel_date", "birth_excel_serial"} & a)
        if t.birth_written == "text":
            assert t.birth_cell == t.birth_date.isoformat()
        elif t.birth_written == "excel_date":
            assert t.birth_cell == t.birth_date
        else:
            assert t.birth_cell == excel_serial(t.birth_date) and isinstance(t.birth_cell, int)
        if "nisn_as_number" in a:
            assert t.nisn_cell == int(t.nisn) and len(str(t.nisn_cell)) < 10
        else:
            assert t.nisn_cell == t.nisn
        assert len(t.nisn) == 10 and t.nisn.isdigit() and t.nisn.startswith("0")
        assert ("registry_name_variant" in a) == (t.recorded and t.registry_name != t.name.upper())


def test_anomaly_rates_are_realistic(big):
    n = big.students
    people = {t.person_id: t for t in big.truth}
    counts = Counter(a for t in people.values() for a in t.anomalies)
    assert 0.01 * n <= counts["nik_missing"] <= 0.02 * n
    assert 0.005 * n <= counts["nik_kk_swapped"] <= 0.012 * n
    assert 0.006 * n <= counts["nik_as_number"] <= 0.015 * n
    assert 1 <= counts["nik_kitas"] <= 5
    assert 10 <= counts["transfer"] <= 40
    transfers = [t for t in big.truth if t.transfer]
    by_person = Counter(t.person_id for t in transfers)
    assert set(by_person.values()) == {2}
    for pid in by_person:
        rows = [t for t in transfers if t.person_id == pid]
        assert {r.transfer for r in rows} == {"stale", "current"}
        assert len({r.school_code for r in rows}) == 2 and len({(r.nisn, r.true_nik, r.name.upper()) for r in rows}) == 1
    # the Excel-number NIKs cluster in the re-saved files
    resaved = {s.code for s in big.schools if s.profile.startswith("resaved")}
    as_number = [t for t in big.truth if "nik_as_number" in t.anomalies]
    assert sum(t.school_code in resaved for t in as_number) > len(as_number) / 3


def test_ages_classes_and_recorded_share(big):
    people = [t for t in big.truth if t.transfer != "stale"]
    ages = Counter(t.age_on(START) for t in people)
    assert set(ages) <= {15, 16, 17, 18, 19}
    aged = [t for t in people if t.age_on(START) >= 16]
    assert 0.6 < len(aged) / len(people) < 0.95
    turning = [t for t in people if t.age_on(START) < 16 <= t.age_on(big.end)]
    assert len(turning) > 50
    recorded = [t for t in aged if t.recorded]
    assert 0.28 < len(recorded) / len(aged) < 0.40
    assert all(t.citizen and age_on(t.birth_date, big.registry_extract_date) >= 16
               for t in people if t.recorded)
    grades = Counter(t.grade for t in people)
    assert set(grades) == {10, 11, 12} and grades[10] > grades[12]
    rombels = Counter((t.school_code, t.rombel) for t in big.truth)
    assert max(rombels.values()) <= 38
    kinds = {s.kind for s in SCHOOLS}
    assert kinds == {"SMA", "SMK", "MA"}
    assert any(r.startswith("XII AGAMA") for _s, r in rombels) and any(" TKJ " in r for _s, r in rombels)


def test_registry_extract(big):
    rows = big.registry
    assert 2000 < len(rows) < 8000
    assert list(rows[0]) == ["NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STATUS"]
    niks = [r["NIK"] for r in rows]
    assert niks == sorted(niks) and len(set(niks)) == len(niks)
    assert {r["JENIS_KLMIN"] for r in rows} == {"1", "2"}
    assert {r["STATUS"] for r in rows} == {"SUDAH CETAK", "SUDAH REKAM"}
    by_nik = {r["NIK"]: r for r in rows}
    students = {t.person_id: t for t in big.truth}.values()
    for t in students:
        if t.recorded:
            r = by_nik[t.true_nik]
            assert r["NAMA_LGKP"] == t.registry_name and r["NO_KK"] == t.kk
            assert datetime.strptime(r["TGL_LHR"], "%d-%m-%Y").date() == t.birth_date
            assert r["JENIS_KLMIN"] == ("1" if t.sex == "L" else "2")
        elif t.true_nik:
            assert t.true_nik not in by_nik
    noise = len(rows) - sum(1 for t in students if t.recorded)
    assert noise >= 2500
    # recorded students whose roster NIK is missing or broken, some spelt differently
    broken = [t for t in students if t.recorded and not t.nik_usable]
    assert len(broken) >= 10
    assert any(t.registry_name != t.name.upper() for t in broken)
    assert any("MUHAMMAD" in (t.registry_name or "") for t in students if t.recorded and t.name.startswith("M. "))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), students=st.integers(100, 500))
def test_niks_are_consistent_with_the_truth(seed, students):
    plan = plan_balangan(seed=seed, students=students, start=START)
    seen: dict[str, int] = {}
    for t in plan.truth + plan.leavers:
        if not t.citizen:
            assert "nik_kitas" in t.anomalies
            continue
        parts = nikcore.split(t.true_nik)
        assert parts is not None and parts.sex == t.sex
        assert nikcore.resolve_birth_date(parts, START) == t.nik_birth_date
        if "nik_date_mismatch" in t.anomalies:
            assert t.nik_birth_date != t.birth_date
        else:
            assert t.nik_birth_date == t.birth_date
        if "nik_region_6308" in t.anomalies:
            assert parts.regency == "6308"
        elif "nik_other_regency" in t.anomalies:
            assert parts.regency not in ("6311", "6308") and parts.province == "63"
        else:
            school = next(s for s in SCHOOLS if s.code == t.school_code)
            if t.transfer is None and t.left_reason is None:
                assert parts.kecamatan in (school.kecamatan_code, *NEIGHBOURS[school.kecamatan_code])
            assert parts.kecamatan in BALANGAN_KECAMATAN
        check = nikcore.check(t.true_nik, as_of=START, birth_date=t.nik_birth_date, sex=t.sex)
        assert check.ok and not check.findings
        assert len(t.kk) == 16 and t.kk.isdigit() and t.kk != t.true_nik
        if seen.setdefault(t.true_nik, t.person_id) != t.person_id:
            raise AssertionError(f"NIK shared by two people: {t.true_nik}")
    registry_niks = [r["NIK"] for r in plan.registry]
    assert len(set(registry_niks)) == len(registry_niks)


def test_eligible_truth_matches_an_independent_count(big):
    on = date(2027, 2, 15)
    el = big.eligible_truth(on)
    assert set(el) == {s.code for s in big.schools}
    expected: Counter[str] = Counter()
    for t in big.truth:
        if t.transfer == "stale" or not t.citizen or t.recorded:
            continue
        years = on.year - t.birth_date.year - ((on.month, on.day) < (t.birth_date.month, t.birth_date.day))
        if years >= 16:
            expected[t.school_code] += 1
    assert el == {code: expected.get(code, 0) for code in el}
    both = big.eligible_truth(on, transfers="both")
    assert sum(both.values()) > sum(el.values())
    usable = big.eligible_truth(on, require_usable_nik=True)
    assert sum(usable.values()) < sum(el.values())
    assert sum(big.eligible_truth(on, min_age=17).values()) < sum(el.values())
    with pytest.raises(ValueError):
        big.eligible_truth(on, transfers="all")


def test_leavers_are_not_on_any_roster(big):
    assert 10 <= len(big.leavers) <= 30
    roster_niks = {t.true_nik for t in big.truth}
    for t in big.leavers:
        assert t.left_reason and t.left_date and t.file.endswith("-keluar.xlsx")
        assert t.true_nik not in roster_niks
        assert not t.eligible_on(START)


def test_mojibake_and_profiles(big):
    profiles = Counter(s.profile for s in big.schools)
    assert profiles == Counter({"normal": 18, "resaved": 1, "resaved_numbers": 1, "pasted": 1, "mojibake": 1})
    moj = next(s.code for s in big.schools if s.profile == "mojibake")
    rows = big.roster_rows[moj]
    assert all(MOJIBAKE_DASH in r["ayah_penghasilan"] for r in rows)
    assert all(MOJIBAKE_DASH not in str(r.get("ayah_penghasilan")) for c, rs in big.roster_rows.items()
               if c != moj for r in rs)

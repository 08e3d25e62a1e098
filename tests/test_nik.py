"""The NIK core: encode/decode round trips (hypothesis) and every finding."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sweet17.domain import nik
from sweet17.domain.findings import Severity
from sweet17.domain.regions import BALANGAN_KECAMATAN

AS_OF = date(2026, 11, 1)
KEC = sorted(BALANGAN_KECAMATAN)

births = st.dates(min_value=date(1927, 1, 1), max_value=AS_OF)
sexes = st.sampled_from(["L", "P"])
serials = st.integers(min_value=1, max_value=9999)
kecs = st.sampled_from(KEC)


def codes(r):
    return {f.code for f in r.findings}


@given(kec=kecs, born=births, sex=sexes, serial=serials)
@settings(max_examples=300)
def test_round_trip_with_roster_hint(kec, born, sex, serial):
    n = nik.encode(kec, born, sex, serial)
    assert len(n) == 16 and n.isdigit()
    r = nik.check(n, as_of=AS_OF, birth_date=born, sex=sex, drive_regency="6311")
    assert r.ok and r.findings == []
    assert r.birth_date == born and r.sex == sex and r.parts.kecamatan == kec
    assert r.parts.serial == f"{serial:04d}"
    assert r.kecamatan_name == BALANGAN_KECAMATAN[kec]


@given(kec=kecs, born=st.dates(min_value=AS_OF - timedelta(days=99 * 365), max_value=AS_OF), sex=sexes, serial=serials)
@settings(max_examples=300)
def test_century_resolved_against_reference_date_without_hint(kec, born, sex, serial):
    """Within 99 years before the reference date, the century is always right without any hint."""
    r = nik.check(nik.encode(kec, born, sex, serial), as_of=AS_OF)
    assert r.birth_date == born


def test_student_born_2008_is_not_1908():
    r = nik.check("6311061708080001", as_of=date(2026, 1, 1))
    assert r.birth_date == date(2008, 8, 17)


@given(born=births, sex=sexes, other=births)
@settings(max_examples=200)
def test_birthdate_mismatch_is_warning_never_exception(born, sex, other):
    r = nik.check(nik.encode("631106", born, sex, 1), as_of=AS_OF, birth_date=other, sex=sex)
    if other != born:
        f = [x for x in r.findings if x.code == "nik.birthdate_mismatch"]
        assert f and f[0].severity == Severity.WARNING and r.ok
        assert r.birth_date == born  # the NIK's own date, not the roster's
    else:
        assert "nik.birthdate_mismatch" not in codes(r)


@given(born=births, sex=sexes)
def test_sex_mismatch(born, sex):
    other = "P" if sex == "L" else "L"
    r = nik.check(nik.encode("631106", born, sex, 7), as_of=AS_OF, sex=other)
    assert "nik.sex_mismatch" in codes(r) and r.ok


@given(st.text(alphabet="0123456789", min_size=1, max_size=30).filter(lambda s: len(s) != 16))
def test_wrong_length_is_error(s):
    r = nik.check(s, as_of=AS_OF)
    assert not r.ok and codes(r) == {"nik.length"}


@pytest.mark.parametrize("raw,code", [
    ("", "nik.missing"),
    (None, "nik.missing"),
    ("63110617O8080001", "nik.not_digits"),
    ("6311063002080001", "nik.date_invalid"),     # 30 February
    ("6311067202080001", "nik.date_invalid"),     # female 32 February
    ("6311061713080001", "nik.date_invalid"),     # month 13
    ("9911061708080001", "nik.province_unknown"),
])
def test_error_findings(raw, code):
    r = nik.check(raw, as_of=AS_OF)
    assert code in codes(r) and not r.ok


def test_future_birth_is_error():
    r = nik.check("6311060101270001", as_of=date(2026, 11, 1))  # 2027 would be future, 1927 is fine
    assert r.birth_date == date(1927, 1, 1) and r.ok
    r = nik.check("6311061711260001", as_of=date(2026, 11, 1))  # 17 Nov 2026 after as_of; 1926 is chosen
    assert r.birth_date == date(1926, 11, 17)


def test_warning_findings():
    r = nik.check("6311061708080000", as_of=AS_OF)
    assert "nik.serial_zero" in codes(r) and r.ok
    r = nik.check("6308061708080001", as_of=AS_OF, drive_regency="6311")
    assert "nik.region_before_split" in codes(r) and r.ok
    r = nik.check("6371011708080001", as_of=AS_OF, drive_regency="6311")
    assert "nik.region_outside" in codes(r)
    r = nik.check("6311991708080001", as_of=AS_OF, drive_regency="6311")
    assert "nik.kecamatan_unknown" in codes(r)
    r = nik.check("6399011708080001", as_of=AS_OF)
    assert "nik.regency_unknown" in codes(r)


def test_leap_day_births():
    assert nik.check("6311062902000001", as_of=AS_OF).birth_date == date(2000, 2, 29)
    assert nik.check("6311066902080001", as_of=AS_OF).birth_date == date(2008, 2, 29)  # female
    # 29 Feb 2009 does not exist; in 1909 neither
    assert "nik.date_invalid" in codes(nik.check("6311062902090001", as_of=AS_OF))


def test_clean_accepts_exported_forms():
    assert nik.clean("'6311061708080001") == "6311061708080001"
    assert nik.clean(" 6311 0617 0808 0001 ") == "6311061708080001"


def test_findings_render_translated():
    from sweet17.i18n import _, set_language

    set_language("id")
    r = nik.check("123", as_of=AS_OF)
    assert r.findings[0].render(_) == "NIK 123 terdiri dari 3 digit, bukan 16"
    set_language("en")
    assert r.findings[0].render(_) == "NIK 123 has 3 digits, not 16"
    set_language("id")


def test_national_regency_table():
    from sweet17.adapters.regions import national_regions

    t = national_regions()
    assert t.regency("6371") == "Banjarmasin" and t.regency("6311") == "Balangan"
    assert "nik.regency_unknown" in codes(nik.check("3199011708080001", as_of=AS_OF, regions=t))
    # provinces created after python-stdnum's table: their regencies are unknown, never flagged
    r = nik.check("6501011708080001", as_of=AS_OF, regions=t)
    assert r.province_name == "Kalimantan Utara" and r.findings == []


def test_nik_cli_names_regencies_outside_kalsel(cli):
    import json

    code, out, err = cli("nik", "3171011708080001", "--as-of", "2026-11-01", "--json")
    r = json.loads(out)["results"][0]
    assert r["regency"] == "Jakarta Selatan" and r["findings"][0]["code"] == "nik.region_outside"

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from sweet17.domain.ages import age_on, anniversary, days_until_age, reaches_age_between


def test_simple_ages():
    assert age_on(date(2010, 5, 10), date(2026, 5, 9)) == 15
    assert age_on(date(2010, 5, 10), date(2026, 5, 10)) == 16


def test_leap_day_birth():
    b = date(2008, 2, 29)
    assert anniversary(b, 16) == date(2024, 2, 29)      # leap year
    b = date(2012, 2, 29)
    assert anniversary(b, 15) == date(2027, 3, 1)       # common year: 1 March
    assert age_on(b, date(2027, 2, 28)) == 14
    assert age_on(b, date(2027, 3, 1)) == 15


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2020, 12, 31)), st.integers(0, 80))
def test_anniversary_is_first_day_of_age(birth, years):
    turn = anniversary(birth, years)
    assert age_on(birth, turn) == years
    if turn > birth:
        assert age_on(birth, date.fromordinal(turn.toordinal() - 1)) == years - 1


def test_window_helpers():
    b = date(2010, 12, 1)
    assert reaches_age_between(b, 16, date(2026, 11, 1), date(2026, 12, 31))
    assert not reaches_age_between(b, 16, date(2027, 1, 1), date(2027, 2, 1))
    assert days_until_age(b, 16, date(2026, 11, 24)) == 7

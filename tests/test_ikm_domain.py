"""IKM (Permenpan RB 14/2017) against worked examples computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sweet17.domain import ikm


def resp(d: date, *scores: int | None) -> ikm.Response:
    return ikm.Response(responded_on=d, scores=dict(zip(ikm.ELEMENTS, scores, strict=True)))


# Five respondents, nine elements (U1..U9):
#        U1 U2 U3 U4 U5 U6 U7 U8 U9
WORKED = [
    (3, 3, 3, 4, 3, 3, 4, 2, 3),
    (4, 3, 3, 4, 3, 4, 4, 2, 3),
    (3, 3, 2, 4, 3, 3, 3, 3, 3),
    (3, 4, 3, 4, 4, 3, 4, 2, 2),
    (4, 3, 3, 4, 3, 4, 4, 3, 3),
]


def test_worked_example_by_hand():
    # Element sums and averages (NRR = sum / 5 respondents):
    #   U1 3+4+3+3+4 = 17 -> 3.4      U2 3+3+3+4+3 = 16 -> 3.2     U3 3+3+2+3+3 = 14 -> 2.8
    #   U4 4+4+4+4+4 = 20 -> 4.0      U5 3+3+3+4+3 = 16 -> 3.2     U6 3+4+3+3+4 = 17 -> 3.4
    #   U7 4+4+3+4+4 = 19 -> 3.8      U8 2+2+3+2+3 = 12 -> 2.4     U9 3+3+3+2+3 = 14 -> 2.8
    # Weighted equally (1/9 each): index = (3.4+3.2+2.8+4.0+3.2+3.4+3.8+2.4+2.8) / 9 = 29.0 / 9 = 3.2222...
    # Converted: 3.2222... x 25 = 80.5555... -> 80.56, between 76.61 and 88.30: category B (baik).
    # (With the guideline's rounded weight 0.111 the index would be 29.0 x 0.111 = 3.219: still B.)
    rs = [resp(date(2026, 11, 2 + i), *row) for i, row in enumerate(WORKED)]
    r = ikm.compute(rs)
    assert r.respondents == 5
    expected = {"u1": "3.4", "u2": "3.2", "u3": "2.8", "u4": "4.0", "u5": "3.2", "u6": "3.4", "u7": "3.8",
                "u8": "2.4", "u9": "2.8"}
    for e, avg in expected.items():
        assert r.element(e).average == Fraction(avg), e
        assert r.element(e).answers == 5
    assert r.index == Fraction(29, 9)
    assert r.converted == Decimal("80.56")
    assert r.category == "B"
    assert r.weakest == ("u8",)
    assert r.strongest == ("u4",)
    d = r.to_dict()
    assert d["index"] == 3.2222 and d["converted"] == 80.56 and d["category"] == "B"
    assert d["elements"][7] == {"element": "u8", "answers": 5, "average": 2.4, "converted": 60.0, "category": "D"}


def test_unanswered_scores_leave_the_element_mean_only():
    # Respondent 2 skipped U3. U3's NRR = (2 + 4) / 2 = 3.0 (not (2 + 0 + 4) / 3).
    # All other elements: (4 + 4 + 4) / 3 = 4.0 except U3; index = (8 x 4.0 + 3.0) / 9 = 35 / 9 = 3.8889
    # converted 97.22 -> A.
    rs = [resp(date(2026, 1, 5), 4, 4, 2, 4, 4, 4, 4, 4, 4),
          resp(date(2026, 1, 6), 4, 4, None, 4, 4, 4, 4, 4, 4),
          resp(date(2026, 1, 7), 4, 4, 4, 4, 4, 4, 4, 4, 4)]
    r = ikm.compute(rs)
    assert r.element("u3").answers == 2 and r.element("u3").average == 3
    assert r.index == Fraction(35, 9)
    assert r.converted == Decimal("97.22") and r.category == "A"
    assert r.weakest == ("u3",) and r.incomplete == ()


def test_element_nobody_answered_is_left_out_and_reported():
    # Nobody answered U4 (cost: the e-KTP is free). Eight elements remain, each weight 1/8:
    # all 3 -> index 3.0 (converted 75.00, C).
    rs = [resp(date(2026, 3, 1), 3, 3, 3, None, 3, 3, 3, 3, 3)] * 2
    r = ikm.compute(rs)
    assert r.incomplete == ("u4",)
    assert r.index == 3 and r.category == "C"
    assert r.element("u4").average is None and r.to_dict()["elements"][3]["average"] is None


def test_no_responses():
    r = ikm.compute([])
    assert r.index is None and r.category is None and r.respondents == 0
    assert r.incomplete == ikm.ELEMENTS


@pytest.mark.parametrize(("index", "converted", "cat"), [
    ("1.00", "25.00", "D"),
    ("2.5996", "64.99", "D"),
    ("2.60", "65.00", "C"),
    ("3.064", "76.60", "C"),
    ("3.0642", "76.61", "B"),    # 76.605 rounds half-up to 76.61
    ("3.0644", "76.61", "B"),
    ("3.32", "83.00", "B"),      # the office's 2021 figure
    ("3.37", "84.25", "B"),      # the office's 2022 figure
    ("3.532", "88.30", "B"),
    ("3.5324", "88.31", "A"),
    ("4.00", "100.00", "A"),
])
def test_category_boundaries_from_the_guideline(index, converted, cat):
    assert ikm.convert(Decimal(index)) == Decimal(converted)
    assert ikm.category(Decimal(index)) == cat
    assert ikm.category(float(index)) == cat


def test_periods():
    rs = [resp(date(2026, 1, 31), *[4] * 9), resp(date(2026, 2, 1), *[2] * 9), resp(date(2026, 7, 1), *[3] * 9),
          resp(date(2026, 12, 31), *[1] * 9)]
    months = ikm.by_period(rs, "month")
    assert [m.period for m in months] == ["2026-01", "2026-02", "2026-07", "2026-12"]
    assert months[0].end == date(2026, 1, 31) and months[3].end == date(2026, 12, 31)
    quarters = ikm.by_period(rs, "quarter")
    assert [(q.period, q.respondents, q.index) for q in quarters] == [
        ("2026-Q1", 2, 3), ("2026-Q3", 1, 3), ("2026-Q4", 1, 1)]
    assert quarters[0].start == date(2026, 1, 1) and quarters[0].end == date(2026, 3, 31)
    sem = ikm.by_period(rs, "semester")
    assert [(s.period, s.respondents, s.index) for s in sem] == [("2026-S1", 2, 3), ("2026-S2", 2, 2)]
    whole = ikm.by_period(rs, "all")
    assert len(whole) == 1 and whole[0].respondents == 4 and whole[0].index == Fraction(10, 4)
    assert whole[0].start == date(2026, 1, 31) and whole[0].end == date(2026, 12, 31)
    assert ikm.by_period(rs, "year")[0].period == "2026"


def test_invalid_scores():
    assert ikm.invalid_scores({"u1": 0, "u2": 5, "u3": 3, "u4": None, "u5": "3", "u6": True}) == \
        ["u1", "u2", "u5", "u6"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(1, 4), min_size=9, max_size=9), min_size=1, max_size=40))
def test_index_is_mean_of_element_means_and_in_range(rows):
    r = ikm.compute([resp(date(2026, 5, 1), *row) for row in rows])
    n = len(rows)
    means = [Fraction(sum(row[i] for row in rows), n) for i in range(9)]
    assert r.index == sum(means) / 9
    assert 1 <= r.index <= 4
    assert Decimal(25) <= r.converted <= Decimal(100)
    assert min(means) == r.element(r.weakest[0]).average

"""Ages on a date, with 29 February births handled.

A person born on 29 February completes a year of age on 1 March in common years (they have
not lived the full year on 28 February); in leap years on 29 February.
"""

from __future__ import annotations

from datetime import date, timedelta


def anniversary(birth: date, years: int) -> date:
    """The date on which someone born on ``birth`` reaches ``years`` of age."""
    year = birth.year + years
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def age_on(birth: date, on: date) -> int:
    """Completed years of age on ``on`` (0 before the first birthday). ``on`` must not precede birth."""
    if on < birth:
        raise ValueError("date precedes birth")
    years = on.year - birth.year
    if anniversary(birth, years) > on:
        years -= 1
    return years


def reaches_age_between(birth: date, age: int, start: date, end: date) -> bool:
    """True if the person reaches ``age`` in the closed interval [start, end]."""
    turn = anniversary(birth, age)
    return start <= turn <= end


def days_until_age(birth: date, age: int, on: date) -> int:
    """Days from ``on`` until ``age`` is reached (0 or negative when already reached)."""
    return (anniversary(birth, age) - on) // timedelta(days=1)

"""Indonesian national holidays and collective leave days (cuti bersama) from the ``holidays`` package.

``categories=("public", "government")``: "public" are the national holidays, "government"
the cuti bersama days set by the joint ministerial decree, when schools and government
offices close too. Names come in Bahasa Indonesia (``language="id"``) or English.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

CATEGORIES = ("public", "government")


def indonesian_holidays(years: Iterable[int], language: str = "id") -> dict[date, str]:
    """``{date: name}`` of national holidays and cuti bersama in the given years."""
    import holidays

    lang = "id" if language == "id" else "en_US"
    cal = holidays.country_holidays("ID", years=sorted(set(years)), categories=CATEGORIES, language=lang)
    return {d: str(name) for d, name in sorted(cal.items())}


def holidays_between(start: date, end: date, language: str = "id") -> dict[date, str]:
    return {d: n for d, n in indonesian_holidays(range(start.year, end.year + 1), language).items()
            if start <= d <= end}

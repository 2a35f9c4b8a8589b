"""The Saudi baseline holidays from the pinned `holidays` package, one row per date.

The package follows the private-sector labour rules and computes future Islamic dates from the
Umm al-Qura calendar; it marks those dates as estimated only through a label ("(estimated)")
that it adds when `islamic_show_estimated=True`. Parsing a translated suffix would break with a
translation change, so the flag is derived by comparing the labelled and unlabelled names of the
same date instead, and the names stored are the unlabelled ones. Observed (substitute) days keep
their "(observed)" wording: it is part of why that date is off.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import holidays

COUNTRY = "SA"
LANGUAGE_AR = "ar"
LANGUAGE_EN = "en_US"


@dataclass(frozen=True, slots=True, order=True)
class BaselineHoliday:
    date: date
    name_en: str
    name_ar: str
    estimated: bool


def baseline_holidays(years: Iterable[int]) -> list[BaselineHoliday]:
    """Rows for every baseline holiday date in the given years, sorted by date."""
    wanted = frozenset(years)
    if not wanted:
        return []
    english = _calendar(wanted, LANGUAGE_EN, show_estimated=False)
    labelled = _calendar(wanted, LANGUAGE_EN, show_estimated=True)
    arabic = _calendar(wanted, LANGUAGE_AR, show_estimated=False)
    rows = [
        BaselineHoliday(
            date=day,
            name_en=english[day],
            name_ar=arabic[day],
            estimated=labelled[day] != english[day],
        )
        for day in english
        # The package may add a substitute day that spills past the requested years.
        if day.year in wanted
    ]
    return sorted(rows)


def _calendar(years: frozenset[int], language: str, *, show_estimated: bool) -> dict[date, str]:
    calendar: Any = holidays.country_holidays(
        COUNTRY, years=sorted(years), language=language, islamic_show_estimated=show_estimated
    )
    return {day: str(name) for day, name in calendar.items()}

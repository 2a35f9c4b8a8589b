"""Umm al-Qura companions for Gregorian dates, and a clear error outside the supported range."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.hijri import HijriRangeError, from_hijri, to_hijri


@pytest.mark.parametrize(
    ("gregorian", "hijri"),
    [
        (date(2026, 3, 20), "1447-10-01"),  # 1 Shawwal 1447, Eid al-Fitr
        (date(2026, 2, 18), "1447-09-01"),  # 1 Ramadan 1447
        (date(1924, 8, 1), "1343-01-01"),  # first supported day
        (date(2077, 11, 16), "1500-12-30"),  # last supported day
    ],
)
def test_known_dates_convert_both_ways(gregorian: date, hijri: str) -> None:
    assert to_hijri(gregorian) == hijri
    year, month, day = (int(part) for part in hijri.split("-"))
    converted = from_hijri(year, month, day)
    assert converted == gregorian
    assert type(converted) is date


@pytest.mark.parametrize("outside", [date(1924, 7, 31), date(2077, 11, 17), date(1, 1, 1)])
def test_gregorian_date_outside_the_range_is_a_range_error(outside: date) -> None:
    with pytest.raises(HijriRangeError, match=outside.isoformat()) as caught:
        to_hijri(outside)
    assert isinstance(caught.value, ValueError)  # the API maps it to 422


@pytest.mark.parametrize(("year", "month", "day"), [(1342, 12, 29), (1501, 1, 1), (1447, 13, 1)])
def test_hijri_date_outside_the_range_is_a_range_error(year: int, month: int, day: int) -> None:
    with pytest.raises(HijriRangeError, match="not supported"):
        from_hijri(year, month, day)


def test_day_missing_from_a_29_day_month_is_a_range_error() -> None:
    assert to_hijri(date(2026, 3, 19)) == "1447-09-30"  # Ramadan 1447 has 30 days...
    with pytest.raises(HijriRangeError):
        from_hijri(1447, 8, 30)  # ...Sha'ban 1447 has 29


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1924, 8, 1), max_value=date(2077, 11, 16)))
def test_round_trip(day: date) -> None:
    year, month, mday = (int(part) for part in to_hijri(day).split("-"))
    assert from_hijri(year, month, mday) == day

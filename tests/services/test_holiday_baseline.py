"""The Saudi baseline from the pinned `holidays` package: one row per date, estimates flagged."""

from datetime import date, timedelta

from app.services.holiday_baseline import BaselineHoliday, baseline_holidays


def by_date(years: list[int]) -> dict[date, BaselineHoliday]:
    return {row.date: row for row in baseline_holidays(years)}


def test_eid_al_fitr_2026_has_one_row_per_day_around_1_shawwal() -> None:
    rows = by_date([2026])
    eid = [row for row in rows.values() if row.name_en.startswith("Eid al-Fitr")]
    days = [row.date for row in eid]
    assert date(2026, 3, 20) in days  # 1 Shawwal 1447
    assert len(days) >= 4
    assert days == [days[0] + timedelta(days=i) for i in range(len(days))]  # consecutive
    assert all(row.estimated for row in eid)  # 2026 Islamic dates are the package's estimates
    assert all("estimated" not in row.name_en for row in eid)
    assert all("تقديري" not in row.name_ar for row in eid)
    assert all("عيد الفطر" in row.name_ar for row in eid)


def test_fixed_national_days_2026() -> None:
    rows = by_date([2026])
    national = rows[date(2026, 9, 23)]
    assert national.name_en == "National Day Holiday"
    assert national.name_ar == "اليوم الوطني"
    assert not national.estimated
    founding = rows[date(2026, 2, 22)]
    assert founding.name_en == "Founding Day Holiday"
    assert founding.name_ar == "يوم التأسيس"
    assert not founding.estimated


def test_confirmed_past_dates_are_not_estimated() -> None:
    eid_2025 = [r for r in baseline_holidays([2025]) if r.name_en.startswith("Eid al-Fitr")]
    assert eid_2025
    assert not any(row.estimated for row in eid_2025)


def test_rows_lie_in_the_requested_years_sorted_and_unique() -> None:
    years = [2028, 2024, 2026]
    rows = baseline_holidays(years)
    dates = [row.date for row in rows]
    assert dates == sorted(set(dates))
    assert {d.year for d in dates} == set(years)
    assert baseline_holidays(years) == rows  # deterministic
    assert baseline_holidays(iter(years)) == rows


def test_no_years_no_rows() -> None:
    assert baseline_holidays([]) == []

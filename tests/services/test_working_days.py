"""The deadline engine follows DESIGN section 6 and agrees with numpy's business-day arithmetic."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.working_days import CalendarSnapshot, HolidayInfo, snapshot_from_rows

RIYADH = ZoneInfo("Asia/Riyadh")
FOUNDING_DAY = HolidayInfo("يوم التأسيس", "Founding Day Holiday")
NATIONAL_DAY = HolidayInfo("اليوم الوطني", "National Day Holiday")
EID_AL_FITR = HolidayInfo("عطلة عيد الفطر", "Eid al-Fitr Holiday", confirmed=False, estimated=True)

# The 2026 baseline as the pinned `holidays` package gives it (Eid dates are estimates).
HOLIDAYS_2026 = {
    date(2026, 2, 22): FOUNDING_DAY,
    **{date(2026, 3, 19) + timedelta(days=i): EID_AL_FITR for i in range(6)},  # Thu..Tue
    date(2026, 9, 23): NATIONAL_DAY,
}
CALENDAR = CalendarSnapshot(holidays=HOLIDAYS_2026, version=7)


def riyadh(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIYADH)


# -- the counting rule, scenario by scenario --------------------------------------------------


def test_thursday_before_cutoff_starts_that_thursday() -> None:
    received = datetime(2026, 1, 8, 11, 59, tzinfo=UTC)  # 14:59 in Riyadh
    assert CALENDAR.start_date(received) == date(2026, 1, 8)
    assert CALENDAR.due_date(received, 1) == date(2026, 1, 11)  # Sunday, after the weekend


def test_thursday_at_cutoff_starts_on_sunday() -> None:
    received = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)  # 15:00 in Riyadh: the cut-off itself
    assert CALENDAR.start_date(received) == date(2026, 1, 11)
    assert CALENDAR.due_date(received, 1) == date(2026, 1, 12)


def test_riyadh_clock_decides_not_utc() -> None:
    # 12:30 UTC looks like "before 15:00" but is 15:30 in Riyadh.
    assert CALENDAR.start_date(datetime(2026, 1, 8, 12, 30, tzinfo=UTC)) == date(2026, 1, 11)
    # 22:30 UTC on Wednesday is already 01:30 on Thursday in Riyadh.
    assert CALENDAR.start_date(datetime(2026, 1, 7, 22, 30, tzinfo=UTC)) == date(2026, 1, 8)
    # An offset from elsewhere names the same instant.
    new_york = timezone(timedelta(hours=-5))
    assert CALENDAR.start_date(datetime(2026, 1, 8, 6, 59, tzinfo=new_york)) == date(2026, 1, 8)
    assert CALENDAR.start_date(datetime(2026, 1, 8, 7, 0, tzinfo=new_york)) == date(2026, 1, 11)


@pytest.mark.parametrize("received", [riyadh(2026, 1, 9, 9), riyadh(2026, 1, 10, 9)])
def test_received_on_the_weekend_starts_on_sunday(received: datetime) -> None:
    assert CALENDAR.start_date(received) == date(2026, 1, 11)
    assert CALENDAR.due_date(received, 10) == date(2026, 1, 25)


def test_received_on_a_holiday_starts_on_the_next_working_day() -> None:
    received = riyadh(2026, 9, 23, 9)  # National Day, a Wednesday, before the cut-off
    assert CALENDAR.start_date(received) == date(2026, 9, 24)
    assert CALENDAR.due_date(received, 1) == date(2026, 9, 27)


def test_multi_day_eid_is_skipped_day_by_day() -> None:
    received = riyadh(2026, 3, 18, 10)  # Wednesday before Eid al-Fitr 1447
    start = CALENDAR.start_date(received)
    assert start == date(2026, 3, 18)
    due = CALENDAR.due_date(received, 1)
    assert due == date(2026, 3, 25)  # Thu 19 .. Tue 24 are all off
    assert CALENDAR.working_days_between(start, due) == 1
    skipped = [(e.date.day, e.reason) for e in CALENDAR.ledger(start, due) if not e.counted][1:]
    assert skipped == [
        (19, "holiday"),
        (20, "weekend"),
        (21, "weekend"),
        (22, "holiday"),
        (23, "holiday"),
        (24, "holiday"),
    ]


def test_eid_on_a_weekend_is_not_subtracted_twice() -> None:
    # Fri 20 and Sat 21 are both weekend and Eid; the week still has its other working days.
    assert CALENDAR.working_days_between(date(2026, 3, 14), date(2026, 3, 28)) == 6
    weekend_eid_only = CalendarSnapshot(holidays={date(2026, 3, 20): EID_AL_FITR})
    assert weekend_eid_only.working_days_between(date(2026, 3, 14), date(2026, 3, 28)) == 10


def test_counting_crosses_the_year_boundary() -> None:
    assert CALENDAR.due_date(riyadh(2025, 12, 31, 10), 3) == date(2026, 1, 5)
    late_thursday = riyadh(2026, 12, 31, 16)  # after the cut-off on the last day of the year
    assert CALENDAR.start_date(late_thursday) == date(2027, 1, 3)
    assert CALENDAR.due_date(late_thursday, 10) == date(2027, 1, 17)


def test_ramadan_days_are_ordinary_working_days() -> None:
    # 1 Ramadan 1447 = Wed 2026-02-18; only Founding Day (Sun 22 Feb) interrupts the count.
    received = riyadh(2026, 2, 18, 10)
    assert CALENDAR.due_date(received, 10) == date(2026, 3, 5)
    assert CALENDAR.due_date(riyadh(2026, 2, 25, 9), 5) == date(2026, 3, 4)


def test_naive_receipt_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        CALENDAR.start_date(datetime(2026, 1, 8, 10, 0))


def test_period_must_be_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CALENDAR.add_working_days(date(2026, 1, 8), 0)


# -- deadline instant, calendar-day periods, configuration ---------------------------------------


def test_deadline_is_the_last_instant_of_the_due_date_in_riyadh() -> None:
    deadline = CALENDAR.deadline_instant(date(2026, 4, 2))
    assert deadline == datetime(2026, 4, 2, 20, 59, 59, 999999, tzinfo=UTC)
    assert deadline.astimezone(RIYADH).time() == time.max
    assert not CALENDAR.is_overdue(date(2026, 4, 2), deadline)
    assert CALENDAR.is_overdue(date(2026, 4, 2), deadline + timedelta(microseconds=1))


def test_calendar_day_periods_ignore_weekends_and_holidays() -> None:
    closing = CALENDAR.local_date(datetime(2026, 3, 1, 22, 0, tzinfo=UTC))  # 01:00 on 2 March
    assert closing == date(2026, 3, 2)
    assert CALENDAR.add_calendar_days(closing, 30) == date(2026, 4, 1)


def test_weekend_and_cutoff_are_configurable() -> None:
    western = CalendarSnapshot(weekend=frozenset({5, 6}), cutoff=time(12, 0), timezone="UTC")
    assert western.start_date(datetime(2026, 1, 9, 12, 0, tzinfo=UTC)) == date(2026, 1, 12)
    assert western.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 12)


def test_invalid_weekend_is_refused() -> None:
    with pytest.raises(ValueError, match="weekend"):
        CalendarSnapshot(weekend=frozenset(range(7)))


def test_snapshot_is_immutable_and_detached_from_its_source() -> None:
    source = {date(2026, 1, 8): NATIONAL_DAY}
    snapshot = snapshot_from_rows(source.items(), version=3)
    source[date(2026, 1, 11)] = NATIONAL_DAY
    assert snapshot.holiday_dates == (date(2026, 1, 8),)
    with pytest.raises(TypeError):
        snapshot.holidays[date(2026, 1, 12)] = NATIONAL_DAY  # type: ignore[index]
    assert snapshot == snapshot_from_rows([(date(2026, 1, 8), NATIONAL_DAY)], version=3)
    assert isinstance(hash(snapshot), int)  # usable as a cache key


# -- explanation -------------------------------------------------------------------------------


def test_ledger_names_the_holiday_and_flags_unconfirmed_estimates() -> None:
    start, due = date(2026, 3, 18), date(2026, 3, 25)
    entries = CALENDAR.ledger(start, due)
    assert [e.day for e in entries] == [0, 0, 0, 0, 0, 0, 0, 1]
    thursday = entries[1]
    assert thursday.holiday == EID_AL_FITR and thursday.estimated
    assert entries[2].reason == "weekend" and entries[2].holiday == EID_AL_FITR
    assert not entries[2].estimated  # a Friday is off whether or not the estimate holds
    assert CALENDAR.estimated_in(start, due)

    confirmed = HolidayInfo("عطلة عيد الفطر", "Eid al-Fitr Holiday", confirmed=True, estimated=True)
    announced = CalendarSnapshot({**HOLIDAYS_2026, date(2026, 3, 19): confirmed}, version=8)
    assert announced.estimated_in(start, due)  # 22-24 March are still unconfirmed
    fully = {d: confirmed if info is EID_AL_FITR else info for d, info in HOLIDAYS_2026.items()}
    assert not CalendarSnapshot(fully, version=9).estimated_in(start, due)


def test_a_longer_civil_service_eid_break_moves_the_due_date_later() -> None:
    break_days = {date(2026, 3, 15) + timedelta(days=i): EID_AL_FITR for i in range(15)}
    civil_service = CalendarSnapshot({**HOLIDAYS_2026, **break_days}, version=8)
    received = riyadh(2026, 3, 12, 9)
    assert CALENDAR.due_date(received, 5) == date(2026, 3, 25)
    assert civil_service.due_date(received, 5) == date(2026, 4, 5)


# -- properties --------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
HOLIDAY_SETS = st.frozensets(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2033, 12, 31)), max_size=120
)
PERIODS = st.integers(min_value=1, max_value=365)
WEEKENDS = st.frozensets(st.integers(min_value=0, max_value=6), max_size=6)
# numpy's weekmask starts on Monday: Mon-Thu working, Fri-Sat off, Sun working.
SAUDI_WEEKMASK = "1111001"


def snapshot_of(
    days: frozenset[date], weekend: frozenset[int] = frozenset({4, 5})
) -> CalendarSnapshot:
    info = HolidayInfo("عطلة", "Holiday", confirmed=False, estimated=True)
    return CalendarSnapshot({d: info for d in days}, weekend=weekend)


def np_offset(
    start: date, n: int, days: frozenset[date], roll: str, weekmask: str = SAUDI_WEEKMASK
) -> date:
    holidays = np.array(sorted(days), dtype="datetime64[D]")
    result = np.busday_offset(
        np.datetime64(start, "D"), n, roll=roll, weekmask=weekmask, holidays=holidays
    )
    return date.fromisoformat(str(result))


# Our start day S is always a working day and the due date is the N-th working day after it, so
# np.busday_offset(S, N, roll="forward") is our due date (rolling a working day is a no-op). For a
# start that is *not* a working day, add_working_days counts from it as day 0, which is
# roll="backward" (step back to the last working day, then count N): the two rolls differ there.
@settings(max_examples=250, deadline=None)
@given(start=DAYS, n=PERIODS, days=HOLIDAY_SETS)
def test_due_date_matches_numpy_busday_offset(start: date, n: int, days: frozenset[date]) -> None:
    calendar = snapshot_of(days)
    due = calendar.add_working_days(start, n)
    assert due == np_offset(start, n, days, roll="backward")
    if calendar.is_working_day(start):
        assert due == np_offset(start, n, days, roll="forward")


# Start-day rolling is numpy's roll="forward" with offset 0, applied to the receipt date itself
# before the cut-off and to the following date from the cut-off on.
@settings(max_examples=250, deadline=None)
@given(
    received=st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.sampled_from([UTC, RIYADH, timezone(timedelta(hours=-7))]),
    ),
    n=PERIODS,
    days=HOLIDAY_SETS,
)
def test_start_date_matches_numpy_forward_roll(
    received: datetime, n: int, days: frozenset[date]
) -> None:
    calendar = snapshot_of(days)
    local = received.astimezone(RIYADH)
    effective = local.date() + timedelta(days=0 if local.time() < time(15) else 1)
    start = calendar.start_date(received)
    assert start == np_offset(effective, 0, days, roll="forward")
    assert calendar.due_date(received, n) == np_offset(effective, n, days, roll="forward")


@settings(max_examples=200, deadline=None)
@given(start=DAYS, n=PERIODS, days=HOLIDAY_SETS, weekend=WEEKENDS)
def test_any_weekend_matches_numpy(
    start: date, n: int, days: frozenset[date], weekend: frozenset[int]
) -> None:
    weekmask = "".join("0" if wd in weekend else "1" for wd in range(7))
    assert snapshot_of(days, weekend).add_working_days(start, n) == np_offset(
        start, n, days, roll="backward", weekmask=weekmask
    )


@settings(max_examples=250, deadline=None)
@given(start=DAYS, n=PERIODS, days=HOLIDAY_SETS)
def test_working_days_between_inverts_add_working_days(
    start: date, n: int, days: frozenset[date]
) -> None:
    calendar = snapshot_of(days)
    due = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, due) == n
    assert calendar.working_days_between(start, due - timedelta(days=1)) == n - 1


@settings(max_examples=250, deadline=None)
@given(start=DAYS, end=DAYS, days=HOLIDAY_SETS)
def test_working_days_between_matches_numpy_busday_count(
    start: date, end: date, days: frozenset[date]
) -> None:
    start, end = min(start, end), max(start, end)
    holidays = np.array(sorted(days), dtype="datetime64[D]")
    # (start, end] is numpy's half-open [start + 1, end + 1).
    expected = np.busday_count(
        np.datetime64(start + timedelta(days=1), "D"),
        np.datetime64(end + timedelta(days=1), "D"),
        weekmask=SAUDI_WEEKMASK,
        holidays=holidays,
    )
    assert snapshot_of(days).working_days_between(start, end) == int(expected)


@settings(max_examples=200, deadline=None)
@given(start=DAYS, n=st.integers(min_value=1, max_value=60), days=HOLIDAY_SETS)
def test_ledger_always_agrees_with_the_due_date(start: date, n: int, days: frozenset[date]) -> None:
    calendar = snapshot_of(days)
    due = calendar.add_working_days(start, n)
    entries = calendar.ledger(start, due)
    assert [e.date for e in entries] == [start + timedelta(days=i) for i in range(len(entries))]
    assert entries[0].day == 0 and entries[-1].date == due
    assert entries[-1].counted and entries[-1].day == n
    assert sum(e.counted for e in entries) == n
    for entry in entries[1:]:
        assert entry.counted == (entry.reason is None) == calendar.is_working_day(entry.date)
    assert calendar.estimated_in(start, due) == any(e.estimated for e in entries[1:])


@settings(max_examples=100, deadline=None)
@given(
    starts=st.lists(DAYS, max_size=50),
    periods=st.lists(PERIODS, min_size=50, max_size=50),
    days=HOLIDAY_SETS,
)
def test_batch_matches_single_deadlines(
    starts: list[date], periods: list[int], days: frozenset[date]
) -> None:
    calendar = snapshot_of(days)
    repeated = starts + starts[::-1]
    assert calendar.due_dates(repeated, 10) == [calendar.add_working_days(s, 10) for s in repeated]
    per_item = periods[: len(repeated)] + [1] * max(0, len(repeated) - len(periods))
    assert calendar.due_dates(repeated, per_item) == [
        calendar.add_working_days(s, p) for s, p in zip(repeated, per_item, strict=True)
    ]


def test_batch_refuses_mismatched_or_empty_periods() -> None:
    with pytest.raises(ValueError, match="periods"):
        CALENDAR.due_dates([date(2026, 1, 8)], [1, 2])
    with pytest.raises(ValueError, match="at least 1"):
        CALENDAR.due_dates([date(2026, 1, 8), date(2026, 1, 11)], [10, 0])
    with pytest.raises(ValueError, match="at least 1"):
        CALENDAR.due_dates([], 0)

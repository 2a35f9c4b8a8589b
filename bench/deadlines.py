"""Deadline engine benchmark (not run by CI): `.venv/bin/python bench/deadlines.py`.

(a) single deadlines per second: the engine's O(log h) arithmetic against a day-by-day loop;
(b) 100,000 deadlines in one batch: `CalendarSnapshot.due_dates` against numpy's vectorised
    `busday_offset` on the same starts, periods and holidays.
Every timed variant is checked to give identical due dates before its figure is printed.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import numpy as np

from app.services.holiday_baseline import baseline_holidays
from app.services.working_days import CalendarSnapshot, HolidayInfo

WEEKMASK = "1111001"  # numpy starts on Monday: Sun-Thu working, Fri-Sat weekend
BATCH = 100_000
SINGLE = 50_000


def realistic_calendar() -> CalendarSnapshot:
    """Baseline 2024-2028 plus civil-service bridge days an admin would add."""
    holidays = {
        row.date: HolidayInfo(row.name_ar, row.name_en, not row.estimated, row.estimated)
        for row in baseline_holidays(range(2024, 2029))
    }
    manual = HolidayInfo("إجازة إضافية", "Additional civil-service holiday")
    for extra in ("2026-03-25", "2026-03-26", "2026-06-01", "2027-03-15", "2027-03-16"):
        holidays[date.fromisoformat(extra)] = manual
    return CalendarSnapshot(holidays=holidays, version=1)


def stepping_due(calendar: CalendarSnapshot, start: date, n: int) -> date:
    """The naive way: walk one day at a time, asking each day whether it is a working day."""
    weekend, holidays, day, counted = calendar.weekend, calendar.holidays, start, 0
    one = timedelta(days=1)
    while counted < n:
        day += one
        if day.weekday() not in weekend and day not in holidays:
            counted += 1
    return day


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall time of `repeat` runs (the least disturbed by the machine).

    The cycle collector is paused while timing, as `timeit` does, so a collection triggered by
    one variant's allocations is not billed to whichever variant happens to run next.
    """
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            began = time.perf_counter()
            result = run()
            best = min(best, time.perf_counter() - began)
        finally:
            gc.enable()
    return best, result


def working_starts(calendar: CalendarSnapshot, count: int, seed: int) -> list[date]:
    """Start days (always working days, as start_date yields) spread over 2025-2027."""
    rng = random.Random(seed)
    first, span = date(2025, 1, 1), (date(2027, 12, 31) - date(2025, 1, 1)).days
    days = (first + timedelta(days=rng.randrange(span)) for _ in range(count))
    return [d if calendar.is_working_day(d) else calendar.next_working_day(d) for d in days]


def bench_single(calendar: CalendarSnapshot, periods: Sequence[int], repeat: int) -> None:
    print(f"\n(a) single deadlines, {SINGLE:,} calls each, best of {repeat}; calls per second")
    print(
        f"{'period':>6} {'engine':>11} {'arithmetic':>11} {'stepping':>10}"
        f" {'engine/step':>12} {'arith/step':>11}"
    )
    starts = working_starts(calendar, SINGLE, seed=1)
    # The memo-free path: the O(log h) arithmetic alone, as on a cache miss.
    cold = calendar._counter.add
    for n in periods:
        calendar._memo.cache_clear()  # type: ignore[attr-defined]
        engine_t, engine = best_of(
            repeat, lambda n=n: [calendar.add_working_days(s, n) for s in starts]
        )
        cold_t, arithmetic = best_of(repeat, lambda n=n: [cold(s, n) for s in starts])
        step_t, step = best_of(repeat, lambda n=n: [stepping_due(calendar, s, n) for s in starts])
        assert engine == arithmetic == step
        print(
            f"{n:>6} {SINGLE / engine_t:>11,.0f} {SINGLE / cold_t:>11,.0f}"
            f" {SINGLE / step_t:>10,.0f} {step_t / engine_t:>11.1f}x {step_t / cold_t:>10.1f}x"
        )


def bench_batch(calendar: CalendarSnapshot, repeat: int) -> None:
    starts = working_starts(calendar, BATCH, seed=2)
    rng = random.Random(3)
    # Live deadlines: mostly the 10-day period, some longer appeal or paused periods.
    mixed = [rng.choice((10, 10, 10, 10, 20, 30)) for _ in starts]
    # Worst case for the engine: almost every (start, n) pair distinct, nothing to share.
    scattered = [rng.randint(1, 365) for _ in starts]
    busdaycal = np.busdaycalendar(
        weekmask=WEEKMASK, holidays=np.array(list(calendar.holiday_dates), dtype="datetime64[D]")
    )
    starts_np = np.array(starts, dtype="datetime64[D]")
    print(
        f"\n(b) {BATCH:,} deadlines in one batch, {len(set(starts)):,} distinct start days,", end=""
    )
    print(f" best of {repeat}; numpy e2e = dates in and out, kernel = datetime64 arrays only")
    print(
        f"{'case (times in ms)':<34} {'engine':>9} {'numpy e2e':>9} {'kernel':>7}"
        f" {'vs e2e':>7} {'vs kernel':>9}"
    )
    cases: list[tuple[str, int | list[int], Callable[[], list[date]]]] = [
        (
            "n=10, per-item add (no sharing)",
            10,
            lambda: [calendar._counter.add(s, 10) for s in starts],
        ),
        ("n=10, due_dates", 10, lambda: calendar.due_dates(starts, 10)),
        ("n mixed 10/20/30, due_dates", mixed, lambda: calendar.due_dates(starts, mixed)),
        ("n random 1..365, due_dates", scattered, lambda: calendar.due_dates(starts, scattered)),
    ]
    for label, periods, ours in cases:
        periods_np = np.asarray(periods)
        ours_t, ours_result = best_of(repeat, ours)
        e2e_t, e2e_result = best_of(
            repeat, lambda p=periods: numpy_end_to_end(starts, p, busdaycal)
        )
        kernel_t, _ = best_of(
            repeat, lambda p=periods_np: np.busday_offset(starts_np, p, busdaycal=busdaycal)
        )
        assert ours_result == e2e_result
        print(
            f"{label:<34} {ours_t * 1e3:>9.1f} {e2e_t * 1e3:>9.1f} {kernel_t * 1e3:>7.1f}"
            f" {ours_t / e2e_t:>6.2f}x {ours_t / kernel_t:>8.2f}x"
        )


def numpy_end_to_end(
    starts: Sequence[date], n: int | Sequence[int], busdaycal: np.busdaycalendar
) -> list[date]:
    """numpy on the engine's own input and output types: dates in, dates out."""
    offsets = np.busday_offset(
        np.array(starts, dtype="datetime64[D]"), np.asarray(n), roll="forward", busdaycal=busdaycal
    )
    result: list[date] = offsets.tolist()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    calendar = realistic_calendar()
    print(f"python {platform.python_version()} ({sys.implementation.name}), numpy {np.__version__}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"calendar: {len(calendar.holidays)} holidays, weekend {sorted(calendar.weekend)}")
    bench_single(calendar, (1, 10, 30, 365), args.repeat)
    bench_batch(calendar, args.repeat)


if __name__ == "__main__":
    main()

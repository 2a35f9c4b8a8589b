"""Pure working-day and deadline engine over an immutable calendar snapshot (DESIGN section 6).

Counting rule: a receipt before the cut-off on a working day starts on that day (S); otherwise S is
the next working day. The due date is the N-th working day *after* S (S is day 0), and the deadline
instant is the last instant of the due date in the snapshot's time zone.

Counting never steps day by day. Working days are numbered by a running index

    N(o) = working weekdays in ordinals 1..o  -  holidays on working weekdays in 1..o

where the first term is arithmetic over whole weeks and the second a `bisect` over the sorted
ordinals of holidays that fall on a working weekday (a holiday on a weekend is already off, so it
is left out of that list and never subtracted twice). Every operation is O(log h) in the number of
holidays and O(1) in the span; only `ledger`, an explanation, walks the days.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

FRIDAY = 4
SATURDAY = 5
SAUDI_WEEKEND: frozenset[int] = frozenset({FRIDAY, SATURDAY})
DEFAULT_CUTOFF = time(15, 0)
DEFAULT_TIMEZONE = "Asia/Riyadh"
MEMO_SIZE = 4096

SkipReason = Literal["weekend", "holiday"]


@dataclass(frozen=True, slots=True)
class HolidayInfo:
    """One non-working date: bilingual name and how certain the date is."""

    name_ar: str
    name_en: str
    confirmed: bool = True
    estimated: bool = False

    @property
    def unconfirmed_estimate(self) -> bool:
        """An estimated date (e.g. a moon-sighting Eid) that no official source has confirmed."""
        return self.estimated and not self.confirmed


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One date of a deadline explanation.

    `day` is the running count: 0 on the start day, k on the k-th counted day, unchanged on skipped
    days. `reason` says why an uncounted date is off; a holiday on a weekend is reported as
    "weekend" (with `holiday` set) because removing the holiday would not make it a working day.
    `estimated` is true only when the date was skipped *because of* an unconfirmed estimate.
    """

    date: date
    counted: bool
    day: int
    reason: SkipReason | None = None
    holiday: HolidayInfo | None = None
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class _Counter:
    """Index arithmetic over date ordinals (date.toordinal(): ordinal 1 is a Monday).

    `off` holds the ordinals of holidays on working weekdays, sorted. `rank[i]` is the running
    index N of off[i]; it never decreases (two such holidays are at least one working weekday
    apart), so a bisect on it counts the holidays that precede the k-th working day.
    """

    working: tuple[int, ...]  # working weekday numbers, ascending
    prefix: tuple[int, ...]  # prefix[r]: working weekdays among weekday numbers 0..r-1
    off: tuple[int, ...]
    rank: tuple[int, ...]

    @classmethod
    def build(cls, weekend: frozenset[int], off: tuple[int, ...]) -> _Counter:
        working = tuple(wd for wd in range(7) if wd not in weekend)
        prefix = tuple(sum(1 for wd in working if wd < r) for r in range(8))
        plain = cls(working, prefix, (), ())
        return cls(working, prefix, off, tuple(plain.index(o) - i - 1 for i, o in enumerate(off)))

    def index(self, ordinal: int) -> int:
        """Working days among ordinals 1..ordinal: whole weeks, minus off holidays."""
        weeks, rest = divmod(ordinal, 7)
        return weeks * len(self.working) + self.prefix[rest] - bisect_right(self.off, ordinal)

    def ordinal_at(self, k: int) -> int:
        """The ordinal of the working day whose running index is k (k >= 1)."""
        weeks, pos = divmod(k + bisect_left(self.rank, k) - 1, len(self.working))
        return 7 * weeks + 1 + self.working[pos]

    def add(self, start: date, n: int) -> date:
        """The n-th working day after start: index and ordinal_at inlined, as the hot path."""
        if n < 1:
            raise ValueError(f"working days must be at least 1, got {n}")
        ordinal, per_week = start.toordinal(), len(self.working)
        weeks, rest = divmod(ordinal, 7)
        k = weeks * per_week + self.prefix[rest] - bisect_right(self.off, ordinal) + n
        weeks, pos = divmod(k + bisect_left(self.rank, k) - 1, per_week)
        return date.fromordinal(7 * weeks + 1 + self.working[pos])


class _DueDates(dict[date, date]):
    """Due dates for one period, each start solved on its first lookup."""

    def __init__(self, counter: _Counter, n: int) -> None:
        super().__init__()
        self._counter, self._n = counter, n

    def __missing__(self, start: date) -> date:
        due = self[start] = self._counter.add(start, self._n)
        return due


class _DueDatesByPeriod(dict[int, _DueDates]):
    """One lazily filled _DueDates per distinct period."""

    def __init__(self, counter: _Counter) -> None:
        super().__init__()
        self._counter = counter

    def __missing__(self, n: int) -> _DueDates:
        if n < 1:  # checked once per distinct period, not per item
            raise ValueError(f"working days must be at least 1, got {n}")
        solutions = self[n] = _DueDates(self._counter, n)
        return solutions


@dataclass(frozen=True)
class CalendarSnapshot:
    """An immutable calendar: weekend, holidays, version, cut-off and time zone."""

    holidays: Mapping[date, HolidayInfo] = field(default_factory=dict, hash=False)
    weekend: frozenset[int] = SAUDI_WEEKEND
    version: int = 0
    cutoff: time = DEFAULT_CUTOFF
    timezone: str = DEFAULT_TIMEZONE
    # Derived in __post_init__; kept off init, repr and comparison.
    holiday_dates: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _counter: _Counter = field(init=False, repr=False, compare=False)
    _memo: Callable[[date, int], date] = field(init=False, repr=False, compare=False)
    _estimated_off: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weekend = frozenset(self.weekend)
        if not weekend <= set(range(7)) or len(weekend) == 7:
            raise ValueError("weekend must be weekday numbers 0-6 leaving at least one working day")
        if self.cutoff.tzinfo is not None:
            raise ValueError("cutoff is a local wall-clock time and must be naive")
        holidays = dict(sorted(self.holidays.items()))
        # A holiday on a weekend is off anyway: leaving it out is what stops double subtraction.
        off_days = [d for d in holidays if d.weekday() not in weekend]
        counter = _Counter.build(weekend, tuple(d.toordinal() for d in off_days))
        self._set("weekend", weekend)
        self._set("holidays", MappingProxyType(holidays))  # callers cannot mutate a snapshot
        self._set("holiday_dates", tuple(holidays))
        self._set("_zone", ZoneInfo(self.timezone))
        self._set("_counter", counter)
        # The snapshot never changes, so answers never go stale; live traffic asks about a few
        # start days (today, yesterday) over and over. Bounded, and it references the counter
        # only, so a replaced snapshot is freed without waiting for the cycle collector.
        self._set("_memo", lru_cache(maxsize=MEMO_SIZE)(counter.add))
        estimated = tuple(d.toordinal() for d in off_days if holidays[d].unconfirmed_estimate)
        self._set("_estimated_off", estimated)

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    # -- single dates ----------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        return d.weekday() not in self.weekend and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        return self.add_working_days(d, 1)

    def local_date(self, instant: datetime) -> date:
        """The calendar date of an aware instant in the snapshot's time zone."""
        return self._to_local(instant).date()

    def start_date(self, received_at: datetime) -> date:
        """Day 0: receipt date if a working day before the cut-off, else the next working day."""
        local = self._to_local(received_at)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.cutoff:
            return day
        return self.next_working_day(day)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start is day 0, whether or not it is a working day)."""
        return self._memo(start, n)

    def due_date(self, received_at: datetime, n: int) -> date:
        return self.add_working_days(self.start_date(received_at), n)

    def deadline_instant(self, due: date) -> datetime:
        """The last instant of the due date in the time zone, in UTC; overdue is strictly after."""
        return datetime.combine(due, time.max, tzinfo=self._zone).astimezone(UTC)

    def is_overdue(self, due: date, now: datetime) -> bool:
        return self._require_aware(now) > self.deadline_instant(due)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: start excluded, end included.

        The inverse of add_working_days: working_days_between(s, add_working_days(s, n)) == n.
        """
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        return self._counter.index(end.toordinal()) - self._counter.index(start.toordinal())

    @staticmethod
    def add_calendar_days(d: date, n: int) -> date:
        """Calendar-day periods (e.g. 30-day feedback) ignore weekends and holidays."""
        return d + timedelta(days=n)

    # -- explanation -----------------------------------------------------------------------------

    def estimated_in(self, start: date, due: date) -> bool:
        """Whether any date in (start, due] was skipped because of an unconfirmed estimate."""
        marks = self._estimated_off
        return bisect_right(marks, start.toordinal()) < bisect_right(marks, due.toordinal())

    def ledger(self, start: date, due: date) -> list[LedgerEntry]:
        """Every date from start to due inclusive, counted or skipped and why.

        The start entry is day 0 and never counted; its reason is set only if it is not itself a
        working day (add_working_days accepts such a start).
        """
        if due < start:
            raise ValueError(f"due {due} is before start {start}")
        entries = [self._entry(start, counted=False, day=0)]
        day = 0
        for offset in range(1, (due - start).days + 1):
            current = start + timedelta(days=offset)
            counted = self.is_working_day(current)
            day += counted
            entries.append(self._entry(current, counted=counted, day=day))
        return entries

    def _entry(self, d: date, *, counted: bool, day: int) -> LedgerEntry:
        holiday = self.holidays.get(d)
        if d.weekday() in self.weekend:
            return LedgerEntry(d, counted, day, "weekend", holiday)
        if holiday is not None:
            return LedgerEntry(d, counted, day, "holiday", holiday, holiday.unconfirmed_estimate)
        return LedgerEntry(d, counted, day)

    # -- batch -----------------------------------------------------------------------------------

    def due_dates(self, starts: Sequence[date], n: int | Sequence[int]) -> list[date]:
        """add_working_days for many starts; n is one period for all or one per start."""
        # Real workloads repeat start days heavily (a few hundred distinct days per year of
        # filings): each distinct (start, n) is solved once, on its first lookup, and the
        # per-item work stays C-level dict lookups driven by map().
        if isinstance(n, int):
            if n < 1:
                raise ValueError(f"working days must be at least 1, got {n}")
            return list(map(_DueDates(self._counter, n).__getitem__, starts))
        if len(n) != len(starts):
            raise ValueError(f"{len(starts)} starts but {len(n)} periods")
        by_period = _DueDatesByPeriod(self._counter)
        return list(map(_DueDates.__getitem__, map(by_period.__getitem__, n), starts))

    # -- helpers ---------------------------------------------------------------------------------

    def _to_local(self, instant: datetime) -> datetime:
        return self._require_aware(instant).astimezone(self._zone)

    @staticmethod
    def _require_aware(instant: datetime) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must carry a UTC offset (naive datetimes are ambiguous)")
        return instant


def snapshot_from_rows(
    rows: Iterable[tuple[date, HolidayInfo]],
    *,
    version: int = 0,
    weekend: Iterable[int] = SAUDI_WEEKEND,
    cutoff: time = DEFAULT_CUTOFF,
    timezone: str = DEFAULT_TIMEZONE,
) -> CalendarSnapshot:
    """Build a snapshot from (date, info) rows, e.g. the stored holiday table."""
    return CalendarSnapshot(
        holidays=dict(rows),
        weekend=frozenset(weekend),
        version=version,
        cutoff=cutoff,
        timezone=timezone,
    )

"""The injectable clock: every timestamp the service stores comes from here."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a frozen clock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_current: Clock = SystemClock()


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _current.now()


def local_today(timezone: str) -> date:
    """Today's date in the given zone (calendar dates are Asia/Riyadh dates)."""
    return now().astimezone(ZoneInfo(timezone)).date()


def local_midnight(day: date, timezone: str) -> datetime:
    """The first instant of ``day`` in the given zone: where a local date range starts."""
    return datetime.combine(day, time.min, ZoneInfo(timezone))


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Replace the clock for the duration of a block (tests set time this way)."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous

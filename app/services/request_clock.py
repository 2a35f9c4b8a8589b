"""The information-request clock: due dates from stored inputs, pauses and reopenings.

A request's running clock segment starts at ``clock_started_at`` with ``clock_working_days``:
- ``received`` and ``reopened`` segments follow the counting rule (cut-off, start day, N-th working
  day after it);
- a ``resumed`` segment counts the remaining working days after the date the requester answered,
  so the clock restarts on the next working day whatever the time of the answer.
While paused there is no due date; the remaining working days are kept as a count, which no
calendar edit changes.
"""

from datetime import date, datetime

from app.models.information_request import ClockOrigin
from app.services.working_days import CalendarSnapshot


def segment_start(snapshot: CalendarSnapshot, origin: str, started_at: datetime) -> date:
    """Day 0 of a clock segment."""
    if origin == ClockOrigin.RESUMED:
        return snapshot.local_date(started_at)
    return snapshot.start_date(started_at)


def due_date(snapshot: CalendarSnapshot, origin: str, started_at: datetime, days: int) -> date:
    return snapshot.add_working_days(segment_start(snapshot, origin, started_at), days)


def remaining_working_days(snapshot: CalendarSnapshot, due: date, paused_at: datetime) -> int:
    """Working days left after the pause date, at least one (a pause on the due date or later
    still leaves the officer one working day after the answer)."""
    paused_on = snapshot.local_date(paused_at)
    left = snapshot.working_days_between(paused_on, due) if due > paused_on else 0
    return max(left, 1)


def is_overdue(snapshot: CalendarSnapshot, due: date | None, now: datetime) -> bool:
    """Overdue from the first instant after the end of the due date (Asia/Riyadh)."""
    return due is not None and snapshot.is_overdue(due, now)

"""Release schedules: when a dataset's next release is due, and whether it is late."""

import calendar
from datetime import date, timedelta

from app.models.dataset import UpdateFrequency

_DAYS = {UpdateFrequency.DAILY: 1, UpdateFrequency.WEEKLY: 7}
_MONTHS = {
    UpdateFrequency.MONTHLY: 1,
    UpdateFrequency.QUARTERLY: 3,
    UpdateFrequency.SEMIANNUAL: 6,
    UpdateFrequency.ANNUAL: 12,
}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_release_due(
    frequency: str, last_release: date | None, published_on: date | None
) -> date | None:
    """One period after the last release (or after publication when nothing was released yet);
    None for irregular datasets and for drafts."""
    anchor = last_release or published_on
    if anchor is None or frequency == UpdateFrequency.IRREGULAR:
        return None
    if frequency in _DAYS:
        return anchor + timedelta(days=_DAYS[UpdateFrequency(frequency)])
    return add_months(anchor, _MONTHS[UpdateFrequency(frequency)])


def release_overdue(next_due: date | None, today: date) -> bool:
    """Late from the day after the due date; irregular datasets (no due date) never are."""
    return next_due is not None and today > next_due

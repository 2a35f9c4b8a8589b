"""Hijri (Umm al-Qura) companions for Gregorian dates, over `hijridate`.

`hijridate` covers 1343-01-01..1500-12-30 AH (1924-08-01..2077-11-16); outside that range, or for
a Hijri day that does not exist in its month, it raises OverflowError or ValueError. Both become a
`HijriRangeError` here so the API layer can map one exception to a 422.
"""

import functools
from datetime import date

from hijridate import Gregorian, Hijri


class HijriRangeError(ValueError):
    """A date that has no Umm al-Qura equivalent in the supported range."""


@functools.lru_cache(maxsize=4096)  # a page of a list converts the same few dates again and again
def to_hijri(d: date) -> str:
    """The Umm al-Qura date of d as "YYYY-MM-DD"."""
    try:
        hijri = Gregorian(d.year, d.month, d.day).to_hijri()
    except (OverflowError, ValueError) as exc:
        raise HijriRangeError(f"{d.isoformat()} has no Umm al-Qura date: {exc}") from exc
    return f"{hijri.year:04d}-{hijri.month:02d}-{hijri.day:02d}"


def to_hijri_or_none(d: date | None) -> str | None:
    """The Umm al-Qura companion of d, or None when there is no date or no such Hijri date
    (event data and notifications are never lost over a date outside the range)."""
    if d is None:
        return None
    try:
        return to_hijri(d)
    except HijriRangeError:
        return None


def from_hijri(year: int, month: int, day: int) -> date:
    """The Gregorian date of an Umm al-Qura date."""
    try:
        gregorian = Hijri(year, month, day).to_gregorian()
    except (OverflowError, ValueError) as exc:
        raise HijriRangeError(
            f"{year:04d}-{month:02d}-{day:02d} AH is not supported: {exc}"
        ) from exc
    # hijridate returns its own date subclass; hand back a plain date so equality and
    # serialisation behave like every other date in the service.
    return date(gregorian.year, gregorian.month, gregorian.day)

"""Published figures: small groups are suppressed so no one can be singled out (DESIGN §8).

A count of 1-4 becomes ``None`` with ``suppressed=True``; zero is shown (it identifies no one).
A rate or a median is suppressed when it rests on fewer than five items.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_GROUP_SIZE = 5


@dataclass(frozen=True, slots=True)
class Figure:
    value: int | float | None
    suppressed: bool = False


SUPPRESSED = Figure(None, suppressed=True)


def count(n: int, *, suppress: bool = True) -> Figure:
    """A head count, hidden when it is a small group."""
    return SUPPRESSED if suppress and 0 < n < MIN_GROUP_SIZE else Figure(n)


def rate(numerator: int, denominator: int, *, suppress: bool = True) -> Figure:
    """``numerator / denominator`` rounded to 4 places; ``None`` (not suppressed) when 0/0."""
    if denominator == 0:
        return Figure(None)
    if suppress and denominator < MIN_GROUP_SIZE:
        return SUPPRESSED
    return Figure(round(numerator / denominator, 4))


def median(values: Sequence[int | float], *, suppress: bool = True) -> Figure:
    if not values:
        return Figure(None)
    if suppress and len(values) < MIN_GROUP_SIZE:
        return SUPPRESSED
    return Figure(statistics.median(values))

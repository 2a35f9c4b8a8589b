"""What both public statistics share: the period, conditional sums and the CSV rendering.

The figures themselves are in ``information_statistics`` and ``participation_statistics``.
"""

import csv
import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core import clock
from app.schemas.statistics import Period, figure_rows

CSV_HEADER = ("figure", "group", "value", "suppressed")


def period_of(year: int, month: int | None, timezone: str) -> Period:
    """The calendar month (or the whole year when ``month`` is None) between local midnights."""
    if month is None:
        first, after = date(year, 1, 1), date(year + 1, 1, 1)
    else:
        first, after = date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
    return Period(
        year=year,
        month=month,
        from_=clock.local_midnight(first, timezone),
        to=clock.local_midnight(after, timezone),
    )


def during(column: InstrumentedAttribute[Any], period: Period) -> ColumnElement[bool]:
    """The instant lies in the period (the column stores UTC; the bounds are aware)."""
    return and_(column >= period.from_, column < period.to)


def conditional_sums(conditions: Mapping[str, ColumnElement[bool]]) -> Select[Any]:
    """One row: for each named condition, how many rows meet it (one scan of the table)."""
    return select(
        *(
            func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name)
            for name, condition in conditions.items()
        )
    )


async def counted(
    session: AsyncSession,
    conditions: Mapping[str, ColumnElement[bool]],
    *where: ColumnElement[bool],
) -> dict[str, int]:
    """The conditional sums as ``{name: count}``, over the rows that meet ``where``."""
    statement = conditional_sums(conditions).where(*where)
    row = (await session.execute(statement)).one()
    return {name: int(value) for name, value in zip(conditions, row, strict=True)}


def to_csv(document: BaseModel) -> str:
    """Long format, one row per figure and group; a suppressed figure has an empty value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(CSV_HEADER)
    for name, group, figure in figure_rows(document):
        value = "" if figure.value is None else figure.value
        writer.writerow((name, group, value, "true" if figure.suppressed else "false"))
    return buffer.getvalue()

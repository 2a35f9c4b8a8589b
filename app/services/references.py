"""Citizen-readable reference numbers: ``PREFIX-YYYY-NNNNNN``, sequential per prefix and year."""

import re
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.config import get_settings
from app.core.db import upsert_insert
from app.models.reference_counter import ReferenceCounter

_PREFIX = re.compile(r"^[A-Z]{2,8}$")


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def local_year(at: datetime | None = None) -> int:
    """The year in the service's time zone (a request filed on 31 Dec 22:00 UTC is next year)."""
    zone = get_settings().timezone
    return at.astimezone(ZoneInfo(zone)).year if at else clock.local_today(zone).year


async def next_reference(session: AsyncSession, prefix: str, *, year: int | None = None) -> str:
    """Allocate the next number atomically.

    One upsert increments the counter row and returns the new value; the row stays locked until
    the transaction ends, so concurrent callers get distinct numbers, and a rolled-back
    transaction releases its number (gaps are tolerated, duplicates never happen).
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"reference prefix must be 2-8 capital letters, got {prefix!r}")
    year = year if year is not None else local_year()
    table = cast(Table, ReferenceCounter.__table__)
    statement = (
        upsert_insert(session)(table)
        .values(prefix=prefix, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.year],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    number = (await session.execute(statement)).scalar_one()
    return format_reference(prefix, year, number)

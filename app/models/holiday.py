"""The holiday calendar: one row per date over the weekend rule, and the calendar's version."""

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned


class HolidaySource(StrEnum):
    BASELINE = "baseline"  # seeded from the pinned `holidays` package (private-sector rules)
    OFFICIAL = "official"  # a government announcement, entered by an admin
    MANUAL = "manual"  # any other admin decision


class Holiday(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "holidays"
    __table_args__ = (
        CheckConstraint("source IN ('baseline', 'official', 'manual')", name="source_known"),
        Index("ix_holidays_day", "day", unique=True),
    )

    day: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[dict[str, Any]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(16))
    confirmed: Mapped[bool] = mapped_column(default=False)
    estimated: Mapped[bool] = mapped_column(default=False)
    source_reference: Mapped[str | None] = mapped_column(String(500))
    # A withdrawn date is a working day again; the row stays so that seeding never revives it.
    withdrawn: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str | None] = mapped_column(String(255))

    @property
    def unconfirmed_estimate(self) -> bool:
        return self.estimated and not self.confirmed


class CalendarState(Base):
    """A single row whose ``version`` changes with every calendar edit."""

    __tablename__ = "calendar_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

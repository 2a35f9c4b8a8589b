"""Calendar resources: holidays, days, working-day counts and explained deadlines."""

import datetime as dt
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from app.models.holiday import HolidaySource
from app.schemas.common import LocalizedText, PlainText, Schema
from app.services.calendar import hijri
from app.services.working_days import LedgerEntry

EditableSource = Literal[HolidaySource.OFFICIAL, HolidaySource.MANUAL]


class HolidayRead(Schema):
    date: dt.date
    date_hijri: str = Field(examples=["1447-10-01"])
    name: LocalizedText
    source: HolidaySource
    confirmed: bool
    estimated: bool = Field(description="The baseline's estimate of a moon-sighted date.")
    source_reference: str | None
    version: int


class HolidayCreate(Schema):
    """One date (``date``) or a whole break (``start_date``..``end_date``, at most 60 days)."""

    date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    name: LocalizedText
    source: EditableSource = HolidaySource.OFFICIAL
    confirmed: bool = True
    source_reference: PlainText | None = Field(
        None, examples=["Royal Court announcement, 2026-03-10"]
    )

    @model_validator(mode="after")
    def _one_date_or_a_range(self) -> Self:
        single = self.date is not None and self.start_date is None and self.end_date is None
        ranged = self.date is None and self.start_date is not None and self.end_date is not None
        if not (single or ranged):
            raise ValueError("give either date, or both start_date and end_date")
        return self

    def span(self) -> tuple[dt.date, dt.date]:
        """The first and last date to mark as holidays."""
        if self.date is not None:
            return self.date, self.date
        assert self.start_date is not None and self.end_date is not None
        return self.start_date, self.end_date


class HolidayUpdate(Schema):
    """Only the fields sent change; null clears the source reference, and nothing else."""

    name: LocalizedText | None = None
    confirmed: bool | None = None
    source: EditableSource | None = None
    source_reference: PlainText | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        # A null name, flag or source would reach NOT NULL columns: a 500 instead of a 422.
        sent = self.model_fields_set - {"source_reference"}
        nulls = sorted(name for name in sent if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class HolidaysAdded(Schema):
    items: list[HolidayRead]
    calendar_version: int


class CalendarRead(Schema):
    version: int = Field(description="Changes with every holiday edit.")
    timezone: str
    weekend: list[str]
    working_day_cutoff: str = Field(examples=["15:00"])


class DayRead(Schema):
    date: dt.date
    date_hijri: str
    weekday: str
    working_day: bool
    reason: Literal["weekend", "holiday"] | None
    holiday: HolidayRead | None
    calendar_version: int


class WorkingDaysRead(Schema):
    start: dt.date
    end: dt.date
    includes_start: bool = Field(description="Whether start itself is counted (never).")
    includes_end: bool = Field(description="Whether end itself is counted (always).")
    working_days: int
    calendar_version: int


class LedgerDay(Schema):
    date: dt.date
    date_hijri: str
    counted: bool
    day: int = Field(description="0 on the start date, k on the k-th counted working day.")
    reason: Literal["weekend", "holiday"] | None
    holiday_name: LocalizedText | None
    estimated: bool = Field(description="Skipped because of an unconfirmed estimate.")

    @classmethod
    def of(cls, entry: LedgerEntry) -> "LedgerDay":
        """One date of an explained deadline, with its Hijri date and the holiday's name."""
        name = None
        if entry.holiday is not None:
            name = LocalizedText(ar=entry.holiday.name_ar, en=entry.holiday.name_en)
        return cls(
            date=entry.date,
            date_hijri=hijri(entry.date),
            counted=entry.counted,
            day=entry.day,
            reason=entry.reason,
            holiday_name=name,
            estimated=entry.estimated,
        )


class DeadlineRead(Schema):
    received_at: AwareDatetime
    start_date: dt.date
    start_date_hijri: str
    due_date: dt.date
    due_date_hijri: str
    due_at: dt.datetime = Field(description="The last instant of the due date, Asia/Riyadh.")
    working_days: int
    calendar_version: int
    estimated: bool = Field(description="True when a skipped date is an unconfirmed estimate.")
    ledger: list[LedgerDay]

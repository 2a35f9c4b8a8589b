"""Consultation resources: creation, edits, the public view and the history."""

import datetime as dt
import uuid
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.models.consultation import Channel, ConsultationStatus, Topic
from app.schemas.common import Instant, LocalizedText, Schema


def _unique(channels: list[Channel]) -> list[Channel]:
    if len(set(channels)) != len(channels):
        raise ValueError("each channel may be listed once")
    return channels


Channels = Annotated[
    list[Channel],
    Field(min_length=1, examples=[["website", "mobile_app", "tafaul"]]),
    AfterValidator(_unique),
]


def _after_opening(closes_at: dt.datetime, info: ValidationInfo) -> dt.datetime:
    opens_at = info.data.get("opens_at")
    if opens_at is not None and closes_at <= opens_at:
        raise ValueError("closes_at must be after opens_at")
    return closes_at


class ConsultationCreate(Schema):
    title: LocalizedText
    summary: LocalizedText
    topic: Topic
    opens_at: Instant = Field(examples=["2026-04-01T08:00:00+03:00"])
    closes_at: Instant = Field(examples=["2026-04-30T23:59:00+03:00"])
    channels: Channels
    live_results: bool = Field(False, description="Poll results are public while it is open.")

    @field_validator("closes_at")
    @classmethod
    def _closes_after_opening(cls, closes_at: dt.datetime, info: ValidationInfo) -> dt.datetime:
        return _after_opening(closes_at, info)


class ConsultationUpdate(Schema):
    """Only the fields sent change; the period is checked again against the stored one."""

    title: LocalizedText | None = None
    summary: LocalizedText | None = None
    topic: Topic | None = None
    opens_at: Instant | None = None
    closes_at: Instant | None = None
    channels: Channels | None = None
    live_results: bool | None = None

    @field_validator("closes_at")
    @classmethod
    def _closes_after_opening(
        cls, closes_at: dt.datetime | None, info: ValidationInfo
    ) -> dt.datetime | None:
        return None if closes_at is None else _after_opening(closes_at, info)

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self

    def changes(self) -> dict[str, Any]:
        """The sent fields, as they are stored."""
        changes = self.model_dump(exclude_unset=True, mode="json")
        for field in ("opens_at", "closes_at"):
            if field in changes:
                changes[field] = getattr(self, field)
        for field in ("title", "summary"):
            if field in changes:
                changes[field] = getattr(self, field).model_dump(exclude_none=True)
        return changes


class ConsultationRead(Schema):
    id: uuid.UUID
    reference: str = Field(examples=["CON-2026-000012"])
    title: LocalizedText
    summary: LocalizedText
    topic: Topic
    opens_at: dt.datetime
    closes_at: dt.datetime
    channels: list[Channel]
    live_results: bool
    status: ConsultationStatus = Field(description="Derived from the dates and the clock.")
    published_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    feedback_due_at: dt.datetime = Field(
        description="End of the day, Asia/Riyadh, the feedback period after the closing date."
    )
    feedback_due_at_hijri: str = Field(examples=["1447-11-14"])
    feedback_overdue: bool = Field(
        description="Closed, no published feedback report, and past feedback_due_at."
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

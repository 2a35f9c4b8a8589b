"""Feedback reports: how the input to a consultation was used."""

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field, field_validator

from app.schemas.common import LocalizedText, Schema

MAX_HIGHLIGHTS = 50


class HighlightWrite(Schema):
    submission_id: uuid.UUID = Field(description="A decided, adopted or partly adopted input.")
    excerpt: LocalizedText = Field(
        description="Written by the officer; never the input's own words or contact details."
    )


class FeedbackReportWrite(Schema):
    summary: LocalizedText
    highlights: list[HighlightWrite] = Field(default_factory=list, max_length=MAX_HIGHLIGHTS)

    @field_validator("highlights")
    @classmethod
    def _one_highlight_per_input(cls, highlights: list[HighlightWrite]) -> list[HighlightWrite]:
        if len({item.submission_id for item in highlights}) != len(highlights):
            raise ValueError("each submission may be highlighted once")
        return highlights


class HighlightRead(Schema):
    submission_id: uuid.UUID
    submission_reference: str = Field(examples=["SUB-2026-004211"])
    excerpt: LocalizedText


class DispositionCounts(Schema):
    """Decided inputs per disposition, frozen when the report is published."""

    adopted: int = 0
    partially_adopted: int = 0
    not_adopted: int = 0
    resolved: int = 0
    referred: int = 0
    unfounded: int = 0
    duplicate: int = 0
    out_of_scope: int = 0
    total: int = 0


class FeedbackReportRead(Schema):
    consultation_id: uuid.UUID
    status: Literal["draft", "published"]
    summary: LocalizedText
    highlights: list[HighlightRead]
    disposition_counts: DispositionCounts | None = Field(
        description="Null until published, then frozen."
    )
    published_at: dt.datetime | None
    due_at: dt.datetime = Field(
        description="The feedback deadline: frozen at publication, until then the current one."
    )
    due_at_hijri: str = Field(examples=["1447-11-14"])
    on_time: bool | None = Field(description="Published by due_at; null until published.")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

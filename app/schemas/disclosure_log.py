"""The disclosure log: published questions and answers, without the requester's identity."""

import datetime as dt
import uuid

from pydantic import Field

from app.models.information_request import InformationCategory
from app.schemas.common import LocalizedText, Schema
from app.schemas.information_requests import Links
from app.services.request_handling import Outcome


class DisclosureCreate(Schema):
    """The question and answer as the officer rewrites them, free of personal data."""

    question: LocalizedText
    answer: LocalizedText
    links: Links | None = Field(
        None, description="http(s) URLs or dataset:<slug>; omitted: the response's links."
    )


class DisclosureEntryRead(Schema):
    """A public entry: nothing about who asked."""

    id: uuid.UUID
    reference: str = Field(examples=["IR-2026-000381"])
    category: InformationCategory
    outcome: Outcome = Field(description="answered or partially_answered.")
    question: LocalizedText
    answer: LocalizedText
    links: list[str]
    published_at: dt.datetime

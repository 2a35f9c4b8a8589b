"""Information requests: filing, receipts, reads, the explained clock, handling and history."""

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, HttpUrl, StringConstraints, TypeAdapter, model_validator
from pydantic import ValidationError as PydanticValidationError

from app.models.audit_event import AuditEvent
from app.models.information_request import (
    ClockOrigin,
    InformationCategory,
    LegalGround,
    RequestStatus,
)
from app.schemas.calendar import LedgerDay
from app.schemas.common import LocalizedText, MultilineText, PlainText, Schema
from app.schemas.submissions import ContactDetails, ContactRead
from app.services.request_handling import Outcome


class RequesterCategory(StrEnum):
    """The beneficiary categories of DESIGN section 5 (the token's ``beneficiary_category``)."""

    CITIZEN = "citizen"
    RESIDENT = "resident"
    BUSINESS = "business"
    CIVIL_SOCIETY = "civil_society"
    VISITOR = "visitor"
    MEDIA = "media"
    RESEARCHER = "researcher"
    STUDENT = "student"
    INVESTOR = "investor"
    GOVERNMENT = "government"


class PreferredFormat(StrEnum):
    PDF = "pdf"
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    PAPER = "paper"
    EMAIL = "email"


_DATASET_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HTTP_URL = TypeAdapter(HttpUrl)


def _link(value: str) -> str:
    """An http(s) URL, or ``dataset:<slug>`` naming a dataset of this service; kept as written."""
    if value.startswith("dataset:"):
        if not _DATASET_SLUG.match(value.removeprefix("dataset:")):
            raise ValueError("a dataset reference is dataset:<slug> (a-z, 0-9 and hyphens)")
        return value
    try:
        _HTTP_URL.validate_python(value)
    except PydanticValidationError as exc:
        raise ValueError("a link is an http(s) URL or dataset:<slug>") from exc
    return value


Subject = Annotated[PlainText, StringConstraints(max_length=300)]
Link = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_link),
]
Links = Annotated[list[Link], Field(max_length=20, examples=[["dataset:road-projects"]])]
OfficerId = Annotated[PlainText, StringConstraints(max_length=255)]
Citation = Annotated[PlainText, StringConstraints(max_length=300)]


class InformationRequestCreate(Schema):
    subject: Subject = Field(description="1 to 300 characters, one line.")
    description: MultilineText = Field(description="1 to 5,000 characters.")
    category: InformationCategory
    requester_category: RequesterCategory | None = Field(
        None, description="Defaults to the token's beneficiary_category claim when it is one."
    )
    preferred_format: PreferredFormat | None = None
    contact: ContactDetails | None = Field(
        None, description="Personal data: stored encrypted, shown to you and the officers."
    )


class _Due(Schema):
    due_date: dt.date | None = Field(description="Null while the clock is paused.")
    due_date_hijri: str | None = Field(examples=["1447-10-10"])
    due_at: dt.datetime | None = Field(description="The last instant of the due date, Riyadh.")


class InformationRequestReceipt(Schema):
    id: uuid.UUID
    reference: str = Field(examples=["IR-2026-000381"])
    status: RequestStatus
    received_at: dt.datetime
    start_date: dt.date = Field(description="Day 0 of the count (the counting rule).")
    start_date_hijri: str
    due_date: dt.date
    due_date_hijri: str
    due_at: dt.datetime
    working_days: int
    calendar_version: int


class InformationRequestSummary(_Due):
    """A list row: never personal data."""

    id: uuid.UUID
    reference: str
    subject: str
    category: InformationCategory
    requester_category: RequesterCategory | None
    status: RequestStatus
    received_at: dt.datetime
    assigned_to: str | None = Field(description="Shown to information officers only.")
    overdue: bool = Field(description="Submitted or in progress after the end of the due date.")
    paused: bool = Field(description="Awaiting the requester's clarification; the clock stops.")
    remaining_working_days: int | None = Field(description="Kept while paused.")
    decided_at: dt.datetime | None


class LegalGroundCitation(Schema):
    ground: LegalGround
    citation: Citation | None = Field(
        None, description="Required for other_law: the law and article.", examples=["Art. 9"]
    )


class ClarificationRead(Schema):
    id: uuid.UUID
    question: LocalizedText
    asked_at: dt.datetime
    asked_by: str | None = Field(description="Shown to information officers only.")
    answer: str | None
    answered_at: dt.datetime | None


class InformationRequestRead(InformationRequestSummary):
    description: str
    preferred_format: PreferredFormat | None
    working_days: int = Field(description="The period the request was filed with.")
    clock_origin: ClockOrigin = Field(description="How the running clock segment started.")
    clock_started_at: dt.datetime
    clock_working_days: int = Field(description="The running segment's period.")
    pause_count: int
    paused_at: dt.datetime | None
    calendar_version: int
    clarifications: list[ClarificationRead]
    response: LocalizedText | None
    links: list[str] = Field(description="http(s) URLs and dataset:<slug> references.")
    legal_grounds: list[LegalGroundCitation]
    explanation: LocalizedText | None
    decided_by: str | None = Field(description="Shown to information officers only.")
    withdrawn_at: dt.datetime | None
    contact: ContactRead | None = Field(
        description="Only in GET /v1/information-requests/{id}, for the requester and "
        "information officers (each officer's read is audited)."
    )
    version: int


ClockEventKind = Literal["received", "paused", "resumed", "reopened", "deadline_moved"]


class ClockEvent(Schema):
    event: ClockEventKind
    at: dt.datetime
    due_date: dt.date | None = Field(
        description="The due date set (received, resumed, reopened, moved) or paused (paused)."
    )
    working_days: int | None = Field(description="The new segment's period.")
    remaining_working_days: int | None = Field(description="Kept at a pause.")
    from_due_date: dt.date | None = Field(description="A calendar move's earlier date.")
    calendar_version: int | None = Field(description="The calendar edit behind a move.")


# The audit actions that start, stop or move the request's clock.
CLOCK_ACTIONS: dict[str, ClockEventKind] = {
    "information_request.received": "received",
    "information_request.clarification_requested": "paused",
    "information_request.clarification_answered": "resumed",
    "information_request.reopened": "reopened",
    "deadline.moved": "deadline_moved",
}


def clock_events(events: Sequence[AuditEvent]) -> list[ClockEvent]:
    """The clock's events from a request's audit trail, oldest first."""
    return [
        ClockEvent(
            event=CLOCK_ACTIONS[event.action],
            at=event.occurred_at,
            due_date=event.details.get("to_due_date", event.details.get("due_date")),
            working_days=event.details.get("working_days"),
            remaining_working_days=event.details.get("remaining_working_days"),
            from_due_date=event.details.get("from_due_date"),
            calendar_version=event.details.get("calendar_version"),
        )
        for event in events
        if event.action in CLOCK_ACTIONS
    ]


class RequestDeadlineRead(_Due):
    id: uuid.UUID
    reference: str
    status: RequestStatus
    clock_origin: ClockOrigin
    clock_started_at: dt.datetime
    working_days: int = Field(description="The running segment's period.")
    start_date: dt.date | None = Field(description="Day 0 of the running segment.")
    start_date_hijri: str | None
    calendar_due_date: dt.date | None = Field(
        description="What the current calendar gives; due_date is never earlier than a date "
        "already communicated, so it can be later than this."
    )
    overdue: bool
    paused: bool
    remaining_working_days: int | None
    calendar_version: int = Field(description="The calendar the ledger was computed with.")
    estimated: bool = Field(description="True when a skipped date is an unconfirmed estimate.")
    ledger: list[LedgerDay] = Field(description="The running segment, day by day; empty paused.")
    events: list[ClockEvent] = Field(description="The request's own clock events, oldest first.")


class Assignment(Schema):
    assignee: OfficerId | None = Field(None, description="An officer's id; default: yourself.")


class ClarificationCreate(Schema):
    question: LocalizedText


class ClarificationAnswer(Schema):
    answer: MultilineText


class RequestDecision(Schema):
    outcome: Outcome
    response: LocalizedText
    links: Links = Field(default_factory=list)
    legal_grounds: list[LegalGroundCitation] = Field(
        default_factory=list,
        max_length=4,
        description="Required (one or more) for refused and partially_answered; not allowed "
        "otherwise.",
    )
    explanation: LocalizedText | None = Field(
        None, description="Required for refused and partially_answered."
    )

    @model_validator(mode="after")
    def _grounds_once(self) -> Self:
        grounds = [item.ground for item in self.legal_grounds]
        if len(grounds) != len(set(grounds)):
            raise ValueError("each legal ground is given once")
        return self

    def stored_grounds(self) -> list[dict[str, Any]]:
        return [item.model_dump(mode="json") for item in self.legal_grounds]

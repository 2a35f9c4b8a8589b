"""The caller's own identity, and their rights over their personal data: the access log, the
export and the erasure."""

import datetime as dt
import uuid
from enum import StrEnum

from pydantic import Field

from app.core.security import Permission, Role
from app.models.appeal import AppealGround, AppealStatus
from app.models.consultation import Channel
from app.models.information_request import InformationCategory, RequestStatus
from app.models.submission import SubmissionKind, SubmissionStatus
from app.schemas.common import LocalizedText, Schema
from app.schemas.history import HistoryEvent
from app.schemas.information_requests import LegalGroundCitation
from app.schemas.polls import AnswerRead
from app.schemas.submissions import ContactRead


class MeRead(Schema):
    sub: str = Field(description="The caller's stable id from the token.")
    roles: list[Role] = Field(description="Known roles from the token; unknown ones are ignored.")
    permissions: list[Permission] = Field(description="Everything those roles allow.")
    name: str | None = None
    email: str | None = None
    beneficiary_category: str | None = None
    locale: str | None = None


# -- who read my personal data -------------------------------------------------------------------


class ItemType(StrEnum):
    SUBMISSION = "submission"
    INFORMATION_REQUEST = "information_request"


class AccessedItem(Schema):
    type: ItemType
    id: uuid.UUID
    reference: str = Field(examples=["SUB-2026-004211"])


class AccessLogEntry(Schema):
    """One officer's read of the caller's personal data: when, what, through which route, and
    the reader's role (never the officer's id)."""

    occurred_at: dt.datetime
    item: AccessedItem
    fields: list[str] = Field(description="What was read.", examples=[["contact"]])
    route: str | None = Field(
        description="The API route of the read; null for reads recorded before routes were kept.",
        examples=["GET /v1/submissions/{submission_id}"],
    )
    reader_role: str = Field(examples=["participation_officer"])


# -- everything held about me --------------------------------------------------------------------


class ExportedSubmission(Schema):
    id: uuid.UUID
    reference: str
    kind: SubmissionKind
    channel: Channel
    consultation_id: uuid.UUID | None
    body: str
    status: SubmissionStatus
    received_at: dt.datetime
    topic: str | None
    subtopic: str | None
    priority: str | None
    disposition: str | None
    decision_reason: LocalizedText | None
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    response_due_date: dt.date | None
    contact: ContactRead | None = Field(description="Decrypted; null when none was given.")
    source_handle: str | None
    history: list[HistoryEvent]


class ExportedPollResponse(Schema):
    id: uuid.UUID
    consultation_id: uuid.UUID
    submitted_at: dt.datetime
    answers: list[AnswerRead]
    history: list[HistoryEvent]


class ExportedClarification(Schema):
    question: LocalizedText
    asked_at: dt.datetime
    answer: str | None
    answered_at: dt.datetime | None


class ExportedInformationRequest(Schema):
    id: uuid.UUID
    reference: str
    subject: str
    description: str
    category: InformationCategory
    requester_category: str | None
    preferred_format: str | None
    status: RequestStatus
    received_at: dt.datetime
    due_date: dt.date | None
    response: LocalizedText | None
    links: list[str]
    legal_grounds: list[LegalGroundCitation]
    explanation: LocalizedText | None
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    contact: ContactRead | None = Field(description="Decrypted; null when none was given.")
    clarifications: list[ExportedClarification]
    history: list[HistoryEvent]


class ExportedAppeal(Schema):
    id: uuid.UUID
    reference: str
    request_id: uuid.UUID
    ground: AppealGround
    statement: str
    status: AppealStatus
    received_at: dt.datetime
    due_date: dt.date
    reasoning: LocalizedText | None
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    history: list[HistoryEvent]


class DataExport(Schema):
    """Everything the service holds about the caller, with each item's history as they see it."""

    sub: str
    exported_at: dt.datetime
    submissions: list[ExportedSubmission]
    poll_responses: list[ExportedPollResponse]
    information_requests: list[ExportedInformationRequest]
    appeals: list[ExportedAppeal]


# -- erasure -------------------------------------------------------------------------------------


class ErasureCounts(Schema):
    """How many of the caller's items were detached from them (and their personal data nulled).

    The records stay for decisions, counts and statistics; they no longer point to the caller.
    """

    submissions: int
    information_requests: int
    appeals: int
    poll_responses: int

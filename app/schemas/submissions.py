"""Submissions: filing and importing input, receipts, reads, triage and decisions."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.core import clock
from app.models.consultation import Channel, Topic
from app.models.submission import Priority, SubmissionKind, SubmissionStatus
from app.schemas.common import Instant, LocalizedText, MultilineText, PlainText, Schema
from app.services import taxonomy
from app.services.submissions import Disposition

PriorityRule = Literal["kind", "urgency_terms", "safety_terms", "similar_inputs"]


def _known_subtopic(value: str) -> str:
    if taxonomy.current().subtopic(value) is None:
        raise ValueError("not a subtopic of the taxonomy (see GET /v1/taxonomy)")
    return value


SubtopicId = Annotated[
    str,
    AfterValidator(_known_subtopic),
    Field(
        max_length=40,
        examples=["roads_transport"],
        json_schema_extra={"enum": [s.id for s in taxonomy.current().subtopics]},
    ),
]

# Beneficiaries file through the emirate's own front ends; other channels come via imports.
BeneficiaryChannel = Literal[Channel.WEBSITE, Channel.MOBILE_APP, Channel.PORTAL_FORM]

Name = Annotated[PlainText, StringConstraints(max_length=200)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{3,30}$")
]
NationalId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9]{5,20}$")
]
Notes = Annotated[MultilineText, StringConstraints(max_length=1000)]
ExternalId = Annotated[PlainText, StringConstraints(max_length=255)]
SourceHandle = Annotated[PlainText, StringConstraints(max_length=255)]


class ContactDetails(Schema):
    """How to reach the submitter; personal data, stored encrypted and shown to few."""

    name: Name | None = None
    email: Email | None = Field(None, examples=["someone@example.sa"])
    phone: Phone | None = Field(None, examples=["+966 55 123 4567"])
    national_id: NationalId | None = None
    notes: Notes | None = None

    def stored(self) -> dict[str, Any] | None:
        """The fields given, or None when the object is empty."""
        return self.model_dump(exclude_none=True) or None


class SubmissionCreate(Schema):
    kind: SubmissionKind
    channel: BeneficiaryChannel = Field(description="website, mobile_app or portal_form.")
    consultation_id: uuid.UUID | None = Field(
        None, description="An open consultation that accepts this channel."
    )
    body: MultilineText = Field(description="1 to 5,000 characters.")
    contact: ContactDetails | None = None


class SubmissionImport(Schema):
    """One input taken from another channel; idempotent on ``(channel, external_id)``."""

    channel: Channel
    external_id: ExternalId = Field(description="The input's id on its channel (1-255).")
    received_at: Instant = Field(
        description="When the channel received it (with offset); not later than now."
    )
    source_handle: SourceHandle | None = Field(
        None, description="The sender's account or address on the channel (personal data)."
    )
    kind: SubmissionKind
    consultation_id: uuid.UUID | None = Field(
        None, description="Must have been open, and accept this channel, at received_at."
    )
    body: MultilineText
    contact: ContactDetails | None = None

    @field_validator("received_at")
    @classmethod
    def _not_in_the_future(cls, value: dt.datetime) -> dt.datetime:
        if value > clock.now():
            raise ValueError("received_at is in the future")
        return value


class SubmissionReceipt(Schema):
    id: uuid.UUID
    reference: str = Field(examples=["SUB-2026-004211"])
    status: SubmissionStatus
    kind: SubmissionKind
    channel: Channel
    consultation_id: uuid.UUID | None
    received_at: dt.datetime
    response_due_date: dt.date | None = Field(description="Complaints only.")
    response_due_date_hijri: str | None = Field(examples=["1447-10-14"])
    response_due_at: dt.datetime | None = Field(
        description="The last instant of the due date, Asia/Riyadh."
    )


class ImportReceipt(SubmissionReceipt):
    external_id: str


class PriorityReasonRead(Schema):
    rule: PriorityRule
    points: int = Field(description="What the rule added to the priority points.")
    evidence: dict[str, Any] = Field(
        description='{"kind"} | {"terms": [...]} (urgency, safety) | {"count", "window_days"}',
        examples=[{"terms": ["خطر"]}],
    )
    explanation: LocalizedText


class Classification(Schema):
    auto_topic: Topic | None = Field(description="The automatic value (kept beside overrides).")
    auto_subtopic: SubtopicId | None
    auto_priority: Priority | None
    confidence: float | None = Field(ge=0, le=1, description="Of the automatic subtopic.")
    classifier_version: str | None = Field(description="The taxonomy version that classified it.")
    priority_reasons: list[PriorityReasonRead] = Field(
        description="Why the automatic priority is what it is (see README: priority)."
    )
    topic_override: Topic | None
    subtopic_override: SubtopicId | None
    priority_override: Priority | None
    overridden_by: str | None = Field(description="Shown to participation officers only.")
    overridden_at: dt.datetime | None


class SubmissionSummary(Schema):
    """A list row: never personal data."""

    id: uuid.UUID
    reference: str
    kind: SubmissionKind
    channel: Channel
    consultation_id: uuid.UUID | None
    status: SubmissionStatus
    body: str
    received_at: dt.datetime
    topic: Topic | None = Field(description="Effective: the override, else the automatic value.")
    subtopic: SubtopicId | None = Field(description="Effective; always a subtopic of `topic`.")
    priority: Priority | None
    disposition: Disposition | None
    response_due_date: dt.date | None
    response_due_date_hijri: str | None
    overdue: bool = Field(description="A complaint still undecided after its due date.")


class ContactRead(Schema):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    national_id: str | None = None
    notes: str | None = None


class SubmissionRead(SubmissionSummary):
    imported: bool
    external_id: str | None = Field(description="Shown to participation officers only.")
    classification: Classification
    decision_reason: LocalizedText | None
    decided_by: str | None = Field(description="Shown to participation officers only.")
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    response_working_days: int | None
    response_due_at: dt.datetime | None
    calendar_version: int | None
    contact: ContactRead | None = Field(
        description="Only in GET /v1/submissions/{id}, for the submitter and participation "
        "officers (each officer's read is audited); never for analysts."
    )
    source_handle: str | None = Field(description="Imports; as contact.")
    version: int


class ClassificationUpdate(Schema):
    """Override topic, subtopic and/or priority; null clears an override (the automatic value
    applies). A subtopic sets its topic too."""

    topic: Topic | None = None
    subtopic: SubtopicId | None = None
    priority: Priority | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give topic, subtopic or priority")
        return self


class SubmissionDecision(Schema):
    disposition: Disposition = Field(
        description="Suggestions and comments: adopted, partially_adopted, not_adopted, "
        "out_of_scope, duplicate. Complaints: resolved, referred, unfounded, duplicate, "
        "out_of_scope."
    )
    reason: LocalizedText

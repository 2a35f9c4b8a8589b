"""Submissions: suggestions, complaints and comments from every channel, and their decisions."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned, search_index


class SubmissionKind(StrEnum):
    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"
    COMMENT = "comment"


class SubmissionStatus(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


# Not yet decided or withdrawn (services.submissions.UNDECIDED), as an index predicate.
UNDECIDED_SUBMISSION = "status IN ('received', 'under_review')"

# What analytics reads of a submission in a window (services.analytics), and nothing wider.
ANALYTICS_COLUMNS = (
    "status",
    "topic",
    "subtopic",
    "priority",
    "kind",
    "channel",
    "consultation_id",
)


class Submission(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "submissions"
    # The encrypted personal data, by field: the one list key rotation, retention and erasure use.
    PERSONAL_DATA: ClassVar[dict[str, str]] = {
        "contact": "contact_encrypted",
        "source_handle": "source_handle_encrypted",
    }
    __table_args__ = (
        search_index("submissions"),
        UniqueConstraint("channel", "external_id"),
        # The lists' keyset order; on PostgreSQL it also carries what analytics reads of a
        # window, so analytics is answered by index-only scans (SQLite has no INCLUDE).
        Index(
            "ix_submissions_received_at_id",
            "received_at",
            "id",
            postgresql_include=list(ANALYTICS_COLUMNS),
        ),
        Index("ix_submissions_status", "status"),
        Index("ix_submissions_kind", "kind"),
        Index("ix_submissions_channel", "channel"),
        Index("ix_submissions_consultation_status", "consultation_id", "status"),
        Index("ix_submissions_submitter", "submitter_sub", "received_at"),
        Index("ix_submissions_topic", "topic"),
        # Priority rule "similar inputs": same subtopic within a window of received_at.
        Index("ix_submissions_subtopic_received_at", "subtopic", "received_at"),
        Index("ix_submissions_priority", "priority"),
        Index("ix_submissions_response_due_date", "response_due_date"),
        # The worker's complaint reminders, every few seconds: the undecided ones alone, never
        # the growing history of decided complaints.
        Index(
            "ix_submissions_undecided_response_due_date",
            "response_due_date",
            postgresql_where=text(UNDECIDED_SUBMISSION),
            sqlite_where=text(UNDECIDED_SUBMISSION),
        ),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    consultation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consultations.id"))
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.RECEIVED.value)
    received_at: Mapped[dt.datetime]
    # Who may read it as its owner: the token's sub for own submissions, None for imports.
    submitter_sub: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    imported_by: Mapped[str | None] = mapped_column(String(255))
    # Personal data, encrypted at rest (Fernet token): contact details and the source handle.
    contact_encrypted: Mapped[str | None] = mapped_column(Text)
    source_handle_encrypted: Mapped[str | None] = mapped_column(Text)

    # Classification: the automatic values, and a human override kept beside them.
    auto_topic: Mapped[str | None] = mapped_column(String(40))
    auto_subtopic: Mapped[str | None] = mapped_column(String(40))
    auto_priority: Mapped[str | None] = mapped_column(String(2))
    # Which priority rules fired (classifier.RULE_BITS flags); their evidence is PriorityReason.
    priority_rules: Mapped[int] = mapped_column(default=0, server_default="0")
    confidence: Mapped[float | None]
    classifier_version: Mapped[str | None] = mapped_column(String(40))
    topic_override: Mapped[str | None] = mapped_column(String(40))
    subtopic_override: Mapped[str | None] = mapped_column(String(40))
    priority_override: Mapped[str | None] = mapped_column(String(2))
    overridden_by: Mapped[str | None] = mapped_column(String(255))
    overridden_at: Mapped[dt.datetime | None]
    # The effective values (override, else automatic), kept for filtering and indexes.
    topic: Mapped[str | None] = mapped_column(String(40))
    subtopic: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str | None] = mapped_column(String(2))

    disposition: Mapped[str | None] = mapped_column(String(20))
    decision_reason: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]

    # Complaints: a working-day response period, derived from received_at and the calendar.
    response_working_days: Mapped[int | None]
    response_due_date: Mapped[dt.date | None] = mapped_column(Date)
    calendar_version: Mapped[int | None]


class PriorityReason(Base):
    """One rule that added points to a submission's automatic priority, with its evidence.

    A row per rule (not a JSON list) so analytics can rank reasons with plain SQL.
    """

    __tablename__ = "submission_priority_reasons"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    rule: Mapped[str] = mapped_column(String(30), primary_key=True)
    points: Mapped[int]
    # {"kind": ...} | {"terms": [...]} | {"count": n, "window_days": d}: never personal data.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

"""Information requests, their clarification exchanges, and the public disclosure log."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned, search_index


class InformationCategory(StrEnum):
    DEVELOPMENT_PLANS = "development_plans"
    SERVICES_PROCEDURES = "services_procedures"
    OPEN_DATA = "open_data"
    REPORTS_STATISTICS = "reports_statistics"
    REGULATIONS_DECISIONS = "regulations_decisions"
    OTHER = "other"


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    ANSWERED = "answered"
    PARTIALLY_ANSWERED = "partially_answered"
    REFUSED = "refused"
    NOT_HELD = "not_held"
    WITHDRAWN = "withdrawn"


class LegalGround(StrEnum):
    NATIONAL_SECURITY = "national_security"
    PROTECTED_PERSONAL_DATA = "protected_personal_data"
    CLASSIFIED_RECORD = "classified_record"
    OTHER_LAW = "other_law"


class ClockOrigin(StrEnum):
    """Where the running clock segment started (DESIGN section 6: store inputs, derive dates)."""

    RECEIVED = "received"  # counting rule from received_at
    RESUMED = "resumed"  # remaining days counted after the clarification answer's date
    REOPENED = "reopened"  # a fresh period by the counting rule from the appeal decision


class InformationRequest(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "information_requests"
    # The encrypted personal data, by field: the one list key rotation, retention and erasure use.
    PERSONAL_DATA: ClassVar[dict[str, str]] = {"contact": "contact_encrypted"}
    __table_args__ = (
        search_index("information_requests"),
        Index("ix_information_requests_due_date_id", "due_date", "id"),
        Index("ix_information_requests_requester", "requester_sub", "received_at"),
        Index("ix_information_requests_status", "status"),
        Index("ix_information_requests_category", "category"),
        Index("ix_information_requests_assigned_to", "assigned_to"),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    requester_sub: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    requester_category: Mapped[str | None] = mapped_column(String(40))
    preferred_format: Mapped[str | None] = mapped_column(String(40))
    contact_encrypted: Mapped[str | None] = mapped_column(Text)  # personal data, Fernet token
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), default=RequestStatus.SUBMITTED.value)
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    # Everyone who assigned, handled or decided it: they may not decide its appeals.
    handlers: Mapped[list[str]] = mapped_column(JSONType, default=list)

    # The clock: stored inputs; due_date is the date last communicated (never moved earlier).
    received_at: Mapped[dt.datetime]
    working_days: Mapped[int]
    clock_origin: Mapped[str] = mapped_column(String(20), default=ClockOrigin.RECEIVED.value)
    clock_started_at: Mapped[dt.datetime]
    clock_working_days: Mapped[int]  # the period of the running segment
    paused_at: Mapped[dt.datetime | None]
    remaining_working_days: Mapped[int | None]  # kept while paused
    pause_count: Mapped[int] = mapped_column(default=0)
    due_date: Mapped[dt.date | None] = mapped_column(Date)  # None while paused
    calendar_version: Mapped[int] = mapped_column(default=0)

    response: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    legal_grounds: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[dt.datetime | None]
    # Facts frozen at the (latest) decision, for public statistics: working days from the start
    # day to the decision date, and whether it came by the due date then communicated.
    decision_working_days: Mapped[int | None]
    decided_on_time: Mapped[bool | None]
    withdrawn_at: Mapped[dt.datetime | None]


class Clarification(UUIDPrimaryKey, Base):
    """An officer's question that paused the clock, and the requester's answer that resumed it."""

    __tablename__ = "request_clarifications"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("information_requests.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[dict[str, Any]]
    asked_by: Mapped[str] = mapped_column(String(255))
    asked_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None]


class DisclosureEntry(UUIDPrimaryKey, Timestamps, Base):
    """A decided request's question and answer, published without the requester's identity."""

    __tablename__ = "disclosure_entries"
    __table_args__ = (
        search_index("disclosure_entries"),
        Index("ix_disclosure_entries_published_at_id", "published_at", "id"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("information_requests.id", ondelete="CASCADE"), unique=True
    )
    reference: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40), index=True)
    question: Mapped[dict[str, Any]]
    answer: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(30))
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    published_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    published_by: Mapped[str] = mapped_column(String(255))
    search_text: Mapped[str] = mapped_column(Text, default="")

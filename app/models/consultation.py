"""Consultations and their polls: questions, one response per beneficiary, answers."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned, search_index


class Topic(StrEnum):
    GOVERNMENT_SERVICES = "government_services"
    DEVELOPMENT_INITIATIVES = "development_initiatives"
    STRATEGIC_PLANS_INFRASTRUCTURE = "strategic_plans_infrastructure"
    LOCAL_POLICIES_REGULATIONS = "local_policies_regulations"


class Channel(StrEnum):
    TAFAUL = "tafaul"
    WEBSITE = "website"
    MOBILE_APP = "mobile_app"
    SOCIAL_MEDIA = "social_media"
    PORTAL_FORM = "portal_form"
    EMAIL = "email"


class ConsultationStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    FEEDBACK_PUBLISHED = "feedback_published"
    CANCELLED = "cancelled"


class Consultation(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """``status`` is derived from these facts and the clock (see services.consultations)."""

    __tablename__ = "consultations"
    __table_args__ = (
        search_index("consultations"),
        Index("ix_consultations_published_opens", "published_at", "opens_at", "id"),
        # The lists' keyset order (newest opening first), walked in order for every caller.
        Index("ix_consultations_opens_at_id", "opens_at", "id"),
        Index("ix_consultations_topic", "topic"),
        Index("ix_consultations_closes_at", "closes_at"),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]
    topic: Mapped[str] = mapped_column(String(40))
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    channels: Mapped[list[str]] = mapped_column(JSONType)
    live_results: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    feedback_published_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(255))
    search_text: Mapped[str] = mapped_column(Text, default="")


class QuestionKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"
    FREE_TEXT = "free_text"


class PollQuestion(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "poll_questions"
    __table_args__ = (UniqueConstraint("consultation_id", "position"),)

    consultation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[dict[str, Any]]
    # For choice questions: [{"id": "a", "label": {"ar": ..., "en": ...}}, ...]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    required: Mapped[bool] = mapped_column(default=True)


class PollResponse(UUIDPrimaryKey, Base):
    """One per beneficiary per consultation; the unique constraint is what enforces it."""

    __tablename__ = "poll_responses"
    __table_args__ = (UniqueConstraint("consultation_id", "respondent_sub"),)

    consultation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    respondent_sub: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class PollAnswer(UUIDPrimaryKey, Base):
    """One row per answered question, and one per selected option of a multiple choice."""

    __tablename__ = "poll_answers"
    __table_args__ = (Index("ix_poll_answers_question_option", "question_id", "option_id"),)

    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("poll_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("poll_questions.id", ondelete="CASCADE")
    )
    option_id: Mapped[str | None] = mapped_column(String(40))
    rating: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)
    # Free-text answers are classified at intake like submissions (no priority: not a request).
    topic: Mapped[str | None] = mapped_column(String(40))
    subtopic: Mapped[str | None] = mapped_column(String(40))
    confidence: Mapped[float | None]
    classifier_version: Mapped[str | None] = mapped_column(String(40))

"""Appeals (grievances) against late or refused information requests, with their own clock."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned


class AppealGround(StrEnum):
    DELAY = "delay"
    REFUSAL = "refusal"
    INCOMPLETE_ANSWER = "incomplete_answer"


class AppealStatus(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    UPHELD = "upheld"
    PARTIALLY_UPHELD = "partially_upheld"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN_APPEAL = "status IN ('submitted', 'under_review')"


class Appeal(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "appeals"
    __table_args__ = (
        # One open appeal per request, enforced by the database under concurrency.
        Index(
            "uq_appeals_one_open_per_request",
            "request_id",
            unique=True,
            postgresql_where=text(OPEN_APPEAL),
            sqlite_where=text(OPEN_APPEAL),
        ),
        Index("ix_appeals_due_date_id", "due_date", "id"),
        Index("ix_appeals_appellant", "appellant_sub", "received_at"),
        Index("ix_appeals_status", "status"),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("information_requests.id", ondelete="CASCADE"), index=True
    )
    appellant_sub: Mapped[str] = mapped_column(String(255))
    ground: Mapped[str] = mapped_column(String(30))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default=AppealStatus.SUBMITTED.value)
    received_at: Mapped[dt.datetime]
    working_days: Mapped[int]
    due_date: Mapped[dt.date] = mapped_column(Date)
    calendar_version: Mapped[int] = mapped_column(default=0)
    reviewer_sub: Mapped[str | None] = mapped_column(String(255))
    reasoning: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]

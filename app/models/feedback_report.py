"""A consultation's feedback report: how the input was used, published within the period."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned


class FeedbackReport(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "feedback_reports"

    consultation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[dict[str, Any]]
    # Officer-written excerpts of adopted inputs: [{"submission_id": ..., "excerpt": {ar, en}}]
    highlights: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # Frozen at publication: counts per disposition, and the deadline it was measured against.
    disposition_counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    due_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(255))
    on_time: Mapped[bool | None]
    drafted_by: Mapped[str] = mapped_column(String(255))

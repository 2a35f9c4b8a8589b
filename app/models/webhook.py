"""Webhook subscriptions, the deliveries of events to them, and every attempt made."""

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


PENDING_DELIVERY = "status = 'pending'"


def is_accepted(status_code: int | None) -> bool:
    """A receiver took a delivery when it answered 2xx (any other answer or none is a failure)."""
    return status_code is not None and 200 <= status_code < 300


class WebhookSubscription(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)  # empty: every type
    secret_encrypted: Mapped[str] = mapped_column(Text)  # Fernet token under the data keys
    status: Mapped[str] = mapped_column(String(20), default=SubscriptionStatus.ACTIVE.value)
    created_by: Mapped[str] = mapped_column(String(255))
    # The last feed position handed to this subscription (its own resumable cursor).
    cursor_transaction_id: Mapped[int] = mapped_column(BigInteger, default=0)
    cursor_position: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookDelivery(UUIDPrimaryKey, Timestamps, Base):
    """One event for one subscription (the ``webhook-id`` header is the event's id, the same in
    every retry and replay)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text(PENDING_DELIVERY),
            sqlite_where=text(PENDING_DELIVERY),
        ),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at", "id"),
        Index(
            "ix_webhook_deliveries_subscription_status",
            "subscription_id",
            "status",
            "created_at",
            "id",
        ),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    # A replay grants a fresh budget: attempts made before it do not count against the limit.
    attempts_before_replay: Mapped[int] = mapped_column(default=0)
    # When a worker may next try; a claimed delivery is pushed past its lease.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[dt.datetime | None]


class WebhookAttempt(UUIDPrimaryKey, Base):
    """One try of a delivery: the number is unique per delivery, so no attempt is made twice."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(300))
    worker: Mapped[str | None] = mapped_column(String(100))

    @property
    def succeeded(self) -> bool:
        return is_accepted(self.status_code)

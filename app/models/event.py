"""The outbox: events written in the same transaction as the change they report, and the
notifications they leave in people's inboxes."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, FetchedValue, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.db import Base, JSONType, UUIDPrimaryKey, new_id

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Position = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One state change, as integrators and inboxes learn of it; never personal data.

    ``position`` numbers events in insertion order. On PostgreSQL, concurrent transactions
    commit out of that order, so the feed orders by ``(transaction_id, position)`` and shows
    only transactions older than every one still running (see services.event_feed).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_feed", "transaction_id", "position"),
        Index("ix_events_entity", "entity_type", "entity_id"),
        # Never reuse a position (SQLite would reuse the highest after a delete): a reader's
        # cursor must not skip a later event numbered like one it has passed.
        {"sqlite_autoincrement": True},
    )

    position: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    # PostgreSQL fills it with the writing transaction's id (a server default); NULL on SQLite.
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(40))
    resource_version: Mapped[int | None]
    # The audience: the item's owner and handling officer (account ids only) and roles.
    owner_sub: Mapped[str | None] = mapped_column(String(255), index=True)
    handler_sub: Mapped[str | None] = mapped_column(String(255), index=True)
    audience_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # States, outcomes, dates and counts only.
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Time-based events carry one so that each item reaches each threshold once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    def __repr__(self) -> str:
        return f"<Event {self.position} {self.type} {self.entity_type}:{self.entity_id}>"


class Notification(UUIDPrimaryKey, Base):
    """An event addressed to one person (``recipient_sub``) or every holder of a role."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_sub", "recipient_sub", "created_at", "id"),
        Index("ix_notifications_recipient_role", "recipient_role", "created_at", "id"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    recipient_sub: Mapped[str | None] = mapped_column(String(255))
    recipient_role: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    event: Mapped[Event] = relationship(lazy="raise")


class NotificationRead(Base):
    """Who has read a notification (a role's notification is read per person)."""

    __tablename__ = "notification_reads"

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own for a reader's list of what they read, and for erasure.
    reader_sub: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    read_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

"""The inbox as the app shows it: what happened, in Arabic and English, and whether it was read."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.schemas.common import LocalizedText, Page, Schema
from app.services.notification_texts import texts_of, with_hijri
from app.services.notifications import InboxItem


class NotificationRead(Schema):
    """One notification: the event it reports, its texts, and the caller's read state."""

    id: uuid.UUID
    type: str = Field(description="The event's type.", examples=["request.due_soon"])
    created_at: datetime
    read: bool = Field(description="Whether the caller has read it (per person for a role's).")
    read_at: datetime | None
    resource: str = Field(description="The kind of item, e.g. information_requests.")
    resource_id: str
    reference: str | None = Field(examples=["IR-2026-000381"])
    title: LocalizedText
    body: LocalizedText
    data: dict[str, Any] = Field(
        description="The event's states, outcomes, dates and counts; each date with its "
        "Umm al-Qura companion (`due_date_hijri`).",
        examples=[{"due_date": "2026-04-02", "due_date_hijri": "1447-10-14"}],
    )

    @classmethod
    def of(cls, item: InboxItem, *, timezone: str) -> "NotificationRead":
        event = item.event
        texts = texts_of(event, for_owner=item.for_owner, timezone=timezone)
        return cls(
            id=item.notification.id,
            type=event.type,
            created_at=item.notification.created_at,
            read=item.read_at is not None,
            read_at=item.read_at,
            resource=event.entity_type,
            resource_id=event.entity_id,
            reference=event.reference,
            title=LocalizedText(**texts.title),
            body=LocalizedText(**texts.body),
            data=with_hijri(event.data, timezone),
        )


class UnreadCount(Schema):
    unread: int = Field(description="The caller's unread notifications (the app's badge).")


class MarkedRead(Schema):
    marked: int = Field(description="How many notifications this call marked read.")


NotificationPage = Page[NotificationRead]

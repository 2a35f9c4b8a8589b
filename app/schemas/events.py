"""Events as integrators receive them, from the feed and in webhook deliveries."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.models.event import Event
from app.schemas.common import Schema
from app.services.event_feed import FeedCursor


class EventAudience(Schema):
    """Who the change concerns: account ids only (a push gateway maps them to devices)."""

    owner: str | None = Field(description="The sub of the item's owner (requester, submitter).")
    handler: str | None = Field(description="The sub of the officer handling the item.")
    roles: list[str] = Field(description="Roles told of it (e.g. escalations).")


class EventRead(Schema):
    """One change: what happened to which item; states, outcomes and dates, no personal data."""

    id: uuid.UUID = Field(description="Stable; the same in the feed and every webhook retry.")
    type: str = Field(examples=["request.answered"])
    occurred_at: datetime
    resource: str = Field(description="The kind of item, e.g. information_requests.")
    resource_id: str
    reference: str | None = Field(examples=["IR-2026-000381"])
    version: int | None = Field(description="The item's version after the change, if versioned.")
    audience: EventAudience
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> "EventRead":
        return cls(**_fields(event))


def _fields(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "resource": event.entity_type,
        "resource_id": event.entity_id,
        "reference": event.reference,
        "version": event.resource_version,
        "audience": EventAudience(
            owner=event.owner_sub, handler=event.handler_sub, roles=event.audience_roles
        ),
        "data": event.data,
    }


class FeedItem(EventRead):
    cursor: str = Field(description="Pass as `after` to resume right after this event.")

    @classmethod
    def of(cls, event: Event) -> "FeedItem":
        return cls(**_fields(event), cursor=FeedCursor.of(event).encode())


class EventFeedPage(Schema):
    items: list[FeedItem]
    next_cursor: str = Field(
        description="Where to resume: after the last item; on a page shorter than `limit`, "
        "after every event settled when it was read (never before `after`). Never null: keep "
        "polling with it, with the same `types`."
    )

"""Webhook subscriptions, their deliveries and every attempt, as admins manage and read them."""

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from app.models.webhook import DeliveryStatus, SubscriptionStatus
from app.schemas.common import Schema, single_line_parameter
from app.services.event_types import EventType
from app.services.webhook_sending import SECRET_PREFIX

MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64


def _standard_secret(value: str) -> str:
    """``whsec_`` and base64 of 24 to 64 random bytes, as Standard Webhooks libraries expect."""
    if not value.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64 after the prefix") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError(f"must encode {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return value


def _single_line(value: str) -> str:
    single_line_parameter(value)
    return value


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_single_line),
    Field(
        description="Where events are POSTed: https (http only where configured), a public host.",
        examples=["https://integrator.example/hooks/beneficiary"],
    ),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_single_line),
    Field(description="What the endpoint is for; no personal data."),
]
EventTypes = Annotated[
    list[EventType],
    Field(max_length=len(EventType), description="The types delivered; empty for every type."),
]
Secret = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_standard_secret),
    Field(
        description="A Standard Webhooks secret (whsec_ and base64 of 24 to 64 bytes); "
        "generated when left out.",
    ),
]


class WebhookCreate(Schema):
    url: Url
    description: Description | None = None
    event_types: EventTypes = Field(default_factory=list)
    secret: Secret | None = None


class WebhookUpdate(Schema):
    """Only the fields sent change; ``description`` may be cleared with null."""

    url: Url | None = None
    description: Description | None = None
    event_types: EventTypes | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(
            name for name in self.model_fields_set - {"description"} if getattr(self, name) is None
        )
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class WebhookRead(Schema):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str] = Field(description="The types delivered; empty for every type.")
    status: SubscriptionStatus = Field(description="Paused subscriptions keep their place.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="The signing secret. Shown only in this response: store it now."
    )


class DeliveryRead(Schema):
    id: uuid.UUID
    event_id: uuid.UUID = Field(description="Sent as `webhook-id`: the same on every retry.")
    event_type: str
    status: DeliveryStatus
    attempts: int = Field(description="Attempts made (or claimed) so far.")
    next_attempt_at: datetime | None = Field(description="When pending: the next try.")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class AttemptRead(Schema):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None = Field(description="The receiver's status; none when unreached.")
    error: str | None = Field(examples=["timeout", "connection error", "blocked target"])
    succeeded: bool
    worker: str | None = Field(description="The worker that made it (host:pid).")


class DeliveryDetail(DeliveryRead):
    attempt_log: list[AttemptRead] = Field(description="Every attempt, first to last.")

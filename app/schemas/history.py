"""An item's audit trail, as its owner and its officers may see it."""

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from typing import Any, Self

from pydantic import Field

from app.core.security import Role
from app.models.audit_event import AuditEvent
from app.schemas.common import Schema
from app.services.audit import actor_role


class HistoryEvent(Schema):
    action: str = Field(examples=["information_request.decided"])
    from_state: str | None
    to_state: str | None
    at: dt.datetime
    actor_role: str = Field(
        description="The role that acted (information_officer, beneficiary, ...) or system."
    )
    actor: str | None = Field(description="The actor's id; shown to the handling officers only.")
    details: dict[str, Any]


class History(Schema):
    items: list[HistoryEvent]

    @classmethod
    def of(
        cls,
        events: Iterable[AuditEvent],
        *,
        staff: bool,
        precedence: tuple[Role, ...],
        staff_details: Collection[str] = (),
    ) -> Self:
        """Officers see who acted; owners see the role, and no details that name officers."""
        return cls(
            items=[
                HistoryEvent(
                    action=event.action,
                    from_state=event.from_state,
                    to_state=event.to_state,
                    at=event.occurred_at,
                    actor_role=actor_role(event, precedence),
                    actor=event.actor_sub if staff else None,
                    details={
                        key: value
                        for key, value in event.details.items()
                        if staff or key not in staff_details
                    },
                )
                for event in events
            ]
        )


class AuditEntry(Schema):
    """One audited change, for officers; never carries personal data."""

    id: uuid.UUID
    occurred_at: dt.datetime
    action: str = Field(examples=["consultation.published"])
    actor_sub: str | None
    actor_roles: list[str]
    from_state: str | None
    to_state: str | None
    request_id: str | None
    details: dict[str, Any]

"""Writing the outbox: ``emit`` adds an event (and its notifications) to the current
transaction, so it exists exactly when the change it reports is committed."""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Role
from app.models.event import Event, Notification
from app.services.audit import Auditable, entity_type_of
from app.services.event_types import EventType, reach_of


async def emit(
    session: AsyncSession,
    event_type: EventType,
    entity: Auditable,
    *,
    reference: str | None = None,
    owner: str | None = None,
    handler: str | None = None,
    roles: Iterable[Role] = (),
    data: Mapping[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> Event:
    """Add ``event_type`` about ``entity`` to the transaction, with its inbox notifications.

    ``owner`` and ``handler`` are account ids (``sub``); ``data`` carries states, outcomes,
    dates and counts, never personal data. Written at the session's next flush, like audit.
    """
    event = Event(
        type=event_type.value,
        entity_type=entity_type_of(entity),
        entity_id=str(entity.id),
        reference=reference,
        resource_version=getattr(entity, "version", None),
        owner_sub=owner,
        handler_sub=handler,
        audience_roles=sorted(role.value for role in roles),
        data=dict(data or {}),
        dedupe_key=dedupe_key,
    )
    session.add(event)
    session.add_all(_notifications(event))
    return event


def _notifications(event: Event) -> list[Notification]:
    reach = reach_of(event.type)
    subs = {sub for sub, wanted in _people(event, reach.owner, reach.handler) if wanted}
    roles = event.audience_roles if reach.roles else []
    return [Notification(event=event, recipient_sub=sub) for sub in sorted(subs)] + [
        Notification(event=event, recipient_role=role) for role in roles
    ]


def _people(event: Event, owner: bool, handler: bool) -> list[tuple[str, bool]]:
    found = [(event.owner_sub, owner), (event.handler_sub, handler)]
    return [(sub, wanted) for sub, wanted in found if sub]

"""Writing the outbox: ``emit`` adds an event (and its notifications) to the current
transaction, so it exists exactly when the change it reports is committed."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Role
from app.models.event import Event, Notification
from app.services.audit import entity_type_of
from app.services.event_types import EventType, reach_of
from app.services.hijri import to_hijri_or_none

# A select of account ids; a nullable column (e.g. anonymous submitters) is welcome too.
Sub = TypeVar("Sub", str, str | None)


class Emittable(Protocol):
    """What an event is about: a resource row (UUID) or a singleton row (the calendar's, 1)."""

    @property
    def id(self) -> uuid.UUID | int: ...


async def emit(
    session: AsyncSession,
    event_type: EventType,
    entity: Emittable,
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


def dated(name: str, day: date | None) -> dict[str, str | None]:
    """A deadline as event data: ``name`` in ISO form and ``name_hijri``, its Umm al-Qura
    companion (None outside the convertible range: an event is never lost over it); both None
    when there is no date."""
    return {name: day.isoformat() if day else None, f"{name}_hijri": to_hijri_or_none(day)}


def _notifications(event: Event) -> list[Notification]:
    roles = event.audience_roles if reach_of(event.type).roles else []
    return [Notification(event=event, recipient_sub=sub) for sub in sorted(_named(event))] + [
        Notification(event=event, recipient_role=role) for role in roles
    ]


def _named(event: Event) -> set[str]:
    """The accounts the event reaches by name: its owner and handler, as its type says."""
    reach = reach_of(event.type)
    people = [(event.owner_sub, reach.owner), (event.handler_sub, reach.handler)]
    return {sub for sub, reached in people if sub and reached}


async def notify_subs(session: AsyncSession, event: Event, subs: Select[Sub]) -> int:
    """Leave ``event`` in the inbox of each distinct account ``subs`` selects; returns how many.

    For audiences only the database knows (everyone who gave input to a consultation). One
    SELECT of the distinct ids, then one executemany INSERT, rather than an INSERT ... SELECT:
    notification ids are time-ordered UUIDs made in Python, which SQLite and PostgreSQL cannot
    generate alike in SQL. Accounts the event already reaches (its owner, its handler) and
    NULLs are skipped, so nobody gets the same event twice.
    """
    await session.flush()  # the event's row first: the notifications reference it
    found = {sub for sub in await session.scalars(subs.distinct()) if sub is not None}
    rows = [{"event_id": event.id, "recipient_sub": sub} for sub in sorted(found - _named(event))]
    if rows:
        await session.execute(insert(Notification), rows)
    return len(rows)

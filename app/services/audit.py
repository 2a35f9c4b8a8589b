"""Recording and reading audit events; every state change goes through ``record``."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.request_context import current_request_id
from app.core.security import Principal, Role
from app.models.audit_event import AuditEvent


class Auditable(Protocol):
    id: uuid.UUID


def entity_type_of(entity: object) -> str:
    """The name an entity is audited under: ``__audit_name__``, else its table name."""
    kind = type(entity)
    return str(
        getattr(kind, "__audit_name__", None) or getattr(kind, "__tablename__", kind.__name__)
    )


async def record(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    entity: Auditable,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits or rolls back with the change).

    ``details`` must never carry personal data: ids, states, counts and codes only. The event is
    written with the session's next flush (at the latest, the commit): a flush of its own would
    cost every audited request another round trip.
    """
    event = AuditEvent(
        actor_sub=actor.sub if actor else None,
        actor_roles=sorted(role.value for role in actor.roles) if actor else [],
        action=action,
        entity_type=entity_type_of(entity),
        entity_id=str(entity.id),
        from_state=from_state,
        to_state=to_state,
        request_id=current_request_id(),
        details=dict(details or {}),
    )
    session.add(event)
    return event


async def record_many(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    entity_type: str,
    changes: Sequence[tuple[str, Mapping[str, Any]]],
) -> int:
    """One event per ``(entity_id, details)`` pair, added in one flush (for batch changes)."""
    roles = sorted(role.value for role in actor.roles) if actor else []
    session.add_all(
        AuditEvent(
            actor_sub=actor.sub if actor else None,
            actor_roles=roles,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            request_id=current_request_id(),
            details=dict(details),
        )
        for entity_id, details in changes
    )
    await session.flush()
    return len(changes)


def actor_role(event: AuditEvent, precedence: Sequence[Role]) -> str:
    """The role an event is shown under when the actor's id is hidden: the first of
    ``precedence`` the actor held, ``system`` when no one (e.g. the CLI) acted."""
    if event.actor_sub is None:
        return "system"
    roles = set(event.actor_roles)
    return next((role.value for role in precedence if role.value in roles), "other")


async def history(session: AsyncSession, entity: Auditable) -> Sequence[AuditEvent]:
    """An item's audit trail, oldest first."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type_of(entity))
        .where(AuditEvent.entity_id == str(entity.id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return (await session.scalars(statement)).all()

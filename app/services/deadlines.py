"""Deadlines follow the calendar: resources with live deadlines register a recompute step.

After every calendar edit (and from ``beneficiary-api deadlines recompute``) each registered step
recomputes its live deadlines against the new snapshot, in the same transaction as the edit. A
deadline already communicated may move later, never earlier, and every move is audited.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.db import Base
from app.core.security import Principal
from app.services import audit
from app.services.working_days import CalendarSnapshot

RecomputeStep = Callable[[AsyncSession, CalendarSnapshot, Principal | None], Awaitable[int]]
_steps: dict[str, RecomputeStep] = {}


def register(name: str) -> Callable[[RecomputeStep], RecomputeStep]:
    """Decorator: ``@deadlines.register("information_requests")`` on a recompute step."""

    def decorate(step: RecomputeStep) -> RecomputeStep:
        _steps[name] = step
        return step

    return decorate


def unregister(name: str) -> None:
    _steps.pop(name, None)


def registered() -> dict[str, RecomputeStep]:
    return dict(_steps)


async def recompute_all(
    session: AsyncSession, snapshot: CalendarSnapshot, by: Principal | None
) -> dict[str, int]:
    """Run every registered step; returns how many deadlines each one moved."""
    return {name: await step(session, snapshot, by) for name, step in _steps.items()}


@dataclass(frozen=True, slots=True)
class LiveDeadline:
    """The stored inputs of one deadline and the due date already communicated."""

    entity_id: str
    received_at: datetime
    working_days: int
    due_date: date


@dataclass(frozen=True, slots=True)
class Move:
    deadline: LiveDeadline
    new_due_date: date


def later_due_dates(snapshot: CalendarSnapshot, deadlines: Sequence[LiveDeadline]) -> list[Move]:
    """The deadlines whose recomputed due date is later than the one communicated.

    A recomputed date that would be earlier is ignored: people were told a date and may rely on it.
    """
    starts = [snapshot.start_date(item.received_at) for item in deadlines]
    recomputed = snapshot.due_dates(starts, [item.working_days for item in deadlines])
    return [
        Move(item, new)
        for item, new in zip(deadlines, recomputed, strict=True)
        if new > item.due_date
    ]


async def audit_moves(
    session: AsyncSession,
    by: Principal | None,
    entity_type: str,
    moves: Sequence[Move],
    calendar_version: int,
) -> int:
    changes: list[tuple[str, dict[str, Any]]] = [
        (
            move.deadline.entity_id,
            {
                "from_due_date": move.deadline.due_date.isoformat(),
                "to_due_date": move.new_due_date.isoformat(),
                "calendar_version": calendar_version,
            },
        )
        for move in moves
    ]
    return await audit.record_many(session, by, "deadline.moved", entity_type, changes)


async def apply_moves(
    session: AsyncSession,
    model: type[Base],
    due_column: str,
    moves: Sequence[Move],
    snapshot: CalendarSnapshot,
    by: Principal | None,
) -> int:
    """Store moved due dates with one UPDATE executed for many rows, and audit every move.

    The row version moves too, so clients holding an old ETag must read the new date first.
    """
    if moves:
        table = model.__table__
        assert isinstance(table, Table)
        statement = (
            update(table)
            .where(table.c.id == bindparam("moved_id"))
            .values(
                {
                    due_column: bindparam("new_due_date"),
                    "calendar_version": snapshot.version,
                    "version": table.c.version + 1,
                    "updated_at": clock.now(),
                }
            )
        )
        parameters = [
            {"moved_id": uuid.UUID(move.deadline.entity_id), "new_due_date": move.new_due_date}
            for move in moves
        ]
        await session.execute(statement, parameters)
    return await audit_moves(session, by, model.__tablename__, moves, snapshot.version)

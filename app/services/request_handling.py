"""Handling an information request: officers' transitions, the requester's answer and withdrawal.

``submitted -> in_progress -> answered | partially_answered | refused | not_held``;
``in_progress -> awaiting_clarification`` pauses the clock and keeps the remaining working days,
the requester's answer resumes it (``in_progress``); ``withdrawn`` by the requester before a
decision. Callers load the row with ``for_update=True`` and pass the If-Match version: the row
lock queues concurrent transitions and the version check refuses stale ones, so two officers
never both decide one request.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, InvalidTransition, UnprocessableEntity
from app.core.security import Principal, Role
from app.models.information_request import (
    Clarification,
    ClockOrigin,
    InformationRequest,
    LegalGround,
    RequestStatus,
)
from app.services import audit, events, request_clock
from app.services.event_types import EventType
from app.services.information_requests import UNDECIDED, add_handler, emit_event
from app.services.working_days import CalendarSnapshot

Status = RequestStatus
ASSIGNABLE = UNDECIDED


class Outcome(StrEnum):
    ANSWERED = "answered"
    PARTIALLY_ANSWERED = "partially_answered"
    REFUSED = "refused"
    NOT_HELD = "not_held"


# A refusal, whole or partial, must say which law allows it and why.
NEEDS_GROUNDS = frozenset({Outcome.REFUSED, Outcome.PARTIALLY_ANSWERED})
OUTCOME_EVENTS = {
    Outcome.ANSWERED: EventType.REQUEST_ANSWERED,
    Outcome.PARTIALLY_ANSWERED: EventType.REQUEST_PARTIALLY_ANSWERED,
    Outcome.REFUSED: EventType.REQUEST_REFUSED,
    Outcome.NOT_HELD: EventType.REQUEST_NOT_HELD,
}


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    response: dict[str, Any]
    links: list[str] = field(default_factory=list)
    legal_grounds: list[dict[str, Any]] = field(default_factory=list)
    explanation: dict[str, Any] | None = None


def _ensure_from(request: InformationRequest, to: str, allowed_from: Sequence[str]) -> str:
    """The current status, or 409 ``invalid_transition`` naming it when ``to`` is not allowed."""
    if request.status not in allowed_from:
        raise InvalidTransition(from_state=request.status, to_state=to)
    return request.status


async def _recorded(
    session: AsyncSession,
    by: Principal,
    action: str,
    request: InformationRequest,
    former: str | None,
    details: dict[str, Any] | None = None,
) -> InformationRequest:
    await session.flush()
    await audit.record(
        session,
        by,
        action,
        request,
        from_state=former,
        to_state=request.status,
        details=details,
    )
    return request


async def assign(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    assignee: str,
    expected_version: int | None,
) -> InformationRequest:
    """Give an undecided request to an officer (the caller or another); both become handlers."""
    ensure_version(request, expected_version)
    former = _ensure_from(request, "assigned", ASSIGNABLE)
    previous, request.assigned_to = request.assigned_to, assignee
    add_handler(request, by.sub)
    add_handler(request, assignee)
    details = {"assignee": assignee, "previous_assignee": previous}
    await _recorded(session, by, "information_request.assigned", request, former, details)
    await _emit_assigned(session, request)
    return request


async def _emit_assigned(session: AsyncSession, request: InformationRequest) -> None:
    """Tell the assigned officer; the officers' ids stay out of ``data``."""
    dates = events.dated("due_date", request.due_date)
    await emit_event(session, EventType.REQUEST_ASSIGNED, request, **dates)


async def start(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    expected_version: int | None,
) -> InformationRequest:
    """Take up a submitted request; an unassigned one is assigned to the caller."""
    ensure_version(request, expected_version)
    former = _ensure_from(request, Status.IN_PROGRESS, [Status.SUBMITTED.value])
    request.status = Status.IN_PROGRESS.value
    unassigned, request.assigned_to = request.assigned_to is None, request.assigned_to or by.sub
    add_handler(request, by.sub)
    await _recorded(session, by, "information_request.started", request, former)
    if unassigned:
        await _emit_assigned(session, request)
    return request


async def ask_clarification(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    question: dict[str, Any],
    snapshot: CalendarSnapshot,
    max_pauses: int,
    expected_version: int | None,
) -> Clarification:
    """Pause the clock to ask the requester a question; the remaining working days are kept."""
    ensure_version(request, expected_version)
    former = _ensure_from(request, Status.AWAITING_CLARIFICATION, [Status.IN_PROGRESS.value])
    if request.pause_count >= max_pauses:
        raise Conflict(code="clarification_limit_reached", limit=max_pauses)
    assert request.due_date is not None, "an in-progress request has a running clock"
    now, paused_due = clock.now(), request.due_date
    remaining = request_clock.remaining_working_days(snapshot, paused_due, now)
    request.status = Status.AWAITING_CLARIFICATION.value
    request.paused_at, request.remaining_working_days = now, remaining
    request.due_date, request.pause_count = None, request.pause_count + 1
    add_handler(request, by.sub)
    clarification = Clarification(
        request_id=request.id, question=question, asked_by=by.sub, asked_at=now
    )
    session.add(clarification)
    await session.flush()
    details = {
        "clarification_id": str(clarification.id),
        "due_date": paused_due.isoformat(),
        "remaining_working_days": remaining,
    }
    action = "information_request.clarification_requested"
    await _recorded(session, by, action, request, former, details)
    event_type = EventType.REQUEST_CLARIFICATION_REQUESTED
    await emit_event(session, event_type, request, remaining_working_days=remaining)
    return clarification


async def answer_clarification(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    answer: str,
    snapshot: CalendarSnapshot,
    expected_version: int | None,
) -> InformationRequest:
    """The requester answers; the kept working days count again from the next working day."""
    ensure_version(request, expected_version)
    former = _ensure_from(request, Status.IN_PROGRESS, [Status.AWAITING_CLARIFICATION.value])
    now, remaining = clock.now(), request.remaining_working_days
    assert remaining is not None, "a paused request keeps its remaining working days"
    clarification = await _open_clarification(session, request)
    clarification.answer, clarification.answered_at = answer, now
    request.status = Status.IN_PROGRESS.value
    request.clock_origin, request.clock_started_at = ClockOrigin.RESUMED.value, now
    request.clock_working_days = remaining
    request.due_date = request_clock.due_date(snapshot, ClockOrigin.RESUMED, now, remaining)
    request.paused_at, request.remaining_working_days = None, None
    request.calendar_version = snapshot.version
    details = {
        "clarification_id": str(clarification.id),
        "working_days": remaining,
        "due_date": request.due_date.isoformat(),
    }
    action = "information_request.clarification_answered"
    await _recorded(session, by, action, request, former, details)
    dates = events.dated("due_date", request.due_date)
    event_type = EventType.REQUEST_CLARIFICATION_ANSWERED
    await emit_event(session, event_type, request, remaining_working_days=remaining, **dates)
    return request


async def _open_clarification(session: AsyncSession, request: InformationRequest) -> Clarification:
    statement = (
        select(Clarification)
        .where(Clarification.request_id == request.id, Clarification.answered_at.is_(None))
        .order_by(Clarification.asked_at.desc(), Clarification.id.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).one()


async def respond(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    decision: Decision,
    snapshot: CalendarSnapshot,
    expected_version: int | None,
) -> InformationRequest:
    """Decide an in-progress request: the answer, or a refusal on legal grounds."""
    ensure_version(request, expected_version)
    former = _ensure_from(request, decision.outcome, [Status.IN_PROGRESS.value])
    check_grounds(decision)
    now = clock.now()
    request.status = decision.outcome.value
    request.response, request.response_links = decision.response, list(decision.links)
    request.legal_grounds, request.explanation = decision.legal_grounds, decision.explanation
    request.decided_by, request.decided_at = by.sub, now
    record_decision_facts(request, snapshot, now)
    add_handler(request, by.sub)
    grounds = [ground["ground"] for ground in decision.legal_grounds]  # codes, not citations
    details = {
        "outcome": decision.outcome.value,
        "legal_grounds": grounds,
        "due_date": request.due_date.isoformat() if request.due_date else None,
    }
    await _recorded(session, by, "information_request.decided", request, former, details)
    await emit_event(
        session,
        OUTCOME_EVENTS[decision.outcome],
        request,
        handler=by.sub,
        decided_on_time=request.decided_on_time,
        legal_grounds=grounds,
    )
    return request


def record_decision_facts(
    request: InformationRequest, snapshot: CalendarSnapshot, decided_at: datetime
) -> None:
    """Freeze what public statistics report about this decision (a later decision overwrites).

    ``decided_on_time``: the decision's local date is on or before the due date then
    communicated. ``decision_working_days``: working days elapsed from the start day (counting
    rule) to the decision date, clarification pauses included; a decision taken before the
    start day (e.g. the evening of filing, after the cut-off) took none.
    """
    decided_on = snapshot.local_date(decided_at)
    start = snapshot.start_date(request.received_at)
    elapsed = snapshot.working_days_between(start, decided_on) if decided_on > start else 0
    request.decision_working_days = elapsed
    request.decided_on_time = None if request.due_date is None else decided_on <= request.due_date


def check_grounds(decision: Decision) -> None:
    """Refusals (whole or partial) need a ground and an explanation; other_law a citation."""
    grounds = decision.legal_grounds
    if decision.outcome in NEEDS_GROUNDS and (not grounds or decision.explanation is None):
        raise UnprocessableEntity(code="legal_ground_required", outcome=decision.outcome.value)
    if decision.outcome not in NEEDS_GROUNDS and grounds:
        message = "legal grounds apply only to refused and partially_answered"
        raise UnprocessableEntity(
            errors=[{"field": "body.legal_grounds", "message": message, "type": "value_error"}]
        )
    for ground in grounds:
        if ground["ground"] == LegalGround.OTHER_LAW and not ground.get("citation"):
            raise UnprocessableEntity(code="citation_required")


async def withdraw(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    expected_version: int | None,
) -> InformationRequest:
    """The requester withdraws the request before it is decided."""
    ensure_version(request, expected_version)
    former = _ensure_from(request, Status.WITHDRAWN, UNDECIDED)
    request.status, request.withdrawn_at = Status.WITHDRAWN.value, clock.now()
    await _recorded(session, by, "information_request.withdrawn", request, former)
    await emit_event(session, EventType.REQUEST_WITHDRAWN, request)
    return request


async def clarifications(
    session: AsyncSession, request: InformationRequest
) -> Sequence[Clarification]:
    """The request's clarification exchanges, oldest first."""
    statement = (
        select(Clarification)
        .where(Clarification.request_id == request.id)
        .order_by(Clarification.asked_at, Clarification.id)
    )
    return (await session.scalars(statement)).all()


# The role an event is shown under when the actor's id is hidden, most specific first.
ROLE_PRECEDENCE = (Role.INFORMATION_OFFICER, Role.APPEALS_OFFICER, Role.ADMIN, Role.BENEFICIARY)
# Details that name officers; the requester sees roles, not officers' ids.
STAFF_DETAILS = frozenset({"assignee", "previous_assignee"})

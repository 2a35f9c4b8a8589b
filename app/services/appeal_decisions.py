"""The life of an appeal after filing: review, decision, withdrawal, history.

``submitted -> under_review -> upheld | partially_upheld | rejected``; ``withdrawn`` by the
appellant before a decision. A decision may also be taken straight from ``submitted`` (a plain
delay needs no separate review step). No officer who assigned, handled or decided the request may
review or decide its appeal. Upholding, fully or partly, reopens the request in the same
transaction with a new deadline counted from the decision instant.
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, InvalidTransition
from app.core.security import Principal, Role
from app.models.appeal import Appeal, AppealStatus
from app.models.information_request import InformationRequest
from app.services import audit, events, information_requests
from app.services.appeals import LIVE, AppealRules, emit_event
from app.services.event_types import EventType

Status = AppealStatus


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    PARTIALLY_UPHELD = "partially_upheld"
    REJECTED = "rejected"


UPHOLDING = frozenset({AppealOutcome.UPHELD, AppealOutcome.PARTIALLY_UPHELD})


def _move(appeal: Appeal, to: str, *, allowed_from: Sequence[str]) -> str:
    """Change the status or refuse with 409 ``invalid_transition``; returns the former status."""
    former = appeal.status
    if former not in allowed_from:
        raise InvalidTransition(from_state=former, to_state=to)
    appeal.status = to
    return former


async def _recorded(
    session: AsyncSession,
    by: Principal,
    action: str,
    appeal: Appeal,
    former: str,
    details: dict[str, Any] | None = None,
) -> Appeal:
    await session.flush()
    await audit.record(
        session, by, action, appeal, from_state=former, to_state=appeal.status, details=details
    )
    return appeal


async def _appealed_request(
    session: AsyncSession, appeal: Appeal, *, for_update: bool = False
) -> InformationRequest:
    statement = select(InformationRequest).where(InformationRequest.id == appeal.request_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(statement)).one()


def ensure_impartial(request: InformationRequest, officer: Principal) -> None:
    """409 ``conflict_of_interest`` for an officer who assigned, handled or decided the request."""
    if officer.sub in request.handlers or officer.sub == request.decided_by:
        raise Conflict(code="conflict_of_interest")


async def start_review(
    session: AsyncSession, appeal: Appeal, *, by: Principal, expected_version: int | None
) -> Appeal:
    """An impartial appeals officer takes up a submitted appeal."""
    ensure_version(appeal, expected_version)
    ensure_impartial(await _appealed_request(session, appeal), by)
    former = _move(appeal, Status.UNDER_REVIEW.value, allowed_from=[Status.SUBMITTED.value])
    appeal.reviewer_sub = by.sub
    return await _recorded(session, by, "appeal.review_started", appeal, former)


async def decide(
    session: AsyncSession,
    appeal: Appeal,
    *,
    by: Principal,
    outcome: AppealOutcome,
    reasoning: dict[str, Any],
    rules: AppealRules,
    expected_version: int | None,
) -> Appeal:
    """Decide with reasoning {ar, en}; upholding reopens the request with a new deadline."""
    ensure_version(appeal, expected_version)
    request = await _appealed_request(session, appeal, for_update=True)
    ensure_impartial(request, by)
    former = _move(appeal, outcome.value, allowed_from=LIVE)
    now = clock.now()
    appeal.reasoning, appeal.decided_by, appeal.decided_at = reasoning, by.sub, now
    details: dict[str, Any] = {"outcome": outcome.value, "request_id": str(request.id)}
    if outcome in UPHOLDING:
        await information_requests.reopen(
            session,
            request,
            by=by,
            at=now,
            snapshot=rules.snapshot,
            working_days=rules.reopened_working_days,
            appeal_id=appeal.id,
        )
        details["request_due_date"] = request.due_date.isoformat() if request.due_date else None
    await _recorded(session, by, "appeal.decided", appeal, former, details)
    await _emit_decided(session, appeal, request, reopened=outcome in UPHOLDING)
    return appeal


async def _emit_decided(
    session: AsyncSession, appeal: Appeal, request: InformationRequest, *, reopened: bool
) -> None:
    """The outcome is the appeal's status; a reopened request's new due date comes along."""
    data: dict[str, Any] = {"request_id": str(request.id), "request_reopened": reopened}
    if reopened:
        data |= events.dated("request_due_date", request.due_date)
    handler = appeal.decided_by
    await emit_event(session, EventType.APPEAL_DECIDED, appeal, handler=handler, **data)


async def withdraw(
    session: AsyncSession, appeal: Appeal, *, by: Principal, expected_version: int | None
) -> Appeal:
    """The appellant withdraws the appeal before it is decided."""
    ensure_version(appeal, expected_version)
    former = _move(appeal, Status.WITHDRAWN.value, allowed_from=LIVE)
    appeal.withdrawn_at = clock.now()
    await _recorded(session, by, "appeal.withdrawn", appeal, former)
    await emit_event(session, EventType.APPEAL_WITHDRAWN, appeal)
    return appeal


# The role an event is shown under when the actor's id is hidden, most specific first.
ROLE_PRECEDENCE = (Role.APPEALS_OFFICER, Role.ADMIN, Role.BENEFICIARY)

"""Appeals (grievances): who may file on which request, receipts, reads, lists, and deadlines.

The review and decision workflow lives in ``services.appeal_decisions``.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Permission, Principal, Role
from app.models.appeal import Appeal, AppealGround, AppealStatus
from app.models.information_request import InformationRequest, RequestStatus
from app.services import audit, deadlines, events, request_clock
from app.services.deadlines import LiveDeadline, apply_moves, later_due_dates
from app.services.event_types import EventType
from app.services.references import next_reference
from app.services.working_days import CalendarSnapshot

Status = AppealStatus
# Not yet decided or withdrawn: the appeal's clock runs and only one such appeal per request.
LIVE = (Status.SUBMITTED.value, Status.UNDER_REVIEW.value)
_RUNNING = (RequestStatus.SUBMITTED.value, RequestStatus.IN_PROGRESS.value)
_DELAY = frozenset({AppealGround.DELAY})
# The grounds a decided request may be appealed on (``not_held`` is a refusal and an incomplete
# answer at once: the requester may see it either way).
_DECISION_GROUNDS: dict[str, frozenset[AppealGround]] = {
    RequestStatus.REFUSED.value: frozenset({AppealGround.REFUSAL}),
    RequestStatus.PARTIALLY_ANSWERED.value: frozenset({AppealGround.INCOMPLETE_ANSWER}),
    RequestStatus.NOT_HELD.value: frozenset({AppealGround.REFUSAL, AppealGround.INCOMPLETE_ANSWER}),
}


class AppealNotEligible(Conflict):
    """409 ``appeal_not_eligible``; ``reason`` is also a top-level member of the problem."""

    code = "appeal_not_eligible"
    members = ("reason",)


@dataclass(frozen=True, slots=True)
class AppealRules:
    """The calendar and the configured periods appeals run on."""

    snapshot: CalendarSnapshot
    decision_working_days: int
    filing_window_days: int
    reopened_working_days: int


# -- who reads what ------------------------------------------------------------------------------


def decides(principal: Principal) -> bool:
    """Appeals officers see and decide every appeal."""
    return principal.has(Permission.APPEALS_DECIDE)


def readable(principal: Principal) -> Select[Appeal]:
    """Appeals officers see every appeal; appellants their own."""
    if decides(principal):
        return select(Appeal)
    return select(Appeal).where(Appeal.appellant_sub == principal.sub)


async def get_readable(
    session: AsyncSession, principal: Principal, appeal_id: uuid.UUID, *, for_update: bool = False
) -> Appeal:
    """The appeal, or 404; ``for_update`` locks the row for a transition (PostgreSQL)."""
    return await _one(session, readable(principal).where(Appeal.id == appeal_id), for_update)


async def get_own(
    session: AsyncSession, principal: Principal, appeal_id: uuid.UUID, *, for_update: bool = False
) -> Appeal:
    """The caller's own appeal (as its appellant), else 404."""
    statement = select(Appeal).where(Appeal.id == appeal_id, Appeal.appellant_sub == principal.sub)
    return await _one(session, statement, for_update)


async def _one(session: AsyncSession, statement: Select[Appeal], for_update: bool) -> Appeal:
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    appeal = await session.scalar(statement)
    if appeal is None:
        raise NotFound(code="appeal_not_found")
    return appeal


async def request_references(
    session: AsyncSession, request_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The appealed requests' references, in one query."""
    wanted = set(request_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(InformationRequest.id, InformationRequest.reference).where(
            InformationRequest.id.in_(wanted)
        )
    )
    return {request_id: reference for request_id, reference in rows}


# -- filing --------------------------------------------------------------------------------------


async def file(
    session: AsyncSession,
    *,
    by: Principal,
    request_id: uuid.UUID,
    ground: AppealGround,
    statement: str,
    rules: AppealRules,
) -> Appeal:
    """File the requester's appeal now, if the request is eligible, and start its clock."""
    request = await _own_request(session, by, request_id)
    now = clock.now()
    if await _open_appeal(session, request.id):
        raise AppealNotEligible(reason="appeal_already_open")
    ensure_eligible(request, ground, now=now, rules=rules)
    appeal = Appeal(
        reference=await next_reference(session, "AP"),
        request_id=request.id,
        appellant_sub=by.sub,
        ground=ground.value,
        statement=statement,
        status=Status.SUBMITTED.value,
        received_at=now,
        working_days=rules.decision_working_days,
        due_date=rules.snapshot.due_date(now, rules.decision_working_days),
        calendar_version=rules.snapshot.version,
    )
    await _insert_only_open_appeal(session, appeal)
    await _record_filing(session, by, appeal, request)
    return appeal


async def _record_filing(
    session: AsyncSession, by: Principal, appeal: Appeal, request: InformationRequest
) -> None:
    """The audit record and the outbox event of a new appeal, in the filing's transaction."""
    details = {"ground": appeal.ground, "request_id": str(request.id)}
    await audit.record(session, by, "appeal.filed", appeal, to_state=appeal.status, details=details)
    dates = events.dated("due_date", appeal.due_date)
    reference = request.reference
    await emit_event(
        session, EventType.APPEAL_FILED, appeal, **details, **dates, request_reference=reference
    )


async def emit_event(
    session: AsyncSession,
    event_type: EventType,
    appeal: Appeal,
    *,
    handler: str | None = None,
    **data: Any,
) -> None:
    """The outbox event beside the audit record. The appellant owns it; the reviewing officer
    (or ``handler``) handles it, else every appeals officer. ``data`` holds codes, dates and
    counts: never the appellant's statement or the reasoning."""
    handler = handler or appeal.reviewer_sub
    await events.emit(
        session,
        event_type,
        appeal,
        reference=appeal.reference,
        owner=appeal.appellant_sub,
        handler=handler,
        roles=[] if handler else [Role.APPEALS_OFFICER],
        data={"status": appeal.status, **data},
    )


async def _own_request(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> InformationRequest:
    """Only the requester may appeal; anyone else is told the request does not exist."""
    request = await session.scalar(
        select(InformationRequest).where(
            InformationRequest.id == request_id,
            InformationRequest.requester_sub == principal.sub,
        )
    )
    if request is None:
        raise NotFound(code="information_request_not_found")
    return request


async def _open_appeal(session: AsyncSession, request_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Appeal.id).where(Appeal.request_id == request_id, Appeal.status.in_(LIVE))
    )
    return found is not None


async def _insert_only_open_appeal(session: AsyncSession, appeal: Appeal) -> None:
    """The partial unique index settles a race the friendly check above could not see."""
    try:
        async with session.begin_nested():
            session.add(appeal)
    except IntegrityError as exc:
        if not await _open_appeal(session, appeal.request_id):
            raise
        raise AppealNotEligible(reason="appeal_already_open") from exc


def ensure_eligible(
    request: InformationRequest, ground: AppealGround, *, now: datetime, rules: AppealRules
) -> None:
    """409 ``appeal_not_eligible`` unless the ground fits the request and the window is open."""
    snapshot = rules.snapshot
    overdue = request.status in _RUNNING and request_clock.is_overdue(
        snapshot, request.due_date, now
    )
    grounds = _DELAY if overdue else _DECISION_GROUNDS.get(request.status, frozenset())
    if not grounds:
        raise AppealNotEligible(reason="not_late_or_refused")
    if ground not in grounds:
        raise AppealNotEligible(reason="ground_mismatch")
    opened = window_opened(request, snapshot)
    if snapshot.is_overdue(snapshot.add_calendar_days(opened, rules.filing_window_days), now):
        raise AppealNotEligible(reason="window_closed")


def window_opened(request: InformationRequest, snapshot: CalendarSnapshot) -> date:
    """The date the filing window counts from: the decision date, or the missed due date."""
    if request.status in _RUNNING and request.due_date is not None:
        return request.due_date
    return snapshot.local_date(request.decided_at or request.updated_at)


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    ground: str | None = None
    overdue: bool | None = None
    request_id: uuid.UUID | None = None


def is_overdue(appeal: Appeal, today: date) -> bool:
    """Undecided after its due date (``today`` is the Asia/Riyadh date)."""
    return appeal.status in LIVE and appeal.due_date < today


def overdue_condition(today: date) -> ColumnElement[bool]:
    """The SQL twin of ``is_overdue``."""
    return and_(Appeal.status.in_(LIVE), Appeal.due_date < today)


def _conditions(filters: Filters, today: date) -> list[ColumnElement[bool]]:
    equal = {
        Appeal.status: filters.status,
        Appeal.ground: filters.ground,
        Appeal.request_id: filters.request_id,
    }
    conditions = [column == value for column, value in equal.items() if value is not None]
    if filters.overdue is not None:
        overdue = overdue_condition(today)
        conditions.append(overdue if filters.overdue else not_(overdue))
    return conditions


async def list_appeals(
    session: AsyncSession, principal: Principal, *, filters: Filters, today: date, page: PageParams
) -> tuple[list[Appeal], str | None]:
    """Soonest due first (then by id); officers see all, an appellant their own."""
    statement = readable(principal).where(*_conditions(filters, today))
    keys = [SortKey(Appeal.due_date), SortKey(Appeal.id)]
    return await paginate(session, statement, keys=keys, page=page)


# -- appeal deadlines follow the calendar --------------------------------------------------------


@deadlines.register("appeals")
async def recompute_appeal_deadlines(
    session: AsyncSession, snapshot: CalendarSnapshot, by: Principal | None
) -> int:
    """Move undecided appeals' due dates later when the calendar now says so."""
    rows = await session.execute(
        select(Appeal.id, Appeal.received_at, Appeal.working_days, Appeal.due_date).where(
            Appeal.status.in_(LIVE)
        )
    )
    live = [LiveDeadline(str(key), received, days, due) for key, received, days, due in rows]
    moves = later_due_dates(snapshot, live)
    return await apply_moves(session, Appeal, "due_date", moves, snapshot, by)

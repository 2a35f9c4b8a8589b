"""Information requests: filing, who reads which, lists, personal data, the clock, reopening.

The officers' transitions, the requester's answer and withdrawal live in
``services.request_handling``.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, not_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core import clock
from app.core.crypto import PersonalDataCipher
from app.core.errors import NotFound
from app.core.pagination import PageParams, SortKey, decode_cursor, encode_cursor
from app.core.request_context import current_route
from app.core.security import Permission, Principal, Role
from app.core.text import like_pattern, search_text
from app.models.information_request import (
    ClockOrigin,
    InformationCategory,
    InformationRequest,
    RequestStatus,
)
from app.services import audit, deadlines, events, request_clock
from app.services.deadlines import LiveDeadline, Move, apply_moves
from app.services.event_types import EventType
from app.services.references import next_reference
from app.services.working_days import CalendarSnapshot

Status = RequestStatus
# The clock runs: the request has a due date and can become overdue.
LIVE = (Status.SUBMITTED.value, Status.IN_PROGRESS.value)
# Not yet decided or withdrawn: the requester may still withdraw.
UNDECIDED = (*LIVE, Status.AWAITING_CLARIFICATION.value)
# The cursor's due date for paused requests, which are listed after every dated one.
PAUSED_LAST = date.max
_KEYS = (SortKey(InformationRequest.due_date), SortKey(InformationRequest.id))


# -- who reads what ------------------------------------------------------------------------------


def handles(principal: Principal) -> bool:
    """Information officers handle requests: they see all of them, contact details audited."""
    return principal.has(Permission.INFORMATION_REQUESTS_HANDLE)


def readable(principal: Principal) -> Select[InformationRequest]:
    """Officers read every request; a requester only their own."""
    if handles(principal):
        return select(InformationRequest)
    return select(InformationRequest).where(InformationRequest.requester_sub == principal.sub)


async def get_readable(
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> InformationRequest:
    """The request, or 404 when it does not exist or the caller may not read it.

    ``for_update`` locks the row until the transaction ends (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite's write transaction already excludes other writers), so concurrent
    transitions queue and the later one sees the earlier one's outcome.
    """
    statement = readable(principal).where(InformationRequest.id == request_id)
    return await _load(session, statement, for_update)


async def get_own(
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> InformationRequest:
    """The caller's own request (as its requester), else 404, whoever the caller is."""
    statement = select(InformationRequest).where(
        InformationRequest.id == request_id, InformationRequest.requester_sub == principal.sub
    )
    return await _load(session, statement, for_update)


async def _load(
    session: AsyncSession, statement: Select[InformationRequest], for_update: bool
) -> InformationRequest:
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    request = await session.scalar(statement)
    if request is None:
        raise NotFound(code="information_request_not_found")
    return request


async def read_contact(
    session: AsyncSession,
    principal: Principal,
    request: InformationRequest,
    cipher: PersonalDataCipher,
) -> dict[str, Any] | None:
    """Decrypted contact details for the requester and officers, else None.

    Every officer's read is audited (that the contact was read and through which route, never
    its values); the requester's access log lists these reads.
    """
    owner = request.requester_sub == principal.sub
    if request.contact_encrypted is None or not (owner or handles(principal)):
        return None
    contact = cipher.decrypt(request.contact_encrypted)
    if not owner:
        details = {"fields": ["contact"], "route": current_route()}
        await audit.record(
            session, principal, "information_request.personal_data_read", request, details=details
        )
    return contact


# -- filing --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filing:
    """What the requester asked, validated by the schema."""

    subject: str
    description: str
    category: InformationCategory
    requester_category: str | None = None
    preferred_format: str | None = None
    contact: dict[str, Any] | None = None


async def create(
    session: AsyncSession,
    *,
    by: Principal,
    filing: Filing,
    snapshot: CalendarSnapshot,
    working_days: int,
    cipher: PersonalDataCipher,
) -> InformationRequest:
    """File a request now; its clock starts by the counting rule from the receipt."""
    now = clock.now()
    request = InformationRequest(
        reference=await next_reference(session, "IR"),
        requester_sub=by.sub,
        subject=filing.subject,
        description=filing.description,
        category=filing.category.value,
        requester_category=filing.requester_category,
        preferred_format=filing.preferred_format,
        contact_encrypted=cipher.encrypt(filing.contact) if filing.contact else None,
        search_text=search_text(filing.subject, filing.description),
        status=Status.SUBMITTED.value,
        handlers=[],
        received_at=now,
        working_days=working_days,
        clock_origin=ClockOrigin.RECEIVED.value,
        clock_started_at=now,
        clock_working_days=working_days,
        pause_count=0,
        due_date=request_clock.due_date(snapshot, ClockOrigin.RECEIVED, now, working_days),
        calendar_version=snapshot.version,
        response_links=[],
        legal_grounds=[],
    )
    session.add(request)
    await session.flush()
    assert request.due_date is not None
    details = {
        "category": request.category,
        "working_days": working_days,
        "due_date": request.due_date.isoformat(),
    }
    await audit.record(
        session,
        by,
        "information_request.received",
        request,
        to_state=request.status,
        details=details,
    )
    dates = events.dated("due_date", request.due_date)
    await emit_event(
        session, EventType.REQUEST_RECEIVED, request, category=request.category, **dates
    )
    return request


async def emit_event(
    session: AsyncSession,
    event_type: EventType,
    request: InformationRequest,
    *,
    handler: str | None = None,
    **data: Any,
) -> None:
    """The outbox event beside the audit record. The requester owns it; the assigned officer
    (or ``handler``) handles it, else every information officer. ``data`` holds codes, dates
    and counts: never the subject, description, response, explanation or contact."""
    handler = handler or request.assigned_to
    await events.emit(
        session,
        event_type,
        request,
        reference=request.reference,
        owner=request.requester_sub,
        handler=handler,
        roles=[] if handler else [Role.INFORMATION_OFFICER],
        data={"status": request.status, **data},
    )


# -- the clock -----------------------------------------------------------------------------------


def is_overdue(request: InformationRequest, snapshot: CalendarSnapshot, now: datetime) -> bool:
    """Still live (submitted or in progress) after its due date; a paused request never is."""
    return request.status in LIVE and request_clock.is_overdue(snapshot, request.due_date, now)


def overdue_condition(today: date) -> ColumnElement[bool]:
    """The SQL twin of ``is_overdue`` (``today`` is the Asia/Riyadh date of now)."""
    r = InformationRequest
    return and_(r.status.in_(LIVE), r.due_date.is_not(None), r.due_date < today)


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    category: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    assigned_to: str | None = None
    q: str | None = None


def _conditions(principal: Principal, filters: Filters, today: date) -> list[ColumnElement[bool]]:
    r = InformationRequest
    equal: dict[InstrumentedAttribute[Any], str | None] = {
        r.status: filters.status,
        r.category: filters.category,
    }
    if handles(principal):  # who handles a request is the officers' business
        equal[r.assigned_to] = filters.assigned_to
    conditions = [column == value for column, value in equal.items() if value is not None]
    if filters.overdue is not None:
        overdue = overdue_condition(today)
        conditions.append(overdue if filters.overdue else not_(overdue))
    if filters.due_before is not None:
        conditions.append(r.due_date < filters.due_before)
    if filters.q:
        conditions.append(r.search_text.like(like_pattern(filters.q), escape="\\"))
    return conditions


async def list_requests(
    session: AsyncSession, principal: Principal, *, filters: Filters, today: date, page: PageParams
) -> tuple[list[InformationRequest], str | None]:
    """Soonest due first, then by id; paused requests (no due date) after all dated ones.

    Two keyset walks, each served by ``ix_information_requests_due_date_id``: the dated rows in
    (due_date, id) order, then the paused rows by id. The cursor carries ``(due_date, id)`` of
    the last row, with ``date.max`` standing for "paused", so a page may span both walks.
    """
    statement = readable(principal).where(*_conditions(principal, filters, today))
    r = InformationRequest
    after = decode_cursor(page.cursor, _KEYS) if page.cursor is not None else None
    rows: list[InformationRequest] = []
    if after is None or after[0] != PAUSED_LAST:
        dated = statement.where(r.due_date.is_not(None))
        if after is not None:
            dated = dated.where(tuple_(r.due_date, r.id) > tuple_(*after))
        rows = list(await session.scalars(dated.order_by(r.due_date, r.id).limit(page.limit + 1)))
    if len(rows) <= page.limit:
        paused = statement.where(r.due_date.is_(None))
        if after is not None and after[0] == PAUSED_LAST:
            paused = paused.where(r.id > after[1])
        rest = paused.order_by(r.id).limit(page.limit + 1 - len(rows))
        rows.extend(await session.scalars(rest))
    if len(rows) <= page.limit:
        return rows, None
    last = rows[page.limit - 1]
    return rows[: page.limit], encode_cursor([last.due_date or PAUSED_LAST, last.id])


# -- deadlines follow the calendar ---------------------------------------------------------------


@deadlines.register("information_requests")
async def recompute_request_deadlines(
    session: AsyncSession, snapshot: CalendarSnapshot, by: Principal | None
) -> int:
    """Move live requests' due dates later when the calendar now says so, never earlier.

    Each running segment is recomputed from its own origin (received, resumed or reopened).
    A paused request has no due date: its remaining working days are a count, which no calendar
    edit changes; the resumed segment is counted against the calendar of the day it resumes.
    """
    r = InformationRequest
    rows = await session.execute(
        select(r.id, r.clock_origin, r.clock_started_at, r.clock_working_days, r.due_date).where(
            r.status.in_(LIVE), r.due_date.is_not(None)
        )
    )
    moves = []
    for key, origin, started_at, days, due in rows:
        new = request_clock.due_date(snapshot, origin, started_at, days)
        if due is not None and new > due:
            moves.append(Move(LiveDeadline(str(key), started_at, days, due), new))
    return await apply_moves(session, r, "due_date", moves, snapshot, by)


# -- reopening after an appeal -------------------------------------------------------------------


def add_handler(request: InformationRequest, sub: str) -> None:
    """Remember everyone who assigned, handled or decided the request (conflict of interest)."""
    if sub not in request.handlers:
        request.handlers = [*request.handlers, sub]


async def reopen(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    at: datetime,
    snapshot: CalendarSnapshot,
    working_days: int,
    appeal_id: uuid.UUID,
) -> InformationRequest:
    """An upheld appeal sends the request back to ``in_progress`` with a new deadline counted
    from the decision instant; the earlier decision stays in the audit trail."""
    before = request.status
    request.status = RequestStatus.IN_PROGRESS.value
    request.clock_origin = ClockOrigin.REOPENED.value
    request.clock_started_at = at
    request.clock_working_days = working_days
    request.paused_at = None
    request.remaining_working_days = None
    request.due_date = request_clock.due_date(snapshot, ClockOrigin.REOPENED, at, working_days)
    request.calendar_version = snapshot.version
    request.response, request.explanation = None, None
    request.response_links, request.legal_grounds = [], []
    request.decided_by, request.decided_at = None, None
    request.decided_on_time = request.decision_working_days = None  # the next decision sets them
    await session.flush()
    await audit.record(
        session,
        by,
        "information_request.reopened",
        request,
        from_state=before,
        to_state=request.status,
        details={
            "appeal_id": str(appeal_id),
            "working_days": working_days,
            "due_date": request.due_date.isoformat(),
        },
    )
    return request

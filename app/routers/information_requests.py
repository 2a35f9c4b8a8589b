"""Information requests: filing, scoped reads, the explained clock, handling and withdrawal."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core import clock
from app.core.concurrency import set_etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import (
    CalendarDep,
    CanFileInformationRequests,
    CanHandleInformationRequests,
    CanReadInformationRequests,
    CanWithdrawOwnInformationRequests,
    CipherDep,
    IdempotencyDep,
    IfMatch,
    SessionDep,
)
from app.models.information_request import ClockOrigin, InformationCategory, RequestStatus
from app.routers import information_request_views as views
from app.schemas.common import Page, SingleLineParameter
from app.schemas.history import History
from app.schemas.information_requests import (
    Assignment,
    ClarificationAnswer,
    ClarificationCreate,
    InformationRequestCreate,
    InformationRequestRead,
    InformationRequestReceipt,
    InformationRequestSummary,
    RequestDeadlineRead,
    RequestDecision,
    clock_events,
)
from app.schemas.problems import problem_responses
from app.services import audit
from app.services import information_requests as request_service
from app.services import request_handling as handling
from app.services.information_requests import Filing, Filters
from app.services.request_handling import Decision

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/information-requests",
    tags=["information-requests"],
    responses=problem_responses(422),
)
READ_ERRORS = problem_responses(401, 403, 404)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412)
RequestId = Annotated[uuid.UUID, Path(description="The information request's id.")]


async def filing_period(request: Request) -> int:
    return int(request.app.state.settings.information_request_working_days)


async def pause_limit(request: Request) -> int:
    return int(request.app.state.settings.max_clarification_pauses)


FilingPeriod = Annotated[int, Depends(filing_period)]
PauseLimit = Annotated[int, Depends(pause_limit)]


async def list_filters(
    status: RequestStatus | None = None,
    category: InformationCategory | None = None,
    overdue: Annotated[
        bool | None, Query(description="Submitted or in progress after the end of the due date.")
    ] = None,
    due_before: Annotated[date | None, Query(description="Due strictly before this date.")] = None,
    assigned_to: Annotated[
        str | None,
        Query(min_length=1, max_length=255, description="Officers only."),
        SingleLineParameter,
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Search subject and text."),
        SingleLineParameter,
    ] = None,
) -> Filters:
    return Filters(
        status=status.value if status else None,
        category=category.value if category else None,
        overdue=overdue,
        due_before=due_before,
        assigned_to=assigned_to,
        q=q,
    )


@router.post(
    "",
    status_code=201,
    response_model=InformationRequestReceipt,
    summary="File an information request",
    responses=problem_responses(401, 403, 409),
)
async def create_information_request(
    body: InformationRequestCreate,
    session: SessionDep,
    principal: CanFileInformationRequests,
    snapshot: CalendarDep,
    working_days: FilingPeriod,
    cipher: CipherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Ask for information; the receipt gives the reference and the due date."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    filing = Filing(
        subject=body.subject,
        description=body.description,
        category=body.category,
        requester_category=views.requester_category(body, principal),
        preferred_format=body.preferred_format.value if body.preferred_format else None,
        contact=body.contact.stored() if body.contact else None,
    )
    row = await request_service.create(
        session,
        by=principal,
        filing=filing,
        snapshot=snapshot,
        working_days=working_days,
        cipher=cipher,
    )
    headers = {"Location": f"{router.prefix}/{row.id}", "ETag": f'W/"{row.version}"'}
    return await idempotency.respond(views.receipt(row, snapshot), headers=headers)


@router.get("", summary="List information requests", responses=problem_responses(400, 401, 403))
async def list_information_requests(
    session: SessionDep,
    principal: CanReadInformationRequests,
    snapshot: CalendarDep,
    filters: Annotated[Filters, Depends(list_filters)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[InformationRequestSummary]:
    """List soonest due first (paused last): a requester their own, officers all."""
    now = clock.now()
    rows, cursor = await request_service.list_requests(
        session, principal, filters=filters, today=snapshot.local_date(now), page=page
    )
    items = [
        InformationRequestSummary(**views.summary(row, principal, snapshot, now)) for row in rows
    ]
    return Page[InformationRequestSummary](items=items, next_cursor=cursor)


@router.get("/{request_id}", summary="Read an information request", responses=READ_ERRORS)
async def get_information_request(
    request_id: RequestId,
    session: SessionDep,
    principal: CanReadInformationRequests,
    snapshot: CalendarDep,
    cipher: CipherDep,
    response: Response,
) -> InformationRequestRead:
    """Read one request; contact details for its requester and officers (officers audited)."""
    row = await request_service.get_readable(session, principal, request_id)
    contact = await request_service.read_contact(session, principal, row, cipher)
    set_etag(response, row)
    return await views.detail(session, row, principal, snapshot, contact)


@router.get("/{request_id}/deadline", summary="Explain a request's deadline", responses=READ_ERRORS)
async def get_information_request_deadline(
    request_id: RequestId,
    session: SessionDep,
    principal: CanReadInformationRequests,
    snapshot: CalendarDep,
) -> RequestDeadlineRead:
    """The running clock segment day by day, and every pause, resumption, reopening and move."""
    row = await request_service.get_readable(session, principal, request_id)
    events = await audit.history(session, row)
    paused = row.status == RequestStatus.AWAITING_CLARIFICATION
    return RequestDeadlineRead(
        id=row.id,
        reference=row.reference,
        status=RequestStatus(row.status),
        clock_origin=ClockOrigin(row.clock_origin),
        clock_started_at=row.clock_started_at,
        working_days=row.clock_working_days,
        overdue=request_service.is_overdue(row, snapshot, clock.now()),
        paused=paused,
        remaining_working_days=row.remaining_working_days if paused else None,
        calendar_version=snapshot.version,
        events=clock_events(events),
        **views.due_fields(row.due_date, snapshot),
        **views.segment(row, snapshot),
    )


@router.get("/{request_id}/history", summary="A request's history", responses=READ_ERRORS)
async def get_information_request_history(
    request_id: RequestId, session: SessionDep, principal: CanReadInformationRequests
) -> History:
    """List the request's audited events, oldest first (officers' ids shown to officers only)."""
    row = await request_service.get_readable(session, principal, request_id)
    return History.of(
        await audit.history(session, row),
        staff=request_service.handles(principal),
        precedence=handling.ROLE_PRECEDENCE,
        staff_details=handling.STAFF_DETAILS,
    )


@router.post(
    "/{request_id}/assignment", summary="Assign a request to an officer", responses=WRITE_ERRORS
)
async def assign_information_request(
    request_id: RequestId,
    body: Assignment,
    session: SessionDep,
    principal: CanHandleInformationRequests,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> InformationRequestRead:
    """Assign an undecided request to yourself (the default) or another officer."""
    row = await request_service.get_readable(session, principal, request_id, for_update=True)
    await handling.assign(
        session,
        row,
        by=principal,
        assignee=body.assignee or principal.sub,
        expected_version=expected_version,
    )
    return await views.written(session, row, principal, snapshot, response)


@router.post("/{request_id}/start", summary="Start handling a request", responses=WRITE_ERRORS)
async def start_information_request(
    request_id: RequestId,
    session: SessionDep,
    principal: CanHandleInformationRequests,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> InformationRequestRead:
    """Move a submitted request to in_progress (If-Match honoured)."""
    row = await request_service.get_readable(session, principal, request_id, for_update=True)
    await handling.start(session, row, by=principal, expected_version=expected_version)
    return await views.written(session, row, principal, snapshot, response)


@router.post(
    "/{request_id}/clarification", summary="Ask the requester to clarify", responses=WRITE_ERRORS
)
async def ask_for_clarification(
    request_id: RequestId,
    body: ClarificationCreate,
    session: SessionDep,
    principal: CanHandleInformationRequests,
    snapshot: CalendarDep,
    max_pauses: PauseLimit,
    response: Response,
    expected_version: IfMatch = None,
) -> InformationRequestRead:
    """Pause the clock with a question; the remaining working days are kept."""
    row = await request_service.get_readable(session, principal, request_id, for_update=True)
    await handling.ask_clarification(
        session,
        row,
        by=principal,
        question=body.question.model_dump(exclude_none=True),
        snapshot=snapshot,
        max_pauses=max_pauses,
        expected_version=expected_version,
    )
    return await views.written(session, row, principal, snapshot, response)


@router.post(
    "/{request_id}/clarification/answer",
    summary="Answer the officer's question",
    responses=WRITE_ERRORS,
)
async def answer_clarification(
    request_id: RequestId,
    body: ClarificationAnswer,
    session: SessionDep,
    principal: CanFileInformationRequests,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> InformationRequestRead:
    """Answer your request's open question; the clock resumes from the next working day."""
    row = await request_service.get_own(session, principal, request_id, for_update=True)
    await handling.answer_clarification(
        session,
        row,
        by=principal,
        answer=body.answer,
        snapshot=snapshot,
        expected_version=expected_version,
    )
    return await views.written(session, row, principal, snapshot, response)


@router.post("/{request_id}/response", summary="Decide a request", responses=WRITE_ERRORS)
async def respond_to_information_request(
    request_id: RequestId,
    body: RequestDecision,
    session: SessionDep,
    principal: CanHandleInformationRequests,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> InformationRequestRead:
    """Answer, partly answer, refuse on legal grounds, or say the information is not held."""
    row = await request_service.get_readable(session, principal, request_id, for_update=True)
    decision = Decision(
        outcome=body.outcome,
        response=body.response.model_dump(exclude_none=True),
        links=list(body.links),
        legal_grounds=body.stored_grounds(),
        explanation=body.explanation.model_dump(exclude_none=True) if body.explanation else None,
    )
    await handling.respond(
        session,
        row,
        by=principal,
        decision=decision,
        snapshot=snapshot,
        expected_version=expected_version,
    )
    return await views.written(session, row, principal, snapshot, response)


@router.post(
    "/{request_id}/withdraw", summary="Withdraw my information request", responses=WRITE_ERRORS
)
async def withdraw_information_request(
    request_id: RequestId,
    session: SessionDep,
    principal: CanWithdrawOwnInformationRequests,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> InformationRequestRead:
    """Withdraw your own request before it is decided."""
    row = await request_service.get_own(session, principal, request_id, for_update=True)
    await handling.withdraw(session, row, by=principal, expected_version=expected_version)
    return await views.written(session, row, principal, snapshot, response)

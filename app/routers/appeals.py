"""Appeals: filing on an information request, reads scoped by role, review, decision, withdrawal."""

import uuid
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import set_etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.core.security import Principal
from app.dependencies import (
    CalendarDep,
    CanDecideAppeals,
    CanFileAppeals,
    CanReadAppeals,
    IdempotencyDep,
    IfMatch,
    SessionDep,
)
from app.models.appeal import Appeal, AppealGround, AppealStatus
from app.schemas.appeals import (
    AppealCreate,
    AppealDecision,
    AppealRead,
    AppealReceipt,
    AppealSummary,
)
from app.schemas.common import LocalizedText, Page
from app.schemas.history import History
from app.schemas.problems import Problem, problem_responses
from app.services import appeal_decisions as workflow
from app.services import appeals as appeal_service
from app.services import audit
from app.services.appeals import AppealRules, Filters
from app.services.calendar import hijri
from app.services.working_days import CalendarSnapshot

router = APIRouter(
    generate_unique_id_function=operation_id, tags=["appeals"], responses=problem_responses(422)
)
READ_ERRORS = problem_responses(401, 403, 404)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412)
NOT_ELIGIBLE = {
    "model": Problem,
    "description": "appeal_not_eligible, with a top-level `reason` member: not_late_or_refused, "
    "ground_mismatch, window_closed or appeal_already_open.",
}
AppealId = Annotated[uuid.UUID, Path(description="The appeal's id.")]
RequestId = Annotated[uuid.UUID, Path(description="The information request's id.")]


async def appeal_rules(request: Request, snapshot: CalendarDep) -> AppealRules:
    settings = request.app.state.settings
    return AppealRules(
        snapshot,
        decision_working_days=settings.appeal_decision_working_days,
        filing_window_days=settings.appeal_filing_window_days,
        reopened_working_days=settings.post_appeal_response_working_days,
    )


AppealRulesDep = Annotated[AppealRules, Depends(appeal_rules)]


async def list_filters(
    status: AppealStatus | None = None,
    ground: AppealGround | None = None,
    overdue: Annotated[
        bool | None, Query(description="Submitted or under review after their due date.")
    ] = None,
    request_id: Annotated[
        uuid.UUID | None, Query(description="Appeals on one information request.")
    ] = None,
) -> Filters:
    return Filters(
        status=status.value if status else None,
        ground=ground.value if ground else None,
        overdue=overdue,
        request_id=request_id,
    )


@router.post(
    "/v1/information-requests/{request_id}/appeals",
    status_code=201,
    response_model=AppealReceipt,
    summary="Appeal an information request",
    responses={**problem_responses(401, 403, 404), 409: NOT_ELIGIBLE},
)
async def file_appeal(
    request_id: RequestId,
    body: AppealCreate,
    session: SessionDep,
    principal: CanFileAppeals,
    rules: AppealRulesDep,
    idempotency: IdempotencyDep,
) -> Response:
    """File an appeal on your own overdue, refused, partially answered or not-held request."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    appeal = await appeal_service.file(
        session,
        by=principal,
        request_id=request_id,
        ground=body.ground,
        statement=body.statement,
        rules=rules,
    )
    references = await appeal_service.request_references(session, [appeal.request_id])
    receipt = AppealReceipt(**_receipt(appeal, references, rules.snapshot))
    headers = {"Location": f"/v1/appeals/{appeal.id}", "ETag": f'W/"{appeal.version}"'}
    return await idempotency.respond(receipt, headers=headers)


@router.get("/v1/appeals", summary="List appeals", responses=problem_responses(400, 401, 403))
async def list_appeals(
    session: SessionDep,
    principal: CanReadAppeals,
    snapshot: CalendarDep,
    filters: Annotated[Filters, Depends(list_filters)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[AppealSummary]:
    """List soonest due first: an appellant their own, appeals officers all."""
    today = clock.local_today(snapshot.timezone)
    rows, cursor = await appeal_service.list_appeals(
        session, principal, filters=filters, today=today, page=page
    )
    references = await appeal_service.request_references(session, {r.request_id for r in rows})
    items = [AppealSummary(**_summary(row, references, snapshot)) for row in rows]
    return Page[AppealSummary](items=items, next_cursor=cursor)


@router.get("/v1/appeals/{appeal_id}", summary="Read an appeal", responses=READ_ERRORS)
async def get_appeal(
    appeal_id: AppealId,
    session: SessionDep,
    principal: CanReadAppeals,
    snapshot: CalendarDep,
    response: Response,
) -> AppealRead:
    """Read one appeal: its appellant or an appeals officer."""
    appeal = await appeal_service.get_readable(session, principal, appeal_id)
    return await _answer(session, appeal, principal, snapshot, response)


@router.get("/v1/appeals/{appeal_id}/history", summary="An appeal's history", responses=READ_ERRORS)
async def get_appeal_history(
    appeal_id: AppealId, session: SessionDep, principal: CanReadAppeals
) -> History:
    """List the appeal's audited events, oldest first (officers' ids shown to officers only)."""
    appeal = await appeal_service.get_readable(session, principal, appeal_id)
    events = await audit.history(session, appeal)
    staff = appeal_service.decides(principal)
    return History.of(events, staff=staff, precedence=workflow.ROLE_PRECEDENCE)


@router.post("/v1/appeals/{appeal_id}/review", summary="Start reviewing", responses=WRITE_ERRORS)
async def start_appeal_review(
    appeal_id: AppealId,
    session: SessionDep,
    principal: CanDecideAppeals,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> AppealRead:
    """Move a submitted appeal to under_review; not for officers who handled the request."""
    appeal = await appeal_service.get_readable(session, principal, appeal_id, for_update=True)
    await workflow.start_review(session, appeal, by=principal, expected_version=expected_version)
    return await _answer(session, appeal, principal, snapshot, response)


@router.post("/v1/appeals/{appeal_id}/decision", summary="Decide an appeal", responses=WRITE_ERRORS)
async def decide_appeal(
    appeal_id: AppealId,
    body: AppealDecision,
    session: SessionDep,
    principal: CanDecideAppeals,
    rules: AppealRulesDep,
    response: Response,
    expected_version: IfMatch = None,
) -> AppealRead:
    """Decide from submitted or under_review; upholding reopens the request with a new deadline."""
    appeal = await appeal_service.get_readable(session, principal, appeal_id, for_update=True)
    await workflow.decide(
        session,
        appeal,
        by=principal,
        outcome=body.outcome,
        reasoning=body.reasoning.model_dump(exclude_none=True),
        rules=rules,
        expected_version=expected_version,
    )
    return await _answer(session, appeal, principal, rules.snapshot, response)


@router.post(
    "/v1/appeals/{appeal_id}/withdraw", summary="Withdraw my appeal", responses=WRITE_ERRORS
)
async def withdraw_appeal(
    appeal_id: AppealId,
    session: SessionDep,
    principal: CanFileAppeals,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> AppealRead:
    """Withdraw your own appeal before it is decided."""
    appeal = await appeal_service.get_own(session, principal, appeal_id, for_update=True)
    await workflow.withdraw(session, appeal, by=principal, expected_version=expected_version)
    return await _answer(session, appeal, principal, snapshot, response)


# -- shaping responses ---------------------------------------------------------------------------


RECEIPT_COLUMNS = ("id", "reference", "status", "ground", "request_id", "received_at", "due_date")


def _receipt(
    appeal: Appeal, references: dict[uuid.UUID, str], snapshot: CalendarSnapshot
) -> dict[str, Any]:
    due_at = snapshot.deadline_instant(appeal.due_date).astimezone(ZoneInfo(snapshot.timezone))
    today: date = clock.local_today(snapshot.timezone)
    return {name: getattr(appeal, name) for name in RECEIPT_COLUMNS} | {
        "request_reference": references[appeal.request_id],
        "due_date_hijri": hijri(appeal.due_date),
        "due_at": due_at,
        "overdue": appeal_service.is_overdue(appeal, today),
    }


def _summary(
    appeal: Appeal, references: dict[uuid.UUID, str], snapshot: CalendarSnapshot
) -> dict[str, Any]:
    return _receipt(appeal, references, snapshot) | {
        "decided_at": appeal.decided_at,
        "withdrawn_at": appeal.withdrawn_at,
    }


async def _answer(
    session: AsyncSession,
    appeal: Appeal,
    principal: Principal,
    snapshot: CalendarSnapshot,
    response: Response,
) -> AppealRead:
    """The detail with its ETag; officers' ids only for appeals officers."""
    references = await appeal_service.request_references(session, [appeal.request_id])
    staff = appeal_service.decides(principal)
    set_etag(response, appeal)
    return AppealRead(
        **_summary(appeal, references, snapshot),
        statement=appeal.statement,
        working_days=appeal.working_days,
        calendar_version=appeal.calendar_version,
        reviewer=appeal.reviewer_sub if staff else None,
        reasoning=LocalizedText.model_validate(appeal.reasoning) if appeal.reasoning else None,
        decided_by=appeal.decided_by if staff else None,
        version=appeal.version,
    )

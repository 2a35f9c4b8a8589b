"""Submissions: filing and imports, reads scoped by role, triage, decisions and withdrawal."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core import clock
from app.core.concurrency import set_etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import (
    CalendarDep,
    CanCreateSubmissions,
    CanDecideSubmissions,
    CanImportSubmissions,
    CanReadSubmissionHistory,
    CanReadSubmissions,
    CanTriageSubmissions,
    CanWithdrawOwnSubmissions,
    CipherDep,
    IdempotencyDep,
    IfMatch,
    SessionDep,
)
from app.models.consultation import Channel, Topic
from app.models.submission import Priority, SubmissionKind, SubmissionStatus
from app.routers.submission_views import (
    contact_details,
    created_headers,
    receipt_fields,
    submission_read,
    summary_fields,
)
from app.schemas.common import Page, SingleLineParameter
from app.schemas.history import History
from app.schemas.problems import problem_responses
from app.schemas.submissions import (
    ClassificationUpdate,
    ImportReceipt,
    SubmissionCreate,
    SubmissionDecision,
    SubmissionImport,
    SubmissionRead,
    SubmissionReceipt,
    SubmissionSummary,
    SubtopicId,
)
from app.services import audit
from app.services import submission_workflow as workflow
from app.services import submissions as submission_service
from app.services.submissions import ComplaintClock, Filters, Intake

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/submissions",
    tags=["submissions"],
    responses=problem_responses(422),
)
READ_ERRORS = problem_responses(401, 403, 404)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412)
SubmissionId = Annotated[uuid.UUID, Path(description="The submission's id.")]


async def complaint_clock(request: Request, snapshot: CalendarDep) -> ComplaintClock:
    return ComplaintClock(snapshot, request.app.state.settings.complaint_response_working_days)


ComplaintClockDep = Annotated[ComplaintClock, Depends(complaint_clock)]


async def list_filters(
    status: SubmissionStatus | None = None,
    kind: SubmissionKind | None = None,
    channel: Channel | None = None,
    consultation_id: uuid.UUID | None = None,
    topic: Topic | None = None,
    subtopic: SubtopicId | None = None,
    priority: Priority | None = None,
    overdue: Annotated[
        bool | None, Query(description="Complaints undecided after their due date.")
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Search the body."),
        SingleLineParameter,
    ] = None,
) -> Filters:
    return Filters(
        status=status.value if status else None,
        kind=kind.value if kind else None,
        channel=channel.value if channel else None,
        consultation_id=consultation_id,
        topic=topic.value if topic else None,
        subtopic=subtopic,
        priority=priority.value if priority else None,
        overdue=overdue,
        q=q,
    )


@router.post(
    "",
    status_code=201,
    response_model=SubmissionReceipt,
    summary="Submit a suggestion, complaint or comment",
    responses=problem_responses(401, 403, 404, 409),
)
async def create_submission(
    body: SubmissionCreate,
    session: SessionDep,
    principal: CanCreateSubmissions,
    complaints: ComplaintClockDep,
    cipher: CipherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """File input through the website, the app or a portal form; a complaint gets a due date."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    intake = Intake(
        body.kind, body.channel, body.body, body.consultation_id, contact_details(body.contact)
    )
    submission = await submission_service.create(
        session, by=principal, intake=intake, complaints=complaints, cipher=cipher
    )
    receipt = SubmissionReceipt(**receipt_fields(submission, complaints.snapshot))
    return await idempotency.respond(receipt, headers=created_headers(submission))


@router.post(
    "/imports",
    status_code=201,
    summary="Import input from a channel",
    responses={
        200: {"model": ImportReceipt, "description": "Imported before: the stored submission."},
        **problem_responses(401, 403, 404, 409),
    },
)
async def import_submission(
    body: SubmissionImport,
    session: SessionDep,
    principal: CanImportSubmissions,
    complaints: ComplaintClockDep,
    cipher: CipherDep,
    response: Response,
) -> ImportReceipt:
    """Import from any channel; a repeated (channel, external_id) is a 200 with the first import.

    A repeat creates nothing and returns the stored submission even when its content differs.
    """
    intake = Intake(
        body.kind, body.channel, body.body, body.consultation_id, contact_details(body.contact)
    )
    submission, created = await submission_service.import_submission(
        session,
        by=principal,
        intake=intake,
        external_id=body.external_id,
        received_at=body.received_at,
        source_handle=body.source_handle,
        complaints=complaints,
        cipher=cipher,
    )
    response.status_code = 201 if created else 200
    response.headers.update(created_headers(submission))
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    receipt = receipt_fields(submission, complaints.snapshot)
    return ImportReceipt(**receipt, external_id=body.external_id)


@router.get("", summary="List submissions", responses=problem_responses(400, 401, 403))
async def list_submissions(
    session: SessionDep,
    principal: CanReadSubmissions,
    snapshot: CalendarDep,
    filters: Annotated[Filters, Depends(list_filters)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[SubmissionSummary]:
    """List newest first: a beneficiary their own, officers and analysts all; no personal data."""
    today = clock.local_today(snapshot.timezone)
    rows, cursor = await submission_service.list_submissions(
        session, principal, filters=filters, today=today, page=page
    )
    items = [SubmissionSummary(**summary_fields(row, today)) for row in rows]
    return Page[SubmissionSummary](items=items, next_cursor=cursor)


@router.get("/{submission_id}", summary="Read a submission", responses=READ_ERRORS)
async def get_submission(
    submission_id: SubmissionId,
    session: SessionDep,
    principal: CanReadSubmissions,
    snapshot: CalendarDep,
    cipher: CipherDep,
    response: Response,
) -> SubmissionRead:
    """Read one submission; contact details for its submitter and officers (officers audited)."""
    submission = await submission_service.get_readable(session, principal, submission_id)
    personal = await submission_service.read_personal_data(session, principal, submission, cipher)
    set_etag(response, submission)
    return await submission_read(session, submission, principal, snapshot, personal)


@router.get("/{submission_id}/history", summary="A submission's history", responses=READ_ERRORS)
async def get_submission_history(
    submission_id: SubmissionId, session: SessionDep, principal: CanReadSubmissionHistory
) -> History:
    """List the submission's audited events, oldest first (officers' ids shown to officers only)."""
    submission = await submission_service.get_readable(
        session, principal, submission_id, analysts=False
    )
    events = await audit.history(session, submission)
    staff = submission_service.handles(principal)
    return History.of(events, staff=staff, precedence=workflow.ROLE_PRECEDENCE)


@router.post("/{submission_id}/review", summary="Start reviewing", responses=WRITE_ERRORS)
async def start_review(
    submission_id: SubmissionId,
    session: SessionDep,
    principal: CanTriageSubmissions,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> SubmissionRead:
    """Move a received submission to under_review (If-Match honoured)."""
    submission = await submission_service.get_readable(session, principal, submission_id)
    await workflow.start_review(
        session, submission, by=principal, expected_version=expected_version
    )
    set_etag(response, submission)
    return await submission_read(session, submission, principal, snapshot, None)


@router.patch(
    "/{submission_id}/classification", summary="Set topic and priority", responses=WRITE_ERRORS
)
async def classify_submission(
    submission_id: SubmissionId,
    body: ClassificationUpdate,
    session: SessionDep,
    principal: CanTriageSubmissions,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> SubmissionRead:
    """Override the topic and/or priority until decided; the automatic values are kept."""
    submission = await submission_service.get_readable(session, principal, submission_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    await workflow.classify(
        session, submission, by=principal, changes=changes, expected_version=expected_version
    )
    set_etag(response, submission)
    return await submission_read(session, submission, principal, snapshot, None)


@router.post("/{submission_id}/decision", summary="Decide a submission", responses=WRITE_ERRORS)
async def decide_submission(
    submission_id: SubmissionId,
    body: SubmissionDecision,
    session: SessionDep,
    principal: CanDecideSubmissions,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> SubmissionRead:
    """Decide from received or under_review with a disposition valid for the kind and a reason."""
    submission = await submission_service.get_readable(session, principal, submission_id)
    await workflow.decide(
        session,
        submission,
        by=principal,
        disposition=body.disposition,
        reason=body.reason.model_dump(exclude_none=True),
        expected_version=expected_version,
    )
    set_etag(response, submission)
    return await submission_read(session, submission, principal, snapshot, None)


@router.post("/{submission_id}/withdraw", summary="Withdraw my submission", responses=WRITE_ERRORS)
async def withdraw_submission(
    submission_id: SubmissionId,
    session: SessionDep,
    principal: CanWithdrawOwnSubmissions,
    snapshot: CalendarDep,
    response: Response,
    expected_version: IfMatch = None,
) -> SubmissionRead:
    """Withdraw your own submission before it is decided."""
    submission = await submission_service.get_own(session, principal, submission_id)
    await workflow.withdraw(session, submission, by=principal, expected_version=expected_version)
    set_etag(response, submission)
    return await submission_read(session, submission, principal, snapshot, None)

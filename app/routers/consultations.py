"""Consultations: officers draft, publish and cancel them; everyone reads the published ones."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.core import clock
from app.core.concurrency import etag, set_etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import (
    CalendarDep,
    CanManageConsultations,
    IdempotencyDep,
    IfMatch,
    OptionalPrincipalDep,
    PublicAccess,
    SessionDep,
)
from app.models.consultation import Channel, Consultation, ConsultationStatus, Topic
from app.schemas.common import Instant, LocalizedText, Page, SingleLineParameter
from app.schemas.consultations import (
    ConsultationCreate,
    ConsultationRead,
    ConsultationUpdate,
)
from app.schemas.history import AuditEntry
from app.schemas.problems import problem_responses
from app.services import audit
from app.services import consultations as consultation_service
from app.services.calendar import hijri
from app.services.consultations import ConsultationFilters, FeedbackTerms, status_of

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/consultations",
    tags=["consultations"],
    responses=problem_responses(422),
)
OFFICER_ERRORS = problem_responses(401, 403, 404, 409, 412)


async def feedback_terms(request: Request, snapshot: CalendarDep) -> FeedbackTerms:
    """The calendar and the configured feedback period (calendar days after closing)."""
    return FeedbackTerms(snapshot, request.app.state.settings.feedback_period_days)


FeedbackTermsDep = Annotated[FeedbackTerms, Depends(feedback_terms)]


def consultation_read(
    row: Consultation, terms: FeedbackTerms, now: datetime | None = None
) -> ConsultationRead:
    now = now or clock.now()
    due = terms.due_at(row)
    return ConsultationRead(
        id=row.id,
        reference=row.reference,
        title=LocalizedText.model_validate(row.title),
        summary=LocalizedText.model_validate(row.summary),
        topic=Topic(row.topic),
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        channels=[Channel(channel) for channel in row.channels],
        live_results=row.live_results,
        status=status_of(row, now),
        published_at=row.published_at,
        cancelled_at=row.cancelled_at,
        feedback_due_at=terms.local(due),
        feedback_due_at_hijri=hijri(terms.due_date(row)),
        feedback_overdue=terms.overdue(row, now),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def consultation_filters(
    status: ConsultationStatus | None = None,
    topic: Topic | None = None,
    channel: Annotated[Channel | None, Query(description="Accepts input via this channel.")] = None,
    opens_after: Annotated[
        Instant | None, Query(description="Opens at or after this instant.")
    ] = None,
    closes_before: Annotated[
        Instant | None, Query(description="Closes at or before this instant.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Words in the title or summary, Arabic or English; diacritics ignored.",
        ),
        SingleLineParameter,
    ] = None,
    reference: Annotated[
        str | None, Query(max_length=20, examples=["CON-2026-000012"]), SingleLineParameter
    ] = None,
) -> ConsultationFilters:
    return ConsultationFilters(
        status=status,
        topic=topic,
        channel=channel,
        opens_after=opens_after,
        closes_before=closes_before,
        q=q,
        reference=reference,
    )


@router.post(
    "",
    status_code=201,
    response_model=ConsultationRead,
    summary="Draft a consultation",
    responses=problem_responses(400, 401, 403, 409),
)
async def create_consultation(
    body: ConsultationCreate,
    session: SessionDep,
    officer: CanManageConsultations,
    terms: FeedbackTermsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a draft consultation (Idempotency-Key honoured); publish it to open it."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    row = await consultation_service.create(session, by=officer, data=body, terms=terms)
    headers = {"Location": f"/v1/consultations/{row.id}", "ETag": etag(row.version)}
    return await idempotency.respond(consultation_read(row, terms), headers=headers)


@router.get(
    "",
    summary="List consultations",
    dependencies=[PublicAccess],
    responses=problem_responses(400),
)
async def list_consultations(
    session: SessionDep,
    principal: OptionalPrincipalDep,
    terms: FeedbackTermsDep,
    filters: Annotated[ConsultationFilters, Depends(consultation_filters)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ConsultationRead]:
    """List published consultations, newest opening first (officers also see drafts)."""
    rows, cursor = await consultation_service.list_consultations(
        session, principal, filters=filters, page=page
    )
    now = clock.now()
    return Page[ConsultationRead](
        items=[consultation_read(row, terms, now) for row in rows], next_cursor=cursor
    )


@router.get(
    "/{consultation_id}",
    summary="Get a consultation",
    dependencies=[PublicAccess],
    responses=problem_responses(404),
)
async def get_consultation(
    consultation_id: uuid.UUID,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    terms: FeedbackTermsDep,
    response: Response,
) -> ConsultationRead:
    """Return a published consultation (officers: any) with its status and feedback deadline."""
    row = await consultation_service.get_readable(session, principal, consultation_id)
    set_etag(response, row)
    return consultation_read(row, terms)


@router.patch("/{consultation_id}", summary="Edit a consultation", responses=OFFICER_ERRORS)
async def update_consultation(
    consultation_id: uuid.UUID,
    body: ConsultationUpdate,
    session: SessionDep,
    officer: CanManageConsultations,
    terms: FeedbackTermsDep,
    response: Response,
    expected_version: IfMatch = None,
) -> ConsultationRead:
    """Change the fields sent, while draft or scheduled (If-Match honoured)."""
    row = await consultation_service.get_readable(session, officer, consultation_id)
    row = await consultation_service.update(
        session,
        row,
        by=officer,
        changes=body.changes(),
        terms=terms,
        expected_version=expected_version,
    )
    set_etag(response, row)
    return consultation_read(row, terms)


@router.post(
    "/{consultation_id}/publish", summary="Publish a consultation", responses=OFFICER_ERRORS
)
async def publish_consultation(
    consultation_id: uuid.UUID,
    session: SessionDep,
    officer: CanManageConsultations,
    terms: FeedbackTermsDep,
    response: Response,
    expected_version: IfMatch = None,
) -> ConsultationRead:
    """Publish a draft: scheduled until its opening time, open from then on."""
    row = await consultation_service.get_readable(session, officer, consultation_id)
    row = await consultation_service.publish(
        session, row, by=officer, terms=terms, expected_version=expected_version
    )
    set_etag(response, row)
    return consultation_read(row, terms)


@router.post("/{consultation_id}/cancel", summary="Cancel a consultation", responses=OFFICER_ERRORS)
async def cancel_consultation(
    consultation_id: uuid.UUID,
    session: SessionDep,
    officer: CanManageConsultations,
    terms: FeedbackTermsDep,
    response: Response,
    expected_version: IfMatch = None,
) -> ConsultationRead:
    """Cancel a draft, scheduled or open consultation."""
    row = await consultation_service.get_readable(session, officer, consultation_id)
    row = await consultation_service.cancel(
        session, row, by=officer, terms=terms, expected_version=expected_version
    )
    set_etag(response, row)
    return consultation_read(row, terms)


@router.get(
    "/{consultation_id}/history",
    summary="A consultation's history",
    responses=problem_responses(401, 403, 404),
)
async def consultation_history(
    consultation_id: uuid.UUID, session: SessionDep, officer: CanManageConsultations
) -> Page[AuditEntry]:
    """List the consultation's audited changes, oldest first (officers only)."""
    row = await consultation_service.get_readable(session, officer, consultation_id)
    events = await audit.history(session, row)
    return Page[AuditEntry](
        items=[AuditEntry.model_validate(event) for event in events], next_cursor=None
    )

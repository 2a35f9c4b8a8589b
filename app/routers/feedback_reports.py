"""Feedback reports: officers draft and publish them; everyone reads the published ones."""

import uuid
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.concurrency import set_etag
from app.core.openapi import operation_id
from app.dependencies import (
    CanPublishFeedback,
    IfMatch,
    OptionalPrincipalDep,
    PublicAccess,
    SessionDep,
)
from app.models.consultation import Consultation
from app.models.feedback_report import FeedbackReport
from app.routers.consultations import FeedbackTermsDep
from app.schemas.common import LocalizedText
from app.schemas.feedback_reports import (
    DispositionCounts,
    FeedbackReportRead,
    FeedbackReportWrite,
    HighlightRead,
)
from app.schemas.problems import problem_responses
from app.services import consultations as consultation_service
from app.services import feedback_reports as feedback_service
from app.services.calendar import hijri
from app.services.consultations import FeedbackTerms
from app.services.feedback_reports import Highlight, ReportStatus

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/consultations/{consultation_id}/feedback",
    tags=["feedback"],
    responses=problem_responses(422),
)
OFFICER_ERRORS = problem_responses(401, 403, 404, 409, 412)


async def feedback_read(
    session: AsyncSession, report: FeedbackReport, consultation: Consultation, terms: FeedbackTerms
) -> FeedbackReportRead:
    references = await feedback_service.submission_references(
        session, feedback_service.highlighted_ids(report)
    )
    # A draft answers with the deadline as it stands; publication freezes it.
    due = report.due_at or terms.due_at(consultation)
    published = report.status == ReportStatus.PUBLISHED
    return FeedbackReportRead(
        consultation_id=report.consultation_id,
        status=ReportStatus(report.status).value,
        summary=LocalizedText.model_validate(report.summary),
        highlights=[highlight_read(item, references) for item in report.highlights],
        disposition_counts=disposition_counts(report.disposition_counts) if published else None,
        published_at=report.published_at,
        due_at=terms.local(due),
        due_at_hijri=hijri(terms.snapshot.local_date(due)),
        on_time=report.on_time,
        version=report.version,
        created_at=report.created_at,
        updated_at=report.updated_at,
    )


def highlight_read(item: dict[str, Any], references: dict[uuid.UUID, str]) -> HighlightRead:
    submission_id = uuid.UUID(item["submission_id"])
    return HighlightRead(
        submission_id=submission_id,
        submission_reference=references.get(submission_id, ""),
        excerpt=LocalizedText.model_validate(item["excerpt"]),
    )


def disposition_counts(counts: dict[str, Any]) -> DispositionCounts:
    known = {name: int(counts.get(name, 0)) for name in DispositionCounts.model_fields}
    return DispositionCounts(**(known | {"total": sum(int(n) for n in counts.values())}))


@router.get(
    "",
    summary="Read a consultation's feedback report",
    dependencies=[PublicAccess],
    responses=problem_responses(404),
)
async def get_feedback_report(
    consultation_id: uuid.UUID,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    terms: FeedbackTermsDep,
    response: Response,
) -> FeedbackReportRead:
    """Return the published report (officers also the draft): counts, excerpts, timeliness."""
    consultation = await consultation_service.get_readable(session, principal, consultation_id)
    report = await feedback_service.get_readable(session, principal, consultation)
    set_etag(response, report)
    return await feedback_read(session, report, consultation, terms)


@router.put(
    "",
    summary="Draft the feedback report",
    responses={
        201: {"model": FeedbackReportRead, "description": "The draft was created"},
        **OFFICER_ERRORS,
    },
)
async def save_feedback_draft(
    consultation_id: uuid.UUID,
    body: FeedbackReportWrite,
    session: SessionDep,
    officer: CanPublishFeedback,
    terms: FeedbackTermsDep,
    response: Response,
    expected_version: IfMatch = None,
) -> FeedbackReportRead:
    """Create or replace the draft report (If-Match honoured); excerpts are officer-written."""
    consultation = await consultation_service.get_readable(session, officer, consultation_id)
    report, created = await feedback_service.save_draft(
        session,
        consultation,
        by=officer,
        summary=body.summary.model_dump(exclude_none=True),
        highlights=[
            Highlight(item.submission_id, item.excerpt.model_dump(exclude_none=True))
            for item in body.highlights
        ],
        expected_version=expected_version,
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/v1/consultations/{consultation_id}/feedback"
    set_etag(response, report)
    return await feedback_read(session, report, consultation, terms)


@router.post("/publish", summary="Publish the feedback report", responses=OFFICER_ERRORS)
async def publish_feedback_report(
    consultation_id: uuid.UUID,
    session: SessionDep,
    officer: CanPublishFeedback,
    terms: FeedbackTermsDep,
    response: Response,
    expected_version: IfMatch = None,
) -> FeedbackReportRead:
    """Publish once the consultation has closed and every input is decided; records on_time."""
    consultation = await consultation_service.get_readable(session, officer, consultation_id)
    report = await feedback_service.publish(
        session, consultation, by=officer, terms=terms, expected_version=expected_version
    )
    set_etag(response, report)
    return await feedback_read(session, report, consultation, terms)

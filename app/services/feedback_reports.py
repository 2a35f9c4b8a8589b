"""Feedback reports: drafted by officers, published when every input to a closed consultation
is decided, and measured against the feedback deadline.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, NotFound, UnprocessableEntity
from app.core.security import Permission, Principal
from app.models.consultation import Consultation, ConsultationStatus
from app.models.feedback_report import FeedbackReport
from app.models.submission import Submission, SubmissionStatus
from app.services import audit, events
from app.services.consultations import FeedbackTerms, status_of
from app.services.event_types import EventType

# Inputs a report may quote: only what the emirate took up, in whole or in part.
QUOTABLE = frozenset({"adopted", "partially_adopted"})
# Withdrawn inputs need no decision; everything else must be decided before publication.
SETTLED = (SubmissionStatus.DECIDED.value, SubmissionStatus.WITHDRAWN.value)


class ReportStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True)
class Highlight:
    submission_id: uuid.UUID
    excerpt: Mapping[str, Any]


def can_see_drafts(principal: Principal | None) -> bool:
    return principal is not None and principal.has(Permission.FEEDBACK_PUBLISH)


async def find(session: AsyncSession, consultation: Consultation) -> FeedbackReport | None:
    statement = select(FeedbackReport).where(FeedbackReport.consultation_id == consultation.id)
    return await session.scalar(statement)


async def get_readable(
    session: AsyncSession, principal: Principal | None, consultation: Consultation
) -> FeedbackReport:
    """The report; a draft is the officers' only, so everyone else gets a 404 until publication."""
    report = await find(session, consultation)
    if report is None or (
        report.status != ReportStatus.PUBLISHED and not can_see_drafts(principal)
    ):
        raise NotFound(code="feedback_not_found")
    return report


async def save_draft(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    summary: Mapping[str, Any],
    highlights: Sequence[Highlight],
    expected_version: int | None,
) -> tuple[FeedbackReport, bool]:
    """Create or replace the draft; returns the report and whether it was created."""
    await _lock(session, consultation)
    report = await find(session, consultation)
    if report is not None:
        _ensure_draft(report)
        ensure_version(report, expected_version)
    await _check_highlights(session, consultation, [item.submission_id for item in highlights])
    created = report is None
    if report is None:
        report = FeedbackReport(consultation_id=consultation.id, drafted_by=by.sub)
        session.add(report)
    report.summary = dict(summary)
    report.highlights = [
        {"submission_id": str(item.submission_id), "excerpt": dict(item.excerpt)}
        for item in highlights
    ]
    report.drafted_by = by.sub
    await session.flush()
    action = "feedback.drafted" if created else "feedback.updated"
    details = {"consultation_id": str(consultation.id), "highlights": len(highlights)}
    await audit.record(
        session, by, action, report, to_state=ReportStatus.DRAFT.value, details=details
    )
    return report, created


async def publish(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    terms: FeedbackTerms,
    expected_version: int | None,
) -> FeedbackReport:
    """Publish the draft once the consultation has closed and every input is decided."""
    await _lock(session, consultation)
    report = await find(session, consultation)
    if report is None:
        raise NotFound(code="feedback_not_found")
    _ensure_draft(report)
    ensure_version(report, expected_version)
    now = clock.now()
    status = status_of(consultation, now)
    if status is not ConsultationStatus.CLOSED:
        raise Conflict(code="consultation_not_closed", status=status.value)
    if undecided := await count_undecided(session, consultation.id):
        raise Conflict(code="feedback_incomplete", undecided=undecided)
    await _check_highlights(session, consultation, highlighted_ids(report))
    report.disposition_counts = await count_dispositions(session, consultation.id)
    report.due_at = terms.due_at(consultation)
    report.on_time = now <= report.due_at
    report.status, report.published_at = ReportStatus.PUBLISHED.value, now
    report.published_by = by.sub
    consultation.feedback_published_at = now
    await session.flush()
    await _audit_publication(session, by, consultation, report)
    await _announce(session, consultation, report)
    return report


async def _announce(
    session: AsyncSession, consultation: Consultation, report: FeedbackReport
) -> None:
    """The outbox event, and an inbox note for everyone who gave input: how it was used."""
    data = {
        "consultation_id": str(consultation.id),
        "on_time": report.on_time,
        "disposition_counts": report.disposition_counts,
    }
    event = await events.emit(
        session,
        EventType.FEEDBACK_REPORT_PUBLISHED,
        report,
        reference=consultation.reference,
        data=data,
    )
    submitters = select(Submission.submitter_sub).where(
        Submission.consultation_id == consultation.id
    )
    await events.notify_subs(session, event, submitters)


async def _audit_publication(
    session: AsyncSession, by: Principal, consultation: Consultation, report: FeedbackReport
) -> None:
    details = {"on_time": report.on_time, "decided": sum(report.disposition_counts.values())}
    await audit.record(
        session,
        by,
        "feedback.published",
        report,
        from_state=ReportStatus.DRAFT.value,
        to_state=ReportStatus.PUBLISHED.value,
        details={"consultation_id": str(consultation.id), **details},
    )
    await audit.record(
        session,
        by,
        "consultation.feedback_published",
        consultation,
        from_state=ConsultationStatus.CLOSED.value,
        to_state=ConsultationStatus.FEEDBACK_PUBLISHED.value,
        details={"feedback_report_id": str(report.id), **details},
    )


async def count_undecided(session: AsyncSession, consultation_id: uuid.UUID) -> int:
    statement = select(func.count()).where(
        Submission.consultation_id == consultation_id, Submission.status.not_in(SETTLED)
    )
    return int(await session.scalar(statement) or 0)


async def count_dispositions(session: AsyncSession, consultation_id: uuid.UUID) -> dict[str, int]:
    """Decided inputs per disposition, in one GROUP BY."""
    statement = (
        select(Submission.disposition, func.count())
        .where(
            Submission.consultation_id == consultation_id,
            Submission.status == SubmissionStatus.DECIDED.value,
            Submission.disposition.is_not(None),
        )
        .group_by(Submission.disposition)
    )
    return {str(disposition): int(count) for disposition, count in await session.execute(statement)}


def highlighted_ids(report: FeedbackReport) -> list[uuid.UUID]:
    return [uuid.UUID(item["submission_id"]) for item in report.highlights]


async def submission_references(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The reference numbers of highlighted inputs, in one query."""
    if not ids:
        return {}
    statement = select(Submission.id, Submission.reference).where(Submission.id.in_(ids))
    return {row.id: row.reference for row in await session.execute(statement)}


async def _check_highlights(
    session: AsyncSession, consultation: Consultation, ids: Sequence[uuid.UUID]
) -> None:
    """Only adopted or partly adopted inputs to this consultation may be quoted."""
    if not ids:
        return
    statement = select(
        Submission.id, Submission.consultation_id, Submission.status, Submission.disposition
    ).where(Submission.id.in_(ids))
    rows = {row.id: row for row in await session.execute(statement)}
    for submission_id in ids:
        row = rows.get(submission_id)
        if row is None or row.consultation_id != consultation.id:
            raise UnprocessableEntity(
                code="highlight_not_in_consultation", submission_id=str(submission_id)
            )
        if row.status != SubmissionStatus.DECIDED.value or row.disposition not in QUOTABLE:
            raise UnprocessableEntity(
                code="highlight_not_adopted", submission_id=str(submission_id)
            )


def _ensure_draft(report: FeedbackReport) -> None:
    if report.status == ReportStatus.PUBLISHED:
        raise Conflict(code="feedback_already_published")


async def _lock(session: AsyncSession, consultation: Consultation) -> None:
    """Serialise drafting and publication per consultation (SQLite already holds the write lock)."""
    statement = select(Consultation.id).where(Consultation.id == consultation.id).with_for_update()
    await session.execute(statement)

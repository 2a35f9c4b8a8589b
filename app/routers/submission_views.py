"""Shaping submissions for responses: receipts, list rows and the detail with its classification.

Who sees what is decided here: officers' ids only for officers, contact details only when the
route read them (and audited the read).
"""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.security import Principal
from app.models.submission import PriorityReason, Submission
from app.schemas.common import LocalizedText
from app.schemas.submissions import (
    Classification,
    ContactRead,
    PriorityReasonRead,
    SubmissionRead,
)
from app.services import classification
from app.services import submissions as submission_service
from app.services.calendar import hijri
from app.services.classifier import explain
from app.services.submissions import PersonalData
from app.services.working_days import CalendarSnapshot


def contact_details(contact: Any) -> dict[str, Any] | None:
    return contact.stored() if contact is not None else None


def created_headers(submission: Submission) -> dict[str, str]:
    return {"Location": f"/v1/submissions/{submission.id}", "ETag": f'W/"{submission.version}"'}


def _due(submission: Submission, snapshot: CalendarSnapshot) -> dict[str, Any]:
    due = submission.response_due_date
    if due is None:
        return {"response_due_date": None, "response_due_date_hijri": None, "response_due_at": None}
    at = snapshot.deadline_instant(due).astimezone(ZoneInfo(snapshot.timezone))
    return {"response_due_date": due, "response_due_date_hijri": hijri(due), "response_due_at": at}


RECEIPT_COLUMNS = ("id", "reference", "status", "kind", "channel", "consultation_id", "received_at")
SUMMARY_COLUMNS = (
    *RECEIPT_COLUMNS,
    "body",
    "topic",
    "subtopic",
    "priority",
    "disposition",
    "response_due_date",
)


def receipt_fields(submission: Submission, snapshot: CalendarSnapshot) -> dict[str, Any]:
    return {name: getattr(submission, name) for name in RECEIPT_COLUMNS} | _due(
        submission, snapshot
    )


def summary_fields(submission: Submission, today: date) -> dict[str, Any]:
    due = submission.response_due_date
    return {name: getattr(submission, name) for name in SUMMARY_COLUMNS} | {
        "response_due_date_hijri": hijri(due) if due else None,
        "overdue": submission_service.is_overdue(submission, today),
    }


async def submission_read(
    session: AsyncSession,
    submission: Submission,
    principal: Principal,
    snapshot: CalendarSnapshot,
    personal: PersonalData | None,
) -> SubmissionRead:
    """The detail; officers' ids only for officers, personal data only when ``personal`` given."""
    staff = submission_service.handles(principal)
    reason = submission.decision_reason
    reasons = await classification.reasons(session, submission.id)
    return SubmissionRead(
        **summary_fields(submission, clock.local_today(snapshot.timezone)),
        imported=submission.external_id is not None,
        external_id=submission.external_id if staff else None,
        classification=Classification(
            auto_topic=submission.auto_topic,
            auto_subtopic=submission.auto_subtopic,
            auto_priority=submission.auto_priority,
            confidence=submission.confidence,
            classifier_version=submission.classifier_version,
            priority_reasons=[_reason(row) for row in reasons],
            topic_override=submission.topic_override,
            subtopic_override=submission.subtopic_override,
            priority_override=submission.priority_override,
            overridden_by=submission.overridden_by if staff else None,
            overridden_at=submission.overridden_at,
        ),
        decision_reason=LocalizedText.model_validate(reason) if reason else None,
        decided_by=submission.decided_by if staff else None,
        decided_at=submission.decided_at,
        withdrawn_at=submission.withdrawn_at,
        response_working_days=submission.response_working_days,
        response_due_at=_due(submission, snapshot)["response_due_at"],
        calendar_version=submission.calendar_version,
        contact=ContactRead.model_validate(personal.contact)
        if personal and personal.contact
        else None,
        source_handle=personal.source_handle if personal else None,
        version=submission.version,
    )


def _reason(row: PriorityReason) -> PriorityReasonRead:
    return PriorityReasonRead(
        rule=row.rule,
        points=row.points,
        evidence=row.evidence,
        explanation=LocalizedText.model_validate(explain(row.rule, row.points, row.evidence)),
    )

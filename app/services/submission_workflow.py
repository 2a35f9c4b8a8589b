"""The life of a submission after intake: review, classification, decision, withdrawal, history.

``received -> under_review -> decided``; ``withdrawn`` by the submitter before a decision. A
decision may also be taken straight from ``received`` (an obvious duplicate needs no review).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, InvalidTransition, UnprocessableEntity
from app.core.security import Principal, Role
from app.models.submission import Submission, SubmissionKind, SubmissionStatus
from app.services import audit, classification
from app.services.event_types import EventType
from app.services.submissions import DISPOSITIONS, UNDECIDED, Disposition, emit_event

Status = SubmissionStatus


def _move(submission: Submission, to: Status, *, allowed_from: Sequence[str]) -> str:
    """Change the status or refuse with 409 ``invalid_transition``; returns the former status."""
    former = submission.status
    if former not in allowed_from:
        raise InvalidTransition(from_state=former, to_state=to.value)
    submission.status = to.value
    return former


async def _recorded(
    session: AsyncSession,
    by: Principal,
    action: str,
    submission: Submission,
    former: str,
    details: dict[str, Any] | None = None,
) -> Submission:
    await session.flush()
    await audit.record(
        session,
        by,
        action,
        submission,
        from_state=former,
        to_state=submission.status,
        details=details,
    )
    return submission


async def start_review(
    session: AsyncSession, submission: Submission, *, by: Principal, expected_version: int | None
) -> Submission:
    """An officer takes up a received submission."""
    ensure_version(submission, expected_version)
    former = _move(submission, Status.UNDER_REVIEW, allowed_from=[Status.RECEIVED.value])
    return await _recorded(session, by, "submission.review_started", submission, former)


async def classify(
    session: AsyncSession,
    submission: Submission,
    *,
    by: Principal,
    changes: dict[str, str | None],
    expected_version: int | None,
) -> Submission:
    """Override topic, subtopic and/or priority (None clears one); automatic values stay."""
    ensure_version(submission, expected_version)
    if submission.status not in UNDECIDED:
        raise Conflict(code="submission_closed", status=submission.status)
    classification.override(submission, changes)
    submission.overridden_by, submission.overridden_at = by.sub, clock.now()
    details = {
        "topic": submission.topic,
        "subtopic": submission.subtopic,
        "priority": submission.priority,
    }
    details |= {f"{name}_override": value for name, value in changes.items()}
    await session.flush()
    await audit.record(session, by, "submission.classified", submission, details=details)
    return submission


async def decide(
    session: AsyncSession,
    submission: Submission,
    *,
    by: Principal,
    disposition: Disposition,
    reason: dict[str, Any],
    expected_version: int | None,
) -> Submission:
    """Decide with a disposition valid for the submission's kind and a reason {ar, en}."""
    ensure_version(submission, expected_version)
    former = _move(submission, Status.DECIDED, allowed_from=UNDECIDED)
    kind = SubmissionKind(submission.kind)
    if disposition not in DISPOSITIONS[kind]:
        raise UnprocessableEntity(
            code="invalid_disposition", disposition=disposition.value, kind=kind.value
        )
    submission.disposition, submission.decision_reason = disposition.value, reason
    submission.decided_by, submission.decided_at = by.sub, clock.now()
    details = {"disposition": disposition.value}
    await _recorded(session, by, "submission.decided", submission, former, details)
    await emit_event(session, EventType.SUBMISSION_DECIDED, submission, **details)
    return submission


async def withdraw(
    session: AsyncSession, submission: Submission, *, by: Principal, expected_version: int | None
) -> Submission:
    """The submitter withdraws their input before it is decided."""
    ensure_version(submission, expected_version)
    former = _move(submission, Status.WITHDRAWN, allowed_from=UNDECIDED)
    submission.withdrawn_at = clock.now()
    await _recorded(session, by, "submission.withdrawn", submission, former)
    await emit_event(session, EventType.SUBMISSION_WITHDRAWN, submission)
    return submission


# The role an event is shown under when the actor's id is hidden, most specific first.
ROLE_PRECEDENCE = (
    Role.PARTICIPATION_OFFICER,
    Role.CHANNEL_INTEGRATOR,
    Role.ADMIN,
    Role.ANALYST,
    Role.BENEFICIARY,
)

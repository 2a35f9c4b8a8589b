"""Submissions: intake from every channel, who may read which, lists, and complaint deadlines.

The triage and decision workflow lives in ``services.submission_workflow``.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.crypto import PersonalDataCipher
from app.core.errors import NotFound
from app.core.pagination import PageParams, SortKey, paginate
from app.core.request_context import current_route
from app.core.security import Permission, Principal
from app.core.text import like_pattern, search_text
from app.models.consultation import Channel, Consultation
from app.models.submission import Submission, SubmissionKind, SubmissionStatus
from app.services import audit, classification, deadlines, events
from app.services import consultations as consultation_service
from app.services.classifier import PriorityResult
from app.services.deadlines import LiveDeadline, apply_moves, later_due_dates
from app.services.event_types import EventType
from app.services.references import next_reference
from app.services.working_days import CalendarSnapshot

Status = SubmissionStatus
# Not yet decided or withdrawn: open to triage, decision, withdrawal; complaint clocks run.
UNDECIDED = (Status.RECEIVED.value, Status.UNDER_REVIEW.value)


class Disposition(StrEnum):
    ADOPTED = "adopted"
    PARTIALLY_ADOPTED = "partially_adopted"
    NOT_ADOPTED = "not_adopted"
    RESOLVED = "resolved"
    REFERRED = "referred"
    UNFOUNDED = "unfounded"
    DUPLICATE = "duplicate"
    OUT_OF_SCOPE = "out_of_scope"


_INPUT_DISPOSITIONS = frozenset(
    {
        Disposition.ADOPTED,
        Disposition.PARTIALLY_ADOPTED,
        Disposition.NOT_ADOPTED,
        Disposition.OUT_OF_SCOPE,
        Disposition.DUPLICATE,
    }
)
DISPOSITIONS: dict[SubmissionKind, frozenset[Disposition]] = {
    SubmissionKind.SUGGESTION: _INPUT_DISPOSITIONS,
    SubmissionKind.COMMENT: _INPUT_DISPOSITIONS,
    SubmissionKind.COMPLAINT: frozenset(
        {
            Disposition.RESOLVED,
            Disposition.REFERRED,
            Disposition.UNFOUNDED,
            Disposition.DUPLICATE,
            Disposition.OUT_OF_SCOPE,
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Intake:
    """What a submitter or a channel sent, validated by the schema."""

    kind: SubmissionKind
    channel: Channel
    body: str
    consultation_id: uuid.UUID | None = None
    contact: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ComplaintClock:
    """The calendar and the working-day period a complaint's response is due in."""

    snapshot: CalendarSnapshot
    working_days: int


# -- who reads what ------------------------------------------------------------------------------


def handles(principal: Principal) -> bool:
    """Participation officers handle submissions: they see all, with personal data (audited)."""
    return principal.has(Permission.SUBMISSIONS_TRIAGE)


def readable(principal: Principal, *, analysts: bool = True) -> Select[Submission]:
    """Officers (and analysts, unless excluded) see every submission; others their own."""
    if handles(principal) or (analysts and principal.has(Permission.ANALYTICS_READ)):
        return select(Submission)
    return select(Submission).where(Submission.submitter_sub == principal.sub)


async def get_readable(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, *, analysts: bool = True
) -> Submission:
    """The submission, or 404 when it does not exist or the caller may not read it."""
    statement = readable(principal, analysts=analysts).where(Submission.id == submission_id)
    return _found(await session.scalar(statement))


async def get_own(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> Submission:
    """The caller's own submission (as its submitter), else 404."""
    statement = select(Submission).where(
        Submission.id == submission_id, Submission.submitter_sub == principal.sub
    )
    return _found(await session.scalar(statement))


def _found(submission: Submission | None) -> Submission:
    if submission is None:
        raise NotFound(code="submission_not_found")
    return submission


@dataclass(frozen=True, slots=True)
class PersonalData:
    contact: dict[str, Any] | None
    source_handle: str | None


async def read_personal_data(
    session: AsyncSession, principal: Principal, submission: Submission, cipher: PersonalDataCipher
) -> PersonalData | None:
    """Decrypted contact details for the submitter and officers, else None.

    Every officer's read of stored personal data is audited (what was read, through which route,
    never the values); the owner's access log lists these reads.
    """
    owner = submission.submitter_sub is not None and submission.submitter_sub == principal.sub
    if not (owner or handles(principal)):
        return None
    stored = {
        "contact": submission.contact_encrypted,
        "source_handle": submission.source_handle_encrypted,
    }
    read = {name: cipher.decrypt(token) for name, token in stored.items() if token is not None}
    if read and not owner:
        fields = sorted(read)
        await audit.record(
            session,
            principal,
            "submission.personal_data_read",
            submission,
            details={"fields": fields, "route": current_route()},
        )
    handle = read.get("source_handle")
    return PersonalData(read.get("contact"), handle["handle"] if handle else None)


# -- intake --------------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    *,
    by: Principal,
    intake: Intake,
    complaints: ComplaintClock,
    cipher: PersonalDataCipher,
) -> Submission:
    """File a beneficiary's input now, through one of the emirate's own channels."""
    submission, priority = await _new(session, by, intake, clock.now(), complaints, cipher)
    submission.submitter_sub = by.sub
    session.add(submission)
    await session.flush()
    await classification.store_reasons(session, submission, priority)
    await _audit_intake(session, by, "submission.received", submission)
    return submission


async def import_submission(
    session: AsyncSession,
    *,
    by: Principal,
    intake: Intake,
    external_id: str,
    received_at: datetime,
    source_handle: str | None,
    complaints: ComplaintClock,
    cipher: PersonalDataCipher,
) -> tuple[Submission, bool]:
    """Import input from a channel; ``(submission, created)``.

    Idempotent on ``(channel, external_id)``: a repeat returns the stored submission unchanged,
    even if its content differs (the first import is the record). The unique constraint is the
    guard against concurrent repeats; the insert runs in a savepoint so a losing racer can still
    read the winner's row.
    """
    existing = await _imported(session, intake.channel, external_id)
    if existing is not None:
        return existing, False
    submission, priority = await _new(session, by, intake, received_at, complaints, cipher)
    submission.external_id, submission.imported_by = external_id, by.sub
    if source_handle is not None:
        submission.source_handle_encrypted = cipher.encrypt({"handle": source_handle})
    try:
        async with session.begin_nested():
            session.add(submission)
    except IntegrityError:
        existing = await _imported(session, intake.channel, external_id)
        if existing is None:
            raise
        return existing, False
    await classification.store_reasons(session, submission, priority)
    await _audit_intake(session, by, "submission.imported", submission)
    return submission, True


async def _imported(session: AsyncSession, channel: Channel, external_id: str) -> Submission | None:
    statement = select(Submission).where(
        Submission.channel == channel.value, Submission.external_id == external_id
    )
    return await session.scalar(statement)


async def _new(
    session: AsyncSession,
    by: Principal,
    intake: Intake,
    received_at: datetime,
    complaints: ComplaintClock,
    cipher: PersonalDataCipher,
) -> tuple[Submission, PriorityResult]:
    """A new, classified submission (not yet added), and the reasons for its priority."""
    consultation = await _accepting_consultation(session, by, intake, received_at)
    submission = Submission(
        kind=intake.kind.value,
        channel=intake.channel.value,
        consultation_id=intake.consultation_id,
        body=intake.body,
        search_text=search_text(intake.body),
        status=Status.RECEIVED.value,
        received_at=received_at,
        contact_encrypted=cipher.encrypt(intake.contact) if intake.contact else None,
    )
    if intake.kind is SubmissionKind.COMPLAINT:
        submission.response_working_days = complaints.working_days
        submission.response_due_date = complaints.snapshot.due_date(
            received_at, complaints.working_days
        )
        submission.calendar_version = complaints.snapshot.version
    topic = consultation.topic if consultation else None
    priority = await classification.classify_submission(
        session, submission, consultation_topic=topic
    )
    # Last: the counter row stays locked until the transaction ends, so every other intake waits
    # for this one from here on.
    submission.reference = await next_reference(session, "SUB")
    return submission, priority


async def _accepting_consultation(
    session: AsyncSession, by: Principal, intake: Intake, received_at: datetime
) -> Consultation | None:
    """The linked consultation, which must have been open to this channel when input arrived."""
    if intake.consultation_id is None:
        return None
    consultation = await consultation_service.get_readable(session, by, intake.consultation_id)
    consultation_service.ensure_accepting(consultation, intake.channel.value, now=received_at)
    return consultation


async def _audit_intake(
    session: AsyncSession, by: Principal, action: str, submission: Submission
) -> None:
    details = {"kind": submission.kind, "channel": submission.channel}
    await audit.record(session, by, action, submission, to_state=submission.status, details=details)
    consultation, due = submission.consultation_id, submission.response_due_date
    await emit_event(
        session,
        EventType.SUBMISSION_RECEIVED,
        submission,
        **details,
        consultation_id=str(consultation) if consultation else None,
        response_due_date=due.isoformat() if due else None,
    )


async def emit_event(
    session: AsyncSession, event_type: EventType, submission: Submission, **data: Any
) -> None:
    """The outbox event beside the audit record: the submitter (none for anonymous channel
    input) owns it; ``data`` holds codes and dates only, never the body or contact."""
    await events.emit(
        session,
        event_type,
        submission,
        reference=submission.reference,
        owner=submission.submitter_sub,
        data={"status": submission.status, **data},
    )


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    channel: str | None = None
    consultation_id: uuid.UUID | None = None
    topic: str | None = None
    subtopic: str | None = None
    priority: str | None = None
    overdue: bool | None = None
    q: str | None = None


def is_overdue(submission: Submission, today: date) -> bool:
    """A complaint still undecided after its due date (``today`` is the Asia/Riyadh date)."""
    due = submission.response_due_date
    return submission.status in UNDECIDED and due is not None and due < today


def overdue_condition(today: date) -> ColumnElement[bool]:
    """The SQL twin of ``is_overdue``."""
    s = Submission
    due = s.response_due_date
    return and_(s.status.in_(UNDECIDED), due.is_not(None), due < today)


def _conditions(filters: Filters, today: date) -> list[ColumnElement[bool]]:
    s = Submission
    equal = {
        s.status: filters.status,
        s.kind: filters.kind,
        s.channel: filters.channel,
        s.consultation_id: filters.consultation_id,
        s.topic: filters.topic,
        s.subtopic: filters.subtopic,
        s.priority: filters.priority,
    }
    conditions = [column == value for column, value in equal.items() if value is not None]
    if filters.overdue is not None:
        overdue = overdue_condition(today)
        conditions.append(overdue if filters.overdue else not_(overdue))
    if filters.q:
        conditions.append(s.search_text.like(like_pattern(filters.q), escape="\\"))
    return conditions


async def list_submissions(
    session: AsyncSession, principal: Principal, *, filters: Filters, today: date, page: PageParams
) -> tuple[list[Submission], str | None]:
    """Newest first; officers and analysts see all, a beneficiary their own."""
    statement = readable(principal).where(*_conditions(filters, today))
    keys = [SortKey(Submission.received_at, descending=True), SortKey(Submission.id, True)]
    return await paginate(session, statement, keys=keys, page=page)


# -- complaint deadlines follow the calendar -----------------------------------------------------


@deadlines.register("submissions")
async def recompute_complaint_deadlines(
    session: AsyncSession, snapshot: CalendarSnapshot, by: Principal | None
) -> int:
    """Move undecided complaints' due dates later when the calendar now says so."""
    s = Submission
    rows = await session.execute(
        select(s.id, s.received_at, s.response_working_days, s.response_due_date).where(
            s.kind == SubmissionKind.COMPLAINT.value,
            s.status.in_(UNDECIDED),
            s.response_due_date.is_not(None),
            s.response_working_days.is_not(None),
        )
    )
    live = [
        LiveDeadline(str(key), received_at, working_days, due)
        for key, received_at, working_days, due in rows
        if working_days is not None and due is not None
    ]
    moves = later_due_dates(snapshot, live)
    return await apply_moves(session, Submission, "response_due_date", moves, snapshot, by)

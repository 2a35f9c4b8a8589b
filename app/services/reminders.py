"""Time-based events: deadline reminders and escalation, complaint responses due, consultations
closing, feedback due.

Nothing changes state at these moments; the clock crosses a threshold. The worker calls
``emit_due`` every tick and it emits, for every open item, the event of the stage the item is
in *now*, once. A stage the worker missed (it was stopped over that day) is not sent late.

Exactly once, also with several workers: each event carries the unique
``dedupe_key = f"{type}:{entity_id}:{due_date}"``. Keys already stored are skipped (one query
for all candidates); a key another worker inserts at the same moment fails only its own
savepoint, never the batch. The due date is part of the key, so a deadline that moves later
(a calendar edit, a clarification pause, a reopening) earns its reminders again.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from app.core.config import Settings
from app.core.security import Role
from app.models.appeal import Appeal
from app.models.consultation import Consultation, ConsultationStatus
from app.models.event import Event
from app.models.information_request import InformationRequest
from app.models.submission import Submission, SubmissionKind
from app.services import appeals, events, information_requests, submissions
from app.services.audit import Auditable
from app.services.consultations import FeedbackTerms, status_filter
from app.services.event_types import EventType
from app.services.working_days import CalendarSnapshot

# Bound parameters per existence query (SQLite accepts a few thousand at most).
KEY_CHUNK = 500
# The catalogue lists each item's stages in the order they happen (overdue before escalated).
_RANK = {event_type: rank for rank, event_type in enumerate(EventType)}


class Stage(StrEnum):
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ESCALATED = "escalated"


REQUEST_EVENTS = {
    Stage.DUE_SOON: EventType.REQUEST_DUE_SOON,
    Stage.DUE_TODAY: EventType.REQUEST_DUE_TODAY,
    Stage.OVERDUE: EventType.REQUEST_OVERDUE,
    Stage.ESCALATED: EventType.REQUEST_ESCALATED,
}
APPEAL_EVENTS = {
    Stage.DUE_SOON: EventType.APPEAL_DUE_SOON,
    Stage.DUE_TODAY: EventType.APPEAL_DUE_TODAY,
    Stage.OVERDUE: EventType.APPEAL_OVERDUE,
    Stage.ESCALATED: EventType.APPEAL_ESCALATED,
}
# Complaints have no escalation stage: nobody is assigned to them, the officers hear it all.
COMPLAINT_EVENTS = {
    Stage.DUE_SOON: EventType.SUBMISSION_DUE_SOON,
    Stage.DUE_TODAY: EventType.SUBMISSION_DUE_TODAY,
    Stage.OVERDUE: EventType.SUBMISSION_OVERDUE,
}
# Undecided statuses written into the SQL as literals: PostgreSQL then matches the partial index
# ix_submissions_undecided_response_due_date also in a prepared statement's generic plan, where
# a bound list could not prove the index's predicate.
UNDECIDED_LITERALLY: BindParameter[list[str]] = bindparam(
    "undecided", list(submissions.UNDECIDED), expanding=True, literal_execute=True
)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One time-based event to emit, with its audience (account ids and roles only)."""

    type: EventType
    entity: Auditable
    due: date
    reference: str
    data: Mapping[str, Any]
    owner: str | None = None
    handler: str | None = None
    roles: tuple[Role, ...] = ()

    @property
    def dedupe_key(self) -> str:
        return f"{self.type.value}:{self.entity.id}:{self.due.isoformat()}"

    @property
    def order(self) -> tuple[str, date, int]:
        """A total order every worker agrees on; an item's stages in their natural order."""
        return str(self.entity.id), self.due, _RANK[self.type]


@dataclass(frozen=True)
class Tick:
    """One pass: the calendar, the instant, and the configured thresholds."""

    snapshot: CalendarSnapshot
    now: datetime
    due_soon_working_days: int
    escalate_after_working_days: int
    escalation_role: Role
    feedback: FeedbackTerms
    feedback_due_soon_days: int
    today: date = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", self.snapshot.local_date(self.now))

    @classmethod
    def of(cls, settings: Settings, snapshot: CalendarSnapshot, now: datetime) -> "Tick":
        return cls(
            snapshot=snapshot,
            now=now,
            due_soon_working_days=settings.reminder_due_soon_working_days,
            escalate_after_working_days=settings.escalation_after_working_days,
            escalation_role=settings.escalation_role,
            feedback=FeedbackTerms(snapshot, settings.feedback_period_days),
            feedback_due_soon_days=settings.feedback_due_soon_days,
        )

    @property
    def horizon(self) -> date:
        """The latest due date that is already due soon: nothing later is a candidate."""
        return self.snapshot.add_working_days(self.today, self.due_soon_working_days)


async def emit_due(
    session: AsyncSession, settings: Settings, snapshot: CalendarSnapshot, now: datetime
) -> int:
    """Emit every time-based event due at ``now`` and not emitted before; the number emitted.

    Adds to the caller's transaction (flushes, never commits).
    """
    tick = Tick.of(settings, snapshot, now)
    reminders = [
        *await _request_reminders(session, tick),
        *await _appeal_reminders(session, tick),
        *await _complaint_reminders(session, tick),
        *await _consultation_reminders(session, tick),
    ]
    return await _insert_new(session, reminders)


# -- stages --------------------------------------------------------------------------------------


def deadline_stages(tick: Tick, due: date) -> list[tuple[Stage, dict[str, Any]]]:
    """The stages an open item due on ``due`` is in today: a reminder, and escalation if due."""
    today, snapshot = tick.today, tick.snapshot
    if today < due:
        left = snapshot.working_days_between(today, due)
        soon = 0 < left <= tick.due_soon_working_days
        return [(Stage.DUE_SOON, {"working_days_left": left})] if soon else []
    if today == due:
        return [(Stage.DUE_TODAY, {"working_days_left": 0})]
    overdue = {"working_days_overdue": snapshot.working_days_between(due, today)}
    stages = [(Stage.OVERDUE, overdue)]
    if today > escalation_date(snapshot, due, tick.escalate_after_working_days):
        stages.append((Stage.ESCALATED, overdue))
    return stages


def escalation_date(snapshot: CalendarSnapshot, due: date, after_working_days: int) -> date:
    """The last day before escalation: the due date extended by the grace in working days.

    Escalation starts the day after it, as being overdue starts the day after the due date, so
    a grace of 0 escalates together with overdue.
    """
    if after_working_days == 0:
        return due
    return snapshot.add_working_days(due, after_working_days)


def _dated(due: date, data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    return {**events.dated(f"{prefix}due_date", due), **data}


# -- information requests and appeals ------------------------------------------------------------


async def _request_reminders(session: AsyncSession, tick: Tick) -> list[Reminder]:
    """Live requests due by the horizon; paused ones have no due date and are left out."""
    r = InformationRequest
    statement = (
        select(r)
        .options(load_only(r.reference, r.requester_sub, r.assigned_to, r.due_date, r.version))
        .where(r.status.in_(information_requests.LIVE))
        .where(r.due_date.is_not(None), r.due_date <= tick.horizon)
    )
    reminders = []
    for row in await session.scalars(statement):
        assert row.due_date is not None  # selected so
        unassigned = () if row.assigned_to else (Role.INFORMATION_OFFICER,)
        audience = _Audience(row.requester_sub, row.assigned_to, unassigned)
        reminders += _deadline_reminders(tick, row, row.due_date, REQUEST_EVENTS, audience)
    return reminders


async def _appeal_reminders(session: AsyncSession, tick: Tick) -> list[Reminder]:
    a = Appeal
    statement = (
        select(a)
        .options(load_only(a.reference, a.appellant_sub, a.reviewer_sub, a.due_date, a.version))
        .where(a.status.in_(appeals.LIVE), a.due_date <= tick.horizon)
    )
    reminders = []
    for row in await session.scalars(statement):
        unassigned = () if row.reviewer_sub else (Role.APPEALS_OFFICER,)
        audience = _Audience(row.appellant_sub, row.reviewer_sub, unassigned)
        reminders += _deadline_reminders(tick, row, row.due_date, APPEAL_EVENTS, audience)
    return reminders


async def _complaint_reminders(session: AsyncSession, tick: Tick) -> list[Reminder]:
    """Undecided complaints due by the horizon; imported ones may have no submitter."""
    s = Submission
    statement = (
        select(s)
        .options(load_only(s.reference, s.submitter_sub, s.response_due_date, s.version))
        .where(s.status.in_(UNDECIDED_LITERALLY), s.response_due_date <= tick.horizon)
        .where(s.kind == SubmissionKind.COMPLAINT.value)
    )
    reminders = []
    for row in await session.scalars(statement):
        assert row.response_due_date is not None  # selected so
        audience = _Audience(row.submitter_sub, None, (Role.PARTICIPATION_OFFICER,))
        due = row.response_due_date
        reminders += _deadline_reminders(tick, row, due, COMPLAINT_EVENTS, audience)
    return reminders


@dataclass(frozen=True, slots=True)
class _Audience:
    owner: str | None
    handler: str | None
    roles: tuple[Role, ...]  # while nobody handles the item, every holder of the role is told


def _deadline_reminders(
    tick: Tick,
    row: InformationRequest | Appeal | Submission,
    due: date,
    types: Mapping[Stage, EventType],
    audience: _Audience,
) -> list[Reminder]:
    reminders = []
    for stage, data in deadline_stages(tick, due):
        if stage not in types:  # an item without that stage (a complaint never escalates)
            continue
        roles = (tick.escalation_role,) if stage is Stage.ESCALATED else audience.roles
        reminders.append(
            Reminder(
                types[stage],
                row,
                due,
                row.reference,
                _dated(due, data),
                owner=audience.owner,
                handler=audience.handler,
                roles=roles,
            )
        )
    return reminders


# -- consultations -------------------------------------------------------------------------------


async def _consultation_reminders(session: AsyncSession, tick: Tick) -> list[Reminder]:
    """Closed consultations still waiting for their feedback report (a published report, a
    cancellation or a draft never is a candidate)."""
    c = Consultation
    statement = (
        select(c)
        .options(load_only(c.reference, c.closes_at, c.version))
        .where(status_filter(ConsultationStatus.CLOSED, tick.now))
    )
    return [
        reminder
        for row in await session.scalars(statement)
        for reminder in (_closed(tick, row), *_feedback_due(tick, row))
    ]


def _closed(tick: Tick, consultation: Consultation) -> Reminder:
    """Its status became ``closed`` with the clock: this is the only ``consultation.closed``."""
    closing_date = tick.snapshot.local_date(consultation.closes_at)
    feedback_due = tick.feedback.due_date(consultation)
    data = {
        "closed_at": consultation.closes_at.isoformat(),
        **_dated(feedback_due, {}, "feedback_"),
    }
    return Reminder(
        EventType.CONSULTATION_CLOSED,
        consultation,
        closing_date,
        consultation.reference,
        data,
        roles=(Role.PARTICIPATION_OFFICER,),
    )


def _feedback_due(tick: Tick, consultation: Consultation) -> list[Reminder]:
    """Feedback due soon (calendar days before its due date, the due date included) or overdue."""
    due = tick.feedback.due_date(consultation)
    if tick.now > tick.feedback.due_at(consultation):
        kind, data = EventType.FEEDBACK_REPORT_OVERDUE, {"days_overdue": (tick.today - due).days}
    elif (due - tick.today).days <= tick.feedback_due_soon_days:
        kind, data = EventType.FEEDBACK_REPORT_DUE_SOON, {"days_left": (due - tick.today).days}
    else:
        return []
    return [
        Reminder(
            kind,
            consultation,
            due,
            consultation.reference,
            _dated(due, data),
            roles=(Role.PARTICIPATION_OFFICER,),
        )
    ]


# -- writing each event once ---------------------------------------------------------------------


async def _insert_new(session: AsyncSession, reminders: Iterable[Reminder]) -> int:
    # Every worker inserts in the same order, so two racing workers wait on each other's keys
    # in the same order and can never deadlock.
    ordered = sorted(reminders, key=lambda reminder: reminder.order)
    stored = await _existing_keys(session, [reminder.dedupe_key for reminder in ordered])
    fresh = [reminder for reminder in ordered if reminder.dedupe_key not in stored]
    return sum([await _insert_once(session, reminder) for reminder in fresh])


async def _existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        statement = select(Event.dedupe_key).where(Event.dedupe_key.in_(chunk))
        found.update(key for key in await session.scalars(statement) if key is not None)
    return found


async def _insert_once(session: AsyncSession, reminder: Reminder) -> int:
    """Insert the event and its notifications in a savepoint; 0 if another worker was first.

    On PostgreSQL a key inserted by a transaction still running makes this insert wait for it,
    then fail with a unique violation if it committed. Rolling back the savepoint discards the
    event and its notifications together, and the rest of the batch goes on.
    """
    try:
        async with session.begin_nested():
            await events.emit(
                session,
                reminder.type,
                reminder.entity,
                reference=reminder.reference,
                owner=reminder.owner,
                handler=reminder.handler,
                roles=reminder.roles,
                data=reminder.data,
                dedupe_key=reminder.dedupe_key,
            )
    except IntegrityError as exc:
        if "dedupe_key" not in str(exc.orig):
            raise
        return 0
    return 1

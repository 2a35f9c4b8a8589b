"""Consultations: derived status, who may see which, and the rules other resources rely on."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, InvalidTransition, NotFound, UnprocessableEntity
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Permission, Principal
from app.core.text import like_pattern, search_text
from app.models.consultation import Channel, Consultation, ConsultationStatus, Topic
from app.schemas.consultations import ConsultationCreate
from app.services import audit, events
from app.services.calendar import ensure_in_range
from app.services.event_types import EventType
from app.services.references import next_reference
from app.services.working_days import CalendarSnapshot

Status = ConsultationStatus


def status_of(consultation: Consultation, now: datetime | None = None) -> ConsultationStatus:
    """Derived from stored facts and the clock; nothing ever writes a status."""
    now = now or clock.now()
    if consultation.cancelled_at is not None:
        return Status.CANCELLED
    if consultation.published_at is None:
        return Status.DRAFT
    if consultation.feedback_published_at is not None:
        return Status.FEEDBACK_PUBLISHED
    if now < consultation.opens_at:
        return Status.SCHEDULED
    if now < consultation.closes_at:
        return Status.OPEN
    return Status.CLOSED


def status_filter(status: ConsultationStatus, now: datetime) -> ColumnElement[bool]:
    """The SQL condition equivalent to ``status_of(row) == status``."""
    c = Consultation
    live = and_(
        c.cancelled_at.is_(None), c.published_at.is_not(None), c.feedback_published_at.is_(None)
    )
    conditions: dict[ConsultationStatus, ColumnElement[bool]] = {
        Status.CANCELLED: c.cancelled_at.is_not(None),
        Status.DRAFT: and_(c.cancelled_at.is_(None), c.published_at.is_(None)),
        Status.FEEDBACK_PUBLISHED: and_(
            c.cancelled_at.is_(None), c.feedback_published_at.is_not(None)
        ),
        Status.SCHEDULED: and_(live, c.opens_at > now),
        Status.OPEN: and_(live, c.opens_at <= now, c.closes_at > now),
        Status.CLOSED: and_(live, c.closes_at <= now),
    }
    return conditions[status]


def feedback_due_at(consultation: Consultation, snapshot: CalendarSnapshot, days: int) -> datetime:
    """End of the day ``days`` calendar days after the closing date (Asia/Riyadh)."""
    closing_date = snapshot.local_date(consultation.closes_at)
    return snapshot.deadline_instant(closing_date + timedelta(days=days))


def can_see_drafts(principal: Principal | None) -> bool:
    return principal is not None and principal.has(Permission.CONSULTATIONS_MANAGE)


def readable(principal: Principal | None) -> Select[Consultation]:
    """Consultations the caller may see: officers all, everyone else the published ones."""
    visible = true() if can_see_drafts(principal) else Consultation.published_at.is_not(None)
    return select(Consultation).where(visible)


async def get_readable(
    session: AsyncSession, principal: Principal | None, consultation_id: uuid.UUID
) -> Consultation:
    """The consultation, or 404 when it does not exist or the caller may not see it."""
    statement = readable(principal).where(Consultation.id == consultation_id)
    consultation = await session.scalar(statement)
    if consultation is None:
        raise NotFound(code="consultation_not_found")
    return consultation


def ensure_accepting(consultation: Consultation, channel: str, now: datetime | None = None) -> None:
    """Input may arrive only while open, and only through a channel the consultation accepts."""
    if status_of(consultation, now) is not Status.OPEN:
        raise Conflict(code="consultation_not_open", status=status_of(consultation, now).value)
    if channel not in consultation.channels:
        raise Conflict(code="channel_not_accepted", channel=channel)


# -- the feedback deadline -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackTerms:
    """The calendar and the period (calendar days) that set a consultation's feedback deadline."""

    snapshot: CalendarSnapshot
    days: int

    def due_at(self, consultation: Consultation) -> datetime:
        return feedback_due_at(consultation, self.snapshot, self.days)

    def due_date(self, consultation: Consultation) -> date:
        return self.snapshot.local_date(self.due_at(consultation))

    def local(self, instant: datetime) -> datetime:
        """An instant shown in the calendar's time zone (deadlines read as local dates)."""
        return instant.astimezone(ZoneInfo(self.snapshot.timezone))

    def overdue(self, consultation: Consultation, now: datetime) -> bool:
        """Closed, no published report (else it would be feedback_published), past the due time."""
        return status_of(consultation, now) is Status.CLOSED and now > self.due_at(consultation)


# -- lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationFilters:
    status: ConsultationStatus | None = None
    topic: Topic | None = None
    channel: Channel | None = None
    opens_after: datetime | None = None
    closes_before: datetime | None = None
    q: str | None = None
    reference: str | None = None


LIST_ORDER = (SortKey(Consultation.opens_at, descending=True), SortKey(Consultation.id, True))


async def list_consultations(
    session: AsyncSession,
    principal: Principal | None,
    *,
    filters: ConsultationFilters,
    page: PageParams,
) -> tuple[list[Consultation], str | None]:
    """Newest opening first; the public sees published consultations only."""
    dialect = session.get_bind().dialect.name
    statement = readable(principal).where(*_conditions(filters, dialect, clock.now()))
    return await paginate(session, statement, keys=LIST_ORDER, page=page)


def _conditions(
    filters: ConsultationFilters, dialect: str, now: datetime
) -> list[ColumnElement[bool]]:
    c = Consultation
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(status_filter(filters.status, now))
    if filters.topic is not None:
        conditions.append(c.topic == filters.topic.value)
    if filters.channel is not None:
        conditions.append(accepts_channel(filters.channel, dialect))
    if filters.opens_after is not None:
        conditions.append(c.opens_at >= filters.opens_after)
    if filters.closes_before is not None:
        conditions.append(c.closes_at <= filters.closes_before)
    if filters.q is not None:
        conditions.append(c.search_text.like(like_pattern(filters.q), escape="\\"))
    if filters.reference is not None:
        conditions.append(c.reference == filters.reference)
    return conditions


def accepts_channel(channel: Channel, dialect: str) -> ColumnElement[bool]:
    """Consultations whose JSON ``channels`` list holds the channel, as an element, not as text.

    JSONB containment on PostgreSQL; a correlated ``json_each`` on SQLite.
    """
    if dialect == "postgresql":
        return type_coerce(Consultation.channels, JSONB).contains([channel.value])
    elements = func.json_each(Consultation.channels).table_valued("value")
    return exists().where(elements.c.value == channel.value)


# -- writes ----------------------------------------------------------------------------------------

EDITABLE = frozenset({Status.DRAFT, Status.SCHEDULED})
CANCELLABLE = frozenset({Status.DRAFT, Status.SCHEDULED, Status.OPEN})
PUBLISHED = f"{Status.SCHEDULED.value}/{Status.OPEN.value}"  # where publishing leads


async def create(
    session: AsyncSession, *, by: Principal, data: ConsultationCreate, terms: FeedbackTerms
) -> Consultation:
    """A new draft, numbered CON-YYYY-NNNNNN; nobody but officers sees it until published."""
    consultation = Consultation(
        title=data.title.model_dump(exclude_none=True),
        summary=data.summary.model_dump(exclude_none=True),
        topic=data.topic.value,
        opens_at=data.opens_at.astimezone(UTC),
        closes_at=data.closes_at.astimezone(UTC),
        channels=[channel.value for channel in data.channels],
        live_results=data.live_results,
        created_by=by.sub,
    )
    _check_period(consultation, terms)
    _index(consultation)
    consultation.reference = await next_reference(session, "CON")
    session.add(consultation)
    await session.flush()
    await audit.record(
        session, by, "consultation.created", consultation, to_state=Status.DRAFT.value
    )
    return consultation


async def update(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    changes: Mapping[str, Any],
    terms: FeedbackTerms,
    expected_version: int | None,
) -> Consultation:
    """Change a draft or scheduled consultation; once open, what people answered stays fixed."""
    ensure_version(consultation, expected_version)
    now = clock.now()
    before = status_of(consultation, now)
    if before not in EDITABLE:
        raise Conflict(code="consultation_not_editable", status=before.value)
    if not changes:
        return consultation
    _assign(consultation, changes)
    _check_period(consultation, terms)
    if before is Status.SCHEDULED:
        _ensure_not_over(consultation, now)
    _index(consultation)
    await session.flush()
    after = status_of(consultation, now)
    await audit.record(
        session,
        by,
        "consultation.updated",
        consultation,
        from_state=before.value,
        to_state=after.value,
        details={"fields": sorted(changes)},
    )
    return consultation


async def publish(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    terms: FeedbackTerms,
    expected_version: int | None,
) -> Consultation:
    """Make a draft public: scheduled until it opens, open if its opening time has come."""
    ensure_version(consultation, expected_version)
    now = clock.now()
    before = status_of(consultation, now)
    if before is not Status.DRAFT:
        raise InvalidTransition(from_state=before.value, to_state=PUBLISHED)
    _ensure_not_over(consultation, now)
    target = Status.SCHEDULED if now < consultation.opens_at else Status.OPEN
    consultation.published_at = now
    await session.flush()
    await audit.record(
        session,
        by,
        "consultation.published",
        consultation,
        from_state=before.value,
        to_state=target.value,
    )
    await _emit(session, EventType.CONSULTATION_PUBLISHED, consultation, target.value, terms)
    return consultation


async def cancel(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    terms: FeedbackTerms,
    expected_version: int | None,
) -> Consultation:
    """Cancel a draft, scheduled or open consultation; closed ones keep their feedback duty."""
    ensure_version(consultation, expected_version)
    now = clock.now()
    before = status_of(consultation, now)
    if before not in CANCELLABLE:
        raise InvalidTransition(from_state=before.value, to_state=Status.CANCELLED.value)
    consultation.cancelled_at = now
    await session.flush()
    await audit.record(
        session,
        by,
        "consultation.cancelled",
        consultation,
        from_state=before.value,
        to_state=Status.CANCELLED.value,
    )
    await _emit(
        session, EventType.CONSULTATION_CANCELLED, consultation, Status.CANCELLED.value, terms
    )
    return consultation


async def _emit(
    session: AsyncSession,
    event_type: EventType,
    consultation: Consultation,
    status: str,
    terms: FeedbackTerms,
) -> None:
    """The outbox event beside the audit record: the public facts of the consultation."""
    data = {
        "status": status,
        "topic": consultation.topic,
        "opens_at": consultation.opens_at.isoformat(),
        "closes_at": consultation.closes_at.isoformat(),
        "feedback_due_at": terms.local(terms.due_at(consultation)).isoformat(),
    }
    reference = consultation.reference
    await events.emit(session, event_type, consultation, reference=reference, data=data)


def _check_period(consultation: Consultation, terms: FeedbackTerms) -> None:
    if consultation.closes_at <= consultation.opens_at:
        raise UnprocessableEntity(
            errors=[
                {
                    "field": "body.closes_at",
                    "message": "closes_at must be after opens_at",
                    "type": "value_error",
                }
            ]
        )
    # Every date the consultation answers with needs its Hijri companion.
    ensure_in_range(terms.snapshot.local_date(consultation.opens_at), terms.due_date(consultation))


def _assign(consultation: Consultation, changes: Mapping[str, Any]) -> None:
    for field, value in changes.items():
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        setattr(consultation, field, value)


def _ensure_not_over(consultation: Consultation, now: datetime) -> None:
    if consultation.closes_at <= now:
        raise Conflict(code="consultation_closing_passed")


def _index(consultation: Consultation) -> None:
    title, summary = consultation.title, consultation.summary
    consultation.search_text = search_text(
        title.get("ar"), title.get("en"), summary.get("ar"), summary.get("en")
    )

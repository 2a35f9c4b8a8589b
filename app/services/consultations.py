"""Consultations: derived status, who may see which, and the rules other resources rely on."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import Conflict, NotFound
from app.core.security import Permission, Principal
from app.models.consultation import Consultation, ConsultationStatus
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

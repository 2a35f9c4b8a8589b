"""Shaping information requests for responses: receipts, rows, details and the explained clock.

Who sees what is decided here: officers' ids only for officers, contact details only when the
route read them (and audited the read).
"""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.core import clock
from app.core.concurrency import set_etag
from app.core.security import Principal
from app.models.information_request import (
    Clarification,
    ClockOrigin,
    InformationRequest,
    RequestStatus,
)
from app.schemas.calendar import LedgerDay
from app.schemas.common import LocalizedText
from app.schemas.information_requests import (
    ClarificationRead,
    InformationRequestCreate,
    InformationRequestRead,
    InformationRequestReceipt,
    LegalGroundCitation,
    RequesterCategory,
)
from app.schemas.submissions import ContactRead
from app.services import information_requests as request_service
from app.services import request_clock
from app.services import request_handling as handling
from app.services.calendar import hijri
from app.services.working_days import CalendarSnapshot

ONE_DAY = timedelta(days=1)


def requester_category(body: InformationRequestCreate, principal: Principal) -> str | None:
    """The category given, else the token's claim when it names one of the categories."""
    if body.requester_category is not None:
        return body.requester_category.value
    claim = principal.beneficiary_category
    return claim if claim in RequesterCategory.__members__.values() else None


def _local(instant: datetime, snapshot: CalendarSnapshot) -> datetime:
    return instant.astimezone(ZoneInfo(snapshot.timezone))


def due_fields(due: date | None, snapshot: CalendarSnapshot) -> dict[str, Any]:
    if due is None:
        return {"due_date": None, "due_date_hijri": None, "due_at": None}
    at = _local(snapshot.deadline_instant(due), snapshot)
    return {"due_date": due, "due_date_hijri": hijri(due), "due_at": at}


def receipt(row: InformationRequest, snapshot: CalendarSnapshot) -> InformationRequestReceipt:
    start = request_clock.segment_start(snapshot, row.clock_origin, row.clock_started_at)
    return InformationRequestReceipt(
        id=row.id,
        reference=row.reference,
        status=RequestStatus(row.status),
        received_at=row.received_at,
        start_date=start,
        start_date_hijri=hijri(start),
        working_days=row.working_days,
        calendar_version=row.calendar_version,
        **due_fields(row.due_date, snapshot),
    )


def segment(row: InformationRequest, snapshot: CalendarSnapshot) -> dict[str, Any]:
    """The running segment's start, the calendar's own due date, the ledger and estimates."""
    if row.due_date is None:
        return {
            "start_date": None,
            "start_date_hijri": None,
            "calendar_due_date": None,
            "estimated": False,
            "ledger": [],
        }
    origin, started_at = row.clock_origin, row.clock_started_at
    start = request_clock.segment_start(snapshot, origin, started_at)
    # A received or reopened segment's start may itself have been pushed past an estimate.
    since = start if origin == ClockOrigin.RESUMED else snapshot.local_date(started_at) - ONE_DAY
    return {
        "start_date": start,
        "start_date_hijri": hijri(start),
        "calendar_due_date": request_clock.due_date(
            snapshot, origin, started_at, row.clock_working_days
        ),
        "estimated": snapshot.estimated_in(since, row.due_date),
        "ledger": [LedgerDay.of(entry) for entry in snapshot.ledger(start, row.due_date)],
    }


SUMMARY_COLUMNS = (
    "id",
    "reference",
    "subject",
    "category",
    "requester_category",
    "status",
    "received_at",
    "remaining_working_days",
    "decided_at",
)


def summary(
    row: InformationRequest, principal: Principal, snapshot: CalendarSnapshot, now: datetime
) -> dict[str, Any]:
    staff = request_service.handles(principal)
    return {name: getattr(row, name) for name in SUMMARY_COLUMNS} | {
        "assigned_to": row.assigned_to if staff else None,
        "overdue": request_service.is_overdue(row, snapshot, now),
        "paused": row.status == RequestStatus.AWAITING_CLARIFICATION,
        **due_fields(row.due_date, snapshot),
    }


async def written(
    session: AsyncSession,
    row: InformationRequest,
    principal: Principal,
    snapshot: CalendarSnapshot,
    response: Response,
) -> InformationRequestRead:
    set_etag(response, row)
    return await detail(session, row, principal, snapshot, None)


async def detail(
    session: AsyncSession,
    row: InformationRequest,
    principal: Principal,
    snapshot: CalendarSnapshot,
    contact: dict[str, Any] | None,
) -> InformationRequestRead:
    """The detail; officers' ids only for officers, contact only when ``contact`` is given."""
    staff = request_service.handles(principal)
    clarifications = await handling.clarifications(session, row)
    return InformationRequestRead(
        **summary(row, principal, snapshot, clock.now()),
        description=row.description,
        preferred_format=row.preferred_format,
        working_days=row.working_days,
        clock_origin=ClockOrigin(row.clock_origin),
        clock_started_at=row.clock_started_at,
        clock_working_days=row.clock_working_days,
        pause_count=row.pause_count,
        paused_at=row.paused_at,
        calendar_version=row.calendar_version,
        clarifications=[_clarification(item, staff) for item in clarifications],
        response=_localized(row.response),
        links=row.response_links,
        legal_grounds=[LegalGroundCitation.model_validate(item) for item in row.legal_grounds],
        explanation=_localized(row.explanation),
        decided_by=row.decided_by if staff else None,
        withdrawn_at=row.withdrawn_at,
        contact=ContactRead.model_validate(contact) if contact else None,
        version=row.version,
    )


def _localized(value: dict[str, Any] | None) -> LocalizedText | None:
    return LocalizedText.model_validate(value) if value else None


def _clarification(item: Clarification, staff: bool) -> ClarificationRead:
    return ClarificationRead(
        id=item.id,
        question=LocalizedText.model_validate(item.question),
        asked_at=item.asked_at,
        asked_by=item.asked_by if staff else None,
        answer=item.answer,
        answered_at=item.answered_at,
    )

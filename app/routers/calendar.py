"""The working-day calendar: public reads and admin holiday edits."""

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime

from app.core.errors import UnprocessableEntity
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import (
    CalendarDep,
    CalendarEditDep,
    CanManageCalendar,
    IfMatch,
    PublicAccess,
    SessionDep,
)
from app.models.holiday import Holiday, HolidaySource
from app.schemas.calendar import (
    CalendarRead,
    DayRead,
    DeadlineRead,
    HolidayCreate,
    HolidayRead,
    HolidaysAdded,
    HolidayUpdate,
    LedgerDay,
    WorkingDaysRead,
)
from app.schemas.common import LocalizedText, Page
from app.schemas.problems import problem_responses
from app.services import calendar as calendar_service
from app.services.calendar import ensure_in_range, hijri

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/calendar",
    tags=["calendar"],
    responses=problem_responses(422),
)
ONE_DAY = timedelta(days=1)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DatePath = Annotated[date, Path(description="ISO 8601 date, e.g. 2026-03-20")]
ADMIN_ERRORS = problem_responses(401, 403, 404, 409, 412)


def holiday_read(row: Holiday) -> HolidayRead:
    return HolidayRead(
        date=row.day,
        date_hijri=hijri(row.day),
        name=LocalizedText.model_validate(row.name),
        source=HolidaySource(row.source),
        confirmed=row.confirmed,
        estimated=row.estimated,
        source_reference=row.source_reference,
        version=row.version,
    )


@router.get("", summary="Calendar rules and version", dependencies=[PublicAccess])
async def get_calendar(snapshot: CalendarDep) -> CalendarRead:
    """Return the weekend, the working-day cut-off, the time zone and the calendar version."""
    return CalendarRead(
        version=snapshot.version,
        timezone=snapshot.timezone,
        weekend=[WEEKDAYS[number] for number in sorted(snapshot.weekend)],
        working_day_cutoff=snapshot.cutoff.strftime("%H:%M"),
    )


@router.get(
    "/holidays",
    summary="List holidays",
    dependencies=[PublicAccess],
    responses=problem_responses(400),  # a cursor not handed out by the service
)
async def list_holidays(
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    year: Annotated[int | None, Query(ge=1925, le=2077)] = None,
) -> Page[HolidayRead]:
    """List holidays in date order, optionally for one Gregorian year."""
    rows, cursor = await calendar_service.list_holidays(session, year=year, page=page)
    return Page[HolidayRead](items=[holiday_read(row) for row in rows], next_cursor=cursor)


@router.get("/days/{day}", summary="Is a date a working day", dependencies=[PublicAccess])
async def get_day(day: DatePath, snapshot: CalendarDep, session: SessionDep) -> DayRead:
    """Say whether a date is a working day, why not, and its Hijri date."""
    ensure_in_range(day)
    holiday = None
    if day in snapshot.holidays:
        holiday = holiday_read(await calendar_service.get_holiday(session, day))
    working = snapshot.is_working_day(day)
    reason = None if working else ("weekend" if day.weekday() in snapshot.weekend else "holiday")
    return DayRead(
        date=day,
        date_hijri=hijri(day),
        weekday=WEEKDAYS[day.weekday()],
        working_day=working,
        reason=reason,
        holiday=holiday,
        calendar_version=snapshot.version,
    )


@router.get("/working-days", summary="Count working days", dependencies=[PublicAccess])
async def count_working_days(
    snapshot: CalendarDep, start: Annotated[date, Query()], end: Annotated[date, Query()]
) -> WorkingDaysRead:
    """Count the working days after start up to and including end."""
    ensure_in_range(start, end)
    if end < start:
        raise UnprocessableEntity(code="invalid_date_range")
    return WorkingDaysRead(
        start=start,
        end=end,
        includes_start=False,
        includes_end=True,
        working_days=snapshot.working_days_between(start, end),
        calendar_version=snapshot.version,
    )


@router.get("/deadline", summary="Compute and explain a deadline", dependencies=[PublicAccess])
async def compute_deadline(
    snapshot: CalendarDep,
    received_at: Annotated[AwareDatetime, Query(description="With offset: 2026-03-19T14:00+03:00")],
    working_days: Annotated[int, Query(ge=1, le=365)],
) -> DeadlineRead:
    """Apply the counting rule and return the due date with a day-by-day ledger."""
    ensure_in_range(received_at.date())
    start = snapshot.start_date(received_at)
    due = snapshot.add_working_days(start, working_days)
    ensure_in_range(start, due)
    return DeadlineRead(
        received_at=received_at,
        start_date=start,
        start_date_hijri=hijri(start),
        due_date=due,
        due_date_hijri=hijri(due),
        due_at=snapshot.deadline_instant(due).astimezone(ZoneInfo(snapshot.timezone)),
        working_days=working_days,
        calendar_version=snapshot.version,
        # From the receipt date: a start pushed past an estimated holiday depends on it too.
        estimated=snapshot.estimated_in(snapshot.local_date(received_at) - ONE_DAY, due),
        ledger=[LedgerDay.of(entry) for entry in snapshot.ledger(start, due)],
    )


@router.post(
    "/holidays", status_code=201, summary="Add a holiday or a break", responses=ADMIN_ERRORS
)
async def add_holidays(
    body: HolidayCreate, session: SessionDep, admin: CanManageCalendar, rules: CalendarEditDep
) -> HolidaysAdded:
    """Add one date or a range (an announced Eid break); live deadlines move later."""
    first, last = body.span()
    rows = await calendar_service.add_holidays(
        session,
        rules,
        by=admin,
        start=first,
        end=last,
        name=body.name.model_dump(exclude_none=True),
        source=body.source,
        confirmed=body.confirmed,
        source_reference=body.source_reference,
    )
    version = await calendar_service.current_version(session)
    return HolidaysAdded(items=[holiday_read(row) for row in rows], calendar_version=version)


@router.patch(
    "/holidays/{day}", summary="Confirm, rename or cite a holiday", responses=ADMIN_ERRORS
)
async def update_holiday(
    day: DatePath,
    body: HolidayUpdate,
    session: SessionDep,
    admin: CanManageCalendar,
    rules: CalendarEditDep,
    response: Response,
    expected_version: IfMatch = None,
) -> HolidayRead:
    """Change a holiday's name, confirmation, source or reference (If-Match honoured)."""
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes:
        changes["name"] = body.name.model_dump(exclude_none=True) if body.name else None
    row = await calendar_service.update_holiday(
        session, rules, by=admin, day=day, changes=changes, expected_version=expected_version
    )
    response.headers["ETag"] = f'W/"{row.version}"'
    return holiday_read(row)


@router.delete(
    "/holidays/{day}", status_code=204, summary="Make a date a working day", responses=ADMIN_ERRORS
)
async def withdraw_holiday(
    day: DatePath,
    session: SessionDep,
    admin: CanManageCalendar,
    rules: CalendarEditDep,
    expected_version: IfMatch = None,
) -> Response:
    """Withdraw a holiday (e.g. a wrong estimate); deadlines never move earlier."""
    await calendar_service.withdraw_holiday(
        session, rules, by=admin, day=day, expected_version=expected_version
    )
    return Response(status_code=204)

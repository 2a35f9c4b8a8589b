"""Live deadlines follow calendar edits: later, never earlier, and every move audited."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime

import httpx
import pytest
from sqlalchemy import Date, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core.db import Database, UTCDateTime, UUIDPrimaryKey
from app.core.security import Principal
from app.models.audit_event import AuditEvent
from app.services import deadlines
from app.services.deadlines import LiveDeadline, audit_moves, later_due_dates
from app.services.working_days import CalendarSnapshot, HolidayInfo, snapshot_from_rows


class ScratchBase(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class Case(UUIDPrimaryKey, ScratchBase):
    """Stands in for a resource with a live deadline; information requests plug in alike."""

    __tablename__ = "scratch_cases"
    received_at: Mapped[datetime]
    working_days: Mapped[int]
    due_date: Mapped[date] = mapped_column(Date)


async def recompute_cases(
    session: AsyncSession, snapshot: CalendarSnapshot, by: Principal | None
) -> int:
    cases = {str(case.id): case for case in await session.scalars(select(Case))}
    live = [
        LiveDeadline(key, case.received_at, case.working_days, case.due_date)
        for key, case in cases.items()
    ]
    moves = later_due_dates(snapshot, live)
    for move in moves:
        cases[move.deadline.entity_id].due_date = move.new_due_date
    await audit_moves(session, by, "scratch_case", moves, snapshot.version)
    return len(moves)


@pytest.fixture
async def case(database: Database) -> AsyncIterator[uuid.UUID]:
    async with database.sessions() as session:
        await (await session.connection()).run_sync(ScratchBase.metadata.create_all)
        case = Case(
            received_at=datetime.fromisoformat("2026-05-10T08:00:00+03:00"),  # a Sunday
            working_days=3,
            due_date=date(2026, 5, 13),
        )
        session.add(case)
        await session.commit()
    deadlines.register("scratch_cases")(recompute_cases)
    yield case.id
    deadlines.unregister("scratch_cases")
    async with database.sessions() as session:
        await (await session.connection()).run_sync(ScratchBase.metadata.drop_all)
        await session.commit()


async def due_of(database: Database, case_id: uuid.UUID) -> date:
    async with database.sessions() as session:
        return (await session.get_one(Case, case_id, populate_existing=True)).due_date


async def test_a_holiday_announced_after_filing_moves_the_deadline_later_and_is_audited(
    client: httpx.AsyncClient,
    database: Database,
    case: uuid.UUID,
    auth: Callable[..., dict[str, str]],
) -> None:
    holiday = {"date": "2026-05-12", "name": {"ar": "إجازة طارئة", "en": "Emergency holiday"}}
    response = await client.post("/v1/calendar/holidays", json=holiday, headers=auth("a1", "admin"))
    assert response.status_code == 201
    assert await due_of(database, case) == date(2026, 5, 14)
    async with database.sessions() as session:
        (event,) = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "deadline.moved")
        )
    assert (event.entity_type, event.entity_id, event.actor_sub) == (
        "scratch_case",
        str(case),
        "a1",
    )
    assert event.details["from_due_date"] == "2026-05-13"
    assert event.details["to_due_date"] == "2026-05-14"


async def test_withdrawing_a_holiday_never_moves_a_communicated_deadline_earlier(
    client: httpx.AsyncClient,
    database: Database,
    case: uuid.UUID,
    auth: Callable[..., dict[str, str]],
) -> None:
    admin = auth("a1", "admin")
    holiday = {"date": "2026-05-12", "name": {"ar": "إجازة", "en": "Holiday"}}
    await client.post("/v1/calendar/holidays", json=holiday, headers=admin)
    assert await due_of(database, case) == date(2026, 5, 14)
    response = await client.delete("/v1/calendar/holidays/2026-05-12", headers=admin)
    assert response.status_code == 204
    assert await due_of(database, case) == date(2026, 5, 14), "told the 14th, it stays the 14th"
    async with database.sessions() as session:
        moves = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.moved"))
        )
    assert len(moves) == 1


def test_later_due_dates_keeps_only_later_moves() -> None:
    snapshot = snapshot_from_rows([(date(2026, 5, 12), HolidayInfo("إجازة", "Holiday"))])
    received = datetime.fromisoformat("2026-05-10T08:00:00+03:00")
    earlier_told = LiveDeadline("a", received, 3, date(2026, 5, 13))
    later_told = LiveDeadline("b", received, 3, date(2026, 5, 20))
    moves = later_due_dates(snapshot, [earlier_told, later_told])
    assert [(move.deadline.entity_id, move.new_due_date) for move in moves] == [
        ("a", date(2026, 5, 14))
    ]

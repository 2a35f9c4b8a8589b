"""Information-request services: one decision under concurrency, and the clock's recompute step."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.core import clock
from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.core.errors import AppError
from app.core.migrations import upgrade_to_head
from app.core.security import Principal, Role
from app.models.audit_event import AuditEvent
from app.models.information_request import InformationCategory, InformationRequest
from app.services import information_requests as request_service
from app.services import request_handling as handling
from app.services.information_requests import Filing
from app.services.request_handling import Decision, Outcome
from app.services.working_days import CalendarSnapshot, HolidayInfo, snapshot_from_rows
from tests.conftest import on_postgres

REQUESTER = Principal("b1", frozenset({Role.BENEFICIARY}))
OFFICERS = [Principal(sub, frozenset({Role.INFORMATION_OFFICER})) for sub in ("o1", "o2")]
APPEALS_OFFICER = Principal("ap1", frozenset({Role.APPEALS_OFFICER}))
FILED_AT = datetime.fromisoformat("2026-05-10T10:00:00+03:00")  # a Sunday: due 24 May
CIPHER = PersonalDataCipher([Fernet.generate_key().decode("ascii")])


def holidays(*days: date) -> CalendarSnapshot:
    return snapshot_from_rows(((day, HolidayInfo("إجازة", "Holiday")) for day in days), version=7)


async def in_progress(database: Database) -> uuid.UUID:
    with clock.use(clock.FrozenClock(FILED_AT)):
        async with database.sessions() as session, session.begin():
            filing = Filing("ميزانية الطرق", "أطلب بيان الميزانية", InformationCategory.OTHER)
            request = await request_service.create(
                session,
                by=REQUESTER,
                filing=filing,
                snapshot=CalendarSnapshot(),
                working_days=10,
                cipher=CIPHER,
            )
            await handling.start(session, request, by=OFFICERS[0], expected_version=None)
            return request.id


async def row_of(database: Database, request_id: uuid.UUID) -> InformationRequest:
    async with database.sessions() as session:
        return await session.get_one(InformationRequest, request_id, populate_existing=True)


async def decisions(database: Database) -> list[AuditEvent]:
    async with database.sessions() as session:
        statement = select(AuditEvent).where(AuditEvent.action == "information_request.decided")
        return list(await session.scalars(statement))


@pytest.fixture
async def fresh(fresh_database_url: str, settings: Settings) -> AsyncIterator[Database]:
    """A migrated database of its own, so transactions really run side by side."""
    migrated = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, migrated)
    database = Database(migrated)
    yield database
    await database.dispose()


def answer(outcome: Outcome) -> Decision:
    return Decision(outcome=outcome, response={"ar": "الرد"})


async def test_two_officers_deciding_at_once_produce_one_decision(fresh: Database) -> None:
    request_id = await in_progress(fresh)
    winner_holds_the_row = asyncio.Event()

    async def decide(officer: Principal, outcome: Outcome, first: bool) -> str:
        if not first:
            await winner_holds_the_row.wait()  # start while the winner's transaction is open
        try:
            async with fresh.sessions() as session, session.begin():
                request = await request_service.get_readable(
                    session, officer, request_id, for_update=True
                )
                if first:
                    winner_holds_the_row.set()
                    await asyncio.sleep(0.2)  # the other officer queues on the lock meanwhile
                await handling.respond(
                    session,
                    request,
                    by=officer,
                    decision=answer(outcome),
                    snapshot=CalendarSnapshot(),
                    expected_version=None,
                )
            return "decided"
        except AppError as exc:
            return exc.code

    results = await asyncio.gather(
        decide(OFFICERS[0], Outcome.ANSWERED, first=True),
        decide(OFFICERS[1], Outcome.NOT_HELD, first=False),
    )
    assert results == ["decided", "invalid_transition"]
    row = await row_of(fresh, request_id)
    assert (row.status, row.decided_by, row.version) == ("answered", "o1", 3)
    assert [event.actor_sub for event in await decisions(fresh)] == ["o1"]


@pytest.mark.skipif(not on_postgres(), reason="SQLite admits one writer: reads cannot interleave")
async def test_without_the_lock_the_version_check_still_refuses_the_second_decision(
    fresh: Database,
) -> None:
    request_id = await in_progress(fresh)
    both_read = asyncio.Barrier(2)

    async def decide(officer: Principal, outcome: Outcome) -> str:
        try:
            async with fresh.sessions() as session, session.begin():
                request = await request_service.get_readable(session, officer, request_id)
                await both_read.wait()  # both hold version 2 and see in_progress
                await handling.respond(
                    session,
                    request,
                    by=officer,
                    decision=answer(outcome),
                    snapshot=CalendarSnapshot(),
                    expected_version=2,
                )
            return "decided"
        except StaleDataError:
            return "edit_conflict"

    results = await asyncio.gather(
        decide(OFFICERS[0], Outcome.ANSWERED), decide(OFFICERS[1], Outcome.NOT_HELD)
    )
    assert sorted(results) == ["decided", "edit_conflict"]
    row = await row_of(fresh, request_id)
    assert row.version == 3
    assert [event.actor_sub for event in await decisions(fresh)] == [row.decided_by]


# -- the recompute step --------------------------------------------------------------------------


async def test_a_resumed_segment_is_recomputed_from_its_own_start(database: Database) -> None:
    request_id = await in_progress(database)
    with clock.use(clock.FrozenClock(datetime.fromisoformat("2026-05-12T10:00:00+03:00"))):
        async with database.sessions() as session, session.begin():
            request = await request_service.get_readable(session, OFFICERS[0], request_id)
            await handling.ask_clarification(
                session,
                request,
                by=OFFICERS[0],
                question={"ar": "ما المقصود؟"},
                snapshot=CalendarSnapshot(),
                max_pauses=1,
                expected_version=None,
            )
    assert (await row_of(database, request_id)).remaining_working_days == 8
    # A holiday inside the pause changes nothing: the remainder is a count.
    async with database.sessions() as session, session.begin():
        moved = await request_service.recompute_request_deadlines(
            session, holidays(date(2026, 5, 13)), None
        )
    assert moved == 0
    answered_at = datetime.fromisoformat("2026-05-14T20:00:00+03:00")  # Thursday evening
    with clock.use(clock.FrozenClock(answered_at)):
        async with database.sessions() as session, session.begin():
            request = await request_service.get_own(session, REQUESTER, request_id)
            await handling.answer_clarification(
                session,
                request,
                by=REQUESTER,
                answer="داخل أبها",
                snapshot=CalendarSnapshot(),
                expected_version=None,
            )
    assert (await row_of(database, request_id)).due_date == date(2026, 5, 26)
    # A holiday on Tuesday the 19th: counted from the answer's date, not by the cut-off rule.
    async with database.sessions() as session, session.begin():
        moved = await request_service.recompute_request_deadlines(
            session, holidays(date(2026, 5, 19)), None
        )
    row = await row_of(database, request_id)
    assert (moved, row.due_date, row.calendar_version) == (1, date(2026, 5, 27), 7)


async def test_a_reopened_request_has_a_fresh_period_that_follows_the_calendar(
    database: Database,
) -> None:
    request_id = await in_progress(database)
    decided_at = datetime.fromisoformat("2026-06-01T16:00:00+03:00")  # Monday after the cut-off
    async with database.sessions() as session, session.begin():
        request = await request_service.get_readable(session, OFFICERS[0], request_id)
        await request_service.reopen(
            session,
            request,
            by=APPEALS_OFFICER,
            at=decided_at,
            snapshot=CalendarSnapshot(),
            working_days=10,
            appeal_id=uuid.uuid4(),
        )
    assert (await row_of(database, request_id)).due_date == date(2026, 6, 16)
    async with database.sessions() as session, session.begin():
        later = await request_service.recompute_request_deadlines(
            session, holidays(date(2026, 6, 2)), APPEALS_OFFICER
        )
        earlier = await request_service.recompute_request_deadlines(
            session, CalendarSnapshot(), APPEALS_OFFICER
        )
    assert (later, earlier) == (1, 0)
    row = await row_of(database, request_id)
    assert (row.status, row.clock_origin, row.due_date) == (
        "in_progress",
        "reopened",
        date(2026, 6, 17),
    )

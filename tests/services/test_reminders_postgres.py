"""Time-based events on PostgreSQL: the candidates are found through indexes, and two workers
racing over the same reminders write each one once."""

import asyncio
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select, text

from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.db import Database
from app.models.event import Event, Notification
from app.services import reminders
from app.services.calendar import CalendarRules, load_snapshot
from tests.conftest import on_postgres
from tests.routers.test_feedback_reports import Seeder
from tests.routers.test_submissions import submit
from tests.services.test_reminders import (
    Ticks,
    appeal_on_thursday,
    filed_on_thursday,
    on,
    stored_request,
)
from tests.support.statements import StatementRecorder
from tests.test_index_plans import explain, nodes, outline

pytestmark = pytest.mark.skipif(not on_postgres(), reason="set BENEFICIARY_TEST_DATABASE_URL")
Auth = Callable[..., dict[str, str]]


@pytest.fixture
def ticks(database: Database, settings: Settings, frozen_clock: FrozenClock) -> Ticks:
    return Ticks(database, settings, frozen_clock)


WATCHED = {"information_requests", "appeals", "submissions", "consultations", "events"}


async def test_candidates_and_their_keys_are_found_through_indexes(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
    settings: Settings,
    statements: StatementRecorder,
) -> None:
    await filed_on_thursday(client, auth, frozen_clock)
    await submit(client, auth("b1", "beneficiary"), kind="complaint")
    await appeal_on_thursday(client, auth, frozen_clock)
    await Seeder(database).consultation()
    await ticks.at(on(24))
    async with database.sessions() as session:
        snapshot = await load_snapshot(session, CalendarRules.from_settings(settings))
        statements.clear()
        await reminders.emit_due(session, settings, snapshot, on(24, hour=12))
        connection = await session.connection()
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plans = [await explain(connection, statement) for statement in statements.selects()]
        await session.rollback()
    scanned = [
        outline(plan)
        for plan in plans
        for node in nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in WATCHED
    ]
    assert len(plans) == 5
    assert not scanned, "\n\n".join(scanned)


async def blocked_backends(database: Database) -> int:
    async with database.sessions() as session:
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int((await session.execute(waiting)).scalar_one())


async def test_two_workers_racing_emit_each_reminder_once(
    configured: Settings, frozen_clock: FrozenClock
) -> None:
    first, second, watcher = Database(configured), Database(configured), Database(configured)
    try:
        async with first.sessions() as session:
            session.add_all([stored_request(date(2026, 3, 25)), stored_request(date(2026, 3, 26))])
            await session.commit()
        rules = CalendarRules.from_settings(configured)
        async with first.sessions() as a, second.sessions() as b:
            snapshot = await load_snapshot(a, rules)
            # Monday: only the Wednesday request is due soon; worker A has not committed yet.
            assert await reminders.emit_due(a, configured, snapshot, on(23)) == 1
            # Tuesday: worker B wants both; it waits on A's key, then skips it and goes on.
            racing = asyncio.create_task(reminders.emit_due(b, configured, snapshot, on(24)))
            for _ in range(100):
                if await blocked_backends(watcher):
                    break
                await asyncio.sleep(0.05)
            assert await blocked_backends(watcher) == 1, "B never waited on A's insert"
            await a.commit()
            assert await racing == 1
            await b.commit()
        async with watcher.sessions() as session:
            keys = list(await session.scalars(select(Event.dedupe_key).order_by(Event.dedupe_key)))
            notified = await session.scalar(select(func.count()).select_from(Notification))
        assert [key.split(":")[2] for key in keys if key] == ["2026-03-25", "2026-03-26"]
        assert notified == 2  # one per event, for the handling officer: none left behind
    finally:
        for database in (first, second, watcher):
            await database.dispose()

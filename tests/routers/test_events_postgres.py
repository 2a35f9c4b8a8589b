"""The event feed on PostgreSQL, where transactions commit in another order than they write:
real concurrent transactions on separate connections, and the plan of the feed's query."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.core.pagination import encode_cursor
from app.main import create_app
from app.models.event import Event
from tests.conftest import client_for, on_postgres
from tests.routers.test_events import ANSWERED, RECEIVED, REFUSED, emit_all, happen, ids, page
from tests.support.statements import Statement, StatementRecorder
from tests.test_index_plans import explain, nodes, outline

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="commit order differs from write order only on PostgreSQL"
)

Auth = Callable[..., dict[str, str]]
START = encode_cursor([0, 0])


@pytest.fixture
def integrator(auth: Auth) -> dict[str, str]:
    return auth("int-1", "channel_integrator")


@pytest.fixture
async def fresh(fresh_database_url: str, settings: Settings) -> AsyncIterator[Database]:
    """A migrated database outside the test's rolled-back transaction, so that sessions on it
    are truly concurrent transactions, each on its own connection."""
    migrated = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, migrated)
    database = Database(migrated)
    yield database
    await database.dispose()


@pytest.fixture
async def fresh_client(fresh: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"database_url": fresh.url}), database=fresh)
    async with client_for(app) as client:
        yield client


async def feed_until(
    client: httpx.AsyncClient, headers: dict[str, str], after: str, count: int
) -> list[dict[str, Any]]:
    """The feed after ``after`` once ``count`` events have settled there. Transaction ids are
    cluster-wide: a write running in another database on the server holds the line too, so
    wait for it (bounded) rather than fail."""
    deadline = time.monotonic() + 30
    while True:
        items: list[dict[str, Any]] = (await page(client, headers, after=after))["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        await asyncio.sleep(0.2)


async def transaction_ids(database: Database) -> dict[str, int]:
    async with database.sessions() as session:
        written = (await session.execute(select(Event.id, Event.transaction_id))).all()
    return {str(event_id): txid for event_id, txid in written if txid is not None}


async def test_an_event_committed_late_is_not_overtaken_by_a_later_transaction(
    fresh: Database, fresh_client: httpx.AsyncClient, integrator: dict[str, str]
) -> None:
    async with fresh.sessions() as slow, fresh.sessions() as fast:
        [early] = await emit_all(slow, (RECEIVED,))  # T1 writes and keeps running
        [late] = await emit_all(fast, (ANSWERED,))  # T2: a later transaction id
        await fast.commit()
        while_running = await page(fresh_client, integrator)
        assert while_running["items"] == [], "T1 still running holds the line"
        await slow.commit()
    resumed = await feed_until(fresh_client, integrator, while_running["next_cursor"], 2)
    from_start = await feed_until(fresh_client, integrator, START, 2)
    transaction = await transaction_ids(fresh)
    assert transaction[early] < transaction[late]
    assert ids(resumed) == ids(from_start) == [early, late], "no gap, T1's first"


async def test_an_event_written_early_by_a_later_transaction_is_not_skipped(
    fresh: Database, fresh_client: httpx.AsyncClient, integrator: dict[str, str]
) -> None:
    """T1 takes its transaction id first (its change) but writes its event after T2 wrote
    one, and commits first: numbering by position alone would hand T1's event out and then
    pass over T2's lower-numbered one when T2 commits."""
    async with fresh.sessions() as first, fresh.sessions() as second:
        await first.execute(text("SELECT pg_current_xact_id()"))
        [seconds] = await emit_all(second, (ANSWERED,))
        [firsts] = await emit_all(first, (REFUSED,))
        await first.commit()
        seen = await feed_until(fresh_client, integrator, START, 1)
        assert ids(seen) == [firsts], "T1 has settled; T2 is still running"
        await second.commit()
    resumed = await feed_until(fresh_client, integrator, seen[-1]["cursor"], 1)
    assert ids(resumed) == [seconds]


async def plan_without_sorting(database: Database, statement: Statement) -> dict[str, Any]:
    """The plan of ``statement`` with sequential scans and sorting disabled: one that still
    sorts has no index handing the rows over in feed order."""
    async with database.sessions() as session:
        connection = await session.connection()
        for setting in ("enable_seqscan", "enable_sort"):
            await connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        plan = await explain(connection, statement)
        await session.rollback()  # to the savepoint, and the settings go with it
    return plan


@pytest.mark.usefixtures("frozen_clock")
async def test_the_feed_walks_its_index_in_order_without_sorting(
    client: httpx.AsyncClient,
    database: Database,
    integrator: dict[str, str],
    statements: StatementRecorder,
) -> None:
    for _ in range(4):
        await happen(database, *[RECEIVED, ANSWERED, REFUSED] * 5)
    cursor = (await page(client, integrator, limit=7))["next_cursor"]
    for params in ({"after": cursor, "limit": 5}, {"after": cursor, "types": "request.refused"}):
        statements.clear()
        await page(client, integrator, **params)
        reads = [s for s in statements.selects() if "ORDER BY events.transaction_id" in s.sql]
        assert len(reads) == 1
        plan = await plan_without_sorting(database, reads[0])
        steps = list(nodes(plan))
        assert "ix_events_feed" in {step.get("Index Name") for step in steps}, outline(plan)
        assert not [step for step in steps if "Sort" in step["Node Type"]], outline(plan)

"""The inbox on PostgreSQL: two devices marking one notification read at once, and every list
served by indexes walked in the list's order (no Seq Scan, no Sort of the inbox)."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.core.pagination import PageParams
from app.core.security import Principal, Role
from app.services import notifications as notification_service
from app.services.event_types import EventType
from tests.conftest import on_postgres
from tests.routers.test_notifications import Auth, inbox, notify, seed_inbox
from tests.support.statements import StatementRecorder
from tests.test_index_plans import explain, nodes, outline, sorts_rows

pytestmark = [
    pytest.mark.skipif(not on_postgres(), reason="set BENEFICIARY_TEST_DATABASE_URL"),
    pytest.mark.usefixtures("frozen_clock"),  # 2026-03-15T09:00Z
]


async def test_two_devices_marking_one_notification_read_at_once_both_succeed(
    fresh_database_url: str, settings: Settings, frozen_clock: FrozenClock
) -> None:
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    database = Database(fresh)
    sara = Principal(sub="sara", roles=frozenset({Role.BENEFICIARY}))
    try:
        await notify(database, EventType.REQUEST_RECEIVED, owner="sara")
        async with database.sessions() as phone, database.sessions() as tablet:
            [item], _ = await notification_service.list_inbox(
                phone, sara, unread=None, page=PageParams()
            )
            key = item.notification.id
            first = await notification_service.mark_read(phone, sara, key)  # not committed yet
            frozen_clock.advance(timedelta(minutes=1))
            second = asyncio.create_task(notification_service.mark_read(tablet, sara, key))
            await asyncio.sleep(0.2)
            assert not second.done(), "the tablet's insert waits for the phone's transaction"
            await phone.commit()
            answer = await second
            await tablet.commit()
    finally:
        await database.dispose()

    assert first.read_at == answer.read_at == datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


# -- index use (PostgreSQL) ----------------------------------------------------------------------

INBOX_TABLES = {"notifications", "notification_reads", "events"}


async def plans(
    database: Database, statements: StatementRecorder, disabled: Sequence[str]
) -> list[dict[str, Any]]:
    """The plans of the SELECTs just sent, with the ``disabled`` plan types off."""
    async with database.sessions() as session:
        connection = await session.connection()
        for setting in disabled:
            await connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        found = [await explain(connection, statement) for statement in statements.selects()]
        await session.rollback()
    return found


def scanned_tables(plan: dict[str, Any]) -> list[str]:
    return [
        node["Relation Name"]
        for node in nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in INBOX_TABLES
    ]


async def test_every_inbox_list_walks_indexes_in_its_order(
    client: httpx.AsyncClient, auth: Auth, database: Database, statements: StatementRecorder
) -> None:
    await seed_inbox(database, 6)
    huda = auth("huda", "information_officer", "admin")
    first = await inbox(client, huda, limit=1)
    paths = [
        {},
        {"unread": "true"},
        {"unread": "false"},
        {"limit": 1, "cursor": first["next_cursor"]},
    ]
    failures = []
    for params in paths:
        statements.clear()
        await inbox(client, huda, **params)
        for plan in await plans(database, statements, ("enable_seqscan",)):
            if scanned_tables(plan):
                failures.append(f"{params}: {scanned_tables(plan)}\n{outline(plan)}")
        statements.clear()
        await inbox(client, huda, **params)
        for plan in await plans(database, statements, ("enable_seqscan", "enable_sort")):
            if sorts_rows(plan):
                failures.append(f"{params}: sorts\n{outline(plan)}")
    assert not failures, "\n\n".join(failures)

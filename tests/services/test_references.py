"""Reference numbers stay unique and sequential under concurrent inserts."""

import asyncio
from datetime import UTC, datetime

import pytest

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.services.references import format_reference, local_year, next_reference


def test_format_pads_to_six_digits() -> None:
    assert format_reference("IR", 2026, 381) == "IR-2026-000381"


def test_year_follows_riyadh_not_utc() -> None:
    new_year_in_riyadh = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)  # 01:00 on 1 January there
    assert local_year(new_year_in_riyadh) == 2027


async def test_each_prefix_and_year_has_its_own_sequence(database: Database) -> None:
    with clock.use(clock.FrozenClock(datetime(2026, 5, 1, tzinfo=UTC))):
        async with database.sessions() as session:
            numbers = [
                await next_reference(session, "IR"),
                await next_reference(session, "IR"),
                await next_reference(session, "AP"),
                await next_reference(session, "IR", year=2027),
            ]
    assert numbers == ["IR-2026-000001", "IR-2026-000002", "AP-2026-000001", "IR-2027-000001"]


async def test_rejects_a_malformed_prefix(database: Database) -> None:
    async with database.sessions() as session:
        with pytest.raises(ValueError, match="prefix"):
            await next_reference(session, "ir-x")


async def test_concurrent_transactions_never_share_a_number(
    fresh_database_url: str, settings: Settings
) -> None:
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    database = Database(fresh)

    async def allocate(rollback: bool) -> str:
        async with database.sessions() as session, session.begin():
            reference = await next_reference(session, "SUB", year=2026)
            await asyncio.sleep(0)  # let the others interleave while the row is held
            if rollback:
                await session.rollback()
            return reference

    results = await asyncio.gather(*(allocate(rollback=i % 5 == 0) for i in range(20)))
    async with database.sessions() as session:
        after = await next_reference(session, "SUB", year=2026)
        await session.commit()
    await database.dispose()
    committed = [ref for i, ref in enumerate(results) if i % 5 != 0]
    assert len(set(committed)) == len(committed) == 16
    assert after not in committed
    assert int(after.rsplit("-", 1)[1]) == 17, "rolled-back numbers are reused, never duplicated"


async def test_numbers_survive_a_session_that_committed(database: Database) -> None:
    async with database.sessions() as session:
        first = await next_reference(session, "CON", year=2026)
        await session.commit()
    async with database.sessions() as session:
        second = await next_reference(session, "CON", year=2026)
    assert (first, second) == ("CON-2026-000001", "CON-2026-000002")

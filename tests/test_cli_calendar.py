"""Calendar commands: seeding the baseline and recomputing deadlines, on a real database."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.core.config import Settings
from app.core.db import Database
from app.models.holiday import Holiday
from app.services import calendar as calendar_service
from app.services.calendar import CalendarRules


async def holiday_count(settings: Settings) -> int:
    database = Database(settings)
    async with database.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Holiday))
    await database.dispose()
    return int(count or 0)


async def test_seed_command_is_idempotent(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["holidays", "seed", "--years", "2026-2027"]) == 0
    first = capsys.readouterr().out
    assert "added" in first
    assert "calendar version 1" in first
    seeded = await holiday_count(configured)
    assert seeded > 20
    assert await asyncio.to_thread(main, ["holidays", "seed", "--years", "2026-2027"]) == 0
    assert "0 added, 0 updated, 0 removed" in capsys.readouterr().out
    assert await holiday_count(configured) == seeded


def test_seed_command_refuses_backwards_years(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["holidays", "seed", "--years", "2028-2024"])
    assert "years" in capsys.readouterr().err


async def test_recompute_command_reports_what_moved(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["deadlines", "recompute"]) == 0
    assert "deadlines moved later: 0" in capsys.readouterr().out


async def test_replicas_seeding_at_once_do_not_collide(configured: Settings) -> None:
    rules = CalendarRules.from_settings(configured)
    databases = [Database(configured) for _ in range(3)]

    async def seed(database: Database) -> None:
        async with database.sessions() as session, session.begin():
            await calendar_service.seed_baseline(session, rules, [2026])

    await asyncio.gather(*(seed(database) for database in databases))
    for database in databases:
        await database.dispose()
    assert await holiday_count(configured) > 10

"""The schema comes only from migrations, and models and migrations agree."""

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.migrations import alembic_config, head_revisions


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_then_downgrade_to_base_then_upgrade_again(
    fresh_database_url: str, settings: Settings
) -> None:
    import asyncio

    config = alembic_config(settings.model_copy(update={"database_url": fresh_database_url}))
    await asyncio.to_thread(command.upgrade, config, "head")
    assert {"audit_events", "idempotency_keys", "reference_counters"} <= await _tables(
        fresh_database_url
    )
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(fresh_database_url) <= {"alembic_version"}
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.check, config)  # raises when models and migrations differ


def test_there_is_exactly_one_head() -> None:
    assert len(head_revisions()) == 1


def test_revision_files_are_date_prefixed() -> None:
    from app.core.migrations import scripts_location

    names = [path.name for path in (scripts_location() / "versions").glob("*.py")]
    assert names
    assert all(name[:4].isdigit() and name[4] == "_" for name in names)

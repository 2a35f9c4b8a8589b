"""The schema comes only from migrations, and models and migrations agree."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Uuid, bindparam, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.db import UTCDateTime
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


async def test_priority_rules_are_filled_from_the_stored_reasons(
    fresh_database_url: str, settings: Settings
) -> None:
    import asyncio
    import uuid

    config = alembic_config(settings.model_copy(update={"database_url": fresh_database_url}))
    await asyncio.to_thread(command.upgrade, config, "22749cb12ad0")
    flagged, plain = uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(fresh_database_url)
    async with engine.begin() as connection:
        for n, sid in enumerate((flagged, plain)):
            await connection.execute(
                text(
                    "INSERT INTO submissions (id, reference, kind, channel, body, search_text,"
                    " status, received_at, created_at, updated_at, version)"
                    " VALUES (:id, :ref, 'complaint', 'website', 'x', 'x', 'received',"
                    " :at, :at, :at, 1)"
                ).bindparams(bindparam("id", type_=Uuid()), bindparam("at", type_=UTCDateTime())),
                {"id": sid, "ref": f"SUB-2026-00000{n}", "at": datetime(2026, 3, 1, tzinfo=UTC)},
            )
        await connection.execute(
            text(
                "INSERT INTO submission_priority_reasons (submission_id, rule, points, evidence)"
                " VALUES (:id, 'kind', 2, '{}'), (:id, 'safety_terms', 3, '{}')"
            ).bindparams(bindparam("id", type_=Uuid())),
            {"id": flagged},
        )
    await asyncio.to_thread(command.upgrade, config, "head")
    async with engine.connect() as connection:
        rules = dict(
            (await connection.execute(text("SELECT id, priority_rules FROM submissions"))).all()
        )
    await engine.dispose()
    assert {uuid.UUID(str(k)): v for k, v in rules.items()} == {flagged: 1 | 4, plain: 0}

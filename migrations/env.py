"""Alembic environment: async engines, type comparison, one migrator at a time."""

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection, text

from app.core.config import Settings
from app.core.db import Base, build_engine
from app.models import __all__ as _models  # noqa: F401  (registers every table)

# Any fixed number works; it only has to be the same for every replica running migrations.
MIGRATION_LOCK_ID = 0x6265_6E65  # "bene"

config = context.config
target_metadata = Base.metadata


def _settings() -> Settings:
    settings = Settings()
    url = config.attributes.get("database_url")
    return settings.model_copy(update={"database_url": url}) if url else settings


def _for_this_database(dialect: str) -> Callable[..., bool]:
    """Leave out of comparisons what the models create only on another database (``ddl_if``)."""

    def include(
        item: object, name: str | None, kind: str, reflected: bool, compare_to: object
    ) -> bool:
        ddl_if = getattr(item, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect in (None, dialect)

    return include


def _run(connection: Connection) -> None:
    context.configure(
        include_object=_for_this_database(connection.dialect.name),
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        user_module_prefix="app.core.db.",
    )
    if connection.dialect.name == "postgresql":
        # Replicas starting together: the first migrates, the others wait and find nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = build_engine(_settings())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (e.g. the test suite) lends its own connection
        _run(connection)
    elif context.is_offline_mode():
        context.configure(url=_settings().resolved_database_url, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_online())


run()

"""Async engine, the request session (the only commit point), and the declarative base."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Index, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator
from starlette.requests import Request
from uuid6 import uuid7

from app.core import clock
from app.core.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Read by SQLAlchemy when the class is created.
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}  # noqa: RUF012


def search_index(table: str) -> Index:
    """A trigram (pg_trgm GIN) index on ``search_text`` so ``LIKE '%q%'`` uses an index on
    PostgreSQL; SQLite gets none (a B-tree cannot serve a leading wildcard)."""
    return Index(
        f"ix_{table}_search_text_trgm",
        "search_text",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def upsert_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (typed loosely: the two differ), which offers ON CONFLICT."""
    return postgresql.insert if is_postgres(session) else sqlite.insert


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7): rows created in one instant still sort in creation order,
    and PostgreSQL's primary-key index stays compact."""
    return uuid.UUID(int=uuid7().int)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Versioned:
    """Optimistic concurrency: every UPDATE checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Database:
    """One engine and its session factory; created per application, disposed on shutdown."""

    def __init__(self, settings: Settings, *, bind: AsyncConnection | None = None) -> None:
        self.url = settings.resolved_database_url
        self.engine = bind.engine if bind is not None else build_engine(settings)
        # A test may bind every session to one outer connection so that it can roll back.
        self.sessions = async_sessionmaker(
            bind=bind if bind is not None else self.engine,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


def build_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url.render_as_string(hide_password=False), settings)
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                "application_name": "beneficiary-api",
                # Compiling a plan to machine code costs ~50 ms per analytics query and pays back
                # only on far longer ones; the service runs none of those.
                "jit": "off",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    )


def _sqlite_engine(url: str, settings: Settings) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        # Create ./var on first start; if that fails, connecting fails and readiness says so.
        with contextlib.suppress(OSError):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _tune(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (so SAVEPOINT works) and tune for a server.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # Take the write lock up front: a deferred read-then-write upgrade can fail with
        # "database is locked" without waiting for the busy timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit on success, roll back on any error."""
    database: Database = request.app.state.database
    async with database.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()

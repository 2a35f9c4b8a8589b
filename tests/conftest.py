"""Test harness: a database built by ``alembic upgrade head``, isolated per test.

SQLite (default): the migrated template file is copied for every test.
PostgreSQL (``BENEFICIARY_TEST_DATABASE_URL``): migrated once; every test runs inside one outer
transaction that is rolled back, and the app's commits become savepoints within it.
"""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core import clock
from app.core.config import Environment, Settings, get_settings
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.core.tokens import mint_token
from app.main import create_app
from tests.support.statements import StatementRecorder, recording

POSTGRES_URL = os.environ.get("BENEFICIARY_TEST_DATABASE_URL")
TEST_SECRET = "test-signing-secret-that-is-long-enough-0123456789"


def on_postgres() -> bool:
    return POSTGRES_URL is not None


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "data_dir": data_dir,
        "database_url": POSTGRES_URL or f"sqlite+aiosqlite:///{data_dir / 'test.db'}",
        "jwt_secret": TEST_SECRET,
        "jwks_cache_seconds": 300,
        "rate_limits_enabled": False,  # the suite is not throttled; rate-limit tests enable it
        # Tests change the calendar behind the app's back (CLI, ORM): reads check every time.
        "calendar_read_cache_seconds": 0,
        "public_cache_seconds": 0,  # tests read their own writes at once; its tests enable it
        "analytics_cache_seconds": 0,
    }
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database: the SQLite template file, or the PostgreSQL test database."""
    directory = tmp_path_factory.mktemp("template")
    settings = make_settings(directory)
    if on_postgres():
        asyncio.run(_reset_postgres_schema(settings.resolved_database_url))
    upgrade_to_head(settings)
    return directory


async def _reset_postgres_schema(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
def settings(template_dir: Path, tmp_path: Path) -> Settings:
    if not on_postgres():
        shutil.copy(template_dir / "test.db", tmp_path / "test.db")
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
async def postgres_engine() -> AsyncIterator[AsyncEngine | None]:
    if not on_postgres():
        yield None
        return
    assert POSTGRES_URL is not None
    engine = create_async_engine(POSTGRES_URL, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(
    settings: Settings, postgres_engine: AsyncEngine | None
) -> AsyncIterator[Database]:
    if postgres_engine is None:
        database = Database(settings)
        yield database
        await database.dispose()
        return
    async with postgres_engine.connect() as connection:
        outer = await connection.begin()
        yield Database(settings, bind=connection)
        await outer.rollback()


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database=database)


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app, answering unexpected errors with 500 like a server would."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


TokenFactory = Callable[..., str]


@pytest.fixture
def token(settings: Settings) -> TokenFactory:
    """``token("u1", "beneficiary", name="...")``: a signed token for the test settings."""

    def make(sub: str, *roles: str, ttl: timedelta = timedelta(hours=1), **claims: Any) -> str:
        return mint_token(settings, sub=sub, roles=list(roles), ttl=ttl, extra_claims=claims)

    return make


@pytest.fixture
def auth(token: TokenFactory) -> Callable[..., dict[str, str]]:
    """``auth("u1", "admin")``: the Authorization header for such a caller."""

    def make(sub: str, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(sub, *roles, **claims)}"}

    return make


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    with clock.use(clock.FrozenClock(datetime(2026, 3, 15, 9, 0, tzinfo=UTC))) as frozen:
        assert isinstance(frozen, clock.FrozenClock)
        yield frozen


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, empty database of the configured kind, for migration and concurrency tests."""
    if not on_postgres():
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    assert POSTGRES_URL is not None
    name = f"beneficiary_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(
        make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
def configured(
    fresh_database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """A migrated, empty database that the command line (which reads the environment) uses."""
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    upgrade_to_head(fresh)
    monkeypatch.setenv("BENEFICIARY_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("BENEFICIARY_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield fresh
    get_settings.cache_clear()


@pytest.fixture
async def probe(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app that also mounts the test-only probe router."""
    from tests.support.probe_router import router

    app.include_router(router)
    async with client_for(app) as client:
        yield client


@pytest.fixture
def statements(database: Database) -> Iterator[StatementRecorder]:
    """The SQL the app sends during the test: ``statements.queries``, ``statements.clear()``."""
    with recording(database.engine) as recorder:
        yield recorder

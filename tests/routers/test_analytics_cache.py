"""Analytics counts shared for a few seconds: one count serves every reader of a window, while
exact or suppressed figures are still decided per reader."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.conftest import client_for
from tests.routers.test_analytics import ANALYST, SUPPRESSED, TOPICS, Seeder, exact, get

Auth = Callable[..., dict[str, str]]
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z


@pytest.fixture
def seed(database: Database) -> Seeder:
    return Seeder(database)


@pytest.fixture
async def shared(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    counted_for_a_minute = settings.model_copy(update={"analytics_cache_seconds": 60})
    async with client_for(create_app(counted_for_a_minute, database=database)) as client:
        yield client


async def test_readers_of_a_window_share_one_count_and_see_it_their_own_way(
    shared: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(3, subtopic="water")
    assert (await get(shared, auth, TOPICS))["total"] == exact(3)  # an officer: exact figures
    await seed.add(4, subtopic="water")  # arrives while the count is shared
    assert (await get(shared, auth, TOPICS))["total"] == exact(3)
    analyst = await get(shared, auth, TOPICS, caller=ANALYST)
    assert analyst["total"] == SUPPRESSED  # the same count, below the group minimum for analysts
    other_window = await get(shared, auth, TOPICS, kind="suggestion")  # another key: counted now
    assert other_window["total"] == exact(7)


async def test_without_the_cache_every_request_counts(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(3, subtopic="water")
    assert (await get(client, auth, TOPICS))["total"] == exact(3)
    await seed.add(4, subtopic="water")
    assert (await get(client, auth, TOPICS))["total"] == exact(7)

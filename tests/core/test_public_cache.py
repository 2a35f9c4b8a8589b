"""The shared cache of anonymous public reads: replayed briefly, never for callers with a token."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from app.core import public_cache
from app.core.config import Settings
from app.core.db import Database
from app.core.public_cache import PublicCacheMiddleware
from app.main import create_app
from tests.conftest import client_for
from tests.routers.test_consultation_lists import published
from tests.routers.test_consultations import OFFICER, Auth
from tests.support.statements import StatementRecorder

SECONDS = 0.3
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, as the builders expect


@pytest.fixture
async def cached(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update={"public_cache_seconds": SECONDS}), database=database
    )
    async with client_for(app) as client:
        yield client


async def titles(client: httpx.AsyncClient, **headers: str) -> list[str]:
    response = await client.get("/v1/consultations", headers=headers)
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


async def test_anonymous_readers_share_one_answer_until_it_lapses(
    cached: httpx.AsyncClient, auth: Auth
) -> None:
    first = await published(cached, auth)
    response = await cached.get("/v1/consultations")
    assert response.headers["cache-control"] == f"public, max-age={int(SECONDS)}"
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in response.headers["vary"].split(",")}
    second = await published(cached, auth)
    assert await titles(cached) == [first["reference"]]  # the shared answer, not yet lapsed
    await asyncio.sleep(SECONDS + 0.05)
    assert set(await titles(cached)) == {first["reference"], second["reference"]}


async def test_callers_with_a_token_are_never_served_a_shared_answer(
    cached: httpx.AsyncClient, auth: Auth
) -> None:
    first = await published(cached, auth)
    assert await titles(cached) == [first["reference"]]
    second = await published(cached, auth)
    officer = auth(*OFFICER)
    assert set(await titles(cached, **officer)) == {first["reference"], second["reference"]}
    response = await cached.get("/v1/consultations", headers=officer)
    assert response.headers["cache-control"] == "no-store"


async def test_each_language_and_format_has_its_own_answer(cached: httpx.AsyncClient) -> None:
    path = "/v1/statistics/participation?year=2026"
    csv = await cached.get(path, headers={"Accept": "text/csv"})
    json = await cached.get(path, headers={"Accept": "application/json"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert json.headers["content-type"].startswith("application/json")
    arabic = await cached.get(
        "/v1/consultations?status=nonsense", headers={"Accept-Language": "ar"}
    )
    english = await cached.get(
        "/v1/consultations?status=nonsense", headers={"Accept-Language": "en"}
    )
    assert arabic.status_code == english.status_code == 422
    assert arabic.json()["title"] != english.json()["title"]
    assert "public" not in arabic.headers.get("cache-control", "")  # only a 200 is shared


async def test_concurrent_first_askers_wait_for_one_rendering(
    cached: httpx.AsyncClient, auth: Auth, statements: StatementRecorder
) -> None:
    await published(cached, auth)
    statements.clear()
    answers = await asyncio.gather(*(cached.get("/v1/consultations?limit=5") for _ in range(10)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    lists = [s for s in statements.selects() if "FROM consultations" in s.sql]
    assert len(lists) == 1


async def test_concurrent_askers_of_an_unshareable_answer_each_get_their_own() -> None:
    renderings: list[str] = []

    async def refusing(scope: Scope, receive: Receive, send: Send) -> None:
        renderings.append(scope["path"])
        await asyncio.sleep(0.01)  # others arrive while this one renders
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"busy"})

    middleware = PublicCacheMiddleware(refusing, paths=frozenset({"/v1/datasets"}), seconds=5)
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = await asyncio.gather(*(client.get("/v1/datasets") for _ in range(10)))
    assert [a.status_code for a in answers] == [503] * 10
    assert len(renderings) == 10  # nothing shared: every caller got its own answer
    assert len(middleware.rendering) == 0  # nothing left under way


async def test_a_lapsed_answer_is_refreshed_by_one_caller_while_the_others_get_it_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(public_cache, "monotonic", lambda: now[0])
    versions = iter(("first", "second"))
    release = asyncio.Event()

    async def slow_when_refreshing(scope: Scope, receive: Receive, send: Send) -> None:
        body = next(versions).encode()
        if body == b"second":
            await release.wait()  # the refresh takes its time
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    middleware = PublicCacheMiddleware(
        slow_when_refreshing, paths=frozenset({"/v1/datasets"}), seconds=2
    )
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/v1/datasets")).text == "first"
        now[0] += 2  # lapsed
        refreshing = asyncio.create_task(client.get("/v1/datasets"))
        await asyncio.sleep(0.01)
        assert (await client.get("/v1/datasets")).text == "first"  # not kept waiting
        release.set()
        assert (await refreshing).text == "second"
        assert (await client.get("/v1/datasets")).text == "second"

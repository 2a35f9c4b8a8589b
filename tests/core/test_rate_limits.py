"""Rate limits through HTTP: per-caller budgets for writes and searches, 429s, shared Redis."""

import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio
from fastapi import FastAPI

from app.core.config import ConfigurationError, Settings
from app.core.db import Database
from app.core.rate_limits import Budget, RateLimits, budget_for
from app.main import create_app

Auth = Callable[..., dict[str, str]]
REDIS_URL = "redis://127.0.0.1:6379/0"
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens, refused at once
HOME = "198.51.100.7"  # documentation addresses (RFC 5737)
CAFE = "203.0.113.20"
SUGGESTION = {"kind": "suggestion", "channel": "website", "body": "ممشى على طريق الملك"}
TINY = {"rate_limits_enabled": True, "rate_limit_writes": "2/minute"}


def limited(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update=TINY | overrides)


@asynccontextmanager
async def client_from(app: FastAPI, address: str = HOME) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/v1/submissions", json=SUGGESTION, headers=headers or {})


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("method", "path", "searches", "budget"),
    [
        ("POST", "/v1/submissions", False, Budget.WRITES),
        ("PATCH", "/v1/datasets/roads", False, Budget.WRITES),
        ("DELETE", "/v1/calendar/holidays/2026-03-20", False, Budget.WRITES),
        ("PUT", "/v1/consultations/x/feedback", False, Budget.WRITES),
        ("GET", "/v1/consultations", True, Budget.SEARCHES),
        ("GET", "/v1/statistics/participation", False, Budget.SEARCHES),
        ("GET", "/api/3/action/package_search", False, Budget.SEARCHES),
        ("POST", "/api/action/package_search", False, Budget.SEARCHES),
        ("POST", "/api/3/action/package_show", False, None),
        ("GET", "/v1/consultations", False, None),
        ("GET", "/v1/datasets/roads", False, None),
        ("GET", "/health/live", True, None),
        ("GET", "/health/ready", False, None),
        ("GET", "/metrics", True, None),
    ],
)
def test_which_requests_draw_on_which_budget(
    method: str, path: str, searches: bool, budget: Budget | None
) -> None:
    assert budget_for(method, path, searches=searches) is budget


async def test_the_third_write_in_a_minute_is_429_with_retry_after(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings), database=database)
    headers = auth("u1", "beneficiary")
    async with client_from(app) as client:
        first, second = await submit(client, headers), await submit(client, headers)
        third = await submit(client, headers | {"Accept-Language": "en"})
        arabic = await submit(client, headers)
        mine = await client.get("/v1/submissions", headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.headers["ratelimit-remaining"], second.headers["ratelimit-remaining"]) == (
        "1",
        "0",
    )
    assert third.status_code == 429
    assert third.headers["content-type"] == "application/problem+json"
    assert third.json()["code"] == "rate_limited"
    assert third.json()["title"] == "Too many requests"
    assert arabic.json()["title"] == "طلبات كثيرة"
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert third.headers["ratelimit-limit"] == "2"
    assert third.headers["ratelimit-remaining"] == "0"
    assert third.headers["x-request-id"] == third.json()["request_id"]
    assert len(mine.json()["items"]) == 2, "a refused write must not be carried out"


async def test_another_caller_at_the_same_address_keeps_their_own_budget(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings), database=database)
    async with client_from(app) as client:
        for _ in range(3):
            await submit(client, auth("u1", "beneficiary"))
        other = await submit(client, auth("u2", "beneficiary"))
    assert other.status_code == 201
    assert other.headers["ratelimit-remaining"] == "1"


async def test_reads_are_not_limited_and_carry_no_rate_limit_headers(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings, rate_limit_searches="1/minute"), database=database)
    headers = auth("u1", "beneficiary")
    async with client_from(app) as client:
        for _ in range(3):
            await submit(client, headers)
        reads = [await client.get("/v1/consultations", headers=headers) for _ in range(5)]
        health = [await client.get("/health/live?q=x") for _ in range(3)]
        metrics = [await client.get("/metrics") for _ in range(3)]
    assert {response.status_code for response in reads + health + metrics} == {200}
    assert all("ratelimit-limit" not in response.headers for response in reads)


async def test_searches_and_statistics_share_a_budget_apart_from_writes(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings, rate_limit_searches="2/minute"), database=database)
    async with client_from(app) as client:
        search = await client.get("/v1/consultations?q=طريق")
        statistics = await client.get("/v1/statistics/participation?year=2026")
        refused = await client.get("/v1/datasets?q=roads")
        write = await submit(client, auth("u1", "beneficiary"))
    assert (search.status_code, statistics.status_code) == (200, 200)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert write.status_code == 201


async def test_a_token_holder_is_counted_by_subject_wherever_they_call_from(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings), database=database)
    headers = auth("u1", "beneficiary")
    async with client_from(app, HOME) as home, client_from(app, CAFE) as cafe:
        assert (await submit(home, headers)).status_code == 201
        assert (await submit(cafe, headers)).status_code == 201
        assert (await submit(cafe, headers)).status_code == 429
        assert (await submit(home, headers)).status_code == 429


async def test_anonymous_callers_and_invalid_tokens_are_counted_by_address(
    settings: Settings, database: Database
) -> None:
    app = create_app(limited(settings), database=database)
    forged = {"Authorization": "Bearer not-a-token"}
    async with client_from(app, HOME) as home, client_from(app, CAFE) as cafe:
        answers = [await submit(home), await submit(home, forged), await submit(home)]
        elsewhere = await submit(cafe)
    assert [response.status_code for response in answers] == [401, 401, 429]
    assert elsewhere.status_code == 401


async def test_a_refused_token_holder_does_not_spend_their_neighbours_budget(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings), database=database)
    async with client_from(app, HOME) as home:
        for _ in range(3):
            await submit(home)
        signed_in = await submit(home, auth("u1", "beneficiary"))
    assert signed_in.status_code == 201


async def test_disabled_rate_limits_never_refuse(
    settings: Settings, database: Database, auth: Auth
) -> None:
    app = create_app(limited(settings, rate_limits_enabled=False), database=database)
    async with client_from(app) as client:
        answers = [await submit(client, auth("u1", "beneficiary")) for _ in range(4)]
    assert {response.status_code for response in answers} == {201}
    assert app.state.rate_limits is None


async def test_an_unreachable_redis_fails_open_with_a_warning(
    settings: Settings, database: Database, auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(limited(settings, redis_url=UNREACHABLE_REDIS_URL), database=database)
    caplog.set_level(logging.WARNING, logger="beneficiary.rate_limits")
    try:
        async with client_from(app) as client:
            answers = [await submit(client, auth("u1", "beneficiary")) for _ in range(4)]
    finally:
        await app.state.rate_limits.close()
    assert {response.status_code for response in answers} == {201}
    warnings = [r for r in caplog.records if r.name == "beneficiary.rate_limits"]
    assert len(warnings) == 1, "one warning per pause, not one per request"
    assert "serving without limits" in warnings[0].getMessage()


class SharedRedis:
    """Rate limits in the real Redis under a key prefix of one test's own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = limited(settings, redis_url=REDIS_URL)
        self.prefix = f"beneficiary-test-{uuid.uuid4().hex}"
        self.made: list[RateLimits] = []

    def rate_limits(self) -> RateLimits:
        self.made.append(RateLimits(self.settings, key_prefix=self.prefix))
        return self.made[-1]

    async def keys(self) -> list[str]:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            return [key.decode() async for key in client.scan_iter(match=f"{self.prefix}:*")]
        finally:
            await client.aclose()

    async def clean_up(self) -> None:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            if keys := await self.keys():
                await client.delete(*keys)
        finally:
            await client.aclose()
            for rate_limits in self.made:
                await rate_limits.close()


@pytest.fixture
async def shared_redis(settings: Settings) -> AsyncIterator[SharedRedis]:
    if not redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL}")
    shared = SharedRedis(settings)
    yield shared
    await shared.clean_up()


async def test_two_app_instances_share_one_budget_in_redis(
    database: Database, auth: Auth, shared_redis: SharedRedis
) -> None:
    settings = shared_redis.settings
    first_app = create_app(settings, database=database, rate_limits=shared_redis.rate_limits())
    second_app = create_app(settings, database=database, rate_limits=shared_redis.rate_limits())
    headers = auth("redis-user", "beneficiary")
    async with client_from(first_app) as first, client_from(second_app) as second:
        answers = [
            await submit(first, headers),
            await submit(second, headers),
            await submit(first, headers),
            await submit(second, headers),
        ]
    assert [response.status_code for response in answers] == [201, 201, 429, 429]
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    keys = await shared_redis.keys()
    assert len(keys) == 1, "one budget for the one caller, whichever instance served them"
    assert "redis-user" not in keys[0], "callers are kept in Redis only as hashes"


@pytest.mark.parametrize("value", ["lots", "10/fortnight"])
def test_a_budget_that_is_not_a_rate_limit_stops_the_service_with_the_setting_named(
    settings: Settings, database: Database, value: str
) -> None:
    with pytest.raises(ConfigurationError, match="BENEFICIARY_RATE_LIMIT_WRITES"):
        create_app(limited(settings, rate_limit_writes=value), database=database)

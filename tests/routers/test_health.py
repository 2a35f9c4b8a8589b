"""Operators' endpoints: liveness, readiness, metrics, request ids and the access log."""

import logging
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.conftest import client_for


async def test_liveness_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_is_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_not_ready_when_database_is_unreachable(
    settings: Settings, tmp_path: Path, kind: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    url = {
        "sqlite": f"sqlite+aiosqlite:///{blocker}/db.sqlite",
        "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:1/nothing",
    }[kind]
    broken = settings.model_copy(update={"database_url": url})
    database = Database(broken)
    async with client_for(create_app(broken, database=database)) as client:
        response = await client.get("/health/ready", headers={"Accept-Language": "en"})
    await database.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["detail"] == "database unreachable"


async def test_not_ready_when_schema_is_behind(fresh_database_url: str, settings: Settings) -> None:
    empty = settings.model_copy(update={"database_url": fresh_database_url})
    database = Database(empty)
    async with client_for(create_app(empty, database=database)) as client:
        response = await client.get("/health/ready", headers={"Accept-Language": "en"})
    await database.dispose()
    assert response.status_code == 503
    assert "latest migration" in response.json()["detail"]


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/health/live")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    unsafe = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith tab"})
    assert unsafe.headers["x-request-id"] != "bad id\twith tab"


async def test_metrics_are_labelled_by_route_template_not_raw_path(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/health/live")
    await client.get("/v1/does-not-exist/12345")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert (
        'beneficiary_http_requests_total{method="GET",route="/health/live",status="200"} 1.0'
        in text
    )
    assert 'route="<unmatched>",status="404"' in text
    assert "12345" not in text
    assert "beneficiary_http_request_duration_seconds_bucket" in text


async def test_access_log_has_one_json_line_without_token(
    client: httpx.AsyncClient, auth, caplog: pytest.LogCaptureFixture
) -> None:
    headers = auth("u1", "beneficiary")
    with caplog.at_level(logging.INFO, logger="beneficiary.access"):
        await client.get("/v1/me?x=secret-query", headers=headers)
    records = [record for record in caplog.records if record.name == "beneficiary.access"]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.route, record.status) == ("GET", "/v1/me", 200)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    from app.core.logging import JsonFormatter

    line = JsonFormatter().format(record)
    assert headers["Authorization"].split()[1] not in line
    assert "secret-query" not in line

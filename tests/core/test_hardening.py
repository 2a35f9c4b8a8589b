"""HTTP hardening: security headers, CORS, docs switch, length caps and control characters."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.responses import JSONResponse

from app.core.config import Environment, Settings
from app.core.db import Database
from app.main import create_app, docs_served
from tests.conftest import client_for

Auth = Callable[..., dict[str, str]]
WEBSITE = "https://www.asir.gov.sa"
ELSEWHERE = "https://evil.example"
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
SAFE_FORMATS = frozenset({"date", "date-time", "uuid"})
# String inputs that need no cap of their own, with the reason. Keep this list short.
UNCAPPED_EXCEPTIONS: dict[str, str] = {}


def app_with(settings: Settings, database: Database, **overrides: Any) -> FastAPI:
    return create_app(settings.model_copy(update=overrides), database=database)


async def test_every_response_says_nosniff(client: httpx.AsyncClient, auth: Auth) -> None:
    responses = [
        await client.get("/health/live"),
        await client.get("/v1/no-such-thing"),
        await client.get("/v1/me"),
        await client.get("/v1/me", headers=auth("u1", "beneficiary")),
        await client.post(
            "/v1/submissions", content=b"x=1", headers={"Content-Type": "text/plain"}
        ),
    ]
    assert [response.status_code for response in responses] == [200, 404, 401, 200, 415]
    assert {response.headers["x-content-type-options"] for response in responses} == {"nosniff"}


async def test_answers_to_authenticated_requests_are_never_stored(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    mine = await client.get("/v1/me", headers=auth("u1", "beneficiary"))
    refused = await client.get("/v1/me", headers={"Authorization": "Bearer forged"})
    public = await client.get("/v1/consultations")
    assert mine.headers["cache-control"] == "no-store"
    assert refused.headers["cache-control"] == "no-store"
    assert "cache-control" not in public.headers


async def test_a_route_that_sets_its_own_caching_keeps_it(app: FastAPI, auth: Auth) -> None:
    @app.get("/v1/_cached")
    async def cached() -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"Cache-Control": "private, max-age=60"})

    async with client_for(app) as client:
        response = await client.get("/v1/_cached", headers=auth("u1", "beneficiary"))
    assert response.headers["cache-control"] == "private, max-age=60"


async def test_hsts_is_sent_only_when_configured(
    settings: Settings, database: Database, client: httpx.AsyncClient
) -> None:
    app = app_with(settings, database, hsts_max_age_seconds=31_536_000)
    async with client_for(app) as hardened:
        response = await hardened.get("/health/live")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "strict-transport-security" not in (await client.get("/health/live")).headers


@pytest.fixture
def cors_app(settings: Settings, database: Database) -> FastAPI:
    return app_with(settings, database, cors_allow_origins=[WEBSITE])


def preflight(origin: str, method: str = "POST", headers: str = "authorization") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def test_the_website_may_call_with_a_token_and_read_the_useful_headers(
    cors_app: FastAPI, auth: Auth
) -> None:
    request_headers = "authorization,content-type,if-match,idempotency-key,accept-language"
    async with client_for(cors_app) as client:
        allowed = await client.options(
            "/v1/submissions", headers=preflight(WEBSITE, "POST", request_headers)
        )
        actual = await client.get("/v1/me", headers=auth("u1") | {"Origin": WEBSITE})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == WEBSITE
    assert "access-control-allow-credentials" not in allowed.headers
    allowed_headers = allowed.headers["access-control-allow-headers"].lower()
    assert all(name in allowed_headers for name in request_headers.split(","))
    assert actual.headers["access-control-allow-origin"] == WEBSITE
    exposed = actual.headers["access-control-expose-headers"].lower()
    assert all(name in exposed for name in ("etag", "location", "retry-after"))


async def test_other_origins_get_no_cors_grant(
    cors_app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with client_for(cors_app) as with_cors:
        refused = await with_cors.options("/v1/submissions", headers=preflight(ELSEWHERE))
        simple = await with_cors.get("/v1/consultations", headers={"Origin": ELSEWHERE})
    unconfigured = await client.get("/v1/consultations", headers={"Origin": WEBSITE})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-origin" not in unconfigured.headers


async def test_docs_are_served_by_default_outside_production(client: httpx.AsyncClient) -> None:
    answers = [await client.get(path) for path in DOCS_PATHS]
    assert [response.status_code for response in answers] == [200, 200, 200]
    assert answers[2].json()["info"]["title"] == "Beneficiary API"


async def test_disabled_docs_are_404(settings: Settings, database: Database) -> None:
    app = app_with(settings, database, docs_enabled=False)
    async with client_for(app) as client:
        answers = [await client.get(path) for path in DOCS_PATHS]
    assert [response.status_code for response in answers] == [404, 404, 404]
    assert app.openapi()["info"]["title"] == "Beneficiary API", "the contract can still be exported"


async def test_production_hides_the_docs_unless_enabled(
    settings: Settings, database: Database
) -> None:
    production: dict[str, Any] = {
        "environment": Environment.PRODUCTION,
        "database_url": "postgresql+asyncpg://beneficiary@db.invalid/beneficiary",
        "jwt_issuer": "https://sso.example",
        "jwt_audience": "beneficiary-api",
        "encryption_keys": SecretStr(Fernet.generate_key().decode()),
    }
    app = app_with(settings, database, **production)
    async with client_for(app) as client:
        hidden = await client.get("/docs")
    assert hidden.status_code == 404
    assert docs_served(Settings(**production)) is False
    assert docs_served(Settings(**production, docs_enabled=True)) is True
    assert docs_served(Settings(environment=Environment.DEVELOPMENT)) is True


def _string_inputs(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string schema a caller can send: request-body properties and query parameters."""
    components = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from _strings_in(content["schema"], where, components, set())
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    name = f"{where} ?{parameter['name']}"
                    yield from _strings_in(parameter["schema"], name, components, set())


def _strings_in(
    schema: dict[str, Any], where: str, components: dict[str, Any], seen: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        schema, where = components[name], f"{where} ({name})"
    if schema.get("type") == "string":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _strings_in(option, where, components, seen)
    if isinstance(items := schema.get("items"), dict):
        yield from _strings_in(items, f"{where}[]", components, seen)
    for name, field in schema.get("properties", {}).items():
        yield from _strings_in(field, f"{where}.{name}", components, seen)
    if isinstance(extra := schema.get("additionalProperties"), dict):
        yield from _strings_in(extra, f"{where}{{*}}", components, seen)


def _capped(schema: dict[str, Any]) -> bool:
    bounded = any(key in schema for key in ("maxLength", "enum", "const", "pattern"))
    return bounded or schema.get("format") in SAFE_FORMATS


def test_every_string_a_caller_sends_has_a_length_cap(app: FastAPI) -> None:
    inputs = list(_string_inputs(app.openapi()))
    uncapped = sorted({where for where, schema in inputs if not _capped(schema)})
    assert len(inputs) > 100, "the walk must reach the request bodies and query parameters"
    assert uncapped == sorted(UNCAPPED_EXCEPTIONS)


CONTROL_CHARACTERS = ["\u0000", "\u001b", "\u0007", "\u202e"]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
async def test_a_control_character_in_a_submission_is_422(
    client: httpx.AsyncClient, auth: Auth, character: str
) -> None:
    body = {"kind": "suggestion", "channel": "website", "body": f"ممشى{character} على الطريق"}
    response = await client.post("/v1/submissions", json=body, headers=auth("b1", "beneficiary"))
    mine = await client.get("/v1/submissions", headers=auth("b1", "beneficiary"))
    assert response.status_code == 422
    assert "body.body" in [error["field"] for error in response.json()["errors"]]
    assert mine.json()["items"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "ميزانية\u0000 الطرق"),
        ("description", "أطلب بيان\u001b[31m المبالغ"),
    ],
)
async def test_a_control_character_in_an_information_request_is_422(
    client: httpx.AsyncClient, auth: Auth, field: str, value: str
) -> None:
    body = {
        "subject": "ميزانية مشاريع الطرق في أبها",
        "description": "أطلب بيان المبالغ المصروفة على مشاريع الطرق.",
        "category": "reports_statistics",
        field: value,
    }
    headers = auth("b1", "beneficiary")
    response = await client.post("/v1/information-requests", json=body, headers=headers)
    assert response.status_code == 422
    assert f"body.{field}" in [error["field"] for error in response.json()["errors"]]
    assert value not in response.text, "the refusal does not echo the input"


async def test_line_breaks_and_tabs_stay_allowed_in_long_text(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    body = {"kind": "comment", "channel": "website", "body": "السطر الأول\nالسطر الثاني\tمع جدولة"}
    response = await client.post("/v1/submissions", json=body, headers=auth("b1", "beneficiary"))
    assert response.status_code == 201

"""Contract fuzzing: schemathesis drives every operation of ``openapi/openapi.json``.

Each generated request goes through the app in-process (the ``client`` fixture, on the test's
event loop, so PostgreSQL's rolled-back outer transaction isolates it) once per caller that may
use the operation: anonymous and a caller holding every role on public routes, a token for each
role that grants the route's permission on protected ones. Every response must be no server
error, a documented status code with a documented content type and headers, and a body that
matches its declared schema. ``BENEFICIARY_FUZZ_EXAMPLES`` raises the examples per operation and
``BENEFICIARY_FUZZ_SEED`` draws other ones.
"""

import asyncio
import importlib
import json
import os
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, reject, settings
from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from sqlalchemy import select

from app import routers
from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.db import Database
from app.core.security import ROLE_PERMISSIONS, Permission, Role
from app.models.event import Notification
from app.models.webhook import WebhookDelivery
from app.services import events, webhook_delivery, webhook_targets
from app.services.event_types import EventType
from tests.routers.test_appeals import add_request, filed
from tests.routers.test_datasets import add_distribution, published
from tests.routers.test_disclosure_log import decided, publish
from tests.routers.test_events import Item, happen
from tests.routers.test_submissions import add_consultation, submit
from tests.services.test_webhook_delivery import FakeDns

CONTRACT = Path(__file__).parent.parent / "openapi" / "openapi.json"
EXAMPLES = int(os.environ.get("BENEFICIARY_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("BENEFICIARY_FUZZ_SEED", "20260315"))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]

# Explicit, so no schemathesis.toml lying around changes what CI runs.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_path(CONTRACT, config=CONFIG)

Auth = Callable[..., dict[str, str]]
BENEFICIARY = "fuzz-beneficiary"  # the sub callers_for gives the beneficiary role
HOLIDAY = "2026-03-19"
ANSWER = {"response": {"ar": "صُرف 120 مليون ريال.", "en": "SAR 120 million."}}
STEERED_HEADERS = frozenset({"if-match", "idempotency-key"})
Caller = tuple[str, frozenset[Role]]
ANONYMOUS: Caller = ("anonymous", frozenset())
EVERY_ROLE: Caller = ("every-role", frozenset(Role))


def _permissions_in(dependant: Dependant) -> Iterator[Permission]:
    """Permissions named by ``require``/``require_any`` anywhere in a route's dependencies."""
    for dependency in dependant.dependencies:
        yield from getattr(dependency.call, "required_permissions", ())
        yield from _permissions_in(dependency)


def _permissions_by_operation() -> dict[tuple[str, str], frozenset[Permission]]:
    """``(METHOD, path)`` of every route in ``app.routers`` to the permissions it requires."""
    needed: dict[tuple[str, str], frozenset[Permission]] = {}
    for module_info in pkgutil.iter_modules(routers.__path__):
        module = importlib.import_module(f"{routers.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        for route in getattr(router, "routes", ()):
            if isinstance(route, APIRoute):
                permissions = frozenset(_permissions_in(route.dependant))
                needed |= {(method, route.path): permissions for method in route.methods}
    return needed


PERMISSIONS = _permissions_by_operation()


def callers_for(case: Case) -> list[Caller]:
    """Anonymous and an all-roles caller on open routes; each granting role on protected ones."""
    needed = PERMISSIONS[(case.operation.method.upper(), case.operation.path)]
    if not needed:
        return [ANONYMOUS, EVERY_ROLE]
    return [(role.value, frozenset({role})) for role in Role if ROLE_PERMISSIONS[role] & needed]


def httpx_arguments(case: Case, authorization: str | None) -> dict[str, Any]:
    """The case as ``httpx.AsyncClient.request`` arguments, with the caller's token."""
    arguments = case.as_transport_kwargs(base_url="http://testserver")
    assert not arguments.pop("cookies", None), "the contract declares no cookies"
    headers = {
        name: value
        for name, value in (arguments.pop("headers") or {}).items()
        if name.lower() != "authorization"  # generated ones may be spelled in any case
    }
    if authorization is not None:
        headers["Authorization"] = authorization
    if "data" in arguments:  # requests-style raw body: httpx calls it ``content``
        arguments["content"] = arguments.pop("data")
    return arguments | {"headers": headers}


class Seeds:
    """Real rows for path parameters, made on first use within one test (one operation).

    Random ids only ever reach "404 not found"; real ones take the fuzzed query and body into
    the services. Every row belongs to, or is visible to, the callers of ``callers_for``.
    """

    def __init__(
        self, client: httpx.AsyncClient, auth: Auth, database: Database, settings: Settings
    ) -> None:
        self.client, self.auth, self.database, self.settings = client, auth, database, settings
        self.values: dict[str, str] = {}

    async def values_for(self, names: Iterable[str]) -> dict[str, str]:
        for name in names:
            if name not in self.values:
                self.values |= await self._make(name)
        return {name: self.values[name] for name in names}

    async def _make(self, name: str) -> dict[str, str]:
        if name == "consultation_id":
            return {name: await self._consultation_with_poll()}
        if name == "submission_id":
            receipt = await submit(self.client, self.auth(BENEFICIARY, "beneficiary"))
            return {name: receipt["id"]}
        if name == "request_id":
            return {name: await add_request(self.database, "refused", requester=BENEFICIARY)}
        if name == "appeal_id":
            return {name: await self._appeal()}
        if name == "entry_id":
            return {name: await self._disclosure_entry()}
        if name in {"dataset", "slug", "distribution_id"}:
            return await self._dataset_with_distribution()
        if name == "day":
            return {name: await self._holiday()}
        if name == "event_id":
            return {name: (await happen(self.database, EventType.REQUEST_ANSWERED))[0]}
        if name == "notification_id":
            return {name: await self._notification()}
        if name in {"webhook_id", "delivery_id"}:
            return await self._webhook_delivery()
        raise AssertionError(f"no seed for the path parameter {name!r}")

    async def _consultation_with_poll(self) -> str:
        consultation_id = await add_consultation(self.database)
        officer = self.auth("fuzz-participation_officer", "participation_officer")
        rating = {"kind": "rating", "prompt": {"ar": "قيّم الحدائق", "en": "Rate the parks"}}
        url = f"/v1/consultations/{consultation_id}/poll/questions"
        response = await self.client.put(url, json={"questions": [rating]}, headers=officer)
        assert response.status_code == 200, response.text
        return consultation_id

    async def _appeal(self) -> str:
        request_id = await add_request(self.database, "refused", requester=BENEFICIARY)
        appeal = await filed(self.client, self.auth(BENEFICIARY, "beneficiary"), request_id)
        return str(appeal["id"])

    async def _disclosure_entry(self) -> str:
        receipt = await decided(self.client, self.auth, {"outcome": "answered", **ANSWER})
        response = await publish(self.client, self.auth, receipt["id"])
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def _dataset_with_distribution(self) -> dict[str, str]:
        dataset = await published(self.client, self.auth)
        response = await add_distribution(self.client, self.auth, dataset)
        assert response.status_code == 201, response.text
        slug = dataset["slug"]
        return {"dataset": slug, "slug": slug, "distribution_id": response.json()["id"]}

    async def _notification(self) -> str:
        """One in the beneficiary caller's inbox (other callers rightly get 404)."""
        async with self.database.sessions() as session:
            event = await events.emit(
                session, EventType.REQUEST_ANSWERED, Item(), owner=BENEFICIARY
            )
            await session.commit()
            notification = await session.scalar(
                select(Notification.id).where(Notification.event_id == event.id)
            )
        return str(notification)

    async def _webhook_delivery(self) -> dict[str, str]:
        admin = self.auth("fuzz-admin", "admin")
        body = {"url": "https://hooks.example.com/fuzz"}
        response = await self.client.post("/v1/webhooks", json=body, headers=admin)
        assert response.status_code == 201, response.text
        await happen(self.database, EventType.REQUEST_ANSWERED)
        await webhook_delivery.fan_out(self.database, self.settings)
        async with self.database.sessions() as session:
            delivery = await session.scalar(select(WebhookDelivery.id))
        return {"webhook_id": response.json()["id"], "delivery_id": str(delivery)}

    async def _holiday(self) -> str:
        holiday = {"date": HOLIDAY, "name": {"ar": "إجازة", "en": "A holiday"}}
        admin = self.auth("fuzz-admin", "admin")
        response = await self.client.post("/v1/calendar/holidays", json=holiday, headers=admin)
        assert response.status_code == 201, response.text
        return HOLIDAY


def is_positive_fuzzing(case: Case) -> bool:
    """A fuzzing-phase case whose path and headers are valid (other phases probe those)."""
    if case.meta is None or case.meta.phase.name is not TestPhase.FUZZING:
        return False
    components = case.meta.components
    return all(
        components[location].mode is GenerationMode.POSITIVE
        for location in (ParameterLocation.PATH, ParameterLocation.HEADER)
        if location in components
    )


async def steer_into_the_services(case: Case, seeds: Seeds) -> None:
    """Real rows for the ids, and no random ``If-Match`` or ``Idempotency-Key``.

    Otherwise nearly every write stops at 404 (random id), 412 (random version) or 400 (random
    key) before the fuzzed query and body reach the services. The coverage and examples phases
    and the negative cases still probe ids and those headers.
    """
    if case.path_parameters:
        case.path_parameters |= await seeds.values_for(case.path_parameters)
    if case.headers:
        for name in [name for name in case.headers if name.lower() in STEERED_HEADERS]:
            del case.headers[name]


@pytest.fixture
def seeds(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    settings: Settings,
    frozen_clock: FrozenClock,
) -> Seeds:
    """Seeds on the frozen clock (2026-03-15), on which the borrowed test helpers build."""
    return Seeds(client, auth, database, settings)


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook URLs are resolved by a table, not the network (a fuzzed host fails as unknown)."""
    monkeypatch.setattr(webhook_targets, "resolve_host", FakeDns())


@pytest.fixture
async def fixtures_loop() -> asyncio.AbstractEventLoop:
    """The event loop of the async fixtures, which PostgreSQL's connection is bound to."""
    return asyncio.get_running_loop()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_operation_honours_its_contract(
    case: Case,
    client: httpx.AsyncClient,
    token: Callable[..., str],
    seeds: Seeds,
    fixtures_loop: asyncio.AbstractEventLoop,
) -> None:
    # Sync on purpose: schemathesis runs an async test on asyncio.get_event_loop(), which is a
    # new loop once another test has called asyncio.run(); the fixtures' loop is the right one.
    fixtures_loop.run_until_complete(exercise(case, client, token, seeds))


async def exercise(
    case: Case, client: httpx.AsyncClient, token: Callable[..., str], seeds: Seeds
) -> None:
    """Send the case as every caller of the operation and check each response."""
    if is_positive_fuzzing(case):
        await steer_into_the_services(case, seeds)
    for sub, roles in callers_for(case):
        authorization = f"Bearer {token(f'fuzz-{sub}', *roles)}" if roles else None
        try:
            request = client.build_request(**httpx_arguments(case, authorization))
        except httpx.InvalidURL:
            # httpx will not send a URL over 64 KiB (nor would any proxy or server in front of
            # the app); such a case never reaches the service, so it proves nothing about it.
            reject()
        response = await client.send(request)
        case.validate_response(response, checks=CHECKS)


# What the fuzzer found, pinned with known inputs.

DOCUMENT = json.loads(CONTRACT.read_text(encoding="utf-8"))


def documented_statuses(method: str, path: str) -> set[str]:
    return set(DOCUMENT["paths"][path][method.lower()]["responses"])


async def test_a_holiday_patched_with_null_name_is_refused_not_a_server_error(
    client: httpx.AsyncClient, auth: Auth, seeds: Seeds
) -> None:
    day = (await seeds.values_for(["day"]))["day"]
    admin = auth("fuzz-admin", "admin") | {"Accept-Language": "en"}
    url = f"/v1/calendar/holidays/{day}"
    response = await client.patch(url, json={"name": None, "source": None}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert "name, source cannot be null" in response.json()["errors"][0]["message"]
    cleared = await client.patch(url, json={"source_reference": None}, headers=admin)
    assert (cleared.status_code, cleared.json()["source_reference"]) == (200, None)
    assert cleared.json()["name"] == {"ar": "إجازة", "en": "A holiday"}


async def test_a_body_that_is_not_utf8_is_a_documented_400(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    headers = auth(BENEFICIARY, "beneficiary") | {"Content-Type": "application/json"}
    response = await client.post("/v1/submissions", content=b'{"body": "\xff"}', headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert "400" in documented_statuses("POST", "/v1/submissions")


async def test_a_holiday_cursor_not_handed_out_is_a_documented_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/calendar/holidays?cursor=not-a-cursor")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")
    assert "400" in documented_statuses("GET", "/v1/calendar/holidays")


async def test_ckan_answers_a_body_that_is_not_an_object_with_the_documented_string(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/3/action/package_list", json=[None, None])
    assert response.status_code == 400
    assert response.json() == (
        "Bad request - Request data JSON decoded to a non-object: it must be a dict"
    )
    declared = DOCUMENT["paths"]["/api/3/action/package_list"]["post"]["responses"]["4XX"]
    assert {"type": "string"} in declared["content"]["application/json"]["schema"]["anyOf"]


async def test_analytics_dates_out_of_the_calendar_range_are_refused(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    analyst = auth("fuzz-analyst", "analyst")
    for query in ("to=0001-01-01", "from=9999-12-31&to=9999-12-31"):
        response = await client.get(f"/v1/analytics/channels?{query}", headers=analyst)
        assert (response.status_code, response.json()["code"]) == (422, "date_out_of_range")


@pytest.mark.parametrize(
    "url",
    [
        "/v1/consultations?reference=CON%00",
        "/v1/submissions?q=%00",
        "/v1/datasets/road%00projects",
        "/v1/datasets/road%00projects.ttl",
    ],
)
async def test_a_nul_in_a_query_or_path_is_refused_on_both_databases(
    client: httpx.AsyncClient, auth: Auth, url: str
) -> None:
    response = await client.get(url, headers=auth(BENEFICIARY, "beneficiary"))
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert response.json()["errors"][0]["message"].endswith("control characters are not allowed")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/v1/consultations?opens_after=0001-01-01T00:00:00%2B05:00", None),
        ("GET", "/v1/consultations?closes_before=9999-12-31T23:00:00-05:00", None),
        ("POST", "/v1/consultations", {"opens_at": "9999-12-30T00:00:00-05:00"}),
        ("POST", "/v1/submissions/imports", {"received_at": "0001-01-01T01:00:00+03:00"}),
    ],
)
async def test_instants_that_overflow_utc_are_refused_not_a_server_error(
    client: httpx.AsyncClient, auth: Auth, method: str, url: str, body: dict[str, Any] | None
) -> None:
    roles = ("participation_officer", "channel_integrator")
    response = await client.request(method, url, json=body, headers=auth("fuzz-officer", *roles))
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    messages = {error["message"] for error in response.json()["errors"]}
    assert "Value error, must lie between the years 1900 and 2199" in messages


async def test_ckan_refuses_a_nul_and_takes_a_huge_limit_as_no_limit(
    client: httpx.AsyncClient, auth: Auth, seeds: Seeds
) -> None:
    slug = (await seeds.values_for(["dataset"]))["dataset"]
    refused = await client.post("/api/3/action/package_show", json={"id": "road\u0000"})
    assert (refused.status_code, refused.json()["error"]["__type"]) == (409, "Validation Error")
    listed = await client.get(f"/api/3/action/package_list?limit={10**30}&offset=0")
    assert (listed.status_code, listed.json()["result"]) == (200, [slug])
    beyond = await client.get(f"/api/3/action/package_list?offset={10**30}")
    assert (beyond.status_code, beyond.json()["result"]) == (200, [])


def test_every_operation_that_takes_a_body_documents_its_refusals() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if method.upper() in {"POST", "PUT", "PATCH"}:
                assert {"413", "415"} <= operation["responses"].keys(), f"{method} {path}"

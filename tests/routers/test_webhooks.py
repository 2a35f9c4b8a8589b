"""Managing webhooks over HTTP: subscribe, the secret shown once, URL rules, edits, pause,
delivery history and replay."""

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.config import Environment, Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.main import create_app
from app.models.audit_event import AuditEvent
from app.models.webhook import WebhookDelivery, WebhookSubscription
from app.services import webhook_delivery, webhook_targets
from app.services import webhooks as webhook_service
from app.services.event_types import EventType
from app.services.webhook_targets import TargetPolicy
from tests.conftest import client_for
from tests.services.test_webhook_delivery import PUBLIC_V4, FakeDns, Receiver, emit

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
URL = "https://hooks.example.com/beneficiary"
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(webhook_targets, "resolve_host", fake)
    return fake


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin-1", "admin") | EN


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/v1/webhooks", json={"url": URL} | body, headers=headers)


async def created(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await create(client, headers, **body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def stored(database: Database, subscription_id: str) -> WebhookSubscription:
    async with database.sessions() as session:
        return await session.get_one(
            WebhookSubscription, uuid.UUID(subscription_id), populate_existing=True
        )


async def actions(database: Database) -> list[str]:
    async with database.sessions() as session:
        statement = select(AuditEvent.action).where(AuditEvent.action.startswith("webhook."))
        return sorted((await session.scalars(statement)).all())


@pytest.fixture
def cipher(app: FastAPI) -> PersonalDataCipher:
    cipher: PersonalDataCipher = app.state.cipher
    return cipher


async def run_worker(
    database: Database, settings: Settings, cipher: PersonalDataCipher, receiver: Receiver
) -> int:
    await webhook_delivery.fan_out(database, settings)
    async with receiver.client() as client:
        return await webhook_delivery.deliver_due(
            database, settings, client, worker="w1", cipher=cipher
        )


# -- subscribing ---------------------------------------------------------------------------------


async def test_an_admin_subscribes_and_sees_the_generated_secret_only_once(
    client: httpx.AsyncClient, admin: dict[str, str], database: Database, cipher: PersonalDataCipher
) -> None:
    response = await create(client, admin, description="Ops dashboard", event_types=[])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/webhooks/{body['id']}"
    assert response.headers["etag"] == 'W/"1"'
    assert (body["url"], body["description"], body["event_types"]) == (URL, "Ops dashboard", [])
    assert (body["status"], body["created_by"], body["version"]) == ("active", "admin-1", 1)
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32

    row = await stored(database, body["id"])
    assert secret not in row.secret_encrypted, "stored encrypted"
    assert webhook_service.unseal(cipher, row.secret_encrypted) == secret
    read = await client.get(f"/v1/webhooks/{body['id']}", headers=admin)
    listed = await client.get("/v1/webhooks", headers=admin)
    assert "secret" not in read.json() and secret not in read.text
    assert secret not in listed.text and [i["id"] for i in listed.json()["items"]] == [body["id"]]
    assert read.headers["etag"] == 'W/"1"'
    assert await actions(database) == ["webhook.created"]


async def test_each_subscription_gets_its_own_secret_unless_one_is_given(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    given = "whsec_" + base64.b64encode(b"s" * 24).decode()
    first, second = await created(client, admin), await created(client, admin)
    assert first["secret"] != second["secret"]
    assert (await created(client, admin, secret=given))["secret"] == given


@pytest.mark.parametrize(
    "secret",
    [
        "s3cr3t",  # no prefix
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),  # under 24 bytes
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
    ],
)
async def test_a_given_secret_must_be_a_standard_webhooks_secret(
    client: httpx.AsyncClient, admin: dict[str, str], secret: str
) -> None:
    response = await create(client, admin, secret=secret)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert secret not in response.text, "the refused secret is not echoed"


async def test_an_unknown_event_type_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], database: Database
) -> None:
    response = await create(client, admin, event_types=["request.answered", "request.lost"])
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert response.json()["errors"][0]["field"] == "body.event_types.1"
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


async def test_event_types_are_kept_once_each_in_order(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    types = ["request.overdue", "appeal.decided", "request.overdue"]
    body = await created(client, admin, event_types=types)
    assert body["event_types"] == ["appeal.decided", "request.overdue"]


# -- where webhooks may go -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",  # loopback
        "https://localhost:8443/hook",  # a name for loopback
        "https://[::1]/hook",
        "https://10.0.0.8/hook",  # private
        "https://192.168.1.20/hook",
        "https://intranet.example.com/hook",  # a name resolving to a private address
        "https://split.example.com/hook",  # one public and one private address
        "https://[fd12:3456:789a::1]/hook",  # IPv6 unique local
        "https://[fe80::1]/hook",  # link-local
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata endpoint
        "https://[::ffff:169.254.169.254]/",  # the same, IPv4-mapped
        "https://224.0.0.1/hook",  # multicast
        "https://0.0.0.0/hook",  # unspecified
        "https://240.0.0.1/hook",  # reserved
        "https://100.64.0.1/hook",  # carrier-grade NAT
    ],
)
async def test_internal_and_reserved_targets_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], url: str
) -> None:
    response = await create(client, admin, url=url)
    assert (response.status_code, response.json()["code"]) == (422, "webhook_target_not_allowed")
    assert "public address" in response.json()["detail"]


async def app_client(
    app_settings: Settings, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(create_app(app_settings, database=database)) as client:
        yield client


async def test_private_targets_are_allowed_when_configured(
    settings: Settings, database: Database, admin: dict[str, str]
) -> None:
    allowing = settings.model_copy(update={"webhook_allow_private_targets": True})
    async for client in app_client(allowing, database):
        for url in ("https://10.0.0.8/hook", "https://intranet.example.com/", "http://[::1]:8080/"):
            response = await create(client, admin, url=url)
            assert response.status_code == 201, (url, response.text)


async def test_plain_http_is_refused_where_https_is_required(
    settings: Settings, database: Database, admin: dict[str, str], client: httpx.AsyncClient
) -> None:
    assert (await create(client, admin, url="http://hooks.example.com/")).status_code == 201
    strict = settings.model_copy(update={"webhook_allow_http": False})
    async for strict_client in app_client(strict, database):
        response = await create(strict_client, admin, url="http://hooks.example.com/")
        assert (response.status_code, response.json()["code"]) == (422, "webhook_https_required")
        assert (await create(strict_client, admin)).status_code == 201


def test_production_requires_https_unless_configured_otherwise(settings: Settings) -> None:
    production = settings.model_copy(update={"environment": Environment.PRODUCTION})
    assert TargetPolicy.of(production) == TargetPolicy(allow_http=False, allow_private=False)
    assert TargetPolicy.of(settings).allow_http, "allowed outside production"
    relaxed = production.model_copy(update={"webhook_allow_http": True})
    assert TargetPolicy.of(relaxed).allow_http


@pytest.mark.parametrize(
    "url",
    [
        "hooks.example.com/beneficiary",
        "/v1/hook",
        "ftp://hooks.example.com/",
        "https://",
        "https://user:password@hooks.example.com/",
        "https://hooks.example.com/#section",
        "https://hooks.example.com:99999/",
        "https://hooks.example.com:0/",
    ],
)
async def test_a_url_that_is_not_an_absolute_http_url_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], url: str
) -> None:
    response = await create(client, admin, url=url)
    assert (response.status_code, response.json()["code"]) == (422, "webhook_url_invalid")


async def test_a_host_that_does_not_resolve_is_refused_clearly(
    client: httpx.AsyncClient, admin: dict[str, str], dns: FakeDns
) -> None:
    response = await create(client, admin, url="https://hooks.example.invalid:8443/x")
    assert (response.status_code, response.json()["code"]) == (422, "webhook_host_unresolvable")
    assert dns.lookups == [("hooks.example.invalid", 8443)]


async def test_a_public_ipv6_host_is_accepted(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await create(client, admin, url="https://v6.example.com/hook")).status_code == 201
    assert (await create(client, admin, url=f"https://{PUBLIC_V4}/hook")).status_code == 201


# -- editing, pausing, deleting ------------------------------------------------------------------


async def test_an_edit_needs_the_current_version_and_checks_a_new_url(
    client: httpx.AsyncClient, admin: dict[str, str], database: Database
) -> None:
    subscription = await created(client, admin, description="Old", event_types=["appeal.filed"])
    path = f"/v1/webhooks/{subscription['id']}"
    change: dict[str, Any] = {
        "url": "https://v6.example.com/new",
        "description": None,
        "event_types": [],
    }
    stale = await client.patch(path, json=change, headers=admin | {"If-Match": 'W/"7"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")
    private = await client.patch(path, json={"url": "https://10.1.1.1/"}, headers=admin)
    assert private.json()["code"] == "webhook_target_not_allowed"

    response = await client.patch(path, json=change, headers=admin | {"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["url"], body["description"], body["event_types"]) == (
        "https://v6.example.com/new",
        None,
        [],
    )
    assert (body["version"], response.headers["etag"]) == (2, 'W/"2"')
    assert "secret" not in body
    null = await client.patch(path, json={"url": None}, headers=admin)
    assert (null.status_code, null.json()["code"]) == (422, "validation_failed")
    assert (await stored(database, subscription["id"])).url == "https://v6.example.com/new"


async def test_pausing_and_resuming_change_the_status_once(
    client: httpx.AsyncClient, admin: dict[str, str], database: Database
) -> None:
    subscription = await created(client, admin)
    path = f"/v1/webhooks/{subscription['id']}"
    paused = await client.post(f"{path}/pause", headers=admin | {"If-Match": 'W/"1"'})
    assert (paused.status_code, paused.json()["status"], paused.headers["etag"]) == (
        200,
        "paused",
        'W/"2"',
    )
    again = await client.post(f"{path}/pause", headers=admin)
    assert (again.json()["status"], again.json()["version"]) == ("paused", 2), "no change"
    stale = await client.post(f"{path}/resume", headers=admin | {"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    resumed = await client.post(f"{path}/resume", headers=admin)
    assert (resumed.json()["status"], resumed.json()["version"]) == ("active", 3)
    assert await actions(database) == ["webhook.created", "webhook.paused", "webhook.resumed"]


async def test_deleting_a_subscription_removes_its_deliveries(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database: Database,
    settings: Settings,
    cipher: PersonalDataCipher,
) -> None:
    subscription = await created(client, admin)
    await emit(database, EventType.REQUEST_ANSWERED)
    await run_worker(database, settings, cipher, Receiver(200))
    path = f"/v1/webhooks/{subscription['id']}"
    assert (await client.delete(path, headers=admin | {"If-Match": 'W/"9"'})).status_code == 412
    response = await client.delete(path, headers=admin)
    assert response.status_code == 204
    assert (await client.get(path, headers=admin)).status_code == 404
    assert (await client.get(f"{path}/deliveries", headers=admin)).status_code == 404
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert "webhook.deleted" in await actions(database)


async def test_subscriptions_are_listed_oldest_first_a_page_at_a_time(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    ids = [(await created(client, admin))["id"] for _ in range(3)]
    first = (await client.get("/v1/webhooks", params={"limit": 2}, headers=admin)).json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    params = {"limit": 2, "cursor": first["next_cursor"]}
    second = (await client.get("/v1/webhooks", params=params, headers=admin)).json()
    assert ([item["id"] for item in second["items"]], second["next_cursor"]) == (ids[2:], None)


async def test_the_worker_moving_a_cursor_does_not_change_the_etag(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database: Database,
    settings: Settings,
    cipher: PersonalDataCipher,
) -> None:
    subscription = await created(client, admin)
    await emit(database, EventType.REQUEST_ANSWERED)
    await run_worker(database, settings, cipher, Receiver(200))
    path = f"/v1/webhooks/{subscription['id']}"
    read = await client.get(path, headers=admin)
    assert (read.headers["etag"], read.json()["updated_at"]) == (
        'W/"1"',
        subscription["updated_at"],
    )
    edit = await client.patch(
        path, json={"description": "x"}, headers=admin | {"If-Match": 'W/"1"'}
    )
    assert edit.status_code == 200


# -- deliveries, attempts and replay -------------------------------------------------------------


async def test_an_admin_follows_a_delivery_through_its_attempts_and_replays_it(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database: Database,
    settings: Settings,
    cipher: PersonalDataCipher,
    frozen_clock: Any,
) -> None:
    settings = settings.model_copy(update={"webhook_max_attempts": 2})
    subscription = await created(client, admin)
    (event_id,) = await emit(database, EventType.REQUEST_REFUSED)
    path = f"/v1/webhooks/{subscription['id']}/deliveries"
    down = Receiver(500)
    await run_worker(database, settings, cipher, down)
    (pending,) = (await client.get(path, headers=admin)).json()["items"]
    assert (pending["event_id"], pending["event_type"]) == (str(event_id), "request.refused")
    assert (pending["status"], pending["attempts"], pending["last_status_code"]) == (
        "pending",
        1,
        500,
    )
    assert pending["next_attempt_at"] is not None
    refused = await client.post(f"{path}/{pending['id']}/replay", headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "webhook_delivery_not_failed")

    frozen_clock.advance(webhook_delivery.backoff(settings, 1) * 2)
    await run_worker(database, settings, cipher, down)
    failed = (await client.get(path, params={"status": "failed"}, headers=admin)).json()["items"]
    assert [(d["id"], d["attempts"], d["next_attempt_at"]) for d in failed] == [
        (pending["id"], 2, None)
    ]
    replayed = await client.post(f"{path}/{pending['id']}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 2)

    await run_worker(database, settings, cipher, Receiver(200))
    detail = (await client.get(f"{path}/{pending['id']}", headers=admin)).json()
    assert (detail["status"], detail["last_status_code"], detail["last_error"]) == (
        "succeeded",
        200,
        None,
    )
    log = [
        (a["number"], a["status_code"], a["error"], a["succeeded"]) for a in detail["attempt_log"]
    ]
    assert log == [(1, 500, "HTTP 500", False), (2, 500, "HTTP 500", False), (3, 200, None, True)]
    assert all(a["worker"] == "w1" and a["duration_ms"] >= 0 for a in detail["attempt_log"])
    assert "webhook.delivery_replayed" in await actions(database)


async def test_deliveries_are_listed_newest_first_and_filtered_by_status(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database: Database,
    settings: Settings,
    cipher: PersonalDataCipher,
) -> None:
    subscription = await created(client, admin)
    emitted = await emit(database, EventType.REQUEST_RECEIVED, EventType.REQUEST_ASSIGNED)
    await webhook_delivery.fan_out(database, settings)
    emitted += await emit(database, EventType.REQUEST_ANSWERED)
    path = f"/v1/webhooks/{subscription['id']}/deliveries"
    await run_worker(database, settings, cipher, Receiver(200))
    emitted += await emit(database, EventType.APPEAL_FILED)
    await webhook_delivery.fan_out(database, settings)

    first = (await client.get(path, params={"limit": 3}, headers=admin)).json()
    second = (await client.get(path, params={"cursor": first["next_cursor"]}, headers=admin)).json()
    listed = [d["event_id"] for d in first["items"] + second["items"]]
    assert listed[0] == str(emitted[3]) and listed[1] == str(emitted[2])
    assert sorted(listed[2:]) == sorted(str(e) for e in emitted[:2]), "same instant: id order"
    assert second["next_cursor"] is None
    pending = (await client.get(path, params={"status": "pending"}, headers=admin)).json()
    assert [d["event_type"] for d in pending["items"]] == ["appeal.filed"]
    wrong = await client.get(path, params={"status": "lost"}, headers=admin)
    assert wrong.status_code == 422


async def test_a_delivery_of_another_subscription_is_not_found(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database: Database,
    settings: Settings,
) -> None:
    mine, other = await created(client, admin), await created(client, admin)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    listed = await client.get(f"/v1/webhooks/{other['id']}/deliveries", headers=admin)
    delivery_id = listed.json()["items"][0]["id"]
    wrong = f"/v1/webhooks/{mine['id']}/deliveries/{delivery_id}"
    assert (await client.get(wrong, headers=admin)).status_code == 404
    assert (await client.post(f"{wrong}/replay", headers=admin)).status_code == 404
    unknown = f"/v1/webhooks/{uuid.uuid4()}"
    assert (await client.get(unknown, headers=admin)).status_code == 404


# -- who may manage webhooks ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["information_officer", "channel_integrator", "analyst"])
async def test_only_admins_manage_webhooks(
    client: httpx.AsyncClient, auth: Auth, role: str, database: Database
) -> None:
    headers = auth("someone", role)
    assert (await create(client, headers)).status_code == 403
    assert (await client.get("/v1/webhooks", headers=headers)).status_code == 403
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


async def test_an_anonymous_caller_is_asked_to_sign_in(client: httpx.AsyncClient) -> None:
    assert (await create(client, {})).status_code == 401
    response = await client.get(f"/v1/webhooks/{uuid.uuid4()}/deliveries")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")

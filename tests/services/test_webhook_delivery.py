"""Webhook delivery as a receiver sees it: signed messages, retries, failures, pause and replay."""

import asyncio
import base64
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core import clock
from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.core.security import Principal, Role
from app.models.webhook import SubscriptionStatus, WebhookAttempt, WebhookDelivery
from app.services import events as event_service
from app.services import webhook_delivery, webhook_targets
from app.services import webhooks as webhook_service
from app.services.event_types import EventType
from app.services.webhook_targets import TargetPolicy
from tests.conftest import on_postgres

ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))
URL = "https://hooks.example.com/beneficiary?tenant=7"
PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
POLICY = TargetPolicy(allow_http=True, allow_private=False)
WORKER = "worker-host:4242"
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class FakeDns:
    """A table of host names, in place of the system resolver; unknown names fail as DNS does."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {
            "hooks.example.com": [PUBLIC_V4],
            "v6.example.com": [PUBLIC_V6],
            "localhost": ["127.0.0.1", "::1"],
            "intranet.example.com": ["10.20.30.40"],
            "split.example.com": [PUBLIC_V4, "192.168.1.10"],
        }
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.names[host])


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(webhook_targets, "resolve_host", fake)
    return fake


@pytest.fixture
def cipher(settings: Settings) -> PersonalDataCipher:
    return PersonalDataCipher(settings.personal_data_keys())


class Receiver:
    """An integrator's endpoint behind ``httpx.MockTransport``: keeps every request it gets."""

    def __init__(self, answer: int | Handler = 204) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.answer, int):
            return httpx.Response(self.answer, text="receiver's page, never stored")
        return await self.answer(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


class Item:
    """What events are about: an information request, by id only."""

    __tablename__ = "information_requests"

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.version = 2


async def emit(database: Database, *types: EventType) -> list[uuid.UUID]:
    """Commit one event per type (ids returned in order)."""
    async with database.sessions() as session:
        written = []
        for event_type in types:
            written.append(
                await event_service.emit(
                    session,
                    event_type,
                    Item(),
                    reference="IR-2026-000381",
                    owner="b1",
                    handler="io-1",
                    data={"status": "answered"},
                )
            )
        await session.commit()
    return [event.id for event in written]


async def subscribe(
    database: Database,
    cipher: PersonalDataCipher,
    *,
    url: str = URL,
    event_types: Collection[str] = (),
    secret: str | None = SECRET,
) -> uuid.UUID:
    async with database.sessions() as session:
        subscription, _ = await webhook_service.create(
            session,
            by=ADMIN,
            url=url,
            description=None,
            event_types=event_types,
            secret=secret,
            policy=POLICY,
            cipher=cipher,
        )
        await session.commit()
    return subscription.id


async def set_status(database: Database, subscription_id: uuid.UUID, status: str) -> None:
    async with database.sessions() as session:
        subscription = await webhook_service.get(session, subscription_id, for_update=True)
        await webhook_service.set_status(
            session, subscription, SubscriptionStatus(status), by=ADMIN, expected_version=None
        )
        await session.commit()


async def deliveries(database: Database) -> list[WebhookDelivery]:
    async with database.sessions() as session:
        statement = select(WebhookDelivery).order_by(WebhookDelivery.id)
        return list((await session.scalars(statement)).all())


async def attempt_log(database: Database, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
    async with database.sessions() as session:
        statement = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.number)
        )
        return list((await session.scalars(statement)).all())


async def deliver(
    database: Database, settings: Settings, receiver: Receiver, cipher: PersonalDataCipher
) -> int:
    async with receiver.client() as client:
        return await webhook_delivery.deliver_due(
            database, settings, client, worker=WORKER, cipher=cipher
        )


@pytest.fixture
def real_time(frozen_clock: clock.FrozenClock) -> clock.FrozenClock:
    """The frozen clock at the real time: receivers reject signatures over 5 minutes off."""
    frozen_clock.set(datetime.now(UTC))
    return frozen_clock


# -- what a receiver gets ------------------------------------------------------------------------


@pytest.mark.usefixtures("dns")
async def test_a_receiver_verifies_the_signed_message_with_a_standard_webhooks_library(
    database: Database, settings: Settings, cipher: PersonalDataCipher, real_time: Any
) -> None:
    await subscribe(database, cipher)
    (event_id,) = await emit(database, EventType.REQUEST_ANSWERED)
    assert await webhook_delivery.fan_out(database, settings) == 1
    receiver = Receiver(200)
    assert await deliver(database, settings, receiver, cipher) == 1

    (request,) = receiver.requests
    headers = dict(request.headers)
    payload = Webhook(SECRET).verify(request.content, headers)
    assert payload["type"] == "request.answered"
    assert payload["data"]["id"] == str(event_id) == headers["webhook-id"]
    assert payload["data"]["reference"] == "IR-2026-000381"
    assert payload["data"]["audience"] == {"owner": "b1", "handler": "io-1", "roles": []}
    assert payload["timestamp"] == payload["data"]["occurred_at"]
    assert abs(int(headers["webhook-timestamp"]) - real_time.now().timestamp()) < 1
    assert (headers["content-type"], headers["user-agent"]) == (
        "application/json",
        "beneficiary-api-webhooks/1",
    )
    tampered = request.content.replace(b"request.answered", b"request.refused_")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, headers)
    other_secret = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(request.content, headers)


@pytest.mark.usefixtures("dns")
async def test_the_connection_goes_to_the_checked_address_under_the_urls_host_name(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    receiver = Receiver(200)
    await deliver(database, settings, receiver, cipher)
    (request,) = receiver.requests
    assert str(request.url) == f"https://{PUBLIC_V4}/beneficiary?tenant=7"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["connection"] == "close"


@pytest.mark.usefixtures("dns")
async def test_a_2xx_answer_marks_the_delivery_succeeded_and_logs_the_attempt(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    await deliver(database, settings, Receiver(202), cipher)
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 202)
    assert delivery.delivered_at == frozen_clock.now()
    (attempt,) = await attempt_log(database, delivery.id)
    assert (attempt.number, attempt.status_code, attempt.succeeded) == (1, 202, True)
    assert (attempt.error, attempt.worker) == (None, WORKER)
    assert await deliver(database, settings, Receiver(200), cipher) == 0, "nothing is sent twice"


# -- retries, backoff and failure ----------------------------------------------------------------


@pytest.mark.usefixtures("dns")
async def test_a_failing_receiver_is_retried_with_growing_backoff_then_given_up(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    settings = settings.model_copy(
        update={"webhook_max_attempts": 3, "webhook_backoff_seconds": 60}
    )
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    receiver = Receiver(503)
    # Equal jitter: the wait lies between half and all of 60 s, then of 120 s.
    for step in (timedelta(seconds=60), timedelta(seconds=120)):
        assert await deliver(database, settings, receiver, cipher) == 1
        (delivery,) = await deliveries(database)
        assert (delivery.status, delivery.last_status_code) == ("pending", 503)
        wait = delivery.next_attempt_at - frozen_clock.now()
        assert step / 2 <= wait <= step
        assert await deliver(database, settings, receiver, cipher) == 0, "not due yet"
        frozen_clock.advance(wait)
    assert await deliver(database, settings, receiver, cipher) == 1
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")
    log = await attempt_log(database, delivery.id)
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [
        (1, 503, False),
        (2, 503, False),
        (3, 503, False),
    ]
    frozen_clock.advance(timedelta(days=2))
    assert await deliver(database, settings, receiver, cipher) == 0, "a failed delivery rests"
    assert len(receiver.requests) == 3
    assert all(
        r.headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
        for r in receiver.requests
    )


def test_backoff_doubles_up_to_the_configured_ceiling(settings: Settings) -> None:
    settings = settings.model_copy(
        update={"webhook_backoff_seconds": 30, "webhook_backoff_max_seconds": 600}
    )
    for attempts, step in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (40, 600)]:
        waits = [webhook_delivery.backoff(settings, attempts).total_seconds() for _ in range(50)]
        assert all(step / 2 <= wait <= step for wait in waits), attempts
        assert len(set(waits)) > 1, "jittered"


def failing(error: Exception) -> Handler:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.usefixtures("dns")
@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectError("connection refused"), "connection error"),
        (httpx.RemoteProtocolError("peer closed"), "connection error"),
    ],
)
async def test_timeouts_and_connection_errors_are_failed_attempts_retried_later(
    database: Database,
    settings: Settings,
    cipher: PersonalDataCipher,
    frozen_clock: Any,
    error: Exception,
    recorded: str,
) -> None:
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    assert await deliver(database, settings, Receiver(failing(error)), cipher) == 1
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "pending",
        None,
        recorded,
    )
    (attempt,) = await attempt_log(database, delivery.id)
    assert (attempt.status_code, attempt.error, attempt.succeeded) == (None, recorded, False)
    assert delivery.next_attempt_at > frozen_clock.now()


@pytest.mark.usefixtures("dns")
async def test_a_receiver_slower_than_the_timeout_is_abandoned(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    settings = settings.model_copy(update={"webhook_timeout_seconds": 0.05})

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    started = asyncio.get_running_loop().time()
    await deliver(database, settings, Receiver(slow), cipher)
    assert asyncio.get_running_loop().time() - started < 2
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.last_error) == ("pending", "timeout")


@pytest.mark.usefixtures("dns")
async def test_a_redirect_is_not_followed(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    async def moved(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "http://169.254.169.254/latest/"})

    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    receiver = Receiver(moved)
    await deliver(database, settings, receiver, cipher)
    assert [str(r.url) for r in receiver.requests] == [f"https://{PUBLIC_V4}/beneficiary?tenant=7"]
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.last_status_code) == ("pending", 307)
    assert delivery.last_error == "redirect not followed"


async def test_a_host_that_now_resolves_to_a_private_address_is_not_contacted(
    database: Database,
    settings: Settings,
    cipher: PersonalDataCipher,
    frozen_clock: Any,
    dns: FakeDns,
) -> None:
    await subscribe(database, cipher)
    dns.names["hooks.example.com"] = ["169.254.169.254"]  # rebound after the check at creation
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    receiver = Receiver(200)
    assert await deliver(database, settings, receiver, cipher) == 1
    assert receiver.requests == []
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.last_error) == ("pending", "blocked target")
    (attempt,) = await attempt_log(database, delivery.id)
    assert (attempt.error, attempt.succeeded) == ("blocked target", False)


# -- fan-out -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("dns", "frozen_clock")
async def test_a_subscription_gets_only_events_after_its_creation_and_of_its_types(
    database: Database, settings: Settings, cipher: PersonalDataCipher
) -> None:
    await emit(database, EventType.REQUEST_ANSWERED)  # before: never sent
    await subscribe(database, cipher, event_types=["request.answered", "appeal.decided"])
    after = await emit(
        database, EventType.REQUEST_RECEIVED, EventType.REQUEST_ANSWERED, EventType.APPEAL_DECIDED
    )
    assert await webhook_delivery.fan_out(database, settings) == 2
    assert sorted(d.event_id for d in await deliveries(database)) == sorted(after[1:])
    assert await webhook_delivery.fan_out(database, settings) == 0, "the cursor moved on"


@pytest.mark.usefixtures("dns", "frozen_clock")
async def test_fan_out_reads_a_batch_at_a_time_and_misses_nothing(
    database: Database, settings: Settings, cipher: PersonalDataCipher
) -> None:
    settings = settings.model_copy(update={"worker_batch_size": 2})
    await subscribe(database, cipher)
    emitted = await emit(database, *[EventType.DATASET_RELEASED] * 5)
    counts = [await webhook_delivery.fan_out(database, settings) for _ in range(4)]
    assert counts == [2, 2, 1, 0]
    assert sorted(d.event_id for d in await deliveries(database)) == sorted(emitted)


@pytest.mark.usefixtures("dns")
async def test_a_paused_subscription_keeps_its_place_and_catches_up_on_resume(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    subscription_id = await subscribe(database, cipher)
    first = await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    await set_status(database, subscription_id, "paused")
    meanwhile = await emit(database, EventType.REQUEST_REFUSED, EventType.APPEAL_FILED)
    receiver = Receiver(200)
    assert await webhook_delivery.fan_out(database, settings) == 0
    assert await deliver(database, settings, receiver, cipher) == 0, "even what was queued waits"

    await set_status(database, subscription_id, "active")
    assert await webhook_delivery.fan_out(database, settings) == 2
    assert await deliver(database, settings, receiver, cipher) == 3
    sent = {r.headers["webhook-id"] for r in receiver.requests}
    assert sent == {str(event_id) for event_id in first + meanwhile}


# -- leases, replays and deletion ----------------------------------------------------------------


@pytest.mark.usefixtures("dns")
async def test_a_claimed_delivery_is_not_claimed_again_while_it_is_being_sent(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    second_worker: list[int] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        # Another worker ticks while this one waits on the receiver.
        second_worker.append(await deliver(database, settings, Receiver(200), cipher))
        return httpx.Response(200)

    assert await deliver(database, settings, Receiver(answer), cipher) == 1
    assert second_worker == [0]
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


@pytest.mark.usefixtures("dns")
async def test_a_lease_lapsed_by_a_dead_worker_is_taken_over_with_the_next_attempt_number(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    # A worker claims attempt 1 and dies before sending or recording anything.
    (job,) = await webhook_delivery._claim(database, settings, cipher)
    assert job.number == 1
    assert await deliver(database, settings, Receiver(200), cipher) == 0, "leased"
    frozen_clock.advance(webhook_delivery.lease(settings, 1))
    receiver = Receiver(200)
    assert await deliver(database, settings, receiver, cipher) == 1
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert [a.number for a in await attempt_log(database, delivery.id)] == [2]


@pytest.mark.usefixtures("dns")
async def test_a_replayed_delivery_gets_a_fresh_budget_and_keeps_its_numbering(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    settings = settings.model_copy(update={"webhook_max_attempts": 2})
    subscription_id = await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    receiver = Receiver(500)
    for _ in range(2):
        await deliver(database, settings, receiver, cipher)
        frozen_clock.advance(timedelta(hours=1))
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.attempts) == ("failed", 2)

    async with database.sessions() as session:
        subscription = await webhook_service.get(session, subscription_id)
        row = await webhook_service.get_delivery(session, subscription, delivery.id)
        await webhook_service.replay(session, row, by=ADMIN)
        await session.commit()
    for _ in range(2):  # two more attempts, not one: the budget starts again
        assert await deliver(database, settings, receiver, cipher) == 1
        (delivery,) = await deliveries(database)
        frozen_clock.advance(timedelta(hours=1))
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert [a.number for a in await attempt_log(database, delivery.id)] == [1, 2, 3, 4]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


@pytest.mark.usefixtures("dns")
async def test_a_subscription_deleted_during_a_send_loses_the_attempt_quietly(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    subscription_id = await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)

    async def deleted_meanwhile(request: httpx.Request) -> httpx.Response:
        async with database.sessions() as session:
            subscription = await webhook_service.get(session, subscription_id, for_update=True)
            await webhook_service.delete(session, subscription, by=ADMIN, expected_version=None)
            await session.commit()
        return httpx.Response(200)

    assert await deliver(database, settings, Receiver(deleted_meanwhile), cipher) == 1
    assert await deliveries(database) == []


@pytest.mark.usefixtures("dns")
async def test_a_secret_no_configured_key_decrypts_fails_the_attempt_not_the_batch(
    database: Database, settings: Settings, cipher: PersonalDataCipher, frozen_clock: Any
) -> None:
    await subscribe(database, cipher)
    await emit(database, EventType.REQUEST_ANSWERED)
    await webhook_delivery.fan_out(database, settings)
    other_keys = PersonalDataCipher([base64.urlsafe_b64encode(b"k" * 32).decode()])
    receiver = Receiver(200)
    assert await deliver(database, settings, receiver, other_keys) == 1
    assert receiver.requests == []
    (delivery,) = await deliveries(database)
    assert (delivery.status, delivery.last_error) == ("pending", "secret unreadable")


# -- several workers on PostgreSQL ---------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    not on_postgres(), reason="real concurrency needs PostgreSQL: set BENEFICIARY_TEST_DATABASE_URL"
)


@pytest.fixture
async def two_workers(
    fresh_database_url: str, settings: Settings
) -> AsyncIterator[tuple[Settings, Database, Database]]:
    """Two workers' databases (separate engines) on one migrated database that really commits."""
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    first, second = Database(fresh), Database(fresh)
    yield fresh, first, second
    await first.dispose()
    await second.dispose()


async def settled_fan_out(database: Database, settings: Settings, expected: int) -> int:
    """Fan out until ``expected`` deliveries exist: events settle only once every older
    transaction of the cluster has ended (other test runs may hold them back a moment)."""
    created = 0
    async with asyncio.timeout(60):
        while created < expected:
            created += await webhook_delivery.fan_out(database, settings)
            await asyncio.sleep(0.05)
    return created


@postgres_only
@pytest.mark.usefixtures("dns", "frozen_clock")
async def test_two_workers_deliver_every_pending_delivery_exactly_once(
    two_workers: tuple[Settings, Database, Database], cipher: PersonalDataCipher
) -> None:
    settings, first, second = two_workers
    await subscribe(first, cipher)
    await subscribe(first, cipher, url="https://v6.example.com/hook")
    emitted = await emit(first, *[EventType.REQUEST_RECEIVED] * 15)
    assert await settled_fan_out(first, settings, 30) == 30
    settings = settings.model_copy(update={"worker_batch_size": 4})  # many small claims
    seen: list[tuple[str, str]] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["host"], request.headers["webhook-id"]))
        await asyncio.sleep(0.02)  # claims of the other worker overlap this send
        return httpx.Response(200)

    async def work(database: Database, name: str) -> int:
        total = 0
        async with Receiver(slow).client() as client:
            while made := await webhook_delivery.deliver_due(
                database, settings, client, worker=name, cipher=cipher
            ):
                total += made
        return total

    made = await asyncio.gather(work(first, "w1"), work(second, "w2"))
    assert sum(made) == 30 and all(made), made
    sent = list(seen)
    assert len(sent) == len(set(sent)) == 30
    assert {event_id for _, event_id in sent} == {str(e) for e in emitted}
    async with first.sessions() as session:
        attempts = (
            await session.execute(select(WebhookAttempt.delivery_id, WebhookAttempt.number))
        ).all()
        workers = set((await session.scalars(select(WebhookAttempt.worker))).all())
    assert len(attempts) == 30 and {number for _, number in attempts} == {1}
    assert workers == {"w1", "w2"}
    assert {d.status for d in await deliveries(first)} == {"succeeded"}


@postgres_only
@pytest.mark.usefixtures("dns", "frozen_clock")
async def test_two_fan_outs_at_once_create_each_delivery_once(
    two_workers: tuple[Settings, Database, Database], cipher: PersonalDataCipher
) -> None:
    settings, first, second = two_workers
    for n in range(3):
        await subscribe(first, cipher, url=f"https://hooks.example.com/{n}")
    created = 0
    for _ in range(3):
        await emit(first, *[EventType.APPEAL_FILED] * 4)
        both = await asyncio.gather(
            webhook_delivery.fan_out(first, settings), webhook_delivery.fan_out(second, settings)
        )
        created += sum(both)
    created += await settled_fan_out(second, settings, 3 * 12 - created)
    async with first.sessions() as session:
        pairs = (
            await session.execute(select(WebhookDelivery.subscription_id, WebhookDelivery.event_id))
        ).all()
    assert created == len(pairs) == len(set(pairs)) == 3 * 12

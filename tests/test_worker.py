"""The worker: one tick runs reminders, fan-out and delivery in order; the loop survives failed
ticks, stops promptly, and lets the tick in progress finish; ``beneficiary-api worker``."""

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from app.cli import main
from app.core import clock
from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.core.security import Principal, Role
from app.models.event import Event
from app.models.webhook import WebhookAttempt, WebhookDelivery
from app.services import webhook_delivery, webhook_targets, webhooks
from app.services.webhook_targets import TargetPolicy
from app.worker import Worker
from tests.services.test_reminders import stored_request

Auth = Callable[..., dict[str, str]]
# Tuesday 24 March 2026, 10:00 in Riyadh: a request due on Thursday 26 is due soon.
TUESDAY = datetime.combine(date(2026, 3, 24), time(10), ZoneInfo("Asia/Riyadh"))
NAME = "worker-host:4242"


@dataclass
class FakeWebhooks:
    """Stands in for services.webhook_delivery; records calls, can fail or dawdle."""

    database: Database
    calls: list[str] = field(default_factory=list)
    events_seen_by_fan_out: list[int] = field(default_factory=list)
    fail_fan_out: int = 0  # the next n fan-outs raise
    delivery_seconds: float = 0.0
    delivering: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: list[str] = field(default_factory=list)
    stop: asyncio.Event | None = None  # set once ``stop_after`` fan-outs have run
    stop_after: int = 0

    async def fan_out(self, database: Database, settings: Settings) -> int:
        assert database is self.database
        self.calls.append("fan_out")
        if self.stop is not None and self.calls.count("fan_out") >= self.stop_after:
            self.stop.set()
        async with database.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Event))
            self.events_seen_by_fan_out.append(int(count or 0))
        if self.fail_fan_out:
            self.fail_fan_out -= 1
            raise RuntimeError("receiver said: call سارة on +966 55 123 4567")
        return 2

    async def deliver_due(
        self,
        database: Database,
        settings: Settings,
        client: httpx.AsyncClient,
        *,
        worker: str,
        cipher: PersonalDataCipher,
    ) -> int:
        self.calls.append("deliver_due")
        self.delivering.set()
        try:
            await asyncio.sleep(self.delivery_seconds)
        except asyncio.CancelledError:
            self.delivered.append("cancelled")
            raise
        self.delivered.append(worker)
        return 1


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, database: Database) -> FakeWebhooks:
    fake = FakeWebhooks(database)
    monkeypatch.setattr(webhook_delivery, "fan_out", fake.fan_out)
    monkeypatch.setattr(webhook_delivery, "deliver_due", fake.deliver_due)
    return fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(204))) as c:
        yield c


@pytest.fixture
def make_worker(
    database: Database, settings: Settings, http: httpx.AsyncClient
) -> Callable[..., Worker]:
    def make(client: httpx.AsyncClient = http, **overrides: Any) -> Worker:
        configured = settings.model_copy(update=overrides)
        cipher = PersonalDataCipher(configured.personal_data_keys())
        return Worker(database, configured, client, name=NAME, cipher=cipher)

    return make


async def due_soon_request(database: Database) -> None:
    async with database.sessions() as session:
        session.add(stored_request(date(2026, 3, 26)))
        await session.commit()


async def test_a_tick_emits_reminders_then_fans_out_then_delivers(
    make_worker: Callable[..., Worker],
    fake: FakeWebhooks,
    database: Database,
    frozen_clock: clock.FrozenClock,
) -> None:
    await due_soon_request(database)
    frozen_clock.set(TUESDAY)
    report = await make_worker().run_once()
    assert (report.reminders, report.fanned_out, report.delivered, report.failed) == (1, 2, 1, ())
    assert fake.calls == ["fan_out", "deliver_due"]
    assert fake.events_seen_by_fan_out == [1], "the reminder is committed before the fan-out"
    assert fake.delivered == [NAME]
    again = await make_worker().run_once()
    assert again.reminders == 0


async def test_a_failed_step_is_logged_without_its_message_and_spares_the_others(
    make_worker: Callable[..., Worker],
    fake: FakeWebhooks,
    database: Database,
    frozen_clock: clock.FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await due_soon_request(database)
    frozen_clock.set(TUESDAY)
    fake.fail_fan_out = 1
    with caplog.at_level(logging.INFO, logger="beneficiary.worker"):
        report = await make_worker().run_once()
    assert (report.reminders, report.delivered, report.failed) == (1, 1, ("fanned_out",))
    (failure,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert (failure.step, failure.error) == ("fanned_out", "RuntimeError")  # type: ignore[attr-defined]
    assert "fan_out" in failure.where  # type: ignore[attr-defined]
    logged = caplog.text + " ".join(str(vars(record)) for record in caplog.records)
    assert "سارة" not in logged and "+966" not in logged
    (tick,) = [r for r in caplog.records if r.getMessage() == "worker tick"]
    assert (tick.reminders, tick.fanned_out, tick.failed_steps) == (1, 0, ["fanned_out"])  # type: ignore[attr-defined]


async def test_the_loop_goes_on_after_a_failed_tick(
    make_worker: Callable[..., Worker], fake: FakeWebhooks
) -> None:
    fake.fail_fan_out = 2
    fake.stop, fake.stop_after = asyncio.Event(), 4
    await asyncio.wait_for(make_worker(worker_poll_seconds=0.01).run(fake.stop), 5)
    assert fake.calls == ["fan_out", "deliver_due"] * 4, "two failed ticks, then two good ones"


async def test_a_stop_while_waiting_ends_the_loop_at_once(
    make_worker: Callable[..., Worker], fake: FakeWebhooks
) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(make_worker(worker_poll_seconds=3600).run(stop))
    await asyncio.wait_for(fake.delivering.wait(), 5)
    await asyncio.sleep(0.05)  # the tick is over: the worker waits for the next one
    stop.set()
    await asyncio.wait_for(running, 1)  # not an hour
    assert fake.calls == ["fan_out", "deliver_due"]


async def test_a_stop_during_a_tick_lets_the_delivery_in_flight_finish(
    make_worker: Callable[..., Worker], fake: FakeWebhooks
) -> None:
    fake.delivery_seconds = 0.3
    stop = asyncio.Event()
    running = asyncio.create_task(make_worker(worker_poll_seconds=0.01).run(stop))
    await asyncio.wait_for(fake.delivering.wait(), 5)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert fake.delivered == [NAME], "the delivery completed"
    assert fake.calls == ["fan_out", "deliver_due"], "and no further tick started"


async def test_a_tick_outlasting_the_grace_is_cancelled(
    make_worker: Callable[..., Worker], fake: FakeWebhooks
) -> None:
    fake.delivery_seconds = 60
    stop = asyncio.Event()
    worker = make_worker()
    worker.grace_seconds = 0.1
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(fake.delivering.wait(), 5)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert fake.delivered == ["cancelled"]


# -- with the real webhook delivery --------------------------------------------------------------


async def test_a_reminder_reaches_a_subscribed_receiver_in_one_tick(
    make_worker: Callable[..., Worker],
    database: Database,
    settings: Settings,
    frozen_clock: clock.FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        assert host == "hooks.example.org"
        return ["93.184.216.34"]

    monkeypatch.setattr(webhook_targets, "resolve_host", resolve)
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    cipher = PersonalDataCipher(settings.personal_data_keys())
    async with database.sessions() as session:
        await webhooks.create(
            session,
            by=Principal(sub="a1", roles=frozenset({Role.ADMIN})),
            url="https://hooks.example.org/beneficiary",
            description=None,
            event_types=["request.due_soon"],
            secret=None,
            policy=TargetPolicy.of(settings),
            cipher=cipher,
        )
        await session.commit()
    await due_soon_request(database)
    frozen_clock.set(TUESDAY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        report = await make_worker(client).run_once()
    assert (report.reminders, report.fanned_out, report.delivered, report.failed) == (1, 1, 1, ())
    (request,) = received
    assert request.headers["host"] == "hooks.example.org"
    assert request.headers["webhook-signature"].startswith("v1,")
    body = httpx.Response(200, content=request.content).json()
    assert (body["type"], body["data"]["data"]["working_days_left"]) == ("request.due_soon", 2)
    async with database.sessions() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
        attempt = (await session.scalars(select(WebhookAttempt))).one()
    assert (delivery.status, attempt.worker) == ("succeeded", NAME)


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_settings(configured: Settings) -> Iterator[Settings]:
    """The migrated command-line database, with the clock on Tuesday 24 March."""
    with clock.use(clock.FrozenClock(TUESDAY.astimezone(UTC))):
        yield configured


async def test_worker_once_runs_one_tick_against_the_configured_database(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = Database(cli_settings)
    await due_soon_request(seeded)
    assert await asyncio.to_thread(main, ["worker", "--once"]) == 0
    async with seeded.sessions() as session:
        types = list(await session.scalars(select(Event.type)))
    await seeded.dispose()
    assert types == ["request.due_soon"]
    lines = capsys.readouterr().out
    assert '"message":"worker tick"' in lines and '"reminders":1' in lines
    assert ("one worker only" in lines) == cli_settings.is_sqlite


async def test_worker_stops_cleanly_on_sigterm(configured: Settings) -> None:
    environment = os.environ | {
        "BENEFICIARY_WORKER_POLL_SECONDS": "0.2",
        "BENEFICIARY_LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        while b'"worker tick"' not in await asyncio.wait_for(process.stdout.readline(), 30):
            pass
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stdout.read(), 10)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert b'"worker stopped"' in rest

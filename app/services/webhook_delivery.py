"""The worker's side of webhooks: fan events out to subscriptions, then deliver what is due.

Delivery is at least once. ``deliver_due`` claims a batch in one short transaction, leasing each
delivery (``next_attempt_at`` pushed past the time the batch may take) and numbering its attempt,
sends outside any transaction, then records every outcome in another short transaction. Two
workers never claim the same delivery at once (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite:
its single writer), and an attempt number is unique per delivery. If a worker dies mid-send its
lease lapses and another worker tries again: a receiver may see a message twice and dedupes on
``webhook-id``, the event's id, which every retry and replay repeats.
"""

import asyncio
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Select, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database, new_id, upsert_insert
from app.models.event import Event
from app.models.webhook import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.schemas.events import EventRead
from app.services import event_feed, webhooks
from app.services.event_feed import FeedCursor
from app.services.webhook_sending import Message, Outcome, send
from app.services.webhook_targets import TargetPolicy

MAX_CONCURRENT_SENDS = 10
LEASE_MARGIN_SECONDS = 30.0  # for resolving, recording and a slow event loop
PENDING, ACTIVE = DeliveryStatus.PENDING.value, SubscriptionStatus.ACTIVE.value


# -- fan-out -------------------------------------------------------------------------------------


async def fan_out(database: Database, settings: Settings) -> int:
    """A delivery per new event for every active subscription; the deliveries created.

    Each subscription is locked while its cursor moves (another worker skips it), reads at most
    ``worker_batch_size`` events past its cursor and creates deliveries for those of its types.
    The cursor passes every event read, wanted or not, so a narrow subscription never rescans.
    """
    async with database.sessions() as session:
        statement = (
            select(WebhookSubscription)
            .where(WebhookSubscription.status == ACTIVE)
            .order_by(WebhookSubscription.id)
            .with_for_update(skip_locked=True)
        )
        created = 0
        for subscription in (await session.scalars(statement)).all():
            created += await _fan_out_one(session, subscription, settings.worker_batch_size)
        await session.commit()
    return created


async def _fan_out_one(session: AsyncSession, subscription: WebhookSubscription, limit: int) -> int:
    cursor = FeedCursor(subscription.cursor_transaction_id, subscription.cursor_position)
    events = await event_feed.read_after(session, cursor, limit=limit)
    if not events:
        return 0
    wanted = set(subscription.event_types)
    created = await _insert_deliveries(
        session, subscription.id, [e for e in events if not wanted or e.type in wanted]
    )
    last = FeedCursor.of(events[-1])
    # A Core UPDATE: moving the cursor is not an edit, so neither version nor updated_at change
    # (an admin's If-Match must not fail because the worker passed by).
    table = WebhookSubscription.__table__
    assert isinstance(table, Table)
    await session.execute(
        update(table)
        .where(table.c.id == subscription.id)
        .values(
            cursor_transaction_id=last.transaction_id,
            cursor_position=last.position,
            updated_at=table.c.updated_at,
        )
    )
    return created


async def _insert_deliveries(
    session: AsyncSession, subscription_id: uuid.UUID, events: Sequence[Event]
) -> int:
    """Insert the deliveries that do not exist yet (unique per subscription and event)."""
    if not events:
        return 0
    now = clock.now()
    rows = [
        {
            "id": new_id(),
            "subscription_id": subscription_id,
            "event_id": event.id,
            "status": PENDING,
            "attempts": 0,
            "attempts_before_replay": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
    ]
    statement = (
        upsert_insert(session)(WebhookDelivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return len((await session.execute(statement)).all())


# -- delivery ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A claimed attempt: everything needed to send it without the database."""

    delivery_id: uuid.UUID
    number: int
    url: str
    secret: str | None  # None: no configured key decrypts it
    message: Message


async def deliver_due(
    database: Database,
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    worker: str,
    cipher: PersonalDataCipher,
) -> int:
    """Claim due deliveries, send them concurrently, record each attempt; the attempts made.

    A stopping worker lets this call finish: what it claimed is sent and recorded.
    """
    jobs = await _claim(database, settings, cipher)
    if not jobs:
        return 0
    policy = TargetPolicy.of(settings)
    slots = asyncio.Semaphore(MAX_CONCURRENT_SENDS)

    async def attempt(job: Job) -> Outcome:
        async with slots:
            return await _attempt(client, job, policy, settings.webhook_timeout_seconds)

    outcomes = await asyncio.gather(*(attempt(job) for job in jobs))
    await _record(database, settings, jobs, outcomes, worker=worker)
    return len(jobs)


async def _attempt(
    client: httpx.AsyncClient, job: Job, policy: TargetPolicy, time_limit: float
) -> Outcome:
    if job.secret is None:
        return Outcome(clock.now(), 0, error="secret unreadable")
    return await send(
        client,
        url=job.url,
        secret=job.secret,
        message=job.message,
        policy=policy,
        time_limit=time_limit,
    )


def lease(settings: Settings, claimed: int) -> timedelta:
    """How long a batch may take: its rounds of concurrent sends, each bounded by the timeout."""
    rounds = math.ceil(claimed / MAX_CONCURRENT_SENDS)
    return timedelta(seconds=settings.webhook_timeout_seconds * rounds + LEASE_MARGIN_SECONDS)


def _due(settings: Settings, now: datetime) -> Select[WebhookDelivery, str, str]:
    """Pending deliveries of active subscriptions, longest due first, that no other worker is
    claiming right now (PostgreSQL skips their locked rows; SQLite has one writer anyway)."""
    return (
        select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret_encrypted)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
        .where(WebhookSubscription.status == ACTIVE)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(settings.worker_batch_size)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )


async def _claim(database: Database, settings: Settings, cipher: PersonalDataCipher) -> list[Job]:
    """Lease due deliveries and number their attempts, committed before anything is sent."""
    async with database.sessions() as session:
        now = clock.now()
        rows = (await session.execute(_due(settings, now))).all()
        if not rows:
            return []
        events = await _events(session, [delivery.event_id for delivery, _, _ in rows])
        until = now + lease(settings, len(rows))
        jobs = []
        for delivery, url, sealed in rows:
            delivery.attempts += 1
            delivery.next_attempt_at = until
            message = Message.of(EventRead.of(events[delivery.event_id]))
            secret = _unsealed(cipher, sealed)
            jobs.append(Job(delivery.id, delivery.attempts, url, secret, message))
        await session.commit()
    return jobs


async def _events(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Event]:
    found = await session.scalars(select(Event).where(Event.id.in_(set(ids))))
    return {event.id: event for event in found}


def _unsealed(cipher: PersonalDataCipher, sealed: str) -> str | None:
    try:
        return webhooks.unseal(cipher, sealed)
    except (ValueError, KeyError):  # recorded as a failed attempt rather than halting the batch
        return None


async def _record(
    database: Database,
    settings: Settings,
    jobs: Sequence[Job],
    outcomes: Sequence[Outcome],
    *,
    worker: str,
) -> None:
    async with database.sessions() as session:
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_([job.delivery_id for job in jobs]))
            .order_by(WebhookDelivery.id)  # one lock order for every worker
            .with_for_update()
        )
        deliveries = {delivery.id: delivery for delivery in await session.scalars(statement)}
        for job, outcome in zip(jobs, outcomes, strict=True):
            delivery = deliveries.get(job.delivery_id)
            if delivery is None:  # deleted with its subscription meanwhile
                continue
            session.add(_attempt_row(job, outcome, worker))
            # Only the latest claim decides: an attempt whose lease lapsed is logged, no more.
            if delivery.status == PENDING and delivery.attempts == job.number:
                _settle(delivery, outcome, settings)
        await session.commit()


def _attempt_row(job: Job, outcome: Outcome, worker: str) -> WebhookAttempt:
    return WebhookAttempt(
        delivery_id=job.delivery_id,
        number=job.number,
        started_at=outcome.started_at,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        error=outcome.error,
        worker=worker[:100],
    )


def _settle(delivery: WebhookDelivery, outcome: Outcome, settings: Settings) -> None:
    """Succeeded; else retried after a backoff; else, with the run's budget spent, failed."""
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    run_attempts = delivery.attempts - delivery.attempts_before_replay
    if outcome.succeeded:
        delivery.status, delivery.delivered_at = DeliveryStatus.SUCCEEDED.value, clock.now()
    elif run_attempts >= settings.webhook_max_attempts:
        delivery.status = DeliveryStatus.FAILED.value
    else:
        delivery.next_attempt_at = clock.now() + backoff(settings, run_attempts)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Exponential from ``webhook_backoff_seconds``, capped, with equal jitter: between half
    and all of the step, so receivers recovering from an outage are not hit in lockstep."""
    step = min(
        settings.webhook_backoff_max_seconds,
        settings.webhook_backoff_seconds * 2 ** min(attempts - 1, 62),
    )
    return timedelta(seconds=step / 2 + random.uniform(0, step / 2))  # noqa: S311  (not crypto)

"""Webhook subscriptions (admins'), their deliveries and the replay of a failed delivery.

A subscription's signing secret is kept encrypted under the personal-data keys and handed out
once, when the subscription is created. The service never logs it.
"""

import base64
import secrets
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.crypto import PersonalDataCipher
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Principal
from app.models.event import Event
from app.models.webhook import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.services import audit, event_feed, webhook_targets
from app.services.webhook_sending import SECRET_PREFIX
from app.services.webhook_targets import TargetPolicy

SECRET_BYTES = 32
SUBSCRIPTION_ORDER = [SortKey(WebhookSubscription.id)]  # UUIDv7: creation order
DELIVERY_ORDER = [
    SortKey(WebhookDelivery.created_at, descending=True),
    SortKey(WebhookDelivery.id, descending=True),
]
REPLAYED = "webhook.delivery_replayed"
EDITABLE = frozenset({"url", "description", "event_types"})


class DeliveryNotFailed(Conflict):
    code = "webhook_delivery_not_failed"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def seal(cipher: PersonalDataCipher, secret: str) -> str:
    return cipher.encrypt({"secret": secret})


def unseal(cipher: PersonalDataCipher, token: str) -> str:
    return str(cipher.decrypt(token)["secret"])


def _types(event_types: Collection[str]) -> list[str]:
    return sorted({str(event_type) for event_type in event_types})


# -- subscriptions -------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    *,
    by: Principal,
    url: str,
    description: str | None,
    event_types: Collection[str],
    secret: str | None,
    policy: TargetPolicy,
    cipher: PersonalDataCipher,
) -> tuple[WebhookSubscription, str]:
    """A subscription receiving events settled from now on, and its secret (shown once)."""
    await webhook_targets.check(url, policy)
    secret = secret or generate_secret()
    start = await event_feed.head(session)
    subscription = WebhookSubscription(
        url=url,
        description=description,
        event_types=_types(event_types),
        secret_encrypted=seal(cipher, secret),
        status=SubscriptionStatus.ACTIVE.value,
        created_by=by.sub,
        cursor_transaction_id=start.transaction_id,
        cursor_position=start.position,
    )
    session.add(subscription)
    await session.flush()
    await audit.record(session, by, "webhook.created", subscription, to_state="active")
    return subscription, secret


async def get(
    session: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> WebhookSubscription:
    statement = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if for_update:
        statement = statement.with_for_update()
    subscription = await session.scalar(statement)
    if subscription is None:
        raise NotFound()
    return subscription


async def list_subscriptions(
    session: AsyncSession, *, page: PageParams
) -> tuple[list[WebhookSubscription], str | None]:
    return await paginate(session, select(WebhookSubscription), keys=SUBSCRIPTION_ORDER, page=page)


async def update(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    by: Principal,
    changes: Mapping[str, Any],
    policy: TargetPolicy,
    expected_version: int | None,
) -> WebhookSubscription:
    """Change the URL, description or event types; the subscription keeps its place."""
    ensure_version(subscription, expected_version)
    changes = {name: value for name, value in changes.items() if name in EDITABLE}
    if "url" in changes:
        await webhook_targets.check(changes["url"], policy)
    if "event_types" in changes:
        changes["event_types"] = _types(changes["event_types"])
    for name, value in changes.items():
        setattr(subscription, name, value)
    await session.flush()
    await audit.record(
        session, by, "webhook.updated", subscription, details={"fields": sorted(changes)}
    )
    return subscription


async def set_status(
    session: AsyncSession,
    subscription: WebhookSubscription,
    status: SubscriptionStatus,
    *,
    by: Principal,
    expected_version: int | None,
) -> WebhookSubscription:
    """Pause or resume; a paused subscription keeps its cursor and catches up on resume.

    Asking for the state it is already in changes nothing (a retried request is harmless).
    """
    ensure_version(subscription, expected_version)
    if subscription.status == status.value:
        return subscription
    previous, subscription.status = subscription.status, status.value
    await session.flush()
    action = "webhook.paused" if status is SubscriptionStatus.PAUSED else "webhook.resumed"
    await audit.record(
        session, by, action, subscription, from_state=previous, to_state=status.value
    )
    return subscription


async def delete(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    by: Principal,
    expected_version: int | None,
) -> None:
    """Delete the subscription with its deliveries and their attempts (the database cascades)."""
    ensure_version(subscription, expected_version)
    await audit.record(session, by, "webhook.deleted", subscription, from_state=subscription.status)
    await session.delete(subscription)
    await session.flush()


# -- deliveries ----------------------------------------------------------------------------------


def _deliveries(subscription: WebhookSubscription, status: str | None) -> Select[WebhookDelivery]:
    statement = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    return statement


async def list_deliveries(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    status: str | None,
    page: PageParams,
) -> tuple[list[WebhookDelivery], str | None]:
    """Newest first (the subscription index serves the order; a status filters it)."""
    statement = _deliveries(subscription, status)
    return await paginate(session, statement, keys=DELIVERY_ORDER, page=page)


async def event_types_of(
    session: AsyncSession, deliveries: Sequence[WebhookDelivery]
) -> dict[uuid.UUID, str]:
    """Each delivered event's type, in one query for a page."""
    ids = {delivery.event_id for delivery in deliveries}
    if not ids:
        return {}
    rows = await session.execute(select(Event.id, Event.type).where(Event.id.in_(ids)))
    return {event_id: event_type for event_id, event_type in rows}


async def get_delivery(
    session: AsyncSession,
    subscription: WebhookSubscription,
    delivery_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> WebhookDelivery:
    statement = _deliveries(subscription, None).where(WebhookDelivery.id == delivery_id)
    if for_update:
        statement = statement.with_for_update()
    delivery = await session.scalar(statement)
    if delivery is None:
        raise NotFound()
    return delivery


async def attempts_of(session: AsyncSession, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    statement = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.number)
    )
    return list((await session.scalars(statement)).all())


async def replay(
    session: AsyncSession, delivery: WebhookDelivery, *, by: Principal
) -> WebhookDelivery:
    """Put a failed delivery back in the queue now, with a fresh budget of attempts.

    Its attempt log stays and numbering continues; the attempts made so far no longer count
    against the limit.
    """
    if delivery.status != DeliveryStatus.FAILED.value:
        raise DeliveryNotFailed(status=delivery.status)
    delivery.status = DeliveryStatus.PENDING.value
    delivery.next_attempt_at = clock.now()
    delivery.attempts_before_replay = delivery.attempts
    await session.flush()
    await audit.record(
        session,
        by,
        REPLAYED,
        delivery,
        from_state=DeliveryStatus.FAILED.value,
        to_state=DeliveryStatus.PENDING.value,
        details={"attempts": delivery.attempts},
    )
    return delivery

"""Webhooks: admins' subscriptions, their deliveries and attempts, pause, resume and replay."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.concurrency import set_etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.core.security import Principal
from app.dependencies import CanManageWebhooks, CipherDep, IfMatch, SessionDep
from app.models.webhook import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.schemas.common import Page
from app.schemas.problems import problem_responses
from app.schemas.webhooks import (
    AttemptRead,
    DeliveryDetail,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)
from app.services import webhooks as webhook_service
from app.services.webhook_targets import TargetPolicy

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/webhooks",
    tags=["webhooks"],
    responses=problem_responses(401, 403, 422),
)
READ_ERRORS = problem_responses(404)
WRITE_ERRORS = problem_responses(404, 412)
SubscriptionId = Annotated[uuid.UUID, Path(description="The subscription's id.")]
DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id.")]


async def target_policy(request: Request) -> TargetPolicy:
    return TargetPolicy.of(request.app.state.settings)


PolicyDep = Annotated[TargetPolicy, Depends(target_policy)]


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    summary="Subscribe an endpoint",
)
async def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    admin: CanManageWebhooks,
    policy: PolicyDep,
    cipher: CipherDep,
    response: Response,
) -> WebhookCreated:
    """Register a URL for events from now on; the signing secret is shown only in this answer."""
    # No Idempotency-Key: a replayed answer would have to keep the secret in plain text.
    subscription, secret = await webhook_service.create(
        session,
        by=admin,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        secret=body.secret,
        policy=policy,
        cipher=cipher,
    )
    response.headers["Location"] = f"/v1/webhooks/{subscription.id}"
    set_etag(response, subscription)
    return WebhookCreated(**_read(subscription).model_dump(), secret=secret)


@router.get("", summary="List webhook subscriptions", responses=problem_responses(400))
async def list_webhooks(
    session: SessionDep,
    admin: CanManageWebhooks,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[WebhookRead]:
    """List subscriptions, oldest first (secrets are never shown)."""
    rows, cursor = await webhook_service.list_subscriptions(session, page=page)
    return Page[WebhookRead](items=[_read(row) for row in rows], next_cursor=cursor)


@router.get("/{webhook_id}", summary="Read a webhook subscription", responses=READ_ERRORS)
async def get_webhook(
    webhook_id: SubscriptionId, session: SessionDep, admin: CanManageWebhooks, response: Response
) -> WebhookRead:
    """Read one subscription with its ETag (never its secret)."""
    subscription = await webhook_service.get(session, webhook_id)
    set_etag(response, subscription)
    return _read(subscription)


@router.patch("/{webhook_id}", summary="Edit a webhook subscription", responses=WRITE_ERRORS)
async def update_webhook(
    webhook_id: SubscriptionId,
    body: WebhookUpdate,
    session: SessionDep,
    admin: CanManageWebhooks,
    policy: PolicyDep,
    response: Response,
    expected_version: IfMatch = None,
) -> WebhookRead:
    """Change the URL, description or event types sent (If-Match honoured)."""
    subscription = await webhook_service.get(session, webhook_id, for_update=True)
    await webhook_service.update(
        session,
        subscription,
        by=admin,
        changes=body.model_dump(exclude_unset=True),
        policy=policy,
        expected_version=expected_version,
    )
    set_etag(response, subscription)
    return _read(subscription)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook subscription",
    responses=problem_responses(404, 412),
)
async def delete_webhook(
    webhook_id: SubscriptionId,
    session: SessionDep,
    admin: CanManageWebhooks,
    expected_version: IfMatch = None,
) -> Response:
    """Delete a subscription with its deliveries and their attempt log."""
    subscription = await webhook_service.get(session, webhook_id, for_update=True)
    await webhook_service.delete(session, subscription, by=admin, expected_version=expected_version)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/pause",
    summary="Pause a webhook subscription",
    responses=problem_responses(404, 412),
)
async def pause_webhook(
    webhook_id: SubscriptionId,
    session: SessionDep,
    admin: CanManageWebhooks,
    response: Response,
    expected_version: IfMatch = None,
) -> WebhookRead:
    """Stop sending; events meanwhile are kept for the subscription and sent on resume."""
    return await _set_status(
        session, webhook_id, SubscriptionStatus.PAUSED, admin, response, expected_version
    )


@router.post(
    "/{webhook_id}/resume",
    summary="Resume a webhook subscription",
    responses=problem_responses(404, 412),
)
async def resume_webhook(
    webhook_id: SubscriptionId,
    session: SessionDep,
    admin: CanManageWebhooks,
    response: Response,
    expected_version: IfMatch = None,
) -> WebhookRead:
    """Send again, starting with the events that happened while it was paused."""
    return await _set_status(
        session, webhook_id, SubscriptionStatus.ACTIVE, admin, response, expected_version
    )


@router.get(
    "/{webhook_id}/deliveries",
    summary="List a subscription's deliveries",
    responses=problem_responses(400, 404),
)
async def list_deliveries(
    webhook_id: SubscriptionId,
    session: SessionDep,
    admin: CanManageWebhooks,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[DeliveryStatus | None, Query(description="Only in this state.")] = None,
) -> Page[DeliveryRead]:
    """List deliveries newest first, optionally only pending, succeeded or failed ones."""
    subscription = await webhook_service.get(session, webhook_id)
    rows, cursor = await webhook_service.list_deliveries(
        session, subscription, status=status.value if status else None, page=page
    )
    types = await webhook_service.event_types_of(session, rows)
    items = [_delivery(row, types[row.event_id]) for row in rows]
    return Page[DeliveryRead](items=items, next_cursor=cursor)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    summary="Read a delivery and its attempts",
    responses=READ_ERRORS,
)
async def get_delivery(
    webhook_id: SubscriptionId,
    delivery_id: DeliveryId,
    session: SessionDep,
    admin: CanManageWebhooks,
) -> DeliveryDetail:
    """Read one delivery with every attempt made: when, how long, the status or the error."""
    subscription = await webhook_service.get(session, webhook_id)
    delivery = await webhook_service.get_delivery(session, subscription, delivery_id)
    return await _detail(session, delivery)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    summary="Replay a failed delivery",
    responses=problem_responses(404, 409),
)
async def replay_delivery(
    webhook_id: SubscriptionId,
    delivery_id: DeliveryId,
    session: SessionDep,
    admin: CanManageWebhooks,
) -> DeliveryDetail:
    """Queue a failed delivery again now, with a fresh budget of attempts (same webhook-id)."""
    subscription = await webhook_service.get(session, webhook_id)
    delivery = await webhook_service.get_delivery(
        session, subscription, delivery_id, for_update=True
    )
    await webhook_service.replay(session, delivery, by=admin)
    return await _detail(session, delivery)


# -- shaping responses ---------------------------------------------------------------------------


async def _set_status(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    status: SubscriptionStatus,
    admin: Principal,
    response: Response,
    expected_version: int | None,
) -> WebhookRead:
    subscription = await webhook_service.get(session, webhook_id, for_update=True)
    await webhook_service.set_status(
        session, subscription, status, by=admin, expected_version=expected_version
    )
    set_etag(response, subscription)
    return _read(subscription)


def _read(subscription: WebhookSubscription) -> WebhookRead:
    return WebhookRead.model_validate(subscription)


def _delivery(delivery: WebhookDelivery, event_type: str) -> DeliveryRead:
    pending = delivery.status == DeliveryStatus.PENDING.value
    return DeliveryRead(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=event_type,
        status=DeliveryStatus(delivery.status),
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if pending else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
    )


async def _detail(session: AsyncSession, delivery: WebhookDelivery) -> DeliveryDetail:
    types = await webhook_service.event_types_of(session, [delivery])
    attempts: list[WebhookAttempt] = await webhook_service.attempts_of(session, delivery)
    return DeliveryDetail(
        **_delivery(delivery, types[delivery.event_id]).model_dump(),
        attempt_log=[AttemptRead.model_validate(attempt) for attempt in attempts],
    )

"""The caller's inbox: their notifications, newest first, read per person, and the unread badge."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import CanReadOwnNotifications, SessionDep
from app.schemas.notifications import (
    MarkedRead,
    NotificationPage,
    NotificationRead,
    UnreadCount,
)
from app.schemas.problems import problem_responses
from app.services import notifications as notification_service

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/me/notifications",
    tags=["notifications"],
    responses=problem_responses(401, 403),
)
PRIVATE = "no-store"  # an inbox is personal: never kept by browsers or shared caches
NotificationId = Annotated[uuid.UUID, Path(description="The notification's id.")]


async def service_timezone(request: Request) -> str:
    """The zone calendar dates are read in (Asia/Riyadh): a data instant's date in the texts."""
    return str(request.app.state.settings.timezone)


Timezone = Annotated[str, Depends(service_timezone)]


@router.get("", summary="List my notifications", responses=problem_responses(400, 422))
async def list_notifications(
    session: SessionDep,
    principal: CanReadOwnNotifications,
    timezone: Timezone,
    page: Annotated[PageParams, Depends(page_params)],
    response: Response,
    unread: Annotated[
        bool | None, Query(description="true: unread only; false: read only; absent: all.")
    ] = None,
) -> NotificationPage:
    """List your notifications and your roles', newest first, in Arabic and English."""
    items, cursor = await notification_service.list_inbox(
        session, principal, unread=unread, page=page
    )
    response.headers["Cache-Control"] = PRIVATE
    rows = [NotificationRead.of(item, timezone=timezone) for item in items]
    return NotificationPage(items=rows, next_cursor=cursor)


@router.get("/unread-count", summary="Count my unread notifications")
async def count_unread_notifications(
    session: SessionDep, principal: CanReadOwnNotifications, response: Response
) -> UnreadCount:
    """Count your unread notifications, for the app's badge."""
    unread = await notification_service.unread_count(session, principal)
    response.headers["Cache-Control"] = PRIVATE
    return UnreadCount(unread=unread)


@router.post("/read-all", summary="Mark all my notifications read")
async def mark_all_notifications_read(
    session: SessionDep, principal: CanReadOwnNotifications, response: Response
) -> MarkedRead:
    """Mark every unread notification of yours read; says how many it marked."""
    marked = await notification_service.mark_all_read(session, principal)
    response.headers["Cache-Control"] = PRIVATE
    return MarkedRead(marked=marked)


@router.post(
    "/{notification_id}/read",
    summary="Mark a notification read",
    responses=problem_responses(404, 422),
)
async def mark_notification_read(
    notification_id: NotificationId,
    session: SessionDep,
    principal: CanReadOwnNotifications,
    timezone: Timezone,
    response: Response,
) -> NotificationRead:
    """Mark one of your notifications read; again is harmless and keeps the first read time."""
    item = await notification_service.mark_read(session, principal, notification_id)
    response.headers["Cache-Control"] = PRIVATE
    return NotificationRead.of(item, timezone=timezone)

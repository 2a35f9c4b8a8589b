"""The inbox: notifications addressed to the caller by their sub, or to a role they hold.

A role's notification is read per person (a ``NotificationRead`` row per reader), so one officer
reading it leaves it unread for the others. An event that reached the caller by name and by one
of their roles (an overdue request reaches its handler and the handlers' role) shows once: the
role's copy is hidden from whoever holds a personal one.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    String,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.db import UTCDateTime, upsert_insert
from app.core.errors import NotFound
from app.core.pagination import PageParams, SortKey, decode_cursor, encode_cursor
from app.core.security import Principal
from app.models.event import Event, Notification, NotificationRead

# Newest first; the cursor carries the last item's (created_at, id).
_KEYS = (SortKey(Notification.created_at, True), SortKey(Notification.id, True))


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A notification as its reader sees it: the event it reports and when they read it."""

    notification: Notification
    event: Event
    read_at: datetime | None

    @property
    def for_owner(self) -> bool:
        """Addressed to the item's owner by name (some texts speak to them differently)."""
        sub = self.notification.recipient_sub
        return sub is not None and sub == self.event.owner_sub


# -- who may see what ----------------------------------------------------------------------------


def _routes(principal: Principal) -> list[ColumnElement[bool]]:
    """Each way a notification reaches the caller: their sub, or one of their roles (a role's
    copy of an event that also reached them by name left out). Each is served by its own
    index in (created_at, id) order."""
    n = Notification
    personal = aliased(Notification)
    copy = exists().where(personal.event_id == n.event_id, personal.recipient_sub == principal.sub)
    roles = sorted(role.value for role in principal.roles)
    by_role = [and_(n.recipient_role == role, ~copy) for role in roles]
    return [n.recipient_sub == principal.sub, *by_role]


def addressed(principal: Principal) -> ColumnElement[bool]:
    return or_(*_routes(principal))


def readable(principal: Principal) -> Select[Notification]:
    """The caller's notifications: to them by name, or to a role they hold."""
    return select(Notification).where(addressed(principal))


def _read_by(sub: str, read: Any = NotificationRead) -> ColumnElement[bool]:
    return and_(read.notification_id == Notification.id, read.reader_sub == sub)


def _unread_by(sub: str) -> ColumnElement[bool]:
    # Its own alias: the walks also join the caller's read, which must not correlate here.
    return ~exists().where(_read_by(sub, aliased(NotificationRead)))


# -- reading -------------------------------------------------------------------------------------


def _with_read(sub: str) -> Select[Notification, datetime]:
    return select(Notification, NotificationRead.read_at).outerjoin(NotificationRead, _read_by(sub))


def _items(rows: Any) -> list[InboxItem]:
    return [InboxItem(notification, event, read_at) for notification, event, read_at in rows]


def _filters(sub: str, unread: bool | None, cursor: str | None) -> list[ColumnElement[bool]]:
    filters = []
    if unread is not None:
        filters.append(_unread_by(sub) if unread else NotificationRead.read_at.is_not(None))
    if cursor is not None:
        after = decode_cursor(cursor, _KEYS)
        filters.append(tuple_(Notification.created_at, Notification.id) < tuple_(*after))
    return filters


def _walk(
    sub: str, route: ColumnElement[bool], filters: list[ColumnElement[bool]], limit: int
) -> Select[Any]:
    """One route's newest ``limit`` notifications after the filters, with the caller's read."""
    newest_first = (Notification.created_at.desc(), Notification.id.desc())
    walk = _with_read(sub).where(route, *filters).order_by(*newest_first).limit(limit)
    return select(walk.subquery())  # wrapped: SQLite refuses ORDER BY and LIMIT in a UNION


async def list_inbox(
    session: AsyncSession, principal: Principal, *, unread: bool | None, page: PageParams
) -> tuple[list[InboxItem], str | None]:
    """Newest first; ``unread`` True for unread only, False for read only.

    Each route walks its own index for at most a page (with the caller's read joined), and the
    walks are merged, then joined to their events, in one statement: on PostgreSQL a Merge
    Append of short index scans, so a page costs about a page of rows however full the inbox.
    """
    filters = _filters(principal.sub, unread, page.cursor)
    walks = [_walk(principal.sub, route, filters, page.limit + 1) for route in _routes(principal)]
    merged = union_all(*walks).subquery("inbox")
    inbox = aliased(Notification, merged, adapt_on_names=True)
    statement = (
        select(inbox, Event, merged.c.read_at)
        .join(Event, Event.id == inbox.event_id)
        .order_by(inbox.created_at.desc(), inbox.id.desc())
        .limit(page.limit + 1)
    )
    items = _items(await session.execute(statement))
    if len(items) <= page.limit:
        return items, None
    last = items[page.limit - 1].notification
    return items[: page.limit], encode_cursor([last.created_at, last.id])


async def get(session: AsyncSession, principal: Principal, notification_id: uuid.UUID) -> InboxItem:
    """One of the caller's notifications; someone else's or an unknown id is a 404."""
    statement = (
        readable(principal)
        .add_columns(Event, NotificationRead.read_at)
        .join(Event, Event.id == Notification.event_id)
        .outerjoin(NotificationRead, _read_by(principal.sub))
        .where(Notification.id == notification_id)
    )
    items = _items(await session.execute(statement))
    if not items:
        raise NotFound()
    return items[0]


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    """How many of the caller's notifications they have not read (the app's badge)."""
    statement = (
        select(func.count())
        .select_from(Notification)
        .where(addressed(principal), _unread_by(principal.sub))
    )
    return int(await session.scalar(statement) or 0)


# -- marking read --------------------------------------------------------------------------------


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> InboxItem:
    """Mark one notification read by the caller; marking it again keeps the first time."""
    item = await get(session, principal, notification_id)
    if item.read_at is not None:
        return item
    now = clock.now()
    # ON CONFLICT DO NOTHING: two taps at once (two devices) both succeed.
    statement = upsert_insert(session)(NotificationRead).values(
        notification_id=notification_id, reader_sub=principal.sub, read_at=now
    )
    if await _inserted(session, statement.on_conflict_do_nothing()):
        return replace(item, read_at=now)
    return await get(session, principal, notification_id)  # a concurrent tap recorded it first


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    """Mark every unread notification of the caller read, in one statement; how many."""
    now = literal(clock.now(), UTCDateTime())
    unread = select(Notification.id, literal(principal.sub, String()), now).where(
        addressed(principal), _unread_by(principal.sub)
    )
    columns = ["notification_id", "reader_sub", "read_at"]
    statement = upsert_insert(session)(NotificationRead).from_select(columns, unread)
    return await _inserted(session, statement.on_conflict_do_nothing())


async def _inserted(session: AsyncSession, statement: Any) -> int:
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount or 0)


# -- erasure -------------------------------------------------------------------------------------


async def erase(session: AsyncSession, *, sub: str, pseudonym: str) -> None:
    """Forget a person's inbox (their notifications and every read they recorded) and let the
    outbox name them by the erasure's pseudonym, as the audit trail does."""
    mine = select(Notification.id).where(Notification.recipient_sub == sub)
    reads = or_(NotificationRead.notification_id.in_(mine), NotificationRead.reader_sub == sub)
    detached = {"synchronize_session": False}
    await session.execute(delete(NotificationRead).where(reads).execution_options(**detached))
    gone = delete(Notification).where(Notification.recipient_sub == sub)
    await session.execute(gone.execution_options(**detached))
    for column in (Event.owner_sub, Event.handler_sub):
        renamed = update(Event).where(column == sub).values({column.key: pseudonym})
        await session.execute(renamed.execution_options(**detached))

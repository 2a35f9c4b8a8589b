"""The outbox: an event and its notifications exist exactly when the change is committed."""

import uuid

import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.core.security import Role
from app.models.event import Event, Notification
from app.services import event_feed, events
from app.services.event_feed import FeedCursor
from app.services.event_types import EventType
from tests.conftest import on_postgres


class Request:
    __tablename__ = "information_requests"

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.version = 3


async def _count(database: Database, model: type[Event] | type[Notification]) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_event_and_its_notifications_are_written_with_the_commit(
    database: Database,
) -> None:
    request = Request()
    async with database.sessions() as session:
        await events.emit(
            session,
            EventType.REQUEST_OVERDUE,
            request,
            reference="IR-2026-000001",
            owner="citizen-1",
            handler="officer-1",
            roles=[Role.INFORMATION_OFFICER],
            data={"due_date": "2026-03-12"},
        )
        await session.commit()
    async with database.sessions() as session:
        event = (await session.scalars(select(Event))).one()
        recipients = (
            await session.execute(select(Notification.recipient_sub, Notification.recipient_role))
        ).all()
    assert (event.type, event.entity_type, event.entity_id) == (
        "request.overdue",
        "information_requests",
        str(request.id),
    )
    assert (event.reference, event.resource_version) == ("IR-2026-000001", 3)
    assert event.audience_roles == ["information_officer"]
    assert sorted(recipients, key=str) == sorted(
        [("citizen-1", None), ("officer-1", None), (None, "information_officer")], key=str
    )
    assert (event.transaction_id is not None) == on_postgres()


async def test_a_rolled_back_change_leaves_no_event_and_no_notification(
    database: Database,
) -> None:
    async with database.sessions() as session:
        await events.emit(session, EventType.REQUEST_ANSWERED, Request(), owner="citizen-1")
        await session.flush()
        await session.rollback()
    assert await _count(database, Event) == 0
    assert await _count(database, Notification) == 0


@pytest.mark.parametrize("event_type", [EventType.DATASET_RELEASED, EventType.CALENDAR_CHANGED])
async def test_feed_only_types_reach_no_inbox(database: Database, event_type: EventType) -> None:
    async with database.sessions() as session:
        await events.emit(session, event_type, Request(), owner="someone")
        await session.commit()
    assert await _count(database, Event) == 1
    assert await _count(database, Notification) == 0


async def test_the_feed_resumes_after_its_cursor_in_order(database: Database) -> None:
    async with database.sessions() as session:
        for event_type in (EventType.REQUEST_RECEIVED, EventType.APPEAL_FILED):
            await events.emit(session, event_type, Request())
        await events.emit(session, EventType.REQUEST_ANSWERED, Request())
        await session.commit()
        first = await event_feed.read_after(session, FeedCursor(), limit=2)
        cursor = FeedCursor.decode(FeedCursor.of(first[-1]).encode())
        rest = await event_feed.read_after(session, cursor, limit=10)
        answered = await event_feed.read_after(
            session, FeedCursor(), types={"request.answered"}, limit=10
        )
        assert await event_feed.head(session) >= FeedCursor.of(rest[-1])
    assert [event.type for event in first + rest] == [
        "request.received",
        "appeal.filed",
        "request.answered",
    ]
    assert [event.type for event in answered] == ["request.answered"]

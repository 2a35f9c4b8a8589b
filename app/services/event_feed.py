"""Reading the outbox in order: the integrators' feed and every webhook subscription's cursor.

A consumer that stops and resumes from its last cursor must miss nothing and see nothing twice.
SQLite has one writer at a time, so events commit in ``position`` order. On PostgreSQL
transactions commit out of order: a slow one may commit an event numbered below one a reader
has already passed. So PostgreSQL readers order by ``(transaction_id, position)`` and only see
events whose transaction is older than every transaction still running (the snapshot's
``xmin``): nothing can later appear below that line. A transaction that has written holds the
feed back for as long as it runs (the service's own last one request or one worker batch).
Transaction ids are counted across the whole PostgreSQL cluster, so a long write in another
database on it holds the feed back too.
"""

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, Select, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import is_postgres
from app.core.errors import BadRequest, NotFound
from app.core.pagination import SortKey, decode_cursor, encode_cursor
from app.models.event import Event
from app.services.event_types import EventType

# Everything a reader may see (PostgreSQL): transactions older than the oldest still running,
# and the reader's own (a transaction sees what it wrote).
SETTLED = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", BigInteger)
OWN = literal_column("pg_current_xact_id_if_assigned()::text::bigint", BigInteger)
END_OF_TRANSACTION = 2**62
KNOWN_TYPES = tuple(sorted(member.value for member in EventType))


class UnknownEventType(BadRequest):
    """A ``types`` filter naming a type the catalogue does not have."""

    code = "unknown_event_type"
    members = ("known_types",)


@dataclass(frozen=True, order=True)
class FeedCursor:
    """The last event handed over: ``(transaction_id, position)``; ``transaction_id`` is 0 on
    SQLite."""

    transaction_id: int = 0
    position: int = 0

    @classmethod
    def of(cls, event: Event) -> "FeedCursor":
        return cls(event.transaction_id or 0, event.position)

    def encode(self) -> str:
        return encode_cursor([self.transaction_id, self.position])

    @classmethod
    def decode(cls, value: str | None) -> "FeedCursor":
        """The cursor a consumer sent back (the start of the feed when none)."""
        if value is None:
            return cls()
        transaction_id, position = decode_cursor(value, _CURSOR_KEYS)
        if transaction_id < 0 or position < 0:
            raise BadRequest(code="invalid_cursor")
        return cls(transaction_id, position)


_CURSOR_KEYS = [SortKey(Event.transaction_id), SortKey(Event.position)]


@dataclass(frozen=True)
class FeedPage:
    events: list[Event]
    next_cursor: FeedCursor


def event_types(names: Iterable[str]) -> frozenset[str]:
    """The catalogue types named (none: every type); an unknown name is refused, not ignored,
    so that a typo cannot silently filter the feed down to nothing."""
    wanted = frozenset(names)
    if not wanted <= set(KNOWN_TYPES):
        raise UnknownEventType(known=", ".join(KNOWN_TYPES), known_types=list(KNOWN_TYPES))
    return wanted


async def read_page(
    session: AsyncSession,
    after: FeedCursor,
    *,
    types: Collection[str] | None = None,
    limit: int,
) -> FeedPage:
    """Up to ``limit`` settled events after ``after`` and where to resume.

    A page shorter than ``limit`` has read every settled event of the wanted types, so its
    cursor moves on to the settled line, taken before the read (no later than what the read
    saw): a filtered consumer does not rescan the same unwanted events on every poll.
    """
    line = await _settled_line(session)
    events = await read_after(session, after, types=types, limit=limit)
    resume = FeedCursor.of(events[-1]) if events else after
    if len(events) < limit:
        resume = max(resume, line)
    return FeedPage(events, resume)


async def read_after(
    session: AsyncSession,
    cursor: FeedCursor,
    *,
    types: Collection[str] | None = None,
    limit: int,
) -> list[Event]:
    """Up to ``limit`` settled events after ``cursor``, in feed order (of ``types`` if given)."""
    statement = _after(session, cursor)
    if types:
        statement = statement.where(Event.type.in_(sorted(types)))
    return list((await session.scalars(statement.limit(limit))).all())


def _after(session: AsyncSession, cursor: FeedCursor) -> Select[Event]:
    if not is_postgres(session):
        return select(Event).where(Event.position > cursor.position).order_by(Event.position)
    key = tuple_(Event.transaction_id, Event.position)
    return (
        select(Event)
        .where(key > tuple_(cursor.transaction_id, cursor.position))
        .where(_settled())
        .order_by(Event.transaction_id, Event.position)
    )


def _settled() -> ColumnElement[bool]:
    # Scalar subqueries: computed once per statement (an InitPlan), not once per row.
    settled = select(SETTLED).scalar_subquery()
    own = select(OWN).scalar_subquery()
    return or_(Event.transaction_id < settled, Event.transaction_id == own)


async def head(session: AsyncSession) -> FeedCursor:
    """A cursor after every event settled now: a new subscriber starts here (events of
    transactions still running come after it)."""
    if not is_postgres(session):
        return FeedCursor(0, await _last_position(session))
    settled, own = (await session.execute(select(SETTLED, OWN))).one()
    if own is not None:  # the caller's transaction has written: it sees its own events so far
        return FeedCursor(own, await _last_position(session))
    return _below(settled)


async def _settled_line(session: AsyncSession) -> FeedCursor:
    """A cursor after every settled event and before every event still to settle."""
    if not is_postgres(session):
        return FeedCursor(0, await _last_position(session))
    settled: int = (await session.execute(select(SETTLED))).scalar_one()
    return _below(settled)


def _below(settled: int) -> FeedCursor:
    """After every event of the transactions older than ``settled`` (all finished), before
    every event of ``settled`` and later ones."""
    return FeedCursor(max(int(settled) - 1, 0), END_OF_TRANSACTION)


async def _last_position(session: AsyncSession) -> int:
    return await session.scalar(select(func.max(Event.position))) or 0


async def get(session: AsyncSession, event_id: uuid.UUID) -> Event:
    """One event by its id, committed (settled or not)."""
    event = await session.scalar(select(Event).where(Event.id == event_id))
    if event is None:
        raise NotFound(code="event_not_found")
    return event

"""Reading the outbox in order: the integrators' feed and every webhook subscription's cursor.

A consumer that stops and resumes from its last cursor must miss nothing and see nothing twice.
SQLite has one writer at a time, so events commit in ``position`` order. On PostgreSQL
transactions commit out of order: a slow one may commit an event numbered below one a reader
has already passed. So PostgreSQL readers order by ``(transaction_id, position)`` and only see
events whose transaction is older than every transaction still running (the snapshot's
``xmin``): nothing can later appear below that line. A long transaction holds the feed back by
at most its own length (bounded by the statement timeout).
"""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, Select, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import BadRequest
from app.core.pagination import SortKey, decode_cursor, encode_cursor
from app.models.event import Event

# Everything a reader may see (PostgreSQL): transactions older than the oldest still running,
# and the reader's own (a transaction sees what it wrote).
SETTLED = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", BigInteger)
OWN = literal_column("pg_current_xact_id_if_assigned()::text::bigint", BigInteger)
END_OF_TRANSACTION = 2**62


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


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


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
    if not _is_postgres(session):
        return select(Event).where(Event.position > cursor.position).order_by(Event.position)
    key = tuple_(Event.transaction_id, Event.position)
    return (
        select(Event)
        .where(key > tuple_(cursor.transaction_id, cursor.position))
        .where(_settled())
        .order_by(Event.transaction_id, Event.position)
    )


def _settled() -> ColumnElement[bool]:
    return or_(Event.transaction_id < SETTLED, Event.transaction_id == OWN)


async def head(session: AsyncSession) -> FeedCursor:
    """A cursor after every event settled now: a new subscriber starts here (events of
    transactions still running come after it)."""
    if not _is_postgres(session):
        last = await session.scalar(select(func.max(Event.position)))
        return FeedCursor(0, last or 0)
    settled, own = (await session.execute(select(SETTLED, OWN))).one()
    if own is not None:  # the caller's transaction has written: it sees its own events so far
        last = await session.scalar(select(func.max(Event.position)))
        return FeedCursor(own, last or 0)
    return FeedCursor(max(int(settled) - 1, 0), END_OF_TRANSACTION)

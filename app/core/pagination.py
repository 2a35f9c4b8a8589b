"""Keyset pagination: ``{items, next_cursor}``, stable under inserts, never OFFSET."""

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import Query
from sqlalchemy import ColumnElement, Select, and_, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="The next_cursor of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


@dataclass(frozen=True)
class SortKey:
    """One ordering column; the last key of a page's ordering must be unique (e.g. ``id``)."""

    attribute: InstrumentedAttribute[Any]
    descending: bool = False


async def paginate(
    session: AsyncSession, statement: Select[Any], *, keys: Sequence[SortKey], page: PageParams
) -> tuple[list[Any], str | None]:
    """One page of ORM rows after the cursor, and the cursor of the next page (None at the end)."""
    if page.cursor is not None:
        statement = statement.where(_after(keys, decode_cursor(page.cursor, keys)))
    ordering = [key.attribute.desc() if key.descending else key.attribute.asc() for key in keys]
    rows = list((await session.scalars(statement.order_by(*ordering).limit(page.limit + 1))).all())
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode_cursor([getattr(rows[-1], key.attribute.key) for key in keys])


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    columns = [key.attribute for key in keys]
    if len({key.descending for key in keys}) == 1:
        # A row-value comparison lets PostgreSQL walk a composite index directly.
        left, right = tuple_(*columns), tuple_(*values)
        return left < right if keys[0].descending else left > right
    clauses = []
    for index, key in enumerate(keys):
        ties = [columns[i] == values[i] for i in range(index)]
        beyond = (
            columns[index] < values[index] if key.descending else columns[index] > values[index]
        )
        clauses.append(and_(*ties, beyond))
    return or_(*clauses)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([_plain(value) for value in values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("cursor does not match this list")
        return [_typed(value, key) for value, key in zip(values, keys, strict=True)]
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequest(code="invalid_cursor") from exc


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _typed(value: Any, key: SortKey) -> Any:
    python_type = key.attribute.type.python_type
    if python_type is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("cursor timestamps carry an offset")
        return parsed
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is str and isinstance(value, str) and not _CONTROL.search(value):
        return value  # PostgreSQL refuses NUL in text: a crafted cursor must not reach SQL
    integer = python_type is int and isinstance(value, int) and not isinstance(value, bool)
    if integer and -(2**63) <= value < 2**63:  # what a BIGINT holds
        return value
    raise ValueError("unexpected cursor value")

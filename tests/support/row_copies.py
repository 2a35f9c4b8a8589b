"""Many rows quickly: copies of a row the API stored, so that they have the shape the service
writes, in one flush instead of one request each (for the query-count guard's 100-item lists)."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.orm import InstrumentedAttribute

from app.core.db import Database, new_id

Row = dict[str, Any]


def columns_of(row: object) -> Row:
    return {column.key: getattr(row, column.key) for column in inspect(type(row)).column_attrs}


async def clone(
    database: Database, model: type[Any], row_id: uuid.UUID | str, changes: Sequence[Row]
) -> list[uuid.UUID]:
    """One copy of a stored row per entry of ``changes`` (a new id, its unique columns changed)."""
    async with database.sessions() as session:
        original = columns_of(await session.get_one(model, uuid.UUID(str(row_id))))
        copies = [model(**(original | {"id": new_id()} | change)) for change in changes]
        session.add_all(copies)
        await session.commit()
    return [copy.id for copy in copies]


async def clone_children(
    database: Database, parent: InstrumentedAttribute[Any], old: uuid.UUID, new: list[uuid.UUID]
) -> None:
    """Copy the rows whose foreign key ``parent`` is ``old`` to every parent in ``new``."""
    model = parent.class_
    assert isinstance(model, type)
    keyed = "id" in inspect(model).columns  # else the key is the parent and another column
    async with database.sessions() as session:
        rows = [
            columns_of(row) for row in await session.scalars(select(model).where(parent == old))
        ]
        session.add_all(
            model(**(row | {parent.key: parent_id} | ({"id": new_id()} if keyed else {})))
            for parent_id in new
            for row in rows
        )
        await session.commit()


def numbered(prefix: str, count: int) -> list[Row]:
    """Unique references for copies, ``PREFIX-Q-000001`` (within the 20 characters allowed)."""
    return [{"reference": f"{prefix}-Q-{n:06d}"} for n in range(count)]


async def first_id(database: Database, column: Any, *where: ColumnElement[bool]) -> uuid.UUID:
    """The id (or other UUID ``column``) of a stored row matching ``where``."""
    async with database.sessions() as session:
        found = await session.scalar(select(column).where(*where).limit(1))
    assert isinstance(found, uuid.UUID), f"no row for {column}"
    return found

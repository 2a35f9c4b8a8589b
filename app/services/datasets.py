"""Datasets: who sees which, lookups by slug or id, and their distributions in one query."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.security import Permission, Principal
from app.models.dataset import Dataset, DatasetStatus, Distribution


def publishes(principal: Principal | None) -> bool:
    return principal is not None and principal.has(Permission.DATASETS_MANAGE)


def readable(principal: Principal | None) -> Select[Dataset]:
    """Publishers see every dataset; everyone else (and every harvester) the published ones."""
    statement = select(Dataset)
    if not publishes(principal):
        statement = statement.where(Dataset.status == DatasetStatus.PUBLISHED.value)
    return statement


def _by_slug_or_id(key: str) -> ColumnElement[bool]:
    try:
        return Dataset.id == uuid.UUID(key)
    except ValueError:
        return Dataset.slug == key


async def get_readable(
    session: AsyncSession, principal: Principal | None, slug_or_id: str
) -> Dataset:
    """The dataset addressed by slug or id, or 404 ``dataset_not_found``."""
    dataset = await session.scalar(readable(principal).where(_by_slug_or_id(slug_or_id)))
    if dataset is None:
        raise NotFound(code="dataset_not_found")
    return dataset


async def distributions_of(
    session: AsyncSession, dataset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Distribution]]:
    """Distributions of many datasets in one query (no N+1 in lists and catalogues)."""
    grouped: dict[uuid.UUID, list[Distribution]] = defaultdict(list)
    if not dataset_ids:
        return grouped
    statement = (
        select(Distribution)
        .where(Distribution.dataset_id.in_(dataset_ids))
        .order_by(Distribution.dataset_id, Distribution.created_at, Distribution.id)
    )
    for distribution in await session.scalars(statement):
        grouped[distribution.dataset_id].append(distribution)
    return grouped

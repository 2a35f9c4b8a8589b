"""Datasets: who sees which, lookups, lists, lateness and the publication statistics feed.

Writes (drafting, publishing, distributions, releases) live in ``dataset_publishing``.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Permission, Principal
from app.core.text import like_pattern, normalize
from app.models.dataset import (
    Dataset,
    DatasetKeyword,
    DatasetStatus,
    Distribution,
    Release,
    UpdateFrequency,
)
from app.models.information_request import InformationCategory
from app.services.dataset_schedule import release_overdue


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


def keyword_key(keyword: str) -> str:
    """How a keyword is indexed and matched: normalised (Arabic-aware), within the column."""
    return normalize(keyword)[:100]


def is_release_overdue(dataset: Dataset, today: date) -> bool:
    """Published, on a schedule, and past the day its next release was due."""
    return (
        dataset.status == DatasetStatus.PUBLISHED.value
        and dataset.update_frequency != UpdateFrequency.IRREGULAR.value
        and release_overdue(dataset.next_release_due, today)
    )


def overdue_condition(today: date) -> ColumnElement[bool]:
    """The SQL twin of ``is_release_overdue`` (served by ``ix_datasets_next_release_due``)."""
    d = Dataset
    return and_(
        d.status == DatasetStatus.PUBLISHED.value,
        d.update_frequency != UpdateFrequency.IRREGULAR.value,
        d.next_release_due.is_not(None),
        d.next_release_due < today,
    )


def _on_time_condition(today: date) -> ColumnElement[bool]:
    # Spelled out rather than not_(overdue): NOT over a NULL due date would drop the row.
    d = Dataset
    return or_(
        d.status != DatasetStatus.PUBLISHED.value,
        d.update_frequency == UpdateFrequency.IRREGULAR.value,
        d.next_release_due.is_(None),
        d.next_release_due >= today,
    )


# -- lists -----------------------------------------------------------------------------------------


class DatasetSort(StrEnum):
    MODIFIED = "modified"  # most recently modified first
    SLUG = "slug"  # alphabetical


SORT_KEYS: dict[DatasetSort, tuple[SortKey, ...]] = {
    # Walks ix_datasets_status_modified for the public (status fixed to published),
    # ix_datasets_updated_at_id for publishers (every status).
    DatasetSort.MODIFIED: (SortKey(Dataset.updated_at, True), SortKey(Dataset.id, True)),
    DatasetSort.SLUG: (SortKey(Dataset.slug),),  # the unique constraint's index
}


@dataclass(frozen=True, slots=True)
class DatasetFilters:
    category: str | None = None
    keyword: str | None = None
    format: str | None = None
    publisher: str | None = None
    q: str | None = None
    release_overdue: bool | None = None
    status: str | None = None


def _conditions(filters: DatasetFilters, today: date) -> list[ColumnElement[bool]]:
    d = Dataset
    equal = {d.category: filters.category, d.publisher: filters.publisher, d.status: filters.status}
    conditions = [column == value for column, value in equal.items() if value is not None]
    if filters.keyword is not None:
        keyword = select(DatasetKeyword.dataset_id).where(
            DatasetKeyword.dataset_id == d.id,
            DatasetKeyword.keyword == keyword_key(filters.keyword),
        )
        conditions.append(keyword.exists())
    if filters.format is not None:
        distributed = select(Distribution.id).where(
            Distribution.dataset_id == d.id, Distribution.format == filters.format
        )
        conditions.append(distributed.exists())
    if filters.q is not None:
        conditions.append(d.search_text.like(like_pattern(filters.q), escape="\\"))
    if filters.release_overdue is not None:
        late = filters.release_overdue
        conditions.append(overdue_condition(today) if late else _on_time_condition(today))
    return conditions


async def list_datasets(
    session: AsyncSession,
    principal: Principal | None,
    *,
    filters: DatasetFilters,
    today: date,
    sort: DatasetSort,
    page: PageParams,
) -> tuple[list[Dataset], str | None]:
    """One page of the datasets the caller may see (the public: published ones only)."""
    statement = readable(principal).where(*_conditions(filters, today))
    return await paginate(session, statement, keys=SORT_KEYS[sort], page=page)


async def releases_of(
    session: AsyncSession, dataset: Dataset, *, page: PageParams
) -> tuple[list[Release], str | None]:
    """A dataset's releases, newest first (one release per date, so the date is the key)."""
    statement = select(Release).where(Release.dataset_id == dataset.id)
    keys = [SortKey(Release.released_on, descending=True)]
    return await paginate(session, statement, keys=keys, page=page)


async def get_distribution(
    session: AsyncSession, dataset: Dataset, distribution_id: uuid.UUID
) -> Distribution:
    """One distribution of the dataset, or 404 ``distribution_not_found``."""
    distribution = await session.scalar(
        select(Distribution).where(
            Distribution.id == distribution_id, Distribution.dataset_id == dataset.id
        )
    )
    if distribution is None:
        raise NotFound(code="distribution_not_found")
    return distribution


# -- the disclosure statistics feed ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryCounts:
    published: int = 0
    release_overdue: int = 0


@dataclass(frozen=True, slots=True)
class PublicationStatistics:
    """Published datasets and late releases per information category, on ``as_of``."""

    as_of: date
    by_category: dict[InformationCategory, CategoryCounts]

    @property
    def published(self) -> int:
        return sum(counts.published for counts in self.by_category.values())

    @property
    def release_overdue(self) -> int:
        return sum(counts.release_overdue for counts in self.by_category.values())


async def publication_statistics(session: AsyncSession, today: date) -> PublicationStatistics:
    """Counts per category (every category listed, zeros included), in one GROUP BY query."""
    late = func.sum(case((overdue_condition(today), 1), else_=0))
    statement = (
        select(Dataset.category, func.count(), late)
        .where(Dataset.status == DatasetStatus.PUBLISHED.value)
        .group_by(Dataset.category)
    )
    counted = {
        category: CategoryCounts(int(published), int(overdue or 0))
        for category, published, overdue in await session.execute(statement)
    }
    return PublicationStatistics(
        as_of=today,
        by_category={
            category: counted.get(category.value, CategoryCounts())
            for category in InformationCategory
        },
    )

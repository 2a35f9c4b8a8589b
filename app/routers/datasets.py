"""Datasets: publishers draft, publish, release and archive them; everyone reads published ones."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import etag, set_etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import (
    CanManageDatasets,
    IdempotencyDep,
    IfMatch,
    OptionalPrincipalDep,
    PublicAccess,
    SessionDep,
)
from app.models.dataset import Dataset, DatasetStatus
from app.models.information_request import InformationCategory
from app.schemas.common import Page, SingleLineParameter
from app.schemas.datasets import (
    SLUG_PATTERN,
    CategoryStatisticsRead,
    DatasetCreate,
    DatasetRead,
    DatasetStatisticsRead,
    DatasetUpdate,
    DistributionCreate,
    DistributionRead,
    DistributionUpdate,
    ReleaseCreate,
    ReleaseRead,
    ReleaseRecorded,
)
from app.schemas.history import AuditEntry
from app.schemas.problems import problem_responses
from app.services import audit
from app.services import dataset_publishing as publishing
from app.services import datasets as dataset_service
from app.services.catalogue_vocabulary import FORMATS
from app.services.datasets import DatasetFilters, DatasetSort

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/datasets",
    tags=["datasets"],
    responses=problem_responses(422),
)
READ_ERRORS = problem_responses(404)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412)
DatasetKey = Annotated[
    str,
    Path(min_length=1, max_length=100, description="The dataset's slug or id."),
    SingleLineParameter,
]
DistributionId = Annotated[uuid.UUID, Path(description="The distribution's id.")]


async def local_today(request: Request) -> date:
    """Today in the service's time zone (Asia/Riyadh): release dates and lateness use it."""
    return clock.local_today(request.app.state.settings.timezone)


async def service_timezone(request: Request) -> str:
    return str(request.app.state.settings.timezone)


Today = Annotated[date, Depends(local_today)]
Timezone = Annotated[str, Depends(service_timezone)]


async def dataset_filters(
    category: InformationCategory | None = None,
    keyword: Annotated[
        str | None,
        Query(
            min_length=1, max_length=100, description="One keyword; diacritics and case ignored."
        ),
        SingleLineParameter,
    ] = None,
    format: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=20,
            description=f"Has a distribution in this format: {', '.join(FORMATS)}.",
        ),
        SingleLineParameter,
    ] = None,
    publisher: Annotated[
        str | None, Query(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Words in the title, description or keywords; Arabic-aware.",
        ),
        SingleLineParameter,
    ] = None,
    release_overdue: Annotated[
        bool | None, Query(description="Published, scheduled, and its next release is late.")
    ] = None,
    status: Annotated[
        DatasetStatus | None, Query(description="Publishers; the public sees published only.")
    ] = None,
) -> DatasetFilters:
    return DatasetFilters(
        category=category.value if category else None,
        keyword=keyword,
        format=publishing.format_name(format) if format is not None else None,
        publisher=publisher,
        q=q,
        release_overdue=release_overdue,
        status=status.value if status else None,
    )


async def one_dataset_read(session: AsyncSession, row: Dataset, today: date) -> DatasetRead:
    distributions = await dataset_service.distributions_of(session, [row.id])
    return DatasetRead.of(row, distributions[row.id], today)


def location(dataset: Dataset, *parts: str) -> str:
    return "/".join((router.prefix, str(dataset.id), *parts))


@router.post(
    "",
    status_code=201,
    response_model=DatasetRead,
    summary="Draft a dataset",
    responses=problem_responses(400, 401, 403, 409),
)
async def create_dataset(
    body: DatasetCreate,
    session: SessionDep,
    publisher: CanManageDatasets,
    today: Today,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a draft dataset (Idempotency-Key honoured); publish it to make it public."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    row = await publishing.create(session, by=publisher, data=body.stored())
    headers = {"Location": location(row), "ETag": etag(row.version)}
    read = DatasetRead.of(row, [], today)
    return await idempotency.respond(read, headers=headers)


@router.get(
    "", summary="List datasets", dependencies=[PublicAccess], responses=problem_responses(400)
)
async def list_datasets(
    session: SessionDep,
    principal: OptionalPrincipalDep,
    today: Today,
    filters: Annotated[DatasetFilters, Depends(dataset_filters)],
    page: Annotated[PageParams, Depends(page_params)],
    sort: Annotated[
        DatasetSort, Query(description="modified: most recently changed first; slug: A to Z.")
    ] = DatasetSort.MODIFIED,
) -> Page[DatasetRead]:
    """List published datasets with their distributions (publishers also see the others)."""
    rows, cursor = await dataset_service.list_datasets(
        session, principal, filters=filters, today=today, sort=sort, page=page
    )
    distributions = await dataset_service.distributions_of(session, [row.id for row in rows])
    items = [DatasetRead.of(row, distributions[row.id], today) for row in rows]
    return Page[DatasetRead](items=items, next_cursor=cursor)


# Declared before /{dataset}, which would otherwise take "statistics" for a slug.
@router.get("/statistics", summary="Publication statistics", dependencies=[PublicAccess])
async def dataset_statistics(session: SessionDep, today: Today) -> DatasetStatisticsRead:
    """Count published datasets and late releases per information category."""
    stats = await dataset_service.publication_statistics(session, today)
    return DatasetStatisticsRead(
        as_of=stats.as_of,
        published=stats.published,
        release_overdue=stats.release_overdue,
        by_category=[
            CategoryStatisticsRead(
                category=category,
                published=counts.published,
                release_overdue=counts.release_overdue,
            )
            for category, counts in stats.by_category.items()
        ],
    )


@router.get(
    "/{dataset}", summary="Get a dataset", dependencies=[PublicAccess], responses=READ_ERRORS
)
async def get_dataset(
    dataset: DatasetKey,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    today: Today,
    response: Response,
) -> DatasetRead:
    """Return a published dataset by slug or id (publishers: any), with its distributions."""
    row = await dataset_service.get_readable(session, principal, dataset)
    set_etag(response, row)
    return await one_dataset_read(session, row, today)


@router.patch("/{dataset}", summary="Edit a dataset", responses=WRITE_ERRORS)
async def update_dataset(
    dataset: DatasetKey,
    body: DatasetUpdate,
    session: SessionDep,
    publisher: CanManageDatasets,
    timezone: Timezone,
    today: Today,
    response: Response,
    expected_version: IfMatch = None,
) -> DatasetRead:
    """Change the fields sent of a draft or published dataset (If-Match honoured)."""
    row = await dataset_service.get_readable(session, publisher, dataset)
    row = await publishing.update(
        session,
        row,
        by=publisher,
        changes=body.changes(),
        timezone=timezone,
        expected_version=expected_version,
    )
    set_etag(response, row)
    return await one_dataset_read(session, row, today)


@router.post("/{dataset}/publish", summary="Publish a dataset", responses=WRITE_ERRORS)
async def publish_dataset(
    dataset: DatasetKey,
    session: SessionDep,
    publisher: CanManageDatasets,
    timezone: Timezone,
    today: Today,
    response: Response,
    expected_version: IfMatch = None,
) -> DatasetRead:
    """Publish a draft: public, harvestable, and its release schedule starts today."""
    row = await dataset_service.get_readable(session, publisher, dataset)
    row = await publishing.publish(
        session, row, by=publisher, timezone=timezone, expected_version=expected_version
    )
    set_etag(response, row)
    return await one_dataset_read(session, row, today)


@router.post("/{dataset}/archive", summary="Archive a dataset", responses=WRITE_ERRORS)
async def archive_dataset(
    dataset: DatasetKey,
    session: SessionDep,
    publisher: CanManageDatasets,
    today: Today,
    response: Response,
    expected_version: IfMatch = None,
) -> DatasetRead:
    """Archive a published dataset: it leaves the public list, the catalogue and CKAN."""
    row = await dataset_service.get_readable(session, publisher, dataset)
    row = await publishing.archive(session, row, by=publisher, expected_version=expected_version)
    set_etag(response, row)
    return await one_dataset_read(session, row, today)


@router.get(
    "/{dataset}/history",
    summary="A dataset's history",
    responses=problem_responses(401, 403, 404),
)
async def dataset_history(
    dataset: DatasetKey, session: SessionDep, publisher: CanManageDatasets
) -> Page[AuditEntry]:
    """List the dataset's audited changes, distributions and releases included, oldest first."""
    row = await dataset_service.get_readable(session, publisher, dataset)
    events = await audit.history(session, row)
    return Page[AuditEntry](
        items=[AuditEntry.model_validate(event) for event in events], next_cursor=None
    )


@router.post(
    "/{dataset}/distributions",
    status_code=201,
    response_model=DistributionRead,
    summary="Add a distribution",
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def add_distribution(
    dataset: DatasetKey,
    body: DistributionCreate,
    session: SessionDep,
    publisher: CanManageDatasets,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a file or API of the dataset (Idempotency-Key honoured)."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    row = await dataset_service.get_readable(session, publisher, dataset)
    item = await publishing.add_distribution(session, row, by=publisher, data=body.stored())
    headers = {"Location": location(row, "distributions", str(item.id)), "ETag": etag(item.version)}
    return await idempotency.respond(DistributionRead.of(item), headers=headers)


@router.patch(
    "/{dataset}/distributions/{distribution_id}",
    summary="Edit a distribution",
    responses=WRITE_ERRORS,
)
async def update_distribution(
    dataset: DatasetKey,
    distribution_id: DistributionId,
    body: DistributionUpdate,
    session: SessionDep,
    publisher: CanManageDatasets,
    response: Response,
    expected_version: IfMatch = None,
) -> DistributionRead:
    """Change the fields sent (If-Match: the distribution's ETag)."""
    row = await dataset_service.get_readable(session, publisher, dataset)
    item = await dataset_service.get_distribution(session, row, distribution_id)
    item = await publishing.update_distribution(
        session,
        row,
        item,
        by=publisher,
        changes=body.changes(),
        expected_version=expected_version,
    )
    set_etag(response, item)
    return DistributionRead.of(item)


@router.delete(
    "/{dataset}/distributions/{distribution_id}",
    status_code=204,
    summary="Remove a distribution",
    responses=WRITE_ERRORS,
)
async def remove_distribution(
    dataset: DatasetKey,
    distribution_id: DistributionId,
    session: SessionDep,
    publisher: CanManageDatasets,
    expected_version: IfMatch = None,
) -> Response:
    """Remove a distribution from the dataset (If-Match: the distribution's ETag)."""
    row = await dataset_service.get_readable(session, publisher, dataset)
    item = await dataset_service.get_distribution(session, row, distribution_id)
    await publishing.remove_distribution(
        session, row, item, by=publisher, expected_version=expected_version
    )
    return Response(status_code=204)


@router.post(
    "/{dataset}/releases",
    status_code=201,
    response_model=ReleaseRecorded,
    summary="Record a release",
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def record_release(
    dataset: DatasetKey,
    body: ReleaseCreate,
    session: SessionDep,
    publisher: CanManageDatasets,
    timezone: Timezone,
    today: Today,
    idempotency: IdempotencyDep,
) -> Response:
    """Record that the dataset was released on a date; the next release is due from it."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    row = await dataset_service.get_readable(session, publisher, dataset)
    notes = body.notes.model_dump(exclude_none=True) if body.notes else None
    release = await publishing.record_release(
        session, row, by=publisher, released_on=body.released_on, notes=notes, timezone=timezone
    )
    recorded = ReleaseRecorded.of(release, row, today)
    return await idempotency.respond(recorded, headers={"Location": location(row, "releases")})


@router.get(
    "/{dataset}/releases",
    summary="List a dataset's releases",
    dependencies=[PublicAccess],
    responses=problem_responses(400, 404),
)
async def list_releases(
    dataset: DatasetKey,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ReleaseRead]:
    """List a published dataset's releases, newest first."""
    row = await dataset_service.get_readable(session, principal, dataset)
    releases, cursor = await dataset_service.releases_of(session, row, page=page)
    return Page[ReleaseRead](items=[ReleaseRead.of(item) for item in releases], next_cursor=cursor)

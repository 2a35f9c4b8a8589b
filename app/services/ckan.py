"""The catalogue as CKAN shows it: package dicts, package search with facets, organisations.

Read-only and public: only published datasets, whoever asks. Publishers are CKAN organisations
(named by their slug), information categories are CKAN groups, keywords are tags and
distributions are resources.
"""

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, distinct, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.selectable import TableValuedAlias

from app.models.dataset import Dataset, Distribution
from app.schemas.ckan import (
    CkanExtra,
    CkanFacet,
    CkanFacetItem,
    CkanGroup,
    CkanLicence,
    CkanOrganization,
    CkanOrganizationListed,
    CkanPackage,
    CkanResource,
    CkanSearchResult,
    CkanStatus,
    CkanTag,
    OrganizationListParams,
    PackageSearchParams,
)
from app.services import datasets as dataset_service
from app.services.catalogue_vocabulary import LICENCES
from app.services.ckan_query import (
    DEFAULT_SORT,
    filter_query,
    invalid,
    order_by,
    text_filters,
)
from app.services.dataset_schedule import release_overdue

CKAN_VERSION = "2.10.5"  # the CKAN release whose action API this one follows
SITE_TITLE = "إمارة منطقة عسير - البيانات المفتوحة | Asir Region Emirate open data"
SITE_DESCRIPTION = "Datasets the Asir Region Emirate publishes proactively, on a schedule."
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
ORGANIZATIONS_MAX, ORGANIZATION_DICTS_MAX = 1000, 25  # CKAN's list limits
# Organisations have no table of their own: their ids are derived from their slugs, stably.
_ORGANIZATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:beneficiary-api:ckan:organization")

CATEGORY_TITLES: dict[str, dict[str, str]] = {
    "development_plans": {"ar": "الخطط والمبادرات التنموية", "en": "Development plans"},
    "services_procedures": {"ar": "الخدمات والإجراءات", "en": "Services and procedures"},
    "open_data": {"ar": "البيانات المفتوحة", "en": "Open data"},
    "reports_statistics": {"ar": "التقارير والإحصاءات", "en": "Reports and statistics"},
    "regulations_decisions": {"ar": "الأنظمة والقرارات المحلية", "en": "Regulations and decisions"},
    "other": {"ar": "أخرى", "en": "Other"},
}


@dataclass(frozen=True)
class Site:
    """Where the service answers, and which calendar day it is there."""

    url: str
    today: date


def status(*, site_url: str) -> CkanStatus:
    return CkanStatus(
        site_title=SITE_TITLE,
        site_description=SITE_DESCRIPTION,
        site_url=site_url,
        ckan_version=CKAN_VERSION,
        locale_default="ar",
        extensions=[],
    )


def licences() -> list[CkanLicence]:
    return [CkanLicence(id=item.id, title=item.title, url=item.url) for item in LICENCES.values()]


def _published() -> Select[Dataset]:
    return dataset_service.readable(None)  # a harvester is the public, whatever it sends


# -- package dicts ---------------------------------------------------------------------------------


def ckan_time(instant: datetime) -> str:
    """CKAN's timestamps: UTC, ISO 8601 without an offset."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat()


def _texts(value: Mapping[str, Any]) -> dict[str, str]:
    return {language: text for language, text in value.items() if isinstance(text, str)}


def organization_id(slug: str) -> str:
    return str(uuid.uuid5(_ORGANIZATION_NAMESPACE, slug))


def organization(slug: str, name: Mapping[str, Any]) -> CkanOrganization:
    title = _texts(name).get("ar") or slug
    return CkanOrganization(
        id=organization_id(slug),
        name=slug,
        title=title,
        display_name=title,
        title_translated=_texts(name),
        description="",
    )


def group(category: str) -> CkanGroup:
    titles = CATEGORY_TITLES.get(category, {"ar": category})
    return CkanGroup(
        id=category,
        name=category,
        title=titles["ar"],
        display_name=titles["ar"],
        title_translated=titles,
    )


def resource(distribution: Distribution, position: int) -> CkanResource:
    return CkanResource(
        id=str(distribution.id),
        package_id=str(distribution.dataset_id),
        name=_texts(distribution.title).get("ar", ""),
        name_translated=_texts(distribution.title),
        url=distribution.download_url or distribution.access_url,
        access_url=distribution.access_url,
        download_url=distribution.download_url,
        format=distribution.format,
        mimetype=distribution.media_type,
        size=distribution.byte_size,
        hash=distribution.checksum_sha256 or "",
        created=ckan_time(distribution.created_at),
        last_modified=ckan_time(distribution.updated_at),
        position=position,
    )


def _extras(dataset: Dataset, today: date) -> list[CkanExtra]:
    values = {
        "last_release_on": dataset.last_release_on.isoformat() if dataset.last_release_on else "",
        "next_release_due": (
            dataset.next_release_due.isoformat() if dataset.next_release_due else ""
        ),
        "release_overdue": "true" if release_overdue(dataset.next_release_due, today) else "false",
        "update_frequency": dataset.update_frequency,
    }
    return [CkanExtra(key=key, value=value) for key, value in sorted(values.items())]


def package(dataset: Dataset, distributions: Sequence[Distribution], site: Site) -> CkanPackage:
    """The CKAN package dict of a published dataset."""
    licence = LICENCES.get(dataset.licence_id)
    owner = organization(dataset.publisher, dataset.publisher_name)
    return CkanPackage(
        id=str(dataset.id),
        name=dataset.slug,
        title=_texts(dataset.title).get("ar", dataset.slug),
        title_translated=_texts(dataset.title),
        notes=_texts(dataset.description).get("ar", ""),
        notes_translated=_texts(dataset.description),
        url=f"{site.url}/v1/datasets/{dataset.slug}",
        maintainer=dataset.contact_name,
        maintainer_email=dataset.contact_email,
        license_id=dataset.licence_id,
        license_title=licence.title if licence else dataset.licence_id,
        license_url=licence.url if licence else "",
        isopen=licence is not None,
        metadata_created=ckan_time(dataset.created_at),
        metadata_modified=ckan_time(dataset.updated_at),
        organization=owner,
        owner_org=owner.id,
        tags=[CkanTag(name=keyword, display_name=keyword) for keyword in dataset.keywords],
        groups=[group(dataset.category)],
        resources=[resource(item, position) for position, item in enumerate(distributions)],
        num_resources=len(distributions),
        num_tags=len(dataset.keywords),
        extras=_extras(dataset, site.today),
    )


async def packages(
    session: AsyncSession, datasets: Sequence[Dataset], site: Site
) -> list[CkanPackage]:
    """Package dicts of many datasets, their resources read in one query."""
    resources = await dataset_service.distributions_of(session, [item.id for item in datasets])
    return [package(item, resources.get(item.id, []), site) for item in datasets]


async def package_show(session: AsyncSession, key: str, *, site: Site) -> CkanPackage:
    """The published dataset with this slug or id (else ``dataset_not_found``)."""
    dataset = await dataset_service.get_readable(session, None, key)
    return (await packages(session, [dataset], site))[0]


async def package_names(session: AsyncSession, *, limit: int | None, offset: int) -> Sequence[str]:
    statement = _published().with_only_columns(Dataset.slug).order_by(Dataset.slug)
    return (await session.scalars(statement.limit(limit).offset(offset))).all()


# -- search ----------------------------------------------------------------------------------------


async def package_search(
    session: AsyncSession, *, params: PackageSearchParams, site: Site
) -> CkanSearchResult:
    """CKAN's package_search: count, one page of package dicts, and facet counts."""
    scope = _search_scope(params)
    ordering = order_by(params.sort)
    unknown = [field for field in params.facet_field if field not in FACET_FIELDS]
    if unknown:
        raise invalid("facet.field", f"Cannot facet on {unknown}; known: {list(FACET_FIELDS)}")
    count = await session.scalar(select(func.count(Dataset.id)).where(scope)) or 0
    results: list[CkanPackage] = []
    if params.rows and params.start < count:
        page = select(Dataset).where(scope).order_by(*ordering)
        rows = await session.scalars(page.limit(params.rows).offset(params.start))
        results = await packages(session, rows.all(), site)
    counts = {
        field: await facet_counts(session, field, scope=scope, limit=params.facet_limit)
        for field in dict.fromkeys(params.facet_field)
    }
    return CkanSearchResult(
        count=count,
        sort=params.sort or DEFAULT_SORT,
        results=results,
        facets={field: dict(values) for field, values in counts.items()},
        search_facets=await _search_facets(session, counts),
    )


def _search_scope(params: PackageSearchParams) -> ColumnElement[bool]:
    statement = _published().where(*text_filters(params.q))
    for fq in (params.fq, *params.fq_list):
        if (condition := filter_query(fq)) is not None:
            statement = statement.where(condition)
    assert statement.whereclause is not None  # published, at least
    return statement.whereclause


async def facet_counts(
    session: AsyncSession, field: str, *, scope: ColumnElement[bool], limit: int
) -> list[tuple[str, int]]:
    """The most frequent values of one facet among the matches, in one GROUP BY."""
    counted = func.count(distinct(Dataset.id))
    value: ColumnElement[str] | QueryableAttribute[str]
    if field == "res_format":
        value = Distribution.format
        statement = select(value, counted).join_from(
            Dataset, Distribution, Distribution.dataset_id == Dataset.id
        )
    elif field == "tags":
        keywords = _keyword_values(session)
        value = keywords.c.value
        statement = select(value, counted).join_from(Dataset, keywords, true())
    else:
        columns = {
            "organization": Dataset.publisher,
            "groups": Dataset.category,
            "license_id": Dataset.licence_id,
        }
        value = columns[field]
        statement = select(value, counted)
    statement = statement.where(scope).group_by(value).order_by(counted.desc(), value)
    if limit >= 0:
        statement = statement.limit(limit)
    return [(str(name), int(number)) for name, number in (await session.execute(statement)).all()]


def _keyword_values(session: AsyncSession) -> TableValuedAlias:
    """Each dataset's keywords as rows, as spelt (the tag names), from the JSON column."""
    if session.get_bind().dialect.name == "postgresql":
        function = func.jsonb_array_elements_text(Dataset.keywords)
    else:
        function = func.json_each(Dataset.keywords)
    return function.table_valued("value").alias("keyword")


async def _search_facets(
    session: AsyncSession, counts: Mapping[str, list[tuple[str, int]]]
) -> dict[str, CkanFacet]:
    organizations = await publisher_names(
        session, [name for name, _ in counts.get("organization", [])]
    )
    facets = {}
    for field, values in counts.items():
        items = [
            CkanFacetItem(
                name=name, display_name=_display(field, name, organizations), count=number
            )
            for name, number in values
        ]
        # CKAN hands facet items back sorted by display name, descending.
        items.sort(key=lambda item: item.display_name, reverse=True)
        facets[field] = CkanFacet(title=field, items=items)
    return facets


def _display(field: str, name: str, organizations: Mapping[str, Mapping[str, Any]]) -> str:
    if field == "organization":
        return _texts(organizations.get(name, {})).get("ar") or name
    if field == "groups":
        return CATEGORY_TITLES.get(name, {"ar": name})["ar"]
    if field == "license_id" and (licence := LICENCES.get(name)) is not None:
        return licence.title
    return name


# -- organisations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Publisher:
    name: Mapping[str, Any]
    package_count: int


async def _publishers(
    session: AsyncSession, slugs: Collection[str] | None = None
) -> dict[str, _Publisher]:
    """Publishers of published datasets with their counts; a publisher's latest name wins."""
    statement = (
        _published()
        .with_only_columns(
            Dataset.publisher,
            Dataset.publisher_name,
            func.count(Dataset.id),
            func.max(Dataset.updated_at),
        )
        .group_by(Dataset.publisher, Dataset.publisher_name)
    )
    if slugs is not None:
        statement = statement.where(Dataset.publisher.in_(slugs))
    counts: Counter[str] = Counter()
    names: dict[str, tuple[datetime, Mapping[str, Any]]] = {}
    for slug, name, count, named_at in (await session.execute(statement)).all():
        counts[slug] += count
        if slug not in names or named_at > names[slug][0]:
            names[slug] = (named_at, name)
    return {slug: _Publisher(names[slug][1], counts[slug]) for slug in counts}


async def publisher_names(
    session: AsyncSession, slugs: Collection[str]
) -> dict[str, Mapping[str, Any]]:
    if not slugs:
        return {}
    return {slug: item.name for slug, item in (await _publishers(session, slugs)).items()}


async def organization_list(
    session: AsyncSession, *, params: OrganizationListParams
) -> list[str] | list[CkanOrganizationListed]:
    """Publishers of published datasets: their names, or dicts with their package counts."""
    key, descending = _organization_order(params.sort)
    listed = [
        CkanOrganizationListed(
            **organization(slug, item.name).model_dump(), package_count=item.package_count
        )
        for slug, item in (await _publishers(session)).items()
    ]
    listed.sort(key=key, reverse=descending)
    most = ORGANIZATION_DICTS_MAX if params.all_fields else ORGANIZATIONS_MAX
    limit = min(params.limit if params.limit is not None else most, most)
    page = listed[params.offset : params.offset + limit]
    if params.all_fields:
        return page
    return [item.name for item in page]


def _organization_order(sort: str) -> tuple[Callable[[CkanOrganizationListed], Any], bool]:
    keys: dict[str, Callable[[CkanOrganizationListed], Any]] = {
        "name": lambda item: item.name,
        "title": lambda item: (item.title, item.name),
        "package_count": lambda item: (item.package_count, item.name),
    }
    words = sort.split()
    direction = words[1].lower() if len(words) == 2 else "asc"
    if len(words) not in (1, 2) or words[0] not in keys or direction not in ("asc", "desc"):
        raise invalid(
            "sort",
            f"Cannot sort organizations by {sort!r}; use name, title or package_count, asc or desc",
        )
    return keys[words[0]], direction == "desc"

"""Dataset writes: drafting, editing, publishing, archiving, distributions and releases; audited."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, InvalidTransition, UnprocessableEntity
from app.core.security import Principal
from app.core.text import search_text
from app.models.dataset import Dataset, DatasetKeyword, DatasetStatus, Distribution, Release
from app.services import audit, dataset_schedule, events
from app.services.calendar import ensure_in_range
from app.services.catalogue_vocabulary import FORMATS, LICENCES
from app.services.datasets import keyword_key
from app.services.event_types import EventType

Status = DatasetStatus
_LICENCE_IDS = {licence_id.casefold(): licence_id for licence_id in LICENCES}


# -- checks ----------------------------------------------------------------------------------------


def licence_id(value: str) -> str:
    """The catalogue's spelling of a licence id (case-insensitive), or 422 ``unknown_licence``."""
    known = _LICENCE_IDS.get(value.casefold())
    if known is None:
        raise UnprocessableEntity(code="unknown_licence", licence=value, known=", ".join(LICENCES))
    return known


def format_name(value: str) -> str:
    """A distribution format of the vocabulary (case-insensitive), or 422 ``unknown_format``."""
    if value.upper() not in FORMATS:
        raise UnprocessableEntity(code="unknown_format", format=value, known=", ".join(FORMATS))
    return value.upper()


def _ensure_not_archived(dataset: Dataset) -> None:
    if dataset.status == Status.ARCHIVED.value:
        raise InvalidTransition(from_state=dataset.status, to_state=dataset.status)


# -- the dataset -----------------------------------------------------------------------------------


async def create(session: AsyncSession, *, by: Principal, data: Mapping[str, Any]) -> Dataset:
    """A new draft; nobody but publishers sees it until it is published."""
    fields = dict(data)
    keywords = _distinct(fields.pop("keywords", []))
    fields["licence_id"] = licence_id(fields["licence_id"])
    dataset = Dataset(**fields, keywords=keywords, status=Status.DRAFT.value, created_by=by.sub)
    _index(dataset)
    await _ensure_slug_free(session, dataset.slug)
    try:
        async with session.begin_nested():
            session.add(dataset)
    except IntegrityError as exc:  # a concurrent create took the slug after our check
        raise Conflict(code="slug_taken", slug=fields["slug"]) from exc
    await _sync_keywords(session, dataset)
    await audit.record(
        session,
        by,
        "dataset.created",
        dataset,
        to_state=dataset.status,
        details={"slug": dataset.slug},
    )
    return dataset


async def update(
    session: AsyncSession,
    dataset: Dataset,
    *,
    by: Principal,
    changes: Mapping[str, Any],
    timezone: str,
    expected_version: int | None,
) -> Dataset:
    """Change a draft or published dataset; its slug only while it is a draft."""
    ensure_version(dataset, expected_version)
    _ensure_not_archived(dataset)
    changes = _effective(dataset, changes)
    if not changes:
        return dataset
    if "slug" in changes:
        await _ensure_slug_editable(session, dataset, changes["slug"])
    for field, value in changes.items():
        setattr(dataset, field, value)
    _index(dataset)
    if "update_frequency" in changes:
        _reschedule(dataset, timezone)
    await _flush_edit(session, dataset)
    if "keywords" in changes:
        await _sync_keywords(session, dataset)
    await audit.record(
        session,
        by,
        "dataset.updated",
        dataset,
        from_state=dataset.status,
        to_state=dataset.status,
        details={"fields": sorted(changes)},
    )
    return dataset


def _effective(dataset: Dataset, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The sent fields, in their stored form, that differ from what is stored."""
    changes = dict(changes)
    if "licence_id" in changes:
        changes["licence_id"] = licence_id(changes["licence_id"])
    if "keywords" in changes:
        changes["keywords"] = _distinct(changes["keywords"])
    return {field: value for field, value in changes.items() if getattr(dataset, field) != value}


async def publish(
    session: AsyncSession,
    dataset: Dataset,
    *,
    by: Principal,
    timezone: str,
    expected_version: int | None,
) -> Dataset:
    """Make a draft public; its first release is due one period after today (or the last one)."""
    ensure_version(dataset, expected_version)
    if dataset.status != Status.DRAFT.value:
        raise InvalidTransition(from_state=dataset.status, to_state=Status.PUBLISHED.value)
    dataset.status, dataset.published_at = Status.PUBLISHED.value, clock.now()
    _reschedule(dataset, timezone)
    await _transitioned(session, by, "dataset.published", dataset, Status.DRAFT)
    await _emit(session, EventType.DATASET_PUBLISHED, dataset)
    return dataset


async def archive(
    session: AsyncSession, dataset: Dataset, *, by: Principal, expected_version: int | None
) -> Dataset:
    """Withdraw a published dataset from the public catalogue; nothing more is due from it."""
    ensure_version(dataset, expected_version)
    if dataset.status != Status.PUBLISHED.value:
        raise InvalidTransition(from_state=dataset.status, to_state=Status.ARCHIVED.value)
    dataset.status, dataset.archived_at = Status.ARCHIVED.value, clock.now()
    dataset.next_release_due = None
    await _transitioned(session, by, "dataset.archived", dataset, Status.PUBLISHED)
    await _emit(session, EventType.DATASET_ARCHIVED, dataset)
    return dataset


async def _transitioned(
    session: AsyncSession, by: Principal, action: str, dataset: Dataset, before: DatasetStatus
) -> Dataset:
    await session.flush()
    await audit.record(
        session, by, action, dataset, from_state=before.value, to_state=dataset.status
    )
    return dataset


async def _emit(
    session: AsyncSession, event_type: EventType, dataset: Dataset, **data: Any
) -> None:
    """The outbox event beside the audit record; harvesters know a dataset by its slug."""
    due = events.dated("next_release_due", dataset.next_release_due)
    payload = {"status": dataset.status, **data, **due}
    await events.emit(session, event_type, dataset, reference=dataset.slug, data=payload)


def _distinct(keywords: Iterable[str]) -> list[str]:
    """Keywords as given, without repeats of one normalised keyword (the first spelling stays)."""
    seen: dict[str, str] = {}
    for keyword in keywords:
        seen.setdefault(keyword_key(keyword), keyword)
    return [keyword for key, keyword in seen.items() if key]


def _index(dataset: Dataset) -> None:
    texts = [*dataset.title.values(), *dataset.description.values(), *dataset.keywords]
    dataset.search_text = search_text(*(text for text in texts if isinstance(text, str)))


async def _sync_keywords(session: AsyncSession, dataset: Dataset) -> None:
    """Keep one ``DatasetKeyword`` row per normalised keyword, for the indexed filter."""
    wanted = {keyword_key(keyword) for keyword in dataset.keywords} - {""}
    rows = select(DatasetKeyword.keyword).where(DatasetKeyword.dataset_id == dataset.id)
    stored = set(await session.scalars(rows))
    if stale := stored - wanted:
        await session.execute(
            delete(DatasetKeyword).where(
                DatasetKeyword.dataset_id == dataset.id, DatasetKeyword.keyword.in_(stale)
            )
        )
    session.add_all(DatasetKeyword(dataset_id=dataset.id, keyword=key) for key in wanted - stored)
    await session.flush()


def _reschedule(dataset: Dataset, timezone: str) -> None:
    """Only a published dataset has a release due; irregular ones never do."""
    published_on = None
    if dataset.status == Status.PUBLISHED.value and dataset.published_at is not None:
        published_on = dataset.published_at.astimezone(ZoneInfo(timezone)).date()
    last = dataset.last_release_on if published_on is not None else None
    dataset.next_release_due = dataset_schedule.next_release_due(
        dataset.update_frequency, last, published_on
    )


async def _slug_owner(session: AsyncSession, slug: str) -> uuid.UUID | None:
    return await session.scalar(select(Dataset.id).where(Dataset.slug == slug))


async def _ensure_slug_free(session: AsyncSession, slug: str) -> None:
    if await _slug_owner(session, slug) is not None:
        raise Conflict(code="slug_taken", slug=slug)


async def _ensure_slug_editable(session: AsyncSession, dataset: Dataset, slug: str) -> None:
    # Harvesters and links address a published dataset by its slug: it stays.
    if dataset.status != Status.DRAFT.value:
        raise Conflict(code="slug_not_editable", status=dataset.status)
    await _ensure_slug_free(session, slug)


async def _flush_edit(session: AsyncSession, dataset: Dataset) -> None:
    """Flush the edit; a slug taken concurrently since the check is still a 409."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(code="slug_taken", slug=dataset.slug) from exc


def _touch(dataset: Dataset) -> None:
    """A change to a distribution or release changes the dataset (its version and ETag)."""
    dataset.updated_at = clock.now()
    flag_modified(dataset, "updated_at")  # an UPDATE (and a new version) even within one instant


# -- distributions ---------------------------------------------------------------------------------


async def add_distribution(
    session: AsyncSession, dataset: Dataset, *, by: Principal, data: Mapping[str, Any]
) -> Distribution:
    """Add a file or API of the dataset; the media type defaults to the format's."""
    _ensure_not_archived(dataset)
    fields = dict(data)
    fields["format"] = format_name(fields["format"])
    fields["media_type"] = fields.get("media_type") or FORMATS[fields["format"]]
    distribution = Distribution(dataset_id=dataset.id, **fields)
    session.add(distribution)
    _touch(dataset)
    await session.flush()
    await _audit_distribution(session, by, "distribution.added", dataset, distribution)
    return distribution


async def update_distribution(
    session: AsyncSession,
    dataset: Dataset,
    distribution: Distribution,
    *,
    by: Principal,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> Distribution:
    """Change the fields sent; a null media type (or a new format without one) is the default."""
    ensure_version(distribution, expected_version)
    _ensure_not_archived(dataset)
    changes = dict(changes)
    if "format" in changes:
        changes["format"] = format_name(changes["format"])
        if changes["format"] != distribution.format:
            changes.setdefault("media_type", None)  # the old format's type would be wrong
    if "media_type" in changes and changes["media_type"] is None:
        changes["media_type"] = FORMATS[changes.get("format", distribution.format)]
    changed = sorted(f for f, value in changes.items() if getattr(distribution, f) != value)
    if not changed:
        return distribution
    for field in changed:
        setattr(distribution, field, changes[field])
    _touch(dataset)
    await session.flush()
    await _audit_distribution(
        session, by, "distribution.updated", dataset, distribution, fields=changed
    )
    return distribution


async def remove_distribution(
    session: AsyncSession,
    dataset: Dataset,
    distribution: Distribution,
    *,
    by: Principal,
    expected_version: int | None,
) -> None:
    """Remove a distribution (the file itself is not ours to delete)."""
    ensure_version(distribution, expected_version)
    _ensure_not_archived(dataset)
    details = _distribution_details(distribution)
    await session.delete(distribution)
    _touch(dataset)
    await session.flush()
    await audit.record(session, by, "distribution.removed", dataset, details=details)


def _distribution_details(distribution: Distribution) -> dict[str, Any]:
    return {"distribution_id": str(distribution.id), "format": distribution.format}


async def _audit_distribution(
    session: AsyncSession,
    by: Principal,
    action: str,
    dataset: Dataset,
    distribution: Distribution,
    fields: list[str] | None = None,
) -> None:
    # Recorded on the dataset, so its history tells the whole story.
    details = _distribution_details(distribution)
    if fields is not None:
        details["fields"] = fields
    await audit.record(session, by, action, dataset, details=details)


# -- releases --------------------------------------------------------------------------------------


async def record_release(
    session: AsyncSession,
    dataset: Dataset,
    *,
    by: Principal,
    released_on: date,
    notes: dict[str, Any] | None,
    timezone: str,
) -> Release:
    """Record a release (back-dated ones too); the next one is due a period after the latest."""
    _ensure_not_archived(dataset)
    _ensure_not_future(released_on, timezone)
    if await _release_on(session, dataset, released_on) is not None:
        raise Conflict(code="release_exists", date=released_on.isoformat())
    release = Release(
        dataset_id=dataset.id,
        released_on=released_on,
        notes=notes,
        recorded_by=by.sub,
        recorded_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(release)
    except IntegrityError as exc:  # recorded concurrently since the check
        raise Conflict(code="release_exists", date=released_on.isoformat()) from exc
    if dataset.last_release_on is None or released_on > dataset.last_release_on:
        dataset.last_release_on = released_on
    _reschedule(dataset, timezone)
    _touch(dataset)
    await session.flush()
    details = {"release_id": str(release.id), "released_on": released_on.isoformat()}
    await audit.record(session, by, "dataset.released", dataset, details=details)
    await _emit(session, EventType.DATASET_RELEASED, dataset, released_on=details["released_on"])
    return release


def _ensure_not_future(released_on: date, timezone: str) -> None:
    ensure_in_range(released_on)
    today = clock.local_today(timezone)
    if released_on > today:
        raise UnprocessableEntity(
            code="release_in_future", date=released_on.isoformat(), today=today.isoformat()
        )


async def _release_on(session: AsyncSession, dataset: Dataset, day: date) -> uuid.UUID | None:
    return await session.scalar(
        select(Release.id).where(Release.dataset_id == dataset.id, Release.released_on == day)
    )

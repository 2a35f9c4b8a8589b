"""Dataset resources: catalogue entries, distributions, releases, history and statistics."""

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from app.models.dataset import Dataset, DatasetStatus, Distribution, Release, UpdateFrequency
from app.models.information_request import InformationCategory
from app.schemas.common import LocalizedText, PlainText, Schema
from app.services.calendar import hijri
from app.services.catalogue_vocabulary import FORMATS, LICENCES
from app.services.datasets import is_release_overdue

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# Path segments of /v1/datasets that are not datasets: a dataset so named could not be read.
RESERVED_SLUGS = frozenset({"statistics"})
_HTTP_URL = TypeAdapter(HttpUrl)
_NOT_IN_URLS = re.compile(r"[\s\x00-\x1f\x7f]")


def _slug(value: str) -> str:
    if value in RESERVED_SLUGS:
        raise ValueError(f"{value!r} is reserved")
    try:
        uuid.UUID(value)
    except ValueError:
        return value
    raise ValueError("a slug cannot look like a UUID: datasets are addressed by both")


def _web_url(value: str) -> str:
    """An absolute http(s) URL with a host, kept as written (no javascript:, file:, ftp:)."""
    if _NOT_IN_URLS.search(value):
        raise ValueError("a URL cannot contain spaces or control characters")
    try:
        _HTTP_URL.validate_python(value)
    except PydanticValidationError as exc:
        raise ValueError("must be an absolute http or https URL") from exc
    return value


Slug = Annotated[
    str,
    StringConstraints(min_length=3, max_length=100, pattern=SLUG_PATTERN),
    AfterValidator(_slug),
    Field(description="Lower-case letters, digits and single hyphens.", examples=["road-projects"]),
]
OrganisationSlug = Annotated[
    str,
    StringConstraints(min_length=2, max_length=100, pattern=SLUG_PATTERN),
    Field(examples=["asir-municipality"]),
]
Keyword = Annotated[PlainText, StringConstraints(max_length=100)]
Keywords = Annotated[list[Keyword], Field(max_length=30, examples=[["roads", "طرق"]])]
ContactName = Annotated[PlainText, StringConstraints(max_length=200)]
ContactEmail = Annotated[EmailStr, StringConstraints(max_length=254)]
LicenceId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    Field(description=f"One of: {', '.join(LICENCES)}.", examples=["CC-BY-4.0"]),
]
FormatName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=20),
    Field(description=f"One of: {', '.join(FORMATS)}.", examples=["CSV"]),
]
MediaType = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$",
    ),
    Field(description="An IANA media type, type/subtype.", examples=["text/csv"]),
]
WebUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_web_url),
    Field(json_schema_extra={"format": "uri"}, examples=["https://data.asir.gov.sa/roads.csv"]),
]
# A signed 64-bit column: any real file size fits.
ByteSize = Annotated[int, Field(ge=0, le=2**63 - 1)]
Checksum = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9A-Fa-f]{64}$"),
    Field(description="SHA-256 of the downloaded file, 64 hexadecimal digits."),
]


def _reject_nulls(model: Schema, nullable: frozenset[str] = frozenset()) -> None:
    nulls = sorted(
        name
        for name in model.model_fields_set - nullable
        if getattr(model, name) is None  # a field sent as null
    )
    if nulls:
        raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")


def _stored(model: Schema) -> dict[str, Any]:
    """The sent fields as they are stored (localised text without empty languages)."""
    changes = model.model_dump(exclude_unset=True, mode="json")
    for field in changes:
        if isinstance(getattr(model, field), LocalizedText):
            changes[field] = getattr(model, field).model_dump(exclude_none=True)
    return changes


class DatasetCreate(Schema):
    slug: Slug
    title: LocalizedText
    description: LocalizedText
    category: InformationCategory
    keywords: Keywords = Field(default_factory=list)
    publisher: OrganisationSlug
    publisher_name: LocalizedText
    contact_name: ContactName = Field(description="An office, not a person.")
    contact_email: ContactEmail = Field(description="The office's address; published.")
    licence_id: LicenceId
    update_frequency: UpdateFrequency

    def stored(self) -> dict[str, Any]:
        return _stored(self)


class DatasetUpdate(Schema):
    """Only the fields sent change; the slug only while the dataset is a draft."""

    slug: Slug | None = None
    title: LocalizedText | None = None
    description: LocalizedText | None = None
    category: InformationCategory | None = None
    keywords: Keywords | None = None
    publisher: OrganisationSlug | None = None
    publisher_name: LocalizedText | None = None
    contact_name: ContactName | None = None
    contact_email: ContactEmail | None = None
    licence_id: LicenceId | None = None
    update_frequency: UpdateFrequency | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        _reject_nulls(self)
        return self

    def changes(self) -> dict[str, Any]:
        return _stored(self)


class DistributionCreate(Schema):
    title: LocalizedText
    format: FormatName
    media_type: MediaType | None = Field(None, description="Defaults to the format's media type.")
    access_url: WebUrl
    download_url: WebUrl | None = None
    byte_size: ByteSize | None = None
    checksum_sha256: Checksum | None = None

    def stored(self) -> dict[str, Any]:
        return _stored(self)


class DistributionUpdate(Schema):
    """Only the fields sent change; null clears an optional field (media type: the default)."""

    title: LocalizedText | None = None
    format: FormatName | None = None
    media_type: MediaType | None = None
    access_url: WebUrl | None = None
    download_url: WebUrl | None = None
    byte_size: ByteSize | None = None
    checksum_sha256: Checksum | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        optional = frozenset({"media_type", "download_url", "byte_size", "checksum_sha256"})
        _reject_nulls(self, optional)
        return self

    def changes(self) -> dict[str, Any]:
        return _stored(self)


class ReleaseCreate(Schema):
    released_on: dt.date = Field(description="Asia/Riyadh date; not in the future.")
    notes: LocalizedText | None = None


class LicenceRead(Schema):
    id: str = Field(examples=["CC-BY-4.0"])
    title: str
    url: str | None

    @classmethod
    def of(cls, licence_id: str) -> "LicenceRead":
        licence = LICENCES.get(licence_id)
        if licence is None:  # not stored through this API; shown as stored rather than failing
            return cls(id=licence_id, title=licence_id, url=None)
        return cls(id=licence.id, title=licence.title, url=licence.url)


class DistributionRead(Schema):
    id: uuid.UUID
    title: LocalizedText
    format: str = Field(examples=["CSV"])
    media_type: str = Field(examples=["text/csv"])
    access_url: str
    download_url: str | None
    byte_size: int | None
    checksum_sha256: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: Distribution) -> "DistributionRead":
        return cls(
            id=row.id,
            title=LocalizedText.model_validate(row.title),
            format=row.format,
            media_type=row.media_type,
            access_url=row.access_url,
            download_url=row.download_url,
            byte_size=row.byte_size,
            checksum_sha256=row.checksum_sha256,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class DatasetRead(Schema):
    slug: str
    id: uuid.UUID
    title: LocalizedText
    description: LocalizedText
    category: InformationCategory
    keywords: list[str]
    publisher: str
    publisher_name: LocalizedText
    contact_name: str
    contact_email: str
    licence: LicenceRead
    update_frequency: UpdateFrequency
    status: DatasetStatus
    published_at: dt.datetime | None
    archived_at: dt.datetime | None
    last_release_on: dt.date | None
    next_release_due: dt.date | None = Field(
        description="One period after the last release (or the publication); null when "
        "irregular, draft or archived."
    )
    next_release_due_hijri: str | None = Field(examples=["1447-10-14"])
    release_overdue: bool = Field(description="Published, scheduled, and past next_release_due.")
    distributions: list[DistributionRead]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: Dataset, distributions: list[Distribution], today: dt.date) -> "DatasetRead":
        """The dataset as the API shows it; lateness judged on ``today`` (Asia/Riyadh)."""
        due = row.next_release_due
        return cls(
            slug=row.slug,
            id=row.id,
            title=LocalizedText.model_validate(row.title),
            description=LocalizedText.model_validate(row.description),
            category=InformationCategory(row.category),
            keywords=list(row.keywords),
            publisher=row.publisher,
            publisher_name=LocalizedText.model_validate(row.publisher_name),
            contact_name=row.contact_name,
            contact_email=row.contact_email,
            licence=LicenceRead.of(row.licence_id),
            update_frequency=UpdateFrequency(row.update_frequency),
            status=DatasetStatus(row.status),
            published_at=row.published_at,
            archived_at=row.archived_at,
            last_release_on=row.last_release_on,
            next_release_due=due,
            next_release_due_hijri=hijri(due) if due is not None else None,
            release_overdue=is_release_overdue(row, today),
            distributions=[DistributionRead.of(item) for item in distributions],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class ReleaseRead(Schema):
    id: uuid.UUID
    released_on: dt.date
    released_on_hijri: str
    notes: LocalizedText | None
    recorded_at: dt.datetime

    @classmethod
    def of(cls, row: Release) -> "ReleaseRead":
        return cls(
            id=row.id,
            released_on=row.released_on,
            released_on_hijri=hijri(row.released_on),
            notes=LocalizedText.model_validate(row.notes) if row.notes else None,
            recorded_at=row.recorded_at,
        )


class ReleaseRecorded(Schema):
    """The release, and the dataset's schedule after it."""

    release: ReleaseRead
    last_release_on: dt.date | None
    next_release_due: dt.date | None
    next_release_due_hijri: str | None
    release_overdue: bool
    dataset_version: int = Field(description="The dataset's new version (its ETag).")

    @classmethod
    def of(cls, release: Release, dataset: Dataset, today: dt.date) -> "ReleaseRecorded":
        due = dataset.next_release_due
        return cls(
            release=ReleaseRead.of(release),
            last_release_on=dataset.last_release_on,
            next_release_due=due,
            next_release_due_hijri=hijri(due) if due is not None else None,
            release_overdue=is_release_overdue(dataset, today),
            dataset_version=dataset.version,
        )


class CategoryStatisticsRead(Schema):
    category: InformationCategory
    published: int
    release_overdue: int = Field(description="Published datasets whose next release is late.")


class DatasetStatisticsRead(Schema):
    as_of: dt.date = Field(description="Today in Asia/Riyadh: lateness is judged on this date.")
    published: int
    release_overdue: int
    by_category: list[CategoryStatisticsRead]

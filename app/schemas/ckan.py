"""CKAN action API shapes: action parameters, the envelope, package dicts and search results.

Parameters follow CKAN's validators (natural numbers, ``rows`` capped at 1000, ``facet.field`` as
a list or a JSON-encoded list) and ignore parameters they do not know, as CKAN's actions do.
Results carry CKAN's key names, so existing clients read them unchanged.
"""

from typing import Annotated, Generic, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.schemas.common import single_line_parameter

T = TypeVar("T")
ROWS_DEFAULT, ROWS_MAX = 10, 1000  # CKAN's ``ckan.search.rows_max``
FACET_LIMIT_DEFAULT = 50  # CKAN's ``search.facets.limit``
SQL_INTEGER_MAX = 2**63 - 1
# Length caps: far above any real query, low enough that no caller makes the parser chew megabytes.
QUERY_MAX, NAME_MAX, SORT_MAX, LIST_MAX = 1000, 200, 200, 50


def _natural(value: object) -> object:
    """CKAN's natural_number_validator: a whole number from 0, given as a number or digits."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Invalid integer")
    if value < 0:
        raise ValueError("Must be a natural number")
    return value


def _integer(value: object) -> object:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Invalid integer")
    return value


def _string_list(value: object) -> object:
    """A list of strings, also sent as a JSON-encoded list (CKAN's convert_to_json_if_string)
    or, by a query string, as one plain value."""
    if isinstance(value, str) and value.lstrip().startswith(("[", '"')):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError("Could not parse as valid JSON") from exc
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("Not a list of strings")
    return value


def _within_sql_integers(value: int) -> int:
    """Clamped to SQL's 64-bit integers, beyond which a limit or offset means the same anyway."""
    return max(-SQL_INTEGER_MAX - 1, min(value, SQL_INTEGER_MAX))


Natural = Annotated[int, BeforeValidator(_natural), AfterValidator(_within_sql_integers)]
Integer = Annotated[int, BeforeValidator(_integer), AfterValidator(_within_sql_integers)]
Rows = Annotated[int, BeforeValidator(_natural), AfterValidator(lambda rows: min(rows, ROWS_MAX))]
StringList = Annotated[
    list[Annotated[str, StringConstraints(max_length=QUERY_MAX)]],
    BeforeValidator(_string_list),
    Field(max_length=LIST_MAX),
]


class ActionParams(BaseModel):
    """Parameters of one action; unknown ones are ignored, as CKAN does."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*")
    @classmethod
    def _single_line_text(cls, value: object) -> object:
        # PostgreSQL refuses a NUL in text where SQLite takes it: both refuse control characters.
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                single_line_parameter(text)
        return value


class NoParams(ActionParams):
    pass


class PackageListParams(ActionParams):
    limit: Natural | None = Field(None, description="At most this many names.")
    offset: Natural = Field(0, description="Skip this many names.")


class PackageShowParams(ActionParams):
    id: str = Field(
        min_length=1, max_length=NAME_MAX, description="The dataset's slug (CKAN name) or id."
    )


class PackageSearchParams(ActionParams):
    q: str = Field(
        "",
        max_length=QUERY_MAX,
        description="Words to find (Arabic-aware); `*:*` or empty for all.",
    )
    fq: str = Field(
        "",
        max_length=QUERY_MAX,
        description="Filter query: `organization:`, `tags:`, `res_format:`, `groups:`, "
        '`license_id:` terms (`tags:"road safety"`), `metadata_modified:[2026-01-01T00:00:00Z '
        "TO *]` ranges, `-` to exclude, `OR` and parentheses; terms side by side must all hold.",
    )
    fq_list: StringList = Field(default_factory=list, description="More filter queries (AND).")
    rows: Rows = Field(ROWS_DEFAULT, description="Page size, 0 to 1000 (more is capped).")
    start: Natural = Field(0, description="Offset of the first result.")
    sort: str | None = Field(
        None,
        max_length=SORT_MAX,
        description="`metadata_modified desc` (default), `metadata_created`, `name`, "
        "`title_string` or `id`, each `asc` or `desc`, comma-separated; `score` keeps the default.",
    )
    facet_field: StringList = Field(
        default_factory=list,
        validation_alias=AliasChoices("facet.field", "facet_field"),
        serialization_alias="facet.field",
        description='Fields to count, e.g. ["organization","tags","res_format","groups"].',
    )
    facet_limit: Integer = Field(
        FACET_LIMIT_DEFAULT,
        validation_alias=AliasChoices("facet.limit", "facet_limit"),
        serialization_alias="facet.limit",
        description="Values per facet (most frequent first); negative for all.",
    )


class OrganizationListParams(ActionParams):
    all_fields: bool = Field(False, description="Organisation dicts instead of names.")
    sort: str = Field(
        "title asc",
        max_length=SORT_MAX,
        description="`name`, `title` or `package_count`, asc|desc.",
    )
    limit: Natural | None = Field(None, description="At most 1000 names or 25 dicts.")
    offset: Natural = 0


class HelpShowParams(ActionParams):
    name: str = Field(
        min_length=1, max_length=NAME_MAX, description="An action name, e.g. package_search."
    )


class CkanModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Envelope(CkanModel, Generic[T]):
    """CKAN's answer to every action."""

    help: str = Field(description="Where the action is described (help_show).")
    success: bool = True
    result: T


class CkanError(BaseModel):
    """``__type`` is ``Not Found Error`` (404) or ``Validation Error`` (409, with one list of
    messages per offending parameter)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: str = Field(alias="__type", examples=["Not Found Error"])
    message: str


class CkanErrorResponse(CkanModel):
    help: str
    success: bool = False
    error: CkanError


class CkanStatus(CkanModel):
    site_title: str
    site_description: str
    site_url: str
    ckan_version: str
    locale_default: str
    extensions: list[str]


class CkanLicence(CkanModel):
    id: str
    title: str
    url: str


class CkanOrganization(CkanModel):
    id: str
    name: str = Field(description="The publisher's slug.")
    title: str
    display_name: str
    title_translated: dict[str, str]
    description: str
    type: str = "organization"
    is_organization: bool = True
    state: str = "active"
    approval_status: str = "approved"
    image_url: str = ""


class CkanOrganizationListed(CkanOrganization):
    package_count: int


class CkanTag(CkanModel):
    name: str
    display_name: str
    state: str = "active"
    vocabulary_id: None = None


class CkanGroup(CkanModel):
    id: str
    name: str = Field(description="The information category.")
    title: str
    display_name: str
    title_translated: dict[str, str]
    description: str = ""


class CkanResource(CkanModel):
    id: str
    package_id: str
    name: str
    name_translated: dict[str, str]
    description: str = ""
    url: str = Field(description="The download URL, else the access URL.")
    access_url: str
    download_url: str | None
    format: str
    mimetype: str
    size: int | None
    hash: str = Field(description="SHA-256 of the file, hex; empty when unknown.")
    created: str
    last_modified: str
    position: int
    state: str = "active"
    url_type: None = None


class CkanExtra(CkanModel):
    key: str
    value: str


class CkanPackage(CkanModel):
    """A CKAN package dict (as package_show answers), for one published dataset."""

    id: str
    name: str = Field(description="The dataset's slug.")
    title: str = Field(description="The Arabic title; all languages in title_translated.")
    title_translated: dict[str, str]
    notes: str
    notes_translated: dict[str, str]
    url: str
    maintainer: str
    maintainer_email: str
    state: str = "active"
    private: bool = False
    type: str = "dataset"
    license_id: str
    license_title: str
    license_url: str
    isopen: bool
    metadata_created: str = Field(description="UTC, ISO 8601 without an offset, as CKAN.")
    metadata_modified: str
    organization: CkanOrganization
    owner_org: str
    tags: list[CkanTag]
    groups: list[CkanGroup]
    resources: list[CkanResource]
    num_resources: int
    num_tags: int
    extras: list[CkanExtra]


class CkanFacetItem(CkanModel):
    name: str
    display_name: str
    count: int


class CkanFacet(CkanModel):
    title: str
    items: list[CkanFacetItem]


class CkanSearchResult(CkanModel):
    count: int = Field(description="All matches, not only this page.")
    sort: str
    results: list[CkanPackage]
    facets: dict[str, dict[str, int]] = Field(description="Deprecated in CKAN: name -> count.")
    search_facets: dict[str, CkanFacet]


# Named envelopes, so the contract reads ``CkanPackageResponse`` rather than a generic's name.
class CkanStatusResponse(Envelope[CkanStatus]):
    pass


class CkanNamesResponse(Envelope[list[str]]):
    pass


class CkanPackageResponse(Envelope[CkanPackage]):
    pass


class CkanSearchResponse(Envelope[CkanSearchResult]):
    pass


class CkanOrganizationsResponse(Envelope[list[str] | list[CkanOrganizationListed]]):
    pass


class CkanLicencesResponse(Envelope[list[CkanLicence]]):
    pass


class CkanHelpResponse(Envelope[str]):
    pass

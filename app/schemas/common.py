"""Shared schema pieces: the ORM-reading base, localised text, safe text and pages."""

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

T = TypeVar("T")

_ALLOWED_IN_MULTILINE = {"\n", "\r", "\t"}
# Bidi embeddings, overrides and isolates can make text display other than it reads; the marks
# Arabic text legitimately needs (ZWNJ, ZWJ, LRM, RLM) stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _reject_control(value: str, allowed: frozenset[str] | set[str] = frozenset()) -> str:
    for char in value:
        if char in allowed:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Cs", "Co"}:
            raise ValueError("control characters are not allowed")
    return value


def _single_line(value: str) -> str:
    return _reject_control(value)


def _multiline(value: str) -> str:
    return _reject_control(value, _ALLOWED_IN_MULTILINE)


PlainText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_single_line),
]
MultilineText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
    AfterValidator(_multiline),
]


def single_line_parameter(value: str | None) -> str | None:
    """The value, unless it holds a control character (ValueError)."""
    return None if value is None else _single_line(value)


# Text in query and path parameters (``Annotated[str | None, Query(...), SingleLineParameter]``):
# no control characters, as in bodies. PostgreSQL refuses a NUL in text (a 500) where SQLite
# stores it, so without this the two databases would answer differently.
SingleLineParameter = AfterValidator(single_line_parameter)

# Far wider than any deadline the calendar can compute (1924-08-01..2077-11-16), which the
# services check with their own code; this bound only keeps year 1 or 9999 from overflowing while
# an instant is converted to UTC or Asia/Riyadh, or moved by a period (a 500, not a 422).
EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)


def _plausible_instant(value: datetime) -> datetime:
    if not EARLIEST_INSTANT <= value < LATEST_INSTANT:
        raise ValueError("must lie between the years 1900 and 2199")
    return value


# An instant with an offset, as every instant the service takes (``AwareDatetime``), within range.
Instant = Annotated[AwareDatetime, AfterValidator(_plausible_instant)]


class Schema(BaseModel):
    """Base of every request and response model."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class LocalizedText(Schema):
    """Text in Arabic (required) and optionally English or other languages by tag."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 5000}
        },
    )

    ar: MultilineText
    en: MultilineText | None = None

    @model_validator(mode="after")
    def _check_extra_languages(self) -> "LocalizedText":
        for tag, text in (self.model_extra or {}).items():
            if not _LANGUAGE_TAG.match(tag) or not isinstance(text, str):
                raise ValueError(f"{tag!r} is not a language tag with a text")
            _multiline(text)
            if not 0 < len(text) <= 5000:
                raise ValueError(f"{tag!r} must be 1 to 5000 characters")
        return self


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[T]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")

"""Shared schema pieces: the ORM-reading base, localised text, safe text and pages."""

import re
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

# Refused in text: control characters (Unicode category Cc), surrogates (Cs), private use (Co),
# and bidi embeddings, overrides and isolates, which can make text display other than it reads.
# The marks Arabic text legitimately needs (ZWNJ, ZWJ, LRM, RLM) stay allowed. One compiled
# character class: text is checked on every read model built, so a per-character loop would cost.
_FORBIDDEN = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # Cc, less tab, line feed, carriage return
    "\ud800-\udfff"  # Cs
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"  # Co
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides, isolates
)
_FORBIDDEN_IN_MULTILINE = re.compile(f"[{_FORBIDDEN}]")
_FORBIDDEN_IN_SINGLE_LINE = re.compile(f"[{_FORBIDDEN}\t\n\r]")
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _reject_control(value: str, forbidden: re.Pattern[str] = _FORBIDDEN_IN_SINGLE_LINE) -> str:
    if forbidden.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _single_line(value: str) -> str:
    return _reject_control(value)


def _multiline(value: str) -> str:
    return _reject_control(value, _FORBIDDEN_IN_MULTILINE)


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

"""Shared schema pieces: the ORM-reading base, localised text, safe text and pages."""

import re
import unicodedata
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
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


class Schema(BaseModel):
    """Base of every request and response model."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class LocalizedText(Schema):
    """Text in Arabic (required) and optionally English or other languages by tag."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"additionalProperties": {"type": "string"}}
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

"""Localised text and safe text: what callers may and may not send."""

import pytest
from pydantic import TypeAdapter, ValidationError

from app.core import i18n
from app.schemas.common import LocalizedText, MultilineText, PlainText


def test_arabic_is_required_and_english_optional() -> None:
    assert LocalizedText.model_validate({"ar": "مرحبا"}).en is None
    with pytest.raises(ValidationError):
        LocalizedText.model_validate({"en": "Hello"})


def test_other_languages_are_kept_by_tag() -> None:
    text = LocalizedText.model_validate({"ar": "مرحبا", "en": "Hello", "fr": "Bonjour"})
    assert text.model_dump(exclude_none=True) == {"ar": "مرحبا", "en": "Hello", "fr": "Bonjour"}


@pytest.mark.parametrize("extra", [{"not a tag": "x"}, {"fr": ""}, {"fr": 3}, {"fr": "a\x07b"}])
def test_bad_extra_languages_are_refused(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LocalizedText.model_validate({"ar": "مرحبا", **extra})


@pytest.mark.parametrize("value", ["a\x00b", "right\u202eleft", "tab\tinside"])
def test_single_line_text_refuses_control_characters(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(PlainText).validate_python(value)


def test_multiline_text_keeps_newlines_and_tabs_but_not_nul() -> None:
    adapter = TypeAdapter(MultilineText)
    assert adapter.validate_python("  سطر\nline\twith tab  ") == "سطر\nline\twith tab"
    with pytest.raises(ValidationError):
        adapter.validate_python("a\x00b")


def test_length_limits_apply() -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(PlainText).validate_python("x" * 501)
    with pytest.raises(ValidationError):
        TypeAdapter(PlainText).validate_python("   ")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "ar"),
        ("", "ar"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fr, de", "ar"),
        ("ar;q=0.2, en;q=0.8", "en"),
        ("en;q=0", "ar"),
        ("*", "ar"),
        ("en;q=banana", "ar"),
    ],
)
def test_language_negotiation(header: str | None, language: str) -> None:
    assert i18n.negotiate(header) == language


def test_every_catalogue_entry_has_both_languages() -> None:
    for code, message in i18n.CATALOGUE.items():
        assert message.title("ar") and message.title("en"), code
        assert message.title("ar") != message.title("en"), code


def test_joiners_and_direction_marks_arabic_needs_are_allowed() -> None:
    value = "مي\u200cخواهم \u200fنعم"
    assert TypeAdapter(PlainText).validate_python(value) == value

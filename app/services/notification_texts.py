"""Inbox texts: an Arabic and an English title and body for each event type, built from the
event's reference and data (states, outcomes, dates, counts; never personal data).

Each template lists wordings in order of preference; the first whose placeholders the event
fills is used, so an event without an optional fact (a due date, the legal grounds) still reads
naturally. Placeholders name data keys: a date renders as Gregorian with its Umm al-Qura
companion, a code (disposition, outcome, ground) as its translation, a working-day count as a
counted phrase. An unknown code is never shown raw: a wording without it is chosen instead.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from hijridate import Gregorian

from app.core.i18n import SUPPORTED, Language
from app.models.event import Event
from app.services.event_types import EventType
from app.services.hijri import to_hijri_or_none

Phrase = tuple[str, str]  # (Arabic, English)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
HIJRI_SUFFIX = "_hijri"  # a date's Umm al-Qura companion: already a Hijri date, never re-read
_REFERENCE = re.compile(r"^[A-Z]{2,8}-\d{4}-\d{6}$")


@dataclass(frozen=True)
class Template:
    """Titles and bodies in order of preference; ``owner`` is the item owner's own wording
    where the staff's would not suit them (an overdue request reaches both)."""

    titles: tuple[Phrase, ...]
    bodies: tuple[Phrase, ...]
    owner: "Template | None" = None


@dataclass(frozen=True)
class Texts:
    title: dict[str, str]
    body: dict[str, str]


TEXTS_PATH = Path(__file__).resolve().parent.parent / "data" / "notification_texts.toml"
WORKING_DAY_COUNTS = frozenset({"working_days_left", "working_days_overdue"})
_SEPARATOR = {"ar": "، ", "en": ", "}


def _phrases(entries: list[dict[str, str]]) -> tuple[Phrase, ...]:
    return tuple((entry["ar"], entry["en"]) for entry in entries)


def _template(entry: dict[str, Any]) -> Template:
    owner = entry.get("owner")
    return Template(
        _phrases(entry["title"]),
        _phrases(entry["body"]),
        owner=_template(owner) if owner is not None else None,
    )


def _load(path: Path) -> tuple[dict[str, dict[str, Phrase]], dict[EventType, Template], Template]:
    """The catalogue; an unknown event type in it fails at import, not at a reader's inbox."""
    with path.open("rb") as file:
        document = tomllib.load(file)
    terms = {
        key: {code: (phrase["ar"], phrase["en"]) for code, phrase in codes.items()}
        for key, codes in document["terms"].items()
    }
    entries = dict(document["templates"])
    generic = _template(entries.pop("generic"))
    return terms, {EventType(name): _template(entry) for name, entry in entries.items()}, generic


# Codes shown in texts, translated (a data key with a catalogue renders through it); templates
# by type; and the wording of a type without one (none reaches an inbox today).
TERMS, TEMPLATES, GENERIC = _load(TEXTS_PATH)


# -- rendering -----------------------------------------------------------------------------------


def texts_of(event: Event, *, for_owner: bool, timezone: str) -> Texts:
    """The title and body of ``event`` in every supported language.

    ``for_owner``: the reader is the item's owner (their wording, where it differs)."""
    template = _template_of(event.type)
    if for_owner and template.owner is not None:
        template = template.owner
    title: dict[str, str] = {}
    body: dict[str, str] = {}
    for index, language in enumerate(SUPPORTED):
        values = _values(event, language, timezone)
        title[language] = _first_filled(template.titles, index, values)
        body[language] = _first_filled(template.bodies, index, values)
    return Texts(title=title, body=body)


def _template_of(event_type: str) -> Template:
    try:
        return TEMPLATES.get(EventType(event_type), GENERIC)
    except ValueError:  # a type this version does not know (written by a newer release)
        return GENERIC


def _first_filled(phrases: tuple[Phrase, ...], index: int, values: Mapping[str, str]) -> str:
    for phrase in phrases:
        text = phrase[index]
        if all(name in values for name in _placeholders(text)):
            return text.format_map(values)
    return phrases[-1][index].format_map(values)  # the last wording needs the reference only


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(text) if name]


def _values(event: Event, language: Language, timezone: str) -> dict[str, str]:
    values = {"ref": event.reference or ""}
    for key, value in event.data.items():
        rendered = None if key.endswith(HIJRI_SUFFIX) else _render(key, value, language, timezone)
        if rendered is not None:
            values[key] = rendered
    return values


def _render(key: str, value: Any, language: Language, timezone: str) -> str | None:
    """A data value as text, or None when it cannot be shown (unknown code, not a fact)."""
    if key in TERMS:
        return _translated(TERMS[key], value, language)
    if key in WORKING_DAY_COUNTS and isinstance(value, int) and not isinstance(value, bool):
        return working_days(value, language)
    if key.endswith("reference") and isinstance(value, str) and _REFERENCE.match(value):
        return value
    day = calendar_date(value, timezone)
    return None if day is None else date_phrase(day, language)


def _translated(catalogue: Mapping[str, Phrase], value: Any, language: Language) -> str | None:
    index = SUPPORTED.index(language)
    codes = value if isinstance(value, list) else [value]
    if not codes or not all(isinstance(c, str) and c in catalogue for c in codes):
        return None
    return _SEPARATOR[language].join(catalogue[code][index] for code in codes)


def working_days(count: int, language: Language) -> str:
    """A count of working days, with Arabic's dual and plural agreement."""
    if language == "en":
        return f"{count} working day" + ("" if count == 1 else "s")
    if count == 1:
        return "يوم عمل واحد"
    if count == 2:
        return "يوما عمل"
    return f"{count} أيام عمل" if 3 <= count % 100 <= 10 else f"{count} يوم عمل"


def calendar_date(value: Any, timezone: str) -> date | None:
    """An ISO date, or the local date of an ISO instant; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
        if _INSTANT.match(value):
            instant = datetime.fromisoformat(value)
            if instant.tzinfo is not None:
                return instant.astimezone(ZoneInfo(timezone)).date()
    except ValueError:
        return None
    return None


def date_phrase(day: date, language: Language) -> str:
    """``2026-04-02 (14 Shawwal 1447 AH)`` / ``2026-04-02م (14 شوال 1447هـ)``."""
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):  # outside Umm al-Qura's range: the Gregorian date alone
        return day.isoformat()
    if language == "en":
        return f"{day.isoformat()} ({hijri.day} {hijri.month_name('en')} {hijri.year} AH)"
    return f"{day.isoformat()}م ({hijri.day} {hijri.month_name('ar')} {hijri.year}هـ)"


def with_hijri(data: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """The event's data with a ``<key>_hijri`` companion beside each date it holds."""
    result = dict(data)
    for key, value in data.items():
        companion = key + HIJRI_SUFFIX
        day = None if key.endswith(HIJRI_SUFFIX) else calendar_date(value, timezone)
        if day is not None and companion not in data and (hijri := to_hijri_or_none(day)):
            result[companion] = hijri  # none outside Umm al-Qura's range: the Gregorian alone
    return result

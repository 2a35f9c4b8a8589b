"""Inbox texts: every type that reaches an inbox has its wording in both languages, counted
working days and dates in both calendars, and data dates with their Hijri companions."""

from datetime import date
from string import Formatter

import pytest

from app.models.event import Event
from app.services.event_types import REACH, EventType
from app.services.notification_texts import (
    GENERIC,
    TEMPLATES,
    date_phrase,
    texts_of,
    with_hijri,
    working_days,
)

REF = "IR-2026-000381"
DUE = {"due_date": "2026-04-02", "due_date_hijri": "1447-10-14"}


def _event(event_type: EventType) -> Event:
    """An event of the type with every fact any template uses."""
    data = DUE | {
        "kind": "complaint",
        "disposition": "resolved",
        "status": "partially_upheld",
        "legal_grounds": ["classified_record"],
        "response_due_date": "2026-03-29",
        "request_due_date": "2026-04-12",
        "request_reference": REF,
        "working_days_left": 1,
        "working_days_overdue": 3,
    }
    return Event(type=event_type.value, reference="AP-2026-000017", data=data, owner_sub="sara")


@pytest.mark.parametrize("event_type", sorted(REACH), ids=str)
def test_every_type_that_reaches_an_inbox_has_its_own_texts(event_type: EventType) -> None:
    assert event_type in TEMPLATES
    for for_owner in (True, False):
        texts = texts_of(_event(event_type), for_owner=for_owner, timezone="Asia/Riyadh")
        assert "AP-2026-000017" in texts.title["ar"] and "AP-2026-000017" in texts.title["en"]
        for text in [*texts.title.values(), *texts.body.values()]:
            assert text and "{" not in text and "}" not in text, text
        assert texts.title["ar"] != texts.title["en"] and texts.body["ar"] != texts.body["en"]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("event_type", [*sorted(TEMPLATES), None], ids=str)
def test_each_wording_says_the_same_in_both_languages_and_the_last_needs_only_the_reference(
    event_type: EventType | None,
) -> None:
    template = GENERIC if event_type is None else TEMPLATES[event_type]
    for variant in [template, *([template.owner] if template.owner else [])]:
        for phrases in (variant.titles, variant.bodies):
            assert all(_fields(ar) == _fields(en) for ar, en in phrases), phrases
            assert _fields(phrases[-1][0]) <= {"ref"}, phrases[-1]


@pytest.mark.parametrize(
    ("count", "ar", "en"),
    [
        (1, "يوم عمل واحد", "1 working day"),
        (2, "يوما عمل", "2 working days"),
        (3, "3 أيام عمل", "3 working days"),
        (10, "10 أيام عمل", "10 working days"),
        (11, "11 يوم عمل", "11 working days"),
    ],
)
def test_working_days_are_counted_as_arabic_counts_them(count: int, ar: str, en: str) -> None:
    assert (working_days(count, "ar"), working_days(count, "en")) == (ar, en)


def test_dates_read_in_both_calendars_and_outside_umm_al_qura_in_one() -> None:
    day = date(2026, 4, 2)
    assert date_phrase(day, "en") == "2026-04-02 (14 Shawwal 1447 AH)"
    assert date_phrase(day, "ar") == "2026-04-02م (14 شوال 1447هـ)"
    assert date_phrase(date(2090, 1, 1), "en") == "2090-01-01"


def test_each_date_in_the_data_gets_its_hijri_companion() -> None:
    data = {
        "due_date": "2026-04-02",
        "closes_at": "2026-04-02T22:00:00+00:00",  # already 3 April in Riyadh
        "request_due_date": "2026-04-12",
        "request_due_date_hijri": "1447-10-24",  # kept as given, never read as a date
        "status": "submitted",
        "working_days_left": 2,
    }

    assert with_hijri(data, "Asia/Riyadh") == data | {
        "due_date_hijri": "1447-10-14",
        "closes_at_hijri": "1447-10-15",
    }

"""Consultation rules below HTTP: the SQL status filter, the channel test, the feedback deadline."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.db import Database
from app.models.consultation import Channel, Consultation, ConsultationStatus
from app.services.consultations import (
    FeedbackTerms,
    accepts_channel,
    feedback_due_at,
    status_filter,
    status_of,
)
from app.services.working_days import CalendarSnapshot

OPENS = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)
CLOSES = datetime(2026, 4, 30, 20, 59, tzinfo=UTC)
EARLIER = datetime(2026, 3, 1, tzinfo=UTC)
_numbers = itertools.count(1)


def consultation(**facts: object) -> Consultation:
    values: dict[str, object] = {
        "reference": f"CON-2026-{next(_numbers):06d}",
        "title": {"ar": "عنوان"},
        "summary": {"ar": "ملخص"},
        "topic": "government_services",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "channels": ["website"],
        "created_by": "officer-1",
    }
    return Consultation(**(values | facts))


FACTS: list[dict[str, object]] = [
    {},
    {"published_at": EARLIER},
    {"cancelled_at": EARLIER},
    {"published_at": EARLIER, "cancelled_at": EARLIER},
    {"published_at": EARLIER, "feedback_published_at": CLOSES + timedelta(days=2)},
    {"published_at": EARLIER, "opens_at": OPENS + timedelta(days=3)},
]
INSTANTS = [
    OPENS - timedelta(microseconds=1),
    OPENS,
    OPENS + timedelta(days=5),
    CLOSES - timedelta(microseconds=1),
    CLOSES,
    CLOSES + timedelta(days=40),
]


@pytest.mark.parametrize("now", INSTANTS)
async def test_the_sql_status_filter_agrees_with_the_derived_status(
    database: Database, now: datetime
) -> None:
    rows = [consultation(**facts) for facts in FACTS]
    async with database.sessions() as session:
        session.add_all(rows)
        await session.flush()
        for status in ConsultationStatus:
            statement = select(Consultation.id).where(status_filter(status, now))
            in_sql = set((await session.scalars(statement)).all())
            in_python = {row.id for row in rows if status_of(row, now) is status}
            assert in_sql == in_python, status


async def test_the_channel_condition_tests_list_elements_on_this_database(
    database: Database,
) -> None:
    rows = {
        "email_only": consultation(channels=["email"]),
        "two": consultation(channels=["social_media", "website"]),
        "none": consultation(channels=[]),
    }
    async with database.sessions() as session:
        session.add_all(rows.values())
        await session.flush()
        dialect = session.get_bind().dialect.name
        found = {}
        for channel in (Channel.EMAIL, Channel.WEBSITE, Channel.TAFAUL):
            statement = select(Consultation.id).where(accepts_channel(channel, dialect))
            ids = set((await session.scalars(statement)).all())
            found[channel.value] = sorted(name for name, row in rows.items() if row.id in ids)
    assert found == {"email": ["email_only"], "website": ["two"], "tafaul": []}


@pytest.mark.parametrize(
    ("closes_at", "due_at"),
    [
        # 23:59 on 30 April in Riyadh: still 30 April, so due at the end of 30 May.
        (datetime(2026, 4, 30, 20, 59, tzinfo=UTC), datetime(2026, 5, 30, 20, 59, 59, 999999)),
        # 00:30 on 1 May in Riyadh (still 30 April in UTC): the local date decides.
        (datetime(2026, 4, 30, 21, 30, tzinfo=UTC), datetime(2026, 5, 31, 20, 59, 59, 999999)),
    ],
)
def test_the_feedback_deadline_counts_calendar_days_from_the_local_closing_date(
    closes_at: datetime, due_at: datetime
) -> None:
    snapshot = CalendarSnapshot()  # weekends and holidays do not matter for calendar days
    row = consultation(closes_at=closes_at, published_at=EARLIER)
    assert feedback_due_at(row, snapshot, 30) == due_at.replace(tzinfo=UTC)
    terms = FeedbackTerms(snapshot, 30)
    assert terms.due_date(row) == (due_at + timedelta(hours=3)).date()
    assert not terms.overdue(row, due_at.replace(tzinfo=UTC))
    assert terms.overdue(row, due_at.replace(tzinfo=UTC) + timedelta(microseconds=1))

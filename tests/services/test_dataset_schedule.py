"""Release schedules: the next release per frequency, month ends, lateness, the statistics."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.db import Database
from app.models.dataset import Dataset, UpdateFrequency
from app.services.dataset_schedule import add_months, next_release_due, release_overdue
from app.services.datasets import CategoryCounts, publication_statistics

F = UpdateFrequency


@pytest.mark.parametrize(
    ("frequency", "last", "due"),
    [
        (F.DAILY, date(2026, 3, 15), date(2026, 3, 16)),
        (F.DAILY, date(2026, 12, 31), date(2027, 1, 1)),
        (F.WEEKLY, date(2026, 3, 15), date(2026, 3, 22)),
        (F.WEEKLY, date(2026, 2, 26), date(2026, 3, 5)),
        (F.MONTHLY, date(2026, 3, 15), date(2026, 4, 15)),
        (F.MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),
        (F.MONTHLY, date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (F.MONTHLY, date(2026, 3, 31), date(2026, 4, 30)),
        (F.MONTHLY, date(2026, 12, 15), date(2027, 1, 15)),
        (F.QUARTERLY, date(2026, 1, 15), date(2026, 4, 15)),
        (F.QUARTERLY, date(2025, 11, 30), date(2026, 2, 28)),
        (F.SEMIANNUAL, date(2026, 8, 31), date(2027, 2, 28)),
        (F.SEMIANNUAL, date(2026, 3, 15), date(2026, 9, 15)),
        (F.ANNUAL, date(2026, 3, 15), date(2027, 3, 15)),
        (F.ANNUAL, date(2024, 2, 29), date(2025, 2, 28)),
    ],
)
def test_the_next_release_is_one_period_after_the_last(
    frequency: UpdateFrequency, last: date, due: date
) -> None:
    assert next_release_due(frequency, last, date(2020, 1, 1)) == due
    # With no release yet, the first one is due one period after publication.
    assert next_release_due(frequency, None, last) == due


def test_the_last_release_wins_over_the_publication_date() -> None:
    assert next_release_due(F.MONTHLY, date(2026, 5, 2), date(2026, 1, 10)) == date(2026, 6, 2)


@pytest.mark.parametrize("frequency", list(UpdateFrequency))
def test_nothing_is_due_before_publication(frequency: UpdateFrequency) -> None:
    assert next_release_due(frequency, None, None) is None


def test_irregular_datasets_are_never_due_nor_overdue() -> None:
    due = next_release_due(F.IRREGULAR, date(2020, 1, 1), date(2019, 1, 1))
    assert due is None
    assert release_overdue(due, date(2077, 1, 1)) is False


def test_a_release_is_late_from_the_day_after_it_was_due() -> None:
    due = date(2026, 4, 15)
    assert release_overdue(due, due - timedelta(days=1)) is False
    assert release_overdue(due, due) is False
    assert release_overdue(due, due + timedelta(days=1)) is True


@given(
    st.dates(min_value=date(1925, 1, 1), max_value=date(2075, 12, 31)),
    st.sampled_from([1, 3, 6, 12]),
)
def test_adding_months_lands_in_the_right_month_on_the_same_or_last_day(
    day: date, months: int
) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    next_day = later + timedelta(days=1)
    assert later.day == day.day or (later.day < day.day and next_day.day == 1)


async def add(database: Database, slug: str, category: str, **fields: object) -> None:
    values: dict[str, object] = {
        "title": {"ar": slug},
        "description": {"ar": slug},
        "publisher": "asir-emirate",
        "publisher_name": {"ar": "إمارة منطقة عسير"},
        "contact_name": "Office",
        "contact_email": "office@asir.example.sa",
        "licence_id": "CC-BY-4.0",
        "update_frequency": "monthly",
        "status": "published",
        "created_by": "pub-1",
    }
    async with database.sessions() as session:
        session.add(Dataset(slug=slug, category=category, **(values | fields)))
        await session.commit()


async def test_publication_statistics_on_known_data(database: Database) -> None:
    today = date(2026, 3, 15)
    await add(database, "plan-late", "development_plans", next_release_due=date(2026, 3, 1))
    await add(database, "plan-due", "development_plans", next_release_due=today)
    await add(database, "rules", "regulations_decisions", update_frequency="irregular")
    await add(database, "rules-draft", "regulations_decisions", status="draft")
    await add(
        database,
        "stats-late",
        "reports_statistics",
        next_release_due=date(2025, 12, 31),
    )
    await add(
        database,
        "stats-gone",
        "reports_statistics",
        status="archived",
        next_release_due=date(2025, 1, 1),
    )
    async with database.sessions() as session:
        stats = await publication_statistics(session, today)
    assert (stats.as_of, stats.published, stats.release_overdue) == (today, 4, 2)
    assert {category.value: counts for category, counts in stats.by_category.items()} == {
        "development_plans": CategoryCounts(published=2, release_overdue=1),
        "services_procedures": CategoryCounts(),
        "open_data": CategoryCounts(),
        "reports_statistics": CategoryCounts(published=1, release_overdue=1),
        "regulations_decisions": CategoryCounts(published=1, release_overdue=0),
        "other": CategoryCounts(),
    }
    async with database.sessions() as session:
        later = await publication_statistics(session, today + timedelta(days=1))
    assert later.release_overdue == 3  # plan-due is late the day after

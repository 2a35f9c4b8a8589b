"""Public e-participation statistics: consultations, input, feedback timeliness, datasets, CSV."""

import csv
import io
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.consultation import Channel, Consultation, Topic
from app.models.dataset import Dataset
from app.models.feedback_report import FeedbackReport
from app.models.information_request import InformationCategory, LegalGround
from app.models.submission import Submission
from app.schemas.statistics import (
    FiguresByCategory,
    FiguresByChannel,
    FiguresByLegalGround,
    FiguresByOutcome,
    FiguresByTopic,
)
from app.services.request_handling import Outcome
from tests.routers.test_statistics_information import HIDDEN, NONE, shown

Auth = Callable[..., dict[str, str]]
URL = "/v1/statistics/participation"
YEAR_STARTS = datetime(2025, 12, 31, 21, 0, tzinfo=UTC)  # 1 January 2026, 00:00 in Riyadh
IN_2026 = datetime(2026, 2, 10, 8, 0, tzinfo=UTC)
ASKED_AT = datetime(2026, 6, 14, 9, 0, tzinfo=UTC)  # Sunday 14 June, 12:00 in Riyadh
_numbers = itertools.count(1)


class Seeder:
    """Writes consultations, submissions, feedback reports and datasets through the ORM."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def consultation(
        self,
        *,
        opens_at: datetime = IN_2026,
        closes_at: datetime | None = None,
        published: bool = True,
        cancelled: bool = False,
    ) -> uuid.UUID:
        row = Consultation(
            reference=f"CON-T-{next(_numbers):06d}",
            title={"ar": "تحسين خدمات البلدية"},
            summary={"ar": "ملخص"},
            topic="government_services",
            opens_at=opens_at,
            closes_at=closes_at or opens_at + timedelta(days=30),
            channels=["website"],
            published_at=opens_at - timedelta(days=5) if published else None,
            cancelled_at=opens_at if cancelled else None,
            created_by="officer-1",
        )
        return await self._add(row)

    async def submission(
        self,
        *,
        channel: str = "website",
        topic: str | None = "government_services",
        kind: str = "suggestion",
        status: str = "received",
        disposition: str | None = None,
        received_at: datetime = IN_2026,
    ) -> uuid.UUID:
        row = Submission(
            reference=f"SUB-T-{next(_numbers):06d}",
            kind=kind,
            channel=channel,
            body="الإنارة في الحديقة معطلة",
            status=status,
            received_at=received_at,
            topic=topic,
            disposition=disposition,
            decided_at=received_at + timedelta(days=3) if status == "decided" else None,
        )
        return await self._add(row)

    async def report(self, *, closes_at: datetime, published_at: datetime) -> None:
        """A published feedback report, on time when within 30 days of the closing date."""
        consultation_id = await self.consultation(
            opens_at=closes_at - timedelta(days=20), closes_at=closes_at
        )
        due_at = closes_at + timedelta(days=30)
        row = FeedbackReport(
            consultation_id=consultation_id,
            summary={"ar": "شكرًا لمشاركتكم"},
            status="published",
            due_at=due_at,
            published_at=published_at,
            published_by="officer-1",
            on_time=published_at <= due_at,
            drafted_by="officer-1",
        )
        await self._add(row)

    async def dataset(self, category: str, **fields: object) -> None:
        values: dict[str, object] = {
            "title": {"ar": "مجموعة"},
            "description": {"ar": "وصف"},
            "publisher": "asir-emirate",
            "publisher_name": {"ar": "إمارة منطقة عسير"},
            "contact_name": "Office",
            "contact_email": "office@asir.example.sa",
            "licence_id": "CC-BY-4.0",
            "update_frequency": "monthly",
            "status": "published",
            "created_by": "pub-1",
        }
        slug = f"dataset-{next(_numbers)}"
        await self._add(Dataset(slug=slug, category=category, **(values | fields)))

    async def _add(self, row: Consultation | Submission | FeedbackReport | Dataset) -> uuid.UUID:
        async with self.database.sessions() as session:
            session.add(row)
            await session.commit()
        return row.id


@pytest.fixture
def seed(database: Database) -> Seeder:
    return Seeder(database)


async def statistics(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# -- the figures ---------------------------------------------------------------------------------


async def test_consultations_held_are_the_published_uncancelled_ones_opening_in_the_year(
    client: httpx.AsyncClient, seed: Seeder
) -> None:
    for _ in range(3):
        await seed.consultation()
    await seed.consultation(opens_at=YEAR_STARTS)  # 1 January, 00:00 in Riyadh
    await seed.consultation(opens_at=YEAR_STARTS - timedelta(seconds=1))  # still 2025 there
    await seed.consultation(cancelled=True)
    await seed.consultation(published=False)
    body = await statistics(client, "year=2026")
    assert body["period"] == {
        "year": 2026,
        "month": None,
        "from": "2026-01-01T00:00:00+03:00",
        "to": "2027-01-01T00:00:00+03:00",
    }
    # Consultations are public records one by one: a small count is shown, not suppressed.
    assert body["consultations_held"] == shown(4)
    assert (await statistics(client, "year=2025"))["consultations_held"] == shown(1)


async def test_input_by_channel_and_topic_excludes_withdrawn_and_other_years(
    client: httpx.AsyncClient, seed: Seeder
) -> None:
    for _ in range(6):
        await seed.submission(channel="tafaul", topic="development_initiatives")
    for _ in range(4):
        await seed.submission(channel="email", topic=None)
    for _ in range(5):
        await seed.submission(channel="mobile_app", topic=None, kind="complaint")
    await seed.submission(channel="email", status="withdrawn")
    await seed.submission(channel="tafaul", received_at=YEAR_STARTS - timedelta(seconds=1))
    body = await statistics(client, "year=2026")
    assert body["submissions_by_channel"] == {
        "tafaul": shown(6),
        "website": shown(0),
        "mobile_app": shown(5),
        "social_media": shown(0),
        "portal_form": shown(0),
        "email": HIDDEN,  # 4; the withdrawn fifth does not count
    }
    assert body["submissions_by_topic"] == {
        "government_services": shown(0),
        "development_initiatives": shown(6),
        "strategic_plans_infrastructure": shown(0),
        "local_policies_regulations": shown(0),
        "unclassified": shown(9),
    }


async def test_the_share_of_adopted_input_counts_decided_suggestions_and_comments_only(
    client: httpx.AsyncClient, seed: Seeder
) -> None:
    decided = [
        ("suggestion", "adopted"),
        ("suggestion", "adopted"),
        ("comment", "partially_adopted"),
        ("suggestion", "partially_adopted"),
        ("comment", "adopted"),
        ("suggestion", "adopted"),
        ("comment", "not_adopted"),
        ("suggestion", "duplicate"),
    ]
    for kind, disposition in decided:
        await seed.submission(kind=kind, status="decided", disposition=disposition)
    await seed.submission(kind="complaint", status="decided", disposition="resolved")
    await seed.submission(kind="suggestion", status="under_review")
    await seed.submission(
        status="decided",
        disposition="not_adopted",
        received_at=YEAR_STARTS - timedelta(days=1),
    )
    assert (await statistics(client, "year=2026"))["share_of_inputs_adopted"] == shown(0.75)
    # Only one decided suggestion in 2025: too few to publish a share.
    assert (await statistics(client, "year=2025"))["share_of_inputs_adopted"] == HIDDEN


async def test_feedback_timeliness_and_the_median_days_from_closing_to_publication(
    client: httpx.AsyncClient, seed: Seeder
) -> None:
    # Closing at 23:00 in Riyadh on 1 March: the calendar days count from that date.
    closes_at = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    for days in (10, 20, 30):
        published_at = closes_at + timedelta(days=days)
        await seed.report(closes_at=closes_at, published_at=published_at)
    late = datetime(2026, 4, 15, 7, 0, tzinfo=UTC)  # 15 April: 45 days after 1 March
    await seed.report(closes_at=closes_at, published_at=late)
    # Closed in December 2025, published in January 2026: counted in the year of publication.
    await seed.report(
        closes_at=datetime(2025, 12, 20, 9, 0, tzinfo=UTC),
        published_at=datetime(2026, 1, 4, 9, 0, tzinfo=UTC),
    )
    body = await statistics(client, "year=2026")
    assert body["feedback_reports_published"] == shown(5)
    assert body["feedback_reports_on_time"] == shown(4)
    assert body["feedback_on_time_rate"] == shown(0.8)
    assert body["median_days_to_feedback"] == shown(20)  # 10, 15, 20, 30, 45
    empty = await statistics(client, "year=2025")
    assert (empty["feedback_reports_published"], empty["feedback_on_time_rate"]) == (
        shown(0),
        NONE,
    )
    assert empty["median_days_to_feedback"] == NONE


async def test_proactive_disclosure_reports_the_catalogue_today(
    client: httpx.AsyncClient, seed: Seeder, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(ASKED_AT)  # 14 June 2026
    await seed.dataset("open_data", next_release_due=date(2026, 6, 13))  # late since today
    await seed.dataset("open_data", next_release_due=date(2026, 6, 14))  # due today
    await seed.dataset("development_plans", update_frequency="irregular")
    await seed.dataset("development_plans", status="draft")
    body = await statistics(client, "year=2020")
    disclosure = body["proactive_disclosure"]
    assert disclosure["as_of"] == "2026-06-14"
    assert (disclosure["datasets_published"], disclosure["releases_overdue"]) == (
        shown(3),
        shown(1),
    )
    assert disclosure["published_by_category"]["open_data"] == shown(2)
    assert disclosure["published_by_category"]["development_plans"] == shown(1)
    assert disclosure["published_by_category"]["other"] == shown(0)
    assert disclosure["release_overdue_by_category"]["open_data"] == shown(1)
    assert body["generated_at"] == "2026-06-14T09:00:00Z"


def test_every_group_lists_exactly_the_vocabulary_it_counts() -> None:
    groups = {
        FiguresByOutcome: {outcome.value for outcome in Outcome},
        FiguresByLegalGround: {ground.value for ground in LegalGround},
        FiguresByChannel: {channel.value for channel in Channel},
        FiguresByTopic: {topic.value for topic in Topic} | {"unclassified"},
        FiguresByCategory: {category.value for category in InformationCategory},
    }
    for model, vocabulary in groups.items():
        assert set(model.model_fields) == vocabulary, model.__name__


# -- CSV, parameters and access ------------------------------------------------------------------


async def test_the_participation_figures_as_csv(
    client: httpx.AsyncClient, seed: Seeder, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(ASKED_AT)
    for _ in range(5):
        await seed.submission(channel="website", status="decided", disposition="adopted")
    await seed.submission(channel="email")
    await seed.dataset("open_data", next_release_due=date(2026, 7, 1))
    response = await client.get(f"{URL}?year=2026", headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="participation-2026.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == ["figure", "group", "value", "suppressed"]
    assert rows[1] == ["consultations_held", "", "0", "false"]
    assert ["submissions_by_channel", "website", "5", "false"] in rows
    assert ["submissions_by_channel", "email", "", "true"] in rows
    assert ["submissions_by_topic", "government_services", "6", "false"] in rows
    assert ["share_of_inputs_adopted", "", "1.0", "false"] in rows
    assert ["median_days_to_feedback", "", "", "false"] in rows
    assert ["proactive_disclosure.datasets_published", "", "1", "false"] in rows
    disclosure = [row for row in rows if row[0] == "proactive_disclosure.published_by_category"]
    assert [row[1] for row in disclosure] == [category.value for category in InformationCategory]
    # consultations, 6 channels, 5 topics, 5 feedback figures, 2 + 6 + 6 dataset figures
    assert len(rows) == 1 + 1 + 6 + 5 + 5 + 14


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/csv;q=0.5, application/json", "application/json"),
        ("application/json, text/csv", "application/json"),  # a tie keeps JSON
        ("text/html", "application/json"),
        ("text/csv, */*;q=0.1", "text/csv; charset=utf-8"),
        ("text/*", "text/csv; charset=utf-8"),
        ("application/json;q=0.2, text/csv;q=0.9", "text/csv; charset=utf-8"),
    ],
)
async def test_json_is_the_default_and_csv_is_served_when_preferred(
    client: httpx.AsyncClient, accept: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = await client.get(f"{URL}?year=2026", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "query.year"), ("year=2101", "query.year"), ("year=2019", "query.year")],
)
async def test_bad_parameters_are_422_problems(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_failed"
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_anyone_may_read_the_participation_statistics(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    assert (await client.get(f"{URL}?year=2026")).status_code == 200
    signed_in = await client.get(f"{URL}?year=2026", headers=auth("u1", "beneficiary"))
    assert signed_in.status_code == 200
    assert signed_in.json()["consultations_held"] == shown(0)

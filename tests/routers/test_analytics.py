"""Topic analytics through HTTP: ranking by priority, shares, trend, reasons, windows, suppression.

Submissions are written straight through the ORM with known topics, priorities and dates.
The frozen clock stands at 2026-03-15 12:00 Riyadh: the default window is 2026-02-14..2026-03-15
and the previous one 2026-01-15..2026-02-13.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.core.db import Database, new_id
from app.models.consultation import Consultation
from app.models.submission import PriorityReason, Submission
from app.services.classifier import RULE_BITS

Auth = Callable[..., dict[str, str]]
OFFICER = ("officer-1", "participation_officer")
ANALYST = ("analyst-1", "analyst")
IN_WINDOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
IN_PREVIOUS = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
TOPICS = "/v1/analytics/topics"
SUPPRESSED = {"value": None, "suppressed": True}
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z


def exact(value: float | None) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


class Seeder:
    """Writes submissions (and their priority reasons) straight through the ORM."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(
        self,
        count: int = 1,
        *,
        topic: str | None = "government_services",
        subtopic: str | None = "water",
        priority: str | None = "P4",
        at: datetime = IN_WINDOW,
        channel: str = "website",
        kind: str = "suggestion",
        status: str = "received",
        consultation_id: str | None = None,
        reasons: Sequence[str] = (),
    ) -> None:
        rows = [
            self._submission(topic, subtopic, priority, at, channel, kind, status, consultation_id)
            for _ in range(count)
        ]
        for row in rows:  # the rules' flags beside their evidence rows, as intake stores them
            row.priority_rules = sum(RULE_BITS[rule] for rule in reasons)
        async with self.database.sessions() as session:
            session.add_all(rows)
            await session.flush()
            session.add_all(
                PriorityReason(submission_id=row.id, rule=rule, points=1, evidence={})
                for row in rows
                for rule in reasons
            )
            await session.commit()

    @staticmethod
    def _submission(
        topic: str | None,
        subtopic: str | None,
        priority: str | None,
        at: datetime,
        channel: str,
        kind: str,
        status: str,
        consultation_id: str | None,
    ) -> Submission:
        decided = status == "decided"
        return Submission(
            id=new_id(),
            reference=f"SUB-T-{uuid.uuid4().hex[:12]}",
            kind=kind,
            channel=channel,
            consultation_id=uuid.UUID(consultation_id) if consultation_id else None,
            body="نص المشاركة",
            search_text="",
            status=status,
            received_at=at,
            auto_topic=topic,
            auto_subtopic=subtopic,
            auto_priority=priority,
            topic=topic,
            subtopic=subtopic,
            priority=priority,
            disposition="adopted" if decided else None,
            decided_at=at if decided else None,
            withdrawn_at=at if status == "withdrawn" else None,
        )

    async def consultation(self) -> str:
        row = Consultation(
            reference=f"CON-T-{uuid.uuid4().hex[:10]}",
            title={"ar": "استشارة", "en": "A consultation"},
            summary={"ar": "ملخص", "en": "Summary"},
            topic="government_services",
            opens_at=datetime(2026, 2, 1, tzinfo=UTC),
            closes_at=datetime(2026, 4, 1, tzinfo=UTC),
            channels=["website", "email"],
            published_at=datetime(2026, 1, 25, tzinfo=UTC),
            created_by="officer-1",
            search_text="",
        )
        async with self.database.sessions() as session:
            session.add(row)
            await session.commit()
        return str(row.id)


@pytest.fixture
def seed(database: Database) -> Seeder:
    return Seeder(database)


async def get(
    client: httpx.AsyncClient, auth: Auth, url: str, caller: tuple[str, str] = OFFICER, **query: Any
) -> dict[str, Any]:
    response = await client.get(url, params=query, headers=auth(*caller))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_topic(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {entry["topic"]: entry for entry in body["topics"]}


async def test_urgent_small_topic_ranks_above_a_bigger_routine_one(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(3, topic="government_services", subtopic="water", priority="P1")
    await seed.add(10, topic="development_initiatives", subtopic="tourism", priority="P4")
    await seed.add(2, topic="local_policies_regulations", subtopic="safety", priority="P2")
    await seed.add(1, topic="local_policies_regulations", subtopic="safety", priority=None)
    await seed.add(1, topic=None, subtopic=None, priority=None)
    body = await get(client, auth, TOPICS)
    ranked = [
        (t["topic"], t["priority_score"]["value"], t["count"]["value"]) for t in body["topics"]
    ]
    assert ranked == [
        ("government_services", 24, 3),
        ("development_initiatives", 10, 10),
        ("local_policies_regulations", 9, 3),
        (None, 1, 1),
    ]
    assert body["total"] == exact(17)
    services = by_topic(body)["government_services"]
    assert services["name"] == {"ar": "الخدمات الحكومية", "en": "Government services"}
    assert services["share"] == exact(round(3 / 17, 4))
    assert services["by_priority"] == {
        "P1": exact(3), "P2": exact(0), "P3": exact(0), "P4": exact(0), "unprioritised": exact(0)
    }  # fmt: skip
    assert by_topic(body)["local_policies_regulations"]["by_priority"]["unprioritised"] == exact(1)
    unclassified = by_topic(body)[None]
    assert unclassified["name"] == {"ar": "غير مصنف", "en": "Unclassified"}
    assert unclassified["subtopics"][0]["subtopic"] is None


async def test_subtopics_are_ranked_within_their_topic_and_add_up(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(6, subtopic="water", priority="P4")
    await seed.add(1, subtopic="electricity", priority="P1")
    await seed.add(1, subtopic="health", priority="P3")
    await seed.add(2, subtopic="education", priority="P4")  # ties health on score, more input
    await seed.add(1, subtopic=None, priority="P4")
    topic = by_topic(await get(client, auth, TOPICS))["government_services"]
    assert (topic["count"], topic["priority_score"]) == (exact(11), exact(19))
    subtopics = [(s["subtopic"], s["priority_score"]["value"]) for s in topic["subtopics"]]
    assert subtopics == [
        ("electricity", 8),
        ("water", 6),
        ("education", 2),
        ("health", 2),
        (None, 1),
    ]
    assert topic["subtopics"][0]["name"] == {"ar": "الكهرباء", "en": "Electricity"}
    assert topic["subtopics"][1]["share"] == exact(round(6 / 11, 4))


async def test_change_compares_with_the_previous_window_of_the_same_length(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(6, subtopic="water")
    await seed.add(4, subtopic="water", at=IN_PREVIOUS)
    await seed.add(5, subtopic="electricity")
    await seed.add(8, topic="development_initiatives", subtopic="tourism", at=IN_PREVIOUS)
    body = await get(client, auth, TOPICS)
    assert body["window"] == {"from": "2026-02-14", "to": "2026-03-15", "days": 30}
    assert body["previous_window"] == {"from": "2026-01-15", "to": "2026-02-13"}
    services = by_topic(body)["government_services"]
    assert (services["count"], services["previous_count"]) == (exact(11), exact(4))
    assert services["change"] == exact(1.75)
    water, electricity = services["subtopics"]
    assert (water["subtopic"], water["change"]) == ("water", exact(0.5))
    assert (electricity["previous_count"], electricity["change"]) == (exact(0), exact(None))
    # A topic that received nothing this time still shows how far it fell.
    tourism = by_topic(body)["development_initiatives"]
    assert (tourism["count"], tourism["share"], tourism["change"]) == (
        exact(0), exact(0.0), exact(-1.0)
    )  # fmt: skip


async def test_top_reasons_are_the_three_most_frequent_rules(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(2, subtopic="water", reasons=("kind", "safety_terms", "urgency_terms"))
    await seed.add(1, subtopic="water", reasons=("kind", "safety_terms", "similar_inputs"))
    await seed.add(2, subtopic="water", reasons=("kind",))
    await seed.add(4, subtopic="electricity", reasons=("similar_inputs",))
    topic = by_topic(await get(client, auth, TOPICS))["government_services"]
    water = next(s for s in topic["subtopics"] if s["subtopic"] == "water")
    assert water["top_reasons"] == [
        {"rule": "kind", "count": exact(5)},
        {"rule": "safety_terms", "count": exact(3)},
        {"rule": "urgency_terms", "count": exact(2)},
    ]
    assert topic["top_reasons"] == [
        {"rule": "kind", "count": exact(5)},
        {"rule": "similar_inputs", "count": exact(5)},
        {"rule": "safety_terms", "count": exact(3)},
    ]


async def test_filters_narrow_to_a_consultation_a_channel_and_a_kind(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    await seed.add(2, consultation_id=consultation, channel="email", kind="complaint")
    await seed.add(3, consultation_id=consultation, channel="website", kind="suggestion")
    await seed.add(4, channel="email", kind="suggestion")
    totals = {
        "none": {},
        "consultation": {"consultation_id": consultation},
        "channel": {"channel": "email"},
        "kind": {"kind": "complaint"},
        "all three": {"consultation_id": consultation, "channel": "email", "kind": "suggestion"},
    }
    found = {
        name: (await get(client, auth, TOPICS, **q))["total"]["value"] for name, q in totals.items()
    }
    assert found == {"none": 9, "consultation": 5, "channel": 6, "kind": 2, "all three": 0}
    response = await client.get(TOPICS, params={"channel": "fax"}, headers=auth(*OFFICER))
    assert response.status_code == 422


async def test_withdrawn_input_is_left_out(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(5, priority="P1", status="withdrawn", reasons=("urgency_terms",))
    await seed.add(2, priority="P4", status="decided")
    await seed.add(1, priority="P4", status="under_review")
    body = await get(client, auth, TOPICS)
    assert body["total"] == exact(3)
    assert by_topic(body)["government_services"]["priority_score"] == exact(3)
    assert by_topic(body)["government_services"]["top_reasons"] == []


async def test_window_counts_whole_local_days_at_riyadh_midnight(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(1, at=datetime(2026, 3, 10, 20, 30, tzinfo=UTC))  # 23:30 on 10 March, Riyadh
    await seed.add(2, at=datetime(2026, 3, 10, 21, 10, tzinfo=UTC))  # 00:10 on 11 March, Riyadh
    await seed.add(4, at=datetime(2026, 3, 8, 21, 0, tzinfo=UTC))  # 00:00 on 9 March, Riyadh
    await seed.add(8, at=datetime(2026, 3, 8, 20, 59, tzinfo=UTC))  # 23:59 on 8 March, Riyadh
    body = await get(client, auth, TOPICS, **{"from": "2026-03-09", "to": "2026-03-10"})
    assert body["window"] == {"from": "2026-03-09", "to": "2026-03-10", "days": 2}
    assert body["previous_window"] == {"from": "2026-03-07", "to": "2026-03-08"}
    assert body["total"] == exact(5)
    assert by_topic(body)["government_services"]["previous_count"] == exact(8)


async def test_window_defaults_to_the_thirty_days_ending_today(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(1, at=datetime(2026, 2, 13, 21, 0, tzinfo=UTC))  # 14 Feb 00:00 Riyadh: first
    await seed.add(2, at=datetime(2026, 3, 15, 8, 59, tzinfo=UTC))  # today, before the clock
    await seed.add(4, at=datetime(2026, 2, 13, 20, 59, tzinfo=UTC))  # 13 Feb: previous window
    body = await get(client, auth, TOPICS)
    assert body["total"] == exact(3)
    assert by_topic(body)["government_services"]["previous_count"] == exact(4)
    only_to = await get(client, auth, TOPICS, to="2026-02-13")
    assert only_to["window"] == {"from": "2026-01-15", "to": "2026-02-13", "days": 30}
    assert only_to["total"] == exact(4)


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-03-10", "2026-03-09"), ("2025-01-01", "2026-01-02")],
    ids=["reversed", "367 days"],
)
async def test_a_reversed_or_too_long_window_is_refused(
    client: httpx.AsyncClient, auth: Auth, start: str, end: str
) -> None:
    headers = auth(*ANALYST) | {"Accept-Language": "en"}
    for url in (TOPICS, "/v1/analytics/channels"):
        response = await client.get(url, params={"from": start, "to": end}, headers=headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "analytics_window_invalid"
        assert start in response.json()["detail"]


async def test_a_window_of_366_days_is_accepted(client: httpx.AsyncClient, auth: Auth) -> None:
    body = await get(client, auth, TOPICS, **{"from": "2025-01-01", "to": "2026-01-01"})
    assert body["window"]["days"] == 366
    assert body["previous_window"] == {"from": "2024-01-01", "to": "2024-12-31"}  # a leap year
    assert (body["total"], body["topics"]) == (exact(0), [])


async def test_analysts_see_small_groups_suppressed_and_officers_see_them_exactly(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(3, subtopic="water", priority="P1", reasons=("safety_terms",))
    await seed.add(2, subtopic="water", at=IN_PREVIOUS)
    await seed.add(6, topic="development_initiatives", subtopic="tourism", priority="P4")
    await seed.add(1, topic="development_initiatives", subtopic="tourism", priority="P2")
    await seed.add(6, topic="development_initiatives", subtopic="tourism", at=IN_PREVIOUS)
    analyst = await get(client, auth, TOPICS, ANALYST)
    # Ranked by the true score either way: 3 x P1 = 24 above 6 x P4 + 1 x P2 = 10.
    assert [t["topic"] for t in analyst["topics"]] == [
        "government_services",
        "development_initiatives",
    ]
    small = analyst["topics"][0]
    hidden = ("count", "share", "priority_score", "change", "previous_count")
    assert {name: small[name] for name in hidden} == dict.fromkeys(hidden, SUPPRESSED)
    assert list(small["by_priority"].values()) == [SUPPRESSED] * 5
    assert small["top_reasons"] == [{"rule": "safety_terms", "count": SUPPRESSED}]
    large = analyst["topics"][1]
    assert (large["count"], large["priority_score"]) == (exact(7), exact(10))
    assert (large["previous_count"], large["change"]) == (exact(6), exact(round(1 / 6, 4)))
    assert (large["by_priority"]["P4"], large["by_priority"]["P2"]) == (exact(6), SUPPRESSED)
    assert analyst["total"] == exact(10)
    officer = by_topic(await get(client, auth, TOPICS, OFFICER))["government_services"]
    assert (officer["count"], officer["share"], officer["priority_score"]) == (
        exact(3), exact(0.3), exact(24)
    )  # fmt: skip
    assert (officer["previous_count"], officer["change"]) == (exact(2), exact(0.5))
    assert officer["top_reasons"] == [{"rule": "safety_terms", "count": exact(3)}]


@pytest.mark.parametrize("url", [TOPICS, "/v1/analytics/channels"])
async def test_anonymous_callers_are_asked_to_authenticate(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("role", ["beneficiary", "information_officer"])
@pytest.mark.parametrize("url", [TOPICS, "/v1/analytics/channels"])
async def test_callers_without_analytics_permission_are_refused(
    client: httpx.AsyncClient, auth: Auth, role: str, url: str
) -> None:
    response = await client.get(url, headers=auth("someone", role))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"

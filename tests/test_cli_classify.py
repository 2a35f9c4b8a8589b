"""`beneficiary-api classify --all`: re-classifying after a taxonomy change, in one go."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.cli import main
from app.core.config import Settings
from app.core.db import Database
from app.models.consultation import Consultation, PollAnswer, PollQuestion, PollResponse
from app.models.submission import PriorityReason, Submission
from app.services import classifier

START = datetime(2026, 3, 1, 9, tzinfo=UTC)


def stale(body: str, at: datetime, **values: object) -> Submission:
    """A submission as an older taxonomy left it: no subtopic, an old version."""
    columns: dict[str, object] = {
        "reference": f"SUB-T-{uuid.uuid4().hex[:10]}",
        "kind": "complaint",
        "channel": "website",
        "body": body,
        "search_text": body,
        "status": "received",
        "received_at": at,
        "submitter_sub": "b1",
        "auto_topic": "development_initiatives",
        "topic": "development_initiatives",
        "auto_priority": "P4",
        "priority": "P4",
        "classifier_version": "2000.1",
    }
    return Submission(**(columns | values))


async def seed(settings: Settings) -> None:
    database = Database(settings)
    consultation = Consultation(
        reference="CON-T-1",
        title={"ar": "استشارة", "en": "A consultation"},
        summary={"ar": "ملخص", "en": "Summary"},
        topic="development_initiatives",
        opens_at=START,
        closes_at=START + timedelta(days=30),
        channels=["website"],
        published_at=START,
        created_by="o1",
    )
    async with database.sessions() as session, session.begin():
        # Six complaints about water a day apart: the sixth has five similar ones in 7 days.
        session.add_all(
            stale(f"انقطاع المياه عن الحي للمرة {day}", START + timedelta(days=day))
            for day in range(6)
        )
        session.add(
            stale(
                "حفرة خطيرة في الطريق",
                START,
                topic_override="local_policies_regulations",
                topic="local_policies_regulations",
                priority_override="P4",
            )
        )
        session.add(consultation)
        await session.flush()
        question = PollQuestion(
            consultation_id=consultation.id,
            position=1,
            kind="free_text",
            prompt={"ar": "س", "en": "Q"},
        )
        response = PollResponse(consultation_id=consultation.id, respondent_sub="b9")
        session.add_all([question, response])
        await session.flush()
        session.add(
            PollAnswer(response_id=response.id, question_id=question.id, text="نبي فنادق اكثر")
        )
    await database.dispose()


async def stored(settings: Settings) -> tuple[list[Submission], list[PriorityReason], PollAnswer]:
    database = Database(settings)
    async with database.sessions() as session:
        submissions = (
            await session.scalars(select(Submission).order_by(Submission.received_at))
        ).all()
        reasons = (await session.scalars(select(PriorityReason))).all()
        answer = (await session.scalars(select(PollAnswer))).one()
    await database.dispose()
    return list(submissions), list(reasons), answer


async def test_classify_all_reclassifies_keeps_overrides_and_counts_similar_inputs(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured)
    assert await asyncio.to_thread(main, ["classify", "--all"]) == 0
    version = classifier.current().version
    out = capsys.readouterr().out
    assert f"classified with taxonomy {version}: 7 submissions (7 changed), 1 free-text" in out

    submissions, reasons, answer = await stored(configured)
    water = [s for s in submissions if s.body.startswith("انقطاع")]
    assert {(s.auto_topic, s.auto_subtopic, s.classifier_version) for s in water} == {
        ("government_services", "water", version)
    }
    similar = {r.submission_id: r.evidence for r in reasons if r.rule == "similar_inputs"}
    assert similar == {water[5].id: {"count": 5, "window_days": 7}}
    assert [s.auto_priority for s in water] == ["P3"] * 5 + ["P2"]  # complaint 2, +1 at five

    pothole = next(s for s in submissions if s.body.startswith("حفرة"))
    assert (pothole.auto_topic, pothole.auto_subtopic) == (
        "strategic_plans_infrastructure",
        "roads_transport",
    )
    assert pothole.auto_priority == "P1"  # complaint 2 + safety 3
    # The officer's overrides stay in force; the subtopic follows the overridden topic.
    assert (pothole.topic, pothole.subtopic, pothole.priority) == (
        "local_policies_regulations",
        None,
        "P4",
    )
    assert (answer.topic, answer.subtopic, answer.classifier_version) == (
        "development_initiatives",
        "tourism",
        version,
    )


async def test_classify_all_twice_changes_nothing_the_second_time(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured)
    assert await asyncio.to_thread(main, ["classify", "--all"]) == 0
    first = await stored(configured)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["classify", "--all"]) == 0
    assert "(0 changed)" in capsys.readouterr().out
    second = await stored(configured)
    assert sorted((r.submission_id, r.rule, r.points) for r in first[1]) == sorted(
        (r.submission_id, r.rule, r.points) for r in second[1]
    )


def test_classify_needs_all(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["classify"])
    assert "--all" in capsys.readouterr().err

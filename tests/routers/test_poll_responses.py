"""Answering polls through HTTP: once per beneficiary, validated, idempotent, concurrent-safe."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Conflict
from app.core.migrations import upgrade_to_head
from app.core.security import Principal, Role
from app.models.consultation import Consultation, PollAnswer
from app.schemas.polls import AnswerWrite, QuestionWrite
from app.services import polls as poll_service
from tests.routers.test_polls import (
    NOW,
    QUESTIONS,
    Auth,
    answer,
    answers_for,
    audit_events,
    make_consultation,
    poll_path,
    set_poll,
    stored_responses,
)


async def test_beneficiary_answers_an_open_poll_and_reads_it_back(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    answers = answers_for(poll, multiple=["web", "app"], text="More shade, please")
    response = await answer(client, auth, consultation_id, "b1", answers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == poll_path(consultation_id, "/responses/mine")
    assert body["consultation_id"] == str(consultation_id)
    assert body["submitted_at"].startswith("2026-03-15T09:00:00")
    ids = [q["id"] for q in poll["questions"]]
    assert body["answers"] == [
        {"question_id": ids[0], "option_ids": ["roads"], "rating": None, "text": None},
        {"question_id": ids[1], "option_ids": ["app", "web"], "rating": None, "text": None},
        {"question_id": ids[2], "option_ids": None, "rating": 4, "text": None},
        {"question_id": ids[3], "option_ids": None, "rating": None, "text": "More shade, please"},
    ]
    mine = await client.get(
        poll_path(consultation_id, "/responses/mine"), headers=auth("b1", "beneficiary")
    )
    assert mine.json() == body
    async with database.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(PollAnswer))
    assert rows == 5, "one row per answered question, one per chosen option"
    [event] = await audit_events(database, "poll.responded")
    assert (event.actor_sub, event.entity_id) == ("b1", body["id"])
    assert event.details == {"consultation_id": str(consultation_id), "questions_answered": 4}


@pytest.mark.parametrize(
    ("opens_in", "later", "status"),
    [
        (timedelta(days=1), timedelta(0), "scheduled"),
        (timedelta(days=-1), timedelta(days=7), "closed"),
    ],
)
async def test_answering_outside_the_open_period_is_refused(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    opens_in: timedelta,
    later: timedelta,
    status: str,
) -> None:
    opens_at = NOW + opens_in
    consultation_id = await make_consultation(
        database, opens_at=opens_at, closes_at=opens_at + timedelta(days=7)
    )
    poll = await set_poll(client, auth, consultation_id)
    frozen_clock.advance(later)
    response = await answer(client, auth, consultation_id, "b1", answers_for(poll))
    assert response.status_code == 409
    assert response.json()["code"] == "consultation_not_open"
    assert status in response.json()["detail"]
    assert await stored_responses(database, consultation_id) == 0


async def test_a_second_response_is_409_already_responded(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    first = await answer(client, auth, consultation_id, "b1", answers_for(poll), key="k-1")
    assert first.status_code == 201
    again = await answer(
        client, auth, consultation_id, "b1", answers_for(poll, rating=1), key="k-2"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_responded"
    assert await stored_responses(database, consultation_id) == 1
    mine = await client.get(
        poll_path(consultation_id, "/responses/mine"), headers=auth("b1", "beneficiary")
    )
    assert mine.json()["answers"][1]["rating"] == 4, "the first response stands"


async def test_a_retry_with_the_same_idempotency_key_replays_the_first_response(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    first = await answer(client, auth, consultation_id, "b1", answers_for(poll), key="retry-1")
    frozen_clock.advance(timedelta(minutes=1))
    retry = await answer(client, auth, consultation_id, "b1", answers_for(poll), key="retry-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    changed = answers_for(poll, rating=1)
    reused = await answer(client, auth, consultation_id, "b1", changed, key="retry-1")
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    assert await stored_responses(database, consultation_id) == 1
    assert len(await audit_events(database, "poll.responded")) == 1


async def test_the_unique_constraint_refuses_a_duplicate_the_first_check_missed(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    assert (await answer(client, auth, consultation_id, "b1", answers_for(poll))).status_code == 201

    async def sees_nothing(*_args: object) -> None:
        return None  # as a concurrent request would, before the first one commits

    monkeypatch.setattr(poll_service, "_own_response", sees_nothing)
    again = await answer(client, auth, consultation_id, "b1", answers_for(poll), key="other")
    assert again.status_code == 409
    assert again.json()["code"] == "already_responded"
    assert await stored_responses(database, consultation_id) == 1


async def test_concurrent_first_responses_leave_exactly_one(
    fresh_database_url: str, settings: Settings, frozen_clock: clock.FrozenClock
) -> None:
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    database = Database(fresh)
    officer = Principal(sub="officer-1", roles=frozenset({Role.PARTICIPATION_OFFICER}))
    respondent = Principal(sub="b1", roles=frozenset({Role.BENEFICIARY}))
    try:
        consultation_id = await make_consultation(database)
        async with database.sessions() as session:
            consultation = await session.get_one(Consultation, consultation_id)
            questions = [QuestionWrite.model_validate(QUESTIONS[0])]
            poll = await poll_service.replace_questions(
                session, consultation, by=officer, questions=questions, expected_version=None
            )
            await session.commit()
        answers = [AnswerWrite(question_id=poll.questions[0].id, option_ids=["parks"])]

        async def attempt() -> str:
            async with database.sessions() as session:
                consultation = await session.get_one(Consultation, consultation_id)
                try:
                    await poll_service.respond(
                        session, consultation, by=respondent, answers=answers
                    )
                except Conflict as exc:
                    await session.rollback()
                    return exc.code
                await asyncio.sleep(0)  # let the others reach their insert before this commits
                await session.commit()
                return "stored"

        outcomes = await asyncio.gather(*(attempt() for _ in range(4)))
        assert sorted(outcomes) == ["already_responded"] * 3 + ["stored"]
        assert await stored_responses(database, consultation_id) == 1
    finally:
        await database.dispose()


ROADS, RATED = {"option_ids": ["roads"]}, {"rating": 4}
UNKNOWN = 9  # a position with no question: answered with a random question id


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([(0, ROADS), (2, RATED), (UNKNOWN, RATED)], "answer_unknown_question"),
        ([(0, ROADS), (2, RATED), (2, RATED)], "answer_repeated_question"),
        ([(0, ROADS)], "answer_required_missing"),
        ([(0, {"option_ids": ["roads", "parks"]}), (2, RATED)], "answer_one_option"),
        ([(0, {"option_ids": ["bridges"]}), (2, RATED)], "answer_unknown_option"),
        ([(0, ROADS), (1, {"option_ids": ["web", "web"]}), (2, RATED)], "answer_repeated_option"),
        ([(0, RATED), (2, RATED)], "answer_wrong_kind"),
        ([(0, ROADS), (2, {"text": "good"})], "answer_wrong_kind"),
        ([(0, ROADS), (2, RATED), (3, ROADS)], "answer_wrong_kind"),
        ([(0, {"option_ids": []}), (2, RATED)], "body.answers.0.option_ids"),
        ([(0, ROADS), (2, {"rating": 6})], "body.answers.1.rating"),
        ([(0, ROADS), (2, {"rating": 0})], "body.answers.1.rating"),
        ([(0, ROADS), (2, {"rating": 3.5})], "body.answers.1.rating"),
        ([(0, ROADS), (2, {"rating": "3"})], "body.answers.1.rating"),
        ([(0, ROADS), (2, RATED), (3, {"text": "x" * 2001})], "body.answers.2.text"),
        ([(0, ROADS), (2, RATED), (3, {"text": "   "})], "body.answers.2.text"),
        ([(0, ROADS), (2, RATED), (3, {"text": "bell\x07"})], "body.answers.2.text"),
        ([(0, ROADS), (2, RATED), (3, {"text": "\u202eevil"})], "body.answers.2.text"),
        ([(0, ROADS), (2, {"rating": 3, "text": "x"})], "body.answers.1"),
        ([], "body.answers"),
    ],
)
async def test_answers_are_validated_against_their_questions(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    answers: list[tuple[int, dict[str, Any]]],
    expected: str,
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    ids = [question["id"] for question in poll["questions"]] + [str(uuid.uuid4())] * 6
    body = [{"question_id": ids[position], **value} for position, value in answers]
    response = await answer(client, auth, consultation_id, "b1", body)
    assert response.status_code == 422, response.text
    problem = response.json()
    if expected.startswith("answer_"):
        assert problem["code"] == "invalid_answer"
        assert problem["errors"][0]["type"] == expected
        assert problem["detail"].startswith("The answer does not fit its question: ")
    else:
        assert problem["code"] == "validation_failed"
        assert expected in [error["field"] for error in problem["errors"]]
    assert await stored_responses(database, consultation_id) == 0


async def test_invalid_answer_reason_is_in_arabic_by_default(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    response = await client.post(
        poll_path(consultation_id, "/responses"),
        json={"answers": answers_for(poll)[:1]},
        headers=auth("b1", "beneficiary"),
    )
    assert response.json()["detail"] == "الإجابة لا تطابق السؤال: لم تُجب عن سؤال إلزامي"
    assert response.json()["errors"][0]["field"] == "body.answers"


async def test_a_consultation_without_questions_cannot_be_answered(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    response = await answer(
        client, auth, consultation_id, "b1", [{"question_id": str(uuid.uuid4()), "rating": 3}]
    )
    assert response.status_code == 409
    assert response.json()["code"] == "poll_empty"


async def test_a_beneficiary_cannot_see_another_beneficiarys_response(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    await answer(client, auth, consultation_id, "b1", answers_for(poll, text="private words"))
    response = await client.get(
        poll_path(consultation_id, "/responses/mine"), headers=auth("b2", "beneficiary")
    )
    assert response.status_code == 404
    assert response.json()["code"] == "poll_response_not_found"
    assert "private words" not in response.text


async def test_answering_a_draft_consultation_is_404(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database, published=False)
    poll = await set_poll(client, auth, consultation_id)
    response = await answer(client, auth, consultation_id, "b1", answers_for(poll))
    assert response.status_code == 404
    assert response.json()["code"] == "consultation_not_found"

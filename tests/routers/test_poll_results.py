"""Poll results and free text through HTTP: the arithmetic, who sees what, and when."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.db import Database
from tests.routers.test_polls import (
    Auth,
    answer,
    answers_for,
    make_consultation,
    poll_path,
    set_poll,
)

CLOSED = timedelta(days=8)  # past the default consultation's closing time
# Eight respondents: (single choice, multiple choice or None, rating, free text or None).
KNOWN = [
    ("roads", ["web", "app"], 5, "More shade in the parks"),
    ("roads", ["web"], 4, "Fix the roundabout"),
    ("roads", ["web", "sms"], 4, None),
    ("parks", ["app"], 3, None),
    ("parks", ["web", "app"], 2, None),
    ("parks", ["sms"], 5, None),
    ("parks", None, 1, None),
    ("schools", None, 1, None),
]


async def seed(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    rows: list[tuple[str, list[str] | None, int, str | None]],
    **consultation: Any,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """An open consultation with the standard poll, answered once per row."""
    consultation_id = await make_consultation(database, **consultation)
    poll = await set_poll(client, auth, consultation_id)
    for number, (single, multiple, rating, text) in enumerate(rows):
        answers = answers_for(poll, single, multiple, rating, text)
        response = await answer(client, auth, consultation_id, f"b{number}", answers)
        assert response.status_code == 201, response.text
    return consultation_id, poll


async def results(
    client: httpx.AsyncClient, consultation_id: uuid.UUID, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.get(poll_path(consultation_id, "/results"), headers=headers or {})


def shares(question: dict[str, Any]) -> dict[str, tuple[int, float]]:
    return {o["id"]: (o["count"], o["percentage"]) for o in question["options"]}


async def test_results_count_and_round_known_answers(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, poll = await seed(client, auth, database, KNOWN)
    frozen_clock.advance(CLOSED)
    response = await results(client, consultation_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["respondents"], body["final"], body["consultation_status"]) == (8, True, "closed")
    single, multiple, rating, free_text = body["questions"]
    assert [q["question_id"] for q in body["questions"]] == [q["id"] for q in poll["questions"]]
    assert single["respondents"] == 8
    assert shares(single) == {"roads": (3, 37.5), "parks": (4, 50.0), "schools": (1, 12.5)}
    assert multiple["respondents"] == 6, "shares are of those who answered the question"
    assert shares(multiple) == {"web": (4, 66.7), "app": (3, 50.0), "sms": (2, 33.3)}
    assert single["options"][0]["label"] == {"ar": "خيار Roads", "en": "Roads"}
    assert rating["rating"]["mean"] == 3.13, "25 / 8 = 3.125 rounds half up"
    distribution = {b["value"]: b["count"] for b in rating["rating"]["distribution"]}
    assert distribution == {1: 2, 2: 1, 3: 1, 4: 2, 5: 2}
    assert (rating["options"], single["rating"], single["free_text_count"]) == (None, None, None)
    assert free_text["free_text_count"] == 2
    assert "More shade" not in response.text, "results never carry free-text answers"


async def test_a_question_nobody_answered_has_zero_shares_and_no_mean(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, _ = await seed(client, auth, database, [])
    body = (await results(client, consultation_id, auth("o", "participation_officer"))).json()
    single, _, rating, free_text = body["questions"]
    assert body["respondents"] == 0
    assert shares(single) == {"roads": (0, 0.0), "parks": (0, 0.0), "schools": (0, 0.0)}
    assert rating["rating"]["mean"] is None
    assert [b["count"] for b in rating["rating"]["distribution"]] == [0, 0, 0, 0, 0]
    assert free_text["free_text_count"] == 0


async def test_results_are_not_public_while_open_without_live_results(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, _ = await seed(client, auth, database, KNOWN[:5])
    for headers in ({}, auth("b0", "beneficiary"), auth("a", "analyst")):
        response = await results(client, consultation_id, headers)
        assert response.status_code == 404
        assert response.json()["code"] == "poll_results_not_public"
    officer = await results(client, consultation_id, auth("o", "participation_officer"))
    assert officer.status_code == 200
    assert (officer.json()["final"], officer.json()["respondents"]) == (False, 5)


async def test_live_results_are_public_while_open(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, _ = await seed(client, auth, database, KNOWN[:5], live_results=True)
    response = await results(client, consultation_id)
    assert response.status_code == 200
    body = response.json()
    assert (body["final"], body["consultation_status"]) == (False, "open")
    assert shares(body["questions"][0]) == {
        "roads": (3, 60.0),
        "parks": (2, 40.0),
        "schools": (0, 0.0),
    }


@pytest.mark.parametrize(
    ("consultation", "code"),
    [({"published": False}, "consultation_not_found"), ({"cancelled": True}, None)],
)
async def test_draft_and_cancelled_results_are_hidden_from_the_public(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    consultation: dict[str, Any],
    code: str | None,
) -> None:
    consultation_id = await make_consultation(database, **consultation)
    frozen_clock.advance(CLOSED)
    response = await results(client, consultation_id)
    assert response.status_code == 404
    assert response.json()["code"] == (code or "poll_results_not_public")
    officer = await results(client, consultation_id, auth("o", "participation_officer"))
    assert officer.status_code == 200


async def test_public_results_suppress_questions_under_five_respondents(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, _ = await seed(client, auth, database, KNOWN[:4])
    frozen_clock.advance(CLOSED)
    public = (await results(client, consultation_id)).json()
    assert public["respondents"] == 4
    single, multiple, rating, free_text = public["questions"]
    for question in (single, multiple, rating, free_text):
        assert question["suppressed"] is True
    assert shares(single) == {"roads": (None, None), "parks": (None, None), "schools": (None, None)}
    assert rating["rating"] == {"mean": None, "distribution": None}
    officer = await results(client, consultation_id, auth("o", "participation_officer"))
    single, _, rating, _ = officer.json()["questions"]
    assert single["suppressed"] is False
    assert shares(single) == {"roads": (3, 75.0), "parks": (1, 25.0), "schools": (0, 0.0)}
    assert rating["rating"]["mean"] == 4.0


async def test_only_the_small_question_is_suppressed(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, _ = await seed(client, auth, database, KNOWN)
    frozen_clock.advance(CLOSED)
    questions = (await results(client, consultation_id)).json()["questions"]
    assert [q["suppressed"] for q in questions] == [False, False, False, True]
    assert questions[3]["respondents"] == 2


async def test_officers_read_free_text_without_respondent_identifiers(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, poll = await seed(client, auth, database, KNOWN)
    officer = auth("o", "participation_officer")
    path = poll_path(consultation_id, "/free-text")
    first = await client.get(path, params={"limit": 1}, headers=officer)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 1
    assert set(first.json()["items"][0]) == {"question_id", "text", "topic", "subtopic"}
    cursor = first.json()["next_cursor"]
    second = await client.get(path, params={"limit": 1, "cursor": cursor}, headers=officer)
    assert second.json()["next_cursor"] is None
    texts = {item["text"] for item in first.json()["items"] + second.json()["items"]}
    assert texts == {"More shade in the parks", "Fix the roundabout"}
    other_question = poll["questions"][0]["id"]
    filtered = await client.get(path, params={"question_id": other_question}, headers=officer)
    assert filtered.json() == {"items": [], "next_cursor": None}


async def test_free_text_is_for_officers_only(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id, _ = await seed(client, auth, database, KNOWN[:2])
    frozen_clock.advance(CLOSED)
    path = poll_path(consultation_id, "/free-text")
    assert (await client.get(path)).status_code == 401
    for role in ("beneficiary", "analyst"):
        response = await client.get(path, headers=auth("b0", role))
        assert response.status_code == 403
        assert "Fix the roundabout" not in response.text

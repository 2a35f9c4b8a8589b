"""Poll questions through HTTP (editing, locking, visibility), route permissions, shared helpers."""

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.db import Database
from app.models.audit_event import AuditEvent
from app.models.consultation import Consultation, PollResponse

Auth = Callable[..., dict[str, str]]
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the frozen clock's start
EN = {"Accept-Language": "en"}
_references = itertools.count(1)


def option(option_id: str, en: str) -> dict[str, Any]:
    return {"id": option_id, "label": {"ar": f"خيار {en}", "en": en}}


QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "prompt": {"ar": "ما الأولوية؟", "en": "Which priority first?"},
        "options": [
            option("roads", "Roads"),
            option("parks", "Parks"),
            option("schools", "Schools"),
        ],
    },
    {
        "kind": "multiple_choice",
        "prompt": {"ar": "كيف تتواصل معنا؟", "en": "How do you reach us?"},
        "options": [option("web", "Website"), option("app", "App"), option("sms", "SMS")],
        "required": False,
    },
    {"kind": "rating", "prompt": {"ar": "قيّم الخدمة", "en": "Rate the service"}},
    {"kind": "free_text", "prompt": {"ar": "ملاحظات", "en": "Anything else?"}, "required": False},
]


async def make_consultation(
    database: Database,
    *,
    opens_at: datetime = NOW - timedelta(days=1),
    closes_at: datetime = NOW + timedelta(days=7),
    published: bool = True,
    live_results: bool = False,
    cancelled: bool = False,
) -> uuid.UUID:
    """A consultation written straight to the table (open at NOW by default)."""
    async with database.sessions() as session:
        consultation = Consultation(
            reference=f"CON-2026-{next(_references):06d}",
            title={"ar": "استشارة الحدائق", "en": "Parks consultation"},
            summary={"ar": "ملخص", "en": "Summary"},
            topic="development_initiatives",
            opens_at=opens_at,
            closes_at=closes_at,
            channels=["website", "mobile_app"],
            live_results=live_results,
            published_at=NOW - timedelta(days=2) if published else None,
            cancelled_at=NOW - timedelta(hours=1) if cancelled else None,
            created_by="officer-1",
            search_text="",
        )
        session.add(consultation)
        await session.commit()
        return consultation.id


def poll_path(consultation_id: uuid.UUID, suffix: str = "") -> str:
    return f"/v1/consultations/{consultation_id}/poll{suffix}"


async def set_poll(
    client: httpx.AsyncClient,
    auth: Auth,
    consultation_id: uuid.UUID,
    questions: list[dict[str, Any]] = QUESTIONS,
) -> dict[str, Any]:
    response = await client.put(
        poll_path(consultation_id, "/questions"),
        json={"questions": questions},
        headers=auth("officer-1", "participation_officer"),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def answers_for(
    poll: dict[str, Any],
    single: str = "roads",
    multiple: list[str] | None = None,
    rating: int = 4,
    text: str | None = None,
) -> list[dict[str, Any]]:
    """Answers to QUESTIONS, by position; optional ones only when given."""
    ids = [question["id"] for question in poll["questions"]]
    answers: list[dict[str, Any]] = [
        {"question_id": ids[0], "option_ids": [single]},
        {"question_id": ids[2], "rating": rating},
    ]
    if multiple:
        answers.append({"question_id": ids[1], "option_ids": multiple})
    if text is not None:
        answers.append({"question_id": ids[3], "text": text})
    return answers


async def answer(
    client: httpx.AsyncClient,
    auth: Auth,
    consultation_id: uuid.UUID,
    sub: str,
    answers: list[dict[str, Any]],
    key: str | None = None,
) -> httpx.Response:
    headers = auth(sub, "beneficiary") | EN
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(
        poll_path(consultation_id, "/responses"), json={"answers": answers}, headers=headers
    )


async def stored_responses(database: Database, consultation_id: uuid.UUID) -> int:
    async with database.sessions() as session:
        statement = select(func.count()).where(PollResponse.consultation_id == consultation_id)
        return int(await session.scalar(statement) or 0)


async def audit_events(database: Database, action: str) -> list[AuditEvent]:
    async with database.sessions() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.all())


# -- questions ----------------------------------------------------------------------------------


async def test_officer_sets_questions_and_the_public_reads_them_in_order(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    body = await set_poll(client, auth, consultation_id)
    assert body["version"] == 1
    response = await client.get(poll_path(consultation_id))
    assert response.status_code == 200
    assert response.headers["etag"] == 'W/"1"'
    read = response.json()
    assert read == body
    assert [q["position"] for q in read["questions"]] == [1, 2, 3, 4]
    assert [q["kind"] for q in read["questions"]] == [q["kind"] for q in QUESTIONS]
    assert read["questions"][0]["options"][1] == option("parks", "Parks")
    assert read["questions"][3]["required"] is False
    [event] = await audit_events(database, "poll.questions_replaced")
    assert (event.actor_sub, event.entity_id) == ("officer-1", str(consultation_id))
    assert event.details == {"questions": 4, "version": 1}


async def test_replacing_questions_honours_if_match(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    first = await set_poll(client, auth, consultation_id)
    officer = auth("officer-1", "participation_officer")
    path, body = poll_path(consultation_id, "/questions"), {"questions": QUESTIONS[:2]}
    second = await client.put(path, json=body, headers=officer | {"If-Match": 'W/"1"'})
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    assert second.headers["etag"] == 'W/"2"'
    assert {q["id"] for q in second.json()["questions"]}.isdisjoint(
        q["id"] for q in first["questions"]
    )
    stale = await client.put(path, json={"questions": []}, headers=officer | {"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert len((await client.get(poll_path(consultation_id))).json()["questions"]) == 2


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    return [dict(q, **changes) if i == index else q for i, q in enumerate(QUESTIONS)]


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        (_with(0, options=[option("roads", "Roads")]), "body.questions.0"),
        (_with(0, options=[option(f"o{i}", "x") for i in range(21)]), "body.questions.0.options"),
        (_with(1, options=[option("web", "A"), option("web", "B")]), "body.questions.1"),
        (_with(0, options=[option("Roads!", "A"), option("b", "B")]), "questions.0.options.0.id"),
        (_with(0, options=[option("a" * 41, "A"), option("b", "B")]), "questions.0.options.0.id"),
        (_with(0, options=[{"id": "a", "label": {}}, option("b", "B")]), "options.0.label.ar"),
        (_with(2, options=[option("a", "A"), option("b", "B")]), "body.questions.2"),
        (_with(3, options=[option("a", "A"), option("b", "B")]), "body.questions.3"),
        (_with(2, prompt={"en": "No Arabic"}), "body.questions.2.prompt.ar"),
        (_with(2, kind="ranking"), "body.questions.2.kind"),
        ([QUESTIONS[2]] * 51, "body.questions"),
    ],
)  # fmt: skip
async def test_invalid_questions_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    questions: list[dict[str, Any]],
    field: str,
) -> None:
    consultation_id = await make_consultation(database)
    response = await client.put(
        poll_path(consultation_id, "/questions"),
        json={"questions": questions},
        headers=auth("officer-1", "participation_officer"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert any(error["field"].endswith(field) for error in response.json()["errors"])
    assert (await client.get(poll_path(consultation_id))).json()["version"] == 0


async def test_questions_lock_once_the_first_response_arrives(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    assert (await answer(client, auth, consultation_id, "b1", answers_for(poll))).status_code == 201
    response = await client.put(
        poll_path(consultation_id, "/questions"),
        json={"questions": QUESTIONS[:1]},
        headers=auth("officer-1", "participation_officer"),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "poll_locked"
    assert (await client.get(poll_path(consultation_id))).json() == poll


@pytest.mark.parametrize(("state", "closed"), [("cancelled", False), ("closed", True)])
async def test_questions_of_a_finished_consultation_cannot_change(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    state: str,
    closed: bool,
) -> None:
    consultation_id = await make_consultation(database, cancelled=not closed)
    if closed:
        frozen_clock.advance(timedelta(days=8))
    response = await client.put(
        poll_path(consultation_id, "/questions"),
        json={"questions": QUESTIONS},
        headers=auth("officer-1", "participation_officer") | EN,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "poll_not_editable"
    assert state in response.json()["detail"]


async def test_a_draft_poll_is_visible_to_officers_only(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: clock.FrozenClock
) -> None:
    consultation_id = await make_consultation(database, published=False)
    await set_poll(client, auth, consultation_id)
    for headers in ({}, auth("b1", "beneficiary")):
        response = await client.get(poll_path(consultation_id), headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "consultation_not_found"
    officer = await client.get(
        poll_path(consultation_id), headers=auth("o", "participation_officer")
    )
    assert len(officer.json()["questions"]) == 4


OFFICER, BENEFICIARY = "participation_officer", "beneficiary"
PROTECTED = [
    ("PUT", "/questions", {"questions": QUESTIONS}, BENEFICIARY),
    ("POST", "/responses", {"answers": [{"question_id": str(uuid.uuid4()), "rating": 3}]}, OFFICER),
    ("GET", "/responses/mine", None, OFFICER),
    ("GET", "/free-text", None, BENEFICIARY),
]


@pytest.mark.parametrize(("method", "suffix", "body", "wrong_role"), PROTECTED)
async def test_protected_poll_routes_refuse_anonymous_and_wrong_roles(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: clock.FrozenClock,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
    wrong_role: str,
) -> None:
    consultation_id = await make_consultation(database)
    path = poll_path(consultation_id, suffix)
    anonymous = await client.request(method, path, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    for role in (wrong_role, "analyst"):
        refused = await client.request(method, path, json=body, headers=auth("x", role))
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"

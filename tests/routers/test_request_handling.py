"""Handling information requests through HTTP: the lifecycle, decisions, withdrawal, history."""

from datetime import datetime
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from tests.routers.test_information_requests import (
    BASE,
    Auth,
    act,
    events,
    file,
    read,
    stored,
)

QUESTION = {"question": {"ar": "هل تقصد مشاريع الطرق داخل مدينة أبها فقط؟", "en": "Abha only?"}}
ANSWER = {"outcome": "answered", "response": {"ar": "المبالغ مرفقة", "en": "Figures attached"}}
EXPLANATION = {"ar": "جزء من البيانات مصنف", "en": "Part of the data is classified"}


def refusal(**overrides: Any) -> dict[str, Any]:
    return {
        "outcome": "refused",
        "response": {"ar": "نعتذر عن تزويدكم بالمعلومات"},
        "legal_grounds": [{"ground": "classified_record"}],
        "explanation": EXPLANATION,
    } | overrides


async def started(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    """A request filed by b1 and taken up by officer o1."""
    receipt = await file(client, auth("b1", "beneficiary"))
    response = await act(client, auth("o1", "information_officer"), receipt["id"], "start")
    assert response.status_code == 200, response.text
    return receipt


async def test_the_full_lifecycle_from_filing_to_a_response(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, lead, officer = (
        auth("b1", "beneficiary"),
        auth("o1", "information_officer"),
        auth("o2", "information_officer"),
    )
    receipt = await file(client, owner)
    rid = receipt["id"]
    assigned = await act(client, lead, rid, "assignment", {"assignee": "o2"})
    assert (assigned.status_code, assigned.json()["assigned_to"]) == (200, "o2")
    assert (await act(client, officer, rid, "start")).json()["status"] == "in_progress"
    frozen_clock.set(datetime.fromisoformat("2026-03-17T10:00:00+03:00"))  # Tuesday
    paused = (await act(client, officer, rid, "clarification", QUESTION)).json()
    assert (paused["status"], paused["paused"], paused["due_date"]) == (
        "awaiting_clarification",
        True,
        None,
    )
    assert (paused["remaining_working_days"], paused["pause_count"]) == (8, 1)
    assert paused["clarifications"][0]["question"] == QUESTION["question"]
    frozen_clock.set(datetime.fromisoformat("2026-03-18T09:00:00+03:00"))  # Wednesday
    answer = {"answer": "نعم، داخل مدينة أبها فقط."}
    resumed = (await act(client, owner, rid, "clarification/answer", answer)).json()
    assert (resumed["status"], resumed["clock_origin"], resumed["due_date"]) == (
        "in_progress",
        "resumed",
        "2026-03-30",  # eight working days after Wednesday the 18th
    )
    assert resumed["clarifications"][0]["answer"] == answer["answer"]
    assert resumed["clarifications"][0]["asked_by"] is None, "officer ids hidden from requester"
    body = ANSWER | {"links": ["https://data.asir.gov.sa/roads.csv", "dataset:road-projects"]}
    decided = await act(client, officer, rid, "response", body)
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("answered", "o2")
    seen = await read(client, owner, rid)
    assert (seen["response"], seen["links"], seen["decided_by"]) == (
        ANSWER["response"],
        body["links"],
        None,
    )
    assert (seen["overdue"], seen["legal_grounds"], seen["version"]) == (False, [], 6)
    row = await stored(database, rid)
    assert row.handlers == ["o1", "o2"]
    assert row.decided_at == frozen_clock.now()
    (event,) = await events(database, "information_request.decided")
    assert (event.from_state, event.to_state, event.actor_sub) == ("in_progress", "answered", "o2")
    assert event.details["outcome"] == "answered"


async def test_assignment_defaults_to_the_caller_and_remembers_every_handler(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"))
    officer = auth("o1", "information_officer")
    assert (await act(client, officer, receipt["id"], "assignment", {})).json()[
        "assigned_to"
    ] == "o1"
    handed_on = await act(client, officer, receipt["id"], "assignment", {"assignee": "o3"})
    assert handed_on.json()["assigned_to"] == "o3"
    assert (await stored(database, receipt["id"])).handlers == ["o1", "o3"]
    first, second = await events(database, "information_request.assigned")
    assert first.details == {"assignee": "o1", "previous_assignee": None}
    assert second.details == {"assignee": "o3", "previous_assignee": "o1"}
    assert (second.from_state, second.to_state) == ("submitted", "submitted")


@pytest.mark.parametrize(
    ("action", "body", "from_state"),
    [
        ("start", None, "in_progress"),
        ("clarification", QUESTION, "submitted"),
        ("response", ANSWER, "submitted"),
    ],
)
async def test_a_transition_not_allowed_is_409_naming_the_current_state(
    client: httpx.AsyncClient,
    auth: Auth,
    action: str,
    body: dict[str, Any] | None,
    from_state: str,
) -> None:
    officer = auth("o1", "information_officer")
    receipt = await file(client, auth("b1", "beneficiary"))
    if from_state == "in_progress":
        await act(client, officer, receipt["id"], "start")
    response = await act(
        client,
        officer,
        receipt["id"],
        action,
        body,
    )
    problem = response.json()
    assert (response.status_code, problem["code"]) == (409, "invalid_transition")
    assert from_state in problem["detail"]


async def test_a_decided_request_takes_no_further_transition(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    officer, owner = auth("o1", "information_officer"), auth("b1", "beneficiary")
    receipt = await started(client, auth)
    assert (await act(client, officer, receipt["id"], "response", ANSWER)).status_code == 200
    headers = officer | {"Accept-Language": "en"}
    for action, body in [
        ("assignment", {}),
        ("clarification", QUESTION),
        ("response", refusal()),
        ("start", None),
    ]:
        response = await act(client, headers, receipt["id"], action, body)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
        assert "Cannot move from answered" in response.json()["detail"]
    answer = await act(client, owner, receipt["id"], "clarification/answer", {"answer": "نعم"})
    assert (answer.status_code, answer.json()["code"]) == (409, "invalid_transition")
    assert len(await events(database, "information_request.decided")) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (refusal(legal_grounds=[]), "legal_ground_required"),
        (refusal(explanation=None), "legal_ground_required"),
        (refusal(outcome="partially_answered", legal_grounds=[]), "legal_ground_required"),
        (refusal(legal_grounds=[{"ground": "other_law"}]), "citation_required"),
        (refusal(legal_grounds=[{"ground": "other_law", "citation": " "}]), "validation_failed"),
        (ANSWER | {"legal_grounds": [{"ground": "national_security"}]}, "validation_failed"),
        (refusal(outcome="not_held"), "validation_failed"),
        (refusal(legal_grounds=[{"ground": "banana"}]), "validation_failed"),
        (refusal(legal_grounds=[{"ground": "classified_record"}] * 2), "validation_failed"),
        (ANSWER | {"links": ["ftp://files.example/x"]}, "validation_failed"),
        (ANSWER | {"links": ["dataset:Not A Slug"]}, "validation_failed"),
    ],
)
async def test_refusals_need_legal_grounds_and_an_explanation(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    body: dict[str, Any],
    code: str,
) -> None:
    receipt = await started(client, auth)
    response = await act(client, auth("o1", "information_officer"), receipt["id"], "response", body)
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert (await stored(database, receipt["id"])).status == "in_progress"


@pytest.mark.parametrize(
    ("outcome", "grounds"),
    [
        ("refused", [{"ground": "other_law", "citation": "نظام حماية البيانات الشخصية، م 11"}]),
        ("partially_answered", [{"ground": "protected_personal_data"}]),
        ("refused", [{"ground": "national_security"}, {"ground": "classified_record"}]),
    ],
)
async def test_a_refusal_with_grounds_and_an_explanation_is_recorded(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    outcome: str,
    grounds: list[dict[str, str]],
) -> None:
    receipt = await started(client, auth)
    body = refusal(outcome=outcome, legal_grounds=grounds)
    response = await act(client, auth("o1", "information_officer"), receipt["id"], "response", body)
    assert response.status_code == 200, response.text
    detail = await read(client, auth("b1", "beneficiary"), receipt["id"])
    assert detail["status"] == outcome
    assert detail["legal_grounds"] == [{"citation": None} | ground for ground in grounds]
    assert detail["explanation"] == EXPLANATION
    (event,) = await events(database, "information_request.decided")
    assert event.details["legal_grounds"] == [ground["ground"] for ground in grounds]


async def test_not_held_needs_no_ground(client: httpx.AsyncClient, auth: Auth) -> None:
    receipt = await started(client, auth)
    body = {"outcome": "not_held", "response": {"ar": "المعلومات لدى أمانة منطقة عسير"}}
    response = await act(client, auth("o1", "information_officer"), receipt["id"], "response", body)
    assert (response.status_code, response.json()["status"]) == (200, "not_held")


@pytest.mark.parametrize("stage", ["submitted", "in_progress", "awaiting_clarification"])
async def test_the_requester_withdraws_before_a_decision(
    client: httpx.AsyncClient, auth: Auth, database: Database, stage: str
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await file(client, owner)
    if stage != "submitted":
        await act(client, officer, receipt["id"], "start")
    if stage == "awaiting_clarification":
        await act(client, officer, receipt["id"], "clarification", QUESTION)
    response = await act(client, owner, receipt["id"], "withdraw")
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    assert response.json()["withdrawn_at"] is not None
    (event,) = await events(database, "information_request.withdrawn")
    assert (event.from_state, event.to_state, event.actor_sub) == (stage, "withdrawn", "b1")
    again = await act(client, owner, receipt["id"], "withdraw")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


async def test_a_decided_request_cannot_be_withdrawn_nor_by_someone_else(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    owner = auth("b1", "beneficiary")
    receipt = await started(client, auth)
    other = await act(client, auth("b2", "beneficiary"), receipt["id"], "withdraw")
    assert (other.status_code, other.json()["code"]) == (404, "information_request_not_found")
    stranger_answer = await act(
        client, auth("b2", "beneficiary"), receipt["id"], "clarification/answer", {"answer": "x"}
    )
    assert stranger_answer.status_code == 404
    await act(client, auth("o1", "information_officer"), receipt["id"], "response", ANSWER)
    late = await act(client, owner | {"Accept-Language": "en"}, receipt["id"], "withdraw")
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")
    assert "answered" in late.json()["detail"]


async def test_a_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await started(client, auth)
    officer = auth("o1", "information_officer")
    stale = officer | {"If-Match": 'W/"1"'}
    response = await act(client, stale, receipt["id"], "response", ANSWER)
    assert (response.status_code, response.json()["code"]) == (412, "precondition_failed")
    assert response.headers["etag"] == 'W/"2"'
    assert (await stored(database, receipt["id"])).status == "in_progress"
    fresh = await act(client, officer | {"If-Match": 'W/"2"'}, receipt["id"], "response", ANSWER)
    assert (fresh.status_code, fresh.headers["etag"]) == (200, 'W/"3"')


async def test_the_requester_reads_the_history_with_roles_not_officer_ids(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await file(client, owner)
    await act(client, officer, receipt["id"], "assignment", {"assignee": "o2"})
    await act(client, officer, receipt["id"], "start")
    await act(client, officer, receipt["id"], "response", ANSWER)
    history = (await client.get(f"{BASE}/{receipt['id']}/history", headers=owner)).json()
    assert [item["action"] for item in history["items"]] == [
        "information_request.received",
        "information_request.assigned",
        "information_request.started",
        "information_request.decided",
    ]
    assert [item["actor_role"] for item in history["items"]] == [
        "beneficiary",
        "information_officer",
        "information_officer",
        "information_officer",
    ]
    assert {item["actor"] for item in history["items"]} == {None}
    assert "o2" not in str(history)
    staff = (await client.get(f"{BASE}/{receipt['id']}/history", headers=officer)).json()
    assert [item["actor"] for item in staff["items"]] == ["b1", "o1", "o1", "o1"]
    assert staff["items"][1]["details"]["assignee"] == "o2"


ROUTES = [
    ("assignment", {}, "beneficiary"),
    ("start", None, "appeals_officer"),
    ("clarification", QUESTION, "beneficiary"),
    ("response", ANSWER, "participation_officer"),
    ("clarification/answer", {"answer": "نعم"}, "information_officer"),
    ("withdraw", None, "information_officer"),
]


@pytest.mark.parametrize(("action", "body", "wrong_role"), ROUTES)
async def test_every_transition_refuses_anonymous_callers_and_wrong_roles(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    action: str,
    body: dict[str, Any] | None,
    wrong_role: str,
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"))
    anonymous = await act(client, {}, receipt["id"], action, body)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    wrong = await act(client, auth("x1", wrong_role), receipt["id"], action, body)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "forbidden")
    row = await stored(database, receipt["id"])
    assert (row.status, row.version) == ("submitted", 1)


async def test_starting_an_unassigned_request_assigns_it_to_the_starter(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await started(client, auth)
    row = await stored(database, receipt["id"])
    assert (row.assigned_to, row.handlers) == ("o1", ["o1"])
    (event,) = await events(database, "information_request.started")
    assert (event.from_state, event.to_state, event.actor_sub) == ("submitted", "in_progress", "o1")

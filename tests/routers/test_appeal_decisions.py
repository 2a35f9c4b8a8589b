"""Deciding appeals through HTTP: review, conflict of interest, reopening, withdrawal, access."""

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from tests.routers.test_appeals import (
    Auth,
    add_request,
    events,
    filed,
    stored,
    stored_request,
)

REASONING = {"ar": "لم يُبيَّن السند النظامي", "en": "No legal ground was given"}


def decision(outcome: str = "upheld") -> dict[str, Any]:
    return {"outcome": outcome, "reasoning": REASONING}


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    appeal_id: str,
    action: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(f"/v1/appeals/{appeal_id}/{action}", json=body, headers=headers)


@pytest.fixture
async def appeal(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> dict[str, Any]:
    """b1's refusal appeal on a request assigned by io-assigner, handled by io-handler and
    decided by io-decider (who, as with old data, is not listed among the handlers)."""
    return await filed(client, auth("b1", "beneficiary"), await add_request(database))


# -- review --------------------------------------------------------------------------------------


async def test_an_officer_takes_up_a_submitted_appeal_once(
    client: httpx.AsyncClient, auth: Auth, database: Database, appeal: dict[str, Any]
) -> None:
    officer = auth("ao1", "appeals_officer")
    response = await act(client, officer | {"If-Match": 'W/"1"'}, appeal["id"], "review")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["reviewer"]) == ("under_review", "ao1")
    assert response.headers["etag"] == 'W/"2"'
    (event,) = await events(database, "appeal.review_started")
    assert (event.from_state, event.to_state, event.actor_sub) == (
        "submitted",
        "under_review",
        "ao1",
    )
    again = await act(client, officer, appeal["id"], "review")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert "under_review" in again.json()["detail"]


@pytest.mark.parametrize("officer", ["io-assigner", "io-handler", "io-decider"])
@pytest.mark.parametrize("action", ["review", "decision"])
async def test_an_officer_who_touched_the_request_cannot_review_or_decide_its_appeal(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    appeal: dict[str, Any],
    officer: str,
    action: str,
) -> None:
    body = decision() if action == "decision" else None
    conflicted = auth(officer, "appeals_officer", "information_officer")
    response = await act(client, conflicted, appeal["id"], action, body)
    assert (response.status_code, response.json()["code"]) == (409, "conflict_of_interest")
    row = await stored(database, appeal["id"])
    assert (row.status, row.version, row.reviewer_sub) == ("submitted", 1, None)
    request = await stored_request(database, appeal["request_id"])
    assert (request.status, request.version) == ("refused", 1)
    impartial = await act(client, auth("ao2", "appeals_officer"), appeal["id"], action, body)
    assert impartial.status_code == 200, impartial.text


# -- decisions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["upheld", "partially_upheld"])
@pytest.mark.parametrize(
    ("decided_at", "due_date"),
    [
        # Tuesday 14:59 in Riyadh, before the cut-off: day 0 is that Tuesday.
        (datetime(2026, 3, 17, 11, 59, tzinfo=UTC), date(2026, 3, 31)),
        # Tuesday 15:00, at the cut-off: day 0 is Wednesday.
        (datetime(2026, 3, 17, 12, 0, tzinfo=UTC), date(2026, 4, 1)),
    ],
)
async def test_upholding_reopens_the_request_with_a_deadline_from_the_decision(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    appeal: dict[str, Any],
    outcome: str,
    decided_at: datetime,
    due_date: date,
) -> None:
    frozen_clock.set(decided_at)
    response = await act(
        client, auth("ao1", "appeals_officer"), appeal["id"], "decision", decision(outcome)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["reasoning"], body["decided_by"]) == (outcome, REASONING, "ao1")
    assert body["decided_at"].startswith(decided_at.isoformat()[:19])
    request = await stored_request(database, appeal["request_id"])
    assert (request.status, request.due_date, request.clock_origin) == (
        "in_progress",
        due_date,
        "reopened",
    )
    assert (request.clock_started_at, request.clock_working_days) == (decided_at, 10)
    assert (request.decided_by, request.decided_at) == (None, None)
    (reopened,) = await events(database, "information_request.reopened")
    assert (reopened.from_state, reopened.to_state) == ("refused", "in_progress")
    assert reopened.details["appeal_id"] == appeal["id"]
    (decided,) = await events(database, "appeal.decided")
    assert (decided.from_state, decided.to_state) == ("submitted", outcome)
    assert decided.details == {
        "outcome": outcome,
        "request_id": appeal["request_id"],
        "request_due_date": due_date.isoformat(),
    }


async def test_rejection_leaves_the_request_refused(
    client: httpx.AsyncClient, auth: Auth, database: Database, appeal: dict[str, Any]
) -> None:
    officer = auth("ao1", "appeals_officer")
    await act(client, officer, appeal["id"], "review")
    response = await act(client, officer, appeal["id"], "decision", decision("rejected"))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    request = await stored_request(database, appeal["request_id"])
    assert (request.status, request.version, request.decided_by) == ("refused", 1, "io-decider")
    assert await events(database, "information_request.reopened") == []
    (event,) = await events(database, "appeal.decided")
    assert (event.from_state, event.to_state) == ("under_review", "rejected")


async def test_a_decided_appeal_cannot_be_decided_reviewed_or_withdrawn_again(
    client: httpx.AsyncClient, auth: Auth, appeal: dict[str, Any]
) -> None:
    officer, owner = auth("ao1", "appeals_officer"), auth("b1", "beneficiary")
    assert (await act(client, officer, appeal["id"], "decision", decision())).status_code == 200
    for headers, action, body in [
        (auth("ao2", "appeals_officer"), "decision", decision("rejected")),
        (officer, "review", None),
        (owner, "withdraw", None),
    ]:
        response = await act(client, headers, appeal["id"], action, body)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
        assert "upheld" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "upheld"},
        {"outcome": "upheld", "reasoning": {"en": "no Arabic"}},
        {"outcome": "quashed", "reasoning": REASONING},
        {"outcome": "withdrawn", "reasoning": REASONING},
    ],
)
async def test_a_decision_needs_a_known_outcome_and_reasoning(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    appeal: dict[str, Any],
    body: dict[str, Any],
) -> None:
    response = await act(client, auth("ao1", "appeals_officer"), appeal["id"], "decision", body)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert (await stored(database, appeal["id"])).status == "submitted"


async def test_a_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, auth: Auth, database: Database, appeal: dict[str, Any]
) -> None:
    officer = auth("ao1", "appeals_officer")
    await act(client, officer, appeal["id"], "review")
    stale = auth("ao2", "appeals_officer") | {"If-Match": 'W/"1"'}
    response = await act(client, stale, appeal["id"], "decision", decision())
    assert (response.status_code, response.json()["code"]) == (412, "precondition_failed")
    assert response.headers["etag"] == 'W/"2"'
    assert (await stored(database, appeal["id"])).status == "under_review"
    assert (await stored_request(database, appeal["request_id"])).status == "refused"
    fresh = officer | {"If-Match": 'W/"2"'}
    assert (await act(client, fresh, appeal["id"], "decision", decision())).status_code == 200


# -- withdrawal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reviewed", [False, True])
async def test_the_appellant_withdraws_before_a_decision(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    appeal: dict[str, Any],
    reviewed: bool,
) -> None:
    if reviewed:
        await act(client, auth("ao1", "appeals_officer"), appeal["id"], "review")
    former = "under_review" if reviewed else "submitted"
    response = await act(client, auth("b1", "beneficiary"), appeal["id"], "withdraw")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["withdrawn_at"]) == ("withdrawn", "2026-03-15T09:00:00Z")
    (event,) = await events(database, "appeal.withdrawn")
    assert (event.from_state, event.to_state, event.actor_sub) == (former, "withdrawn", "b1")
    assert (await stored_request(database, appeal["request_id"])).status == "refused"


async def test_only_the_appellant_may_withdraw(
    client: httpx.AsyncClient, auth: Auth, database: Database, appeal: dict[str, Any]
) -> None:
    response = await act(client, auth("b2", "beneficiary"), appeal["id"], "withdraw")
    assert (response.status_code, response.json()["code"]) == (404, "appeal_not_found")
    officer = await act(client, auth("ao1", "appeals_officer"), appeal["id"], "withdraw")
    assert officer.status_code == 403
    assert (await stored(database, appeal["id"])).status == "submitted"


# -- access --------------------------------------------------------------------------------------

ROUTES = [
    ("POST", "/v1/information-requests/{request_id}/appeals", "appeals_officer"),
    ("GET", "/v1/appeals", "information_officer"),
    ("GET", "/v1/appeals/{id}", "admin"),
    ("GET", "/v1/appeals/{id}/history", "analyst"),
    ("POST", "/v1/appeals/{id}/review", "beneficiary"),
    ("POST", "/v1/appeals/{id}/decision", "information_officer"),
    ("POST", "/v1/appeals/{id}/withdraw", "appeals_officer"),
]
BODIES = {
    "/appeals": {"ground": "refusal", "statement": "x"},
    "/decision": decision(),
}


@pytest.mark.parametrize(("method", "path", "wrong_role"), ROUTES)
async def test_every_route_refuses_anonymous_callers_and_wrong_roles(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    appeal: dict[str, Any],
    method: str,
    path: str,
    wrong_role: str,
) -> None:
    url = path.format(id=appeal["id"], request_id=appeal["request_id"])
    body = next((body for suffix, body in BODIES.items() if path.endswith(suffix)), None)
    anonymous = await client.request(method, url, json=body)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    wrong = await client.request(method, url, json=body, headers=auth("x1", wrong_role))
    assert (wrong.status_code, wrong.json()["code"]) == (403, "forbidden")
    garbled = await client.request(method, url, json=body, headers={"Authorization": "Bearer x y"})
    assert garbled.json()["code"] == "invalid_token"
    assert "reason" not in garbled.json(), "only errors that declare it carry a reason member"
    row = await stored(database, appeal["id"])
    assert (row.status, row.version) == ("submitted", 1)

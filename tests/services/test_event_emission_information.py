"""The outbox through the real API, for information requests and appeals: each transition
writes its event with the requester, the handling officer (or the officers' role), the version,
and codes and dates, never the subject, the statement, the answer or the legal explanation.
"""

from typing import Any

import httpx
import pytest

from app.core.db import Database
from tests.routers import test_appeal_decisions as appeal_decisions
from tests.routers.test_appeals import STATEMENT, add_request, filed, stored_request
from tests.routers.test_information_requests import BASE, CONTACT, Auth, act, file, filing
from tests.routers.test_request_handling import ANSWER, QUESTION, refusal
from tests.services.test_event_emission import (
    PERSONAL,
    assert_private,
    etag,
    inbox,
    ok,
    the_event,
    types_about,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, 12:00 in Riyadh
CITATION = "نظام الوثائق والمحفوظات، المادة 9"


# -- information requests ------------------------------------------------------------------------


async def test_a_filed_request_is_announced_with_its_deadline_but_not_its_subject(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"), contact=CONTACT)
    event = await the_event(database, "request.received", receipt["id"])
    assert (event.reference, event.owner_sub, event.handler_sub) == (
        receipt["reference"],
        "b1",
        None,
    )
    assert (event.audience_roles, event.resource_version) == (["information_officer"], 1)
    assert event.data == {
        "status": "submitted",
        "category": "reports_statistics",
        "due_date": receipt["due_date"],
        "due_date_hijri": receipt["due_date_hijri"],
    }
    assert await inbox(database, event) == [("b1", None)]
    assert_private(event, filing()["subject"], filing()["description"], *PERSONAL)


async def test_the_assigned_officer_hears_of_an_assignment_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner, lead = auth("b1", "beneficiary"), auth("o1", "information_officer")
    handed = await file(client, owner)
    response = await act(client, lead, handed["id"], "assignment", {"assignee": "o2"})
    event = await the_event(database, "request.assigned", handed["id"])
    assert (event.owner_sub, event.handler_sub, event.audience_roles) == ("b1", "o2", [])
    assert event.data == {
        "status": "submitted",
        "due_date": handed["due_date"],
        "due_date_hijri": handed["due_date_hijri"],
    }
    assert event.resource_version == etag(response)
    assert await inbox(database, event) == [("o2", None)]
    ok(await act(client, auth("o2", "information_officer"), handed["id"], "start"))
    assert await types_about(database, handed["id"]) == ["request.received", "request.assigned"]
    taken = await file(client, owner)
    ok(await act(client, lead, taken["id"], "start"))  # unassigned: the starter takes it
    event = await the_event(database, "request.assigned", taken["id"])
    assert (event.handler_sub, event.data["status"]) == ("o1", "in_progress")
    assert await inbox(database, event) == [("o1", None)]


async def test_a_clarification_goes_to_the_requester_and_the_answer_to_the_officer(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await file(client, owner)
    ok(await act(client, officer, receipt["id"], "start"))
    paused = await act(client, officer, receipt["id"], "clarification", QUESTION)
    asked = await the_event(database, "request.clarification_requested", receipt["id"])
    assert (asked.owner_sub, asked.handler_sub, asked.resource_version) == (
        "b1",
        "o1",
        etag(paused),
    )
    assert asked.data == {"status": "awaiting_clarification", "remaining_working_days": 10}
    assert await inbox(database, asked) == [("b1", None)]
    answer = {"answer": "نعم، داخل مدينة أبها فقط"}
    resumed = ok(await act(client, owner, receipt["id"], "clarification/answer", answer))
    answered = await the_event(database, "request.clarification_answered", receipt["id"])
    assert answered.data == {
        "status": "in_progress",
        "remaining_working_days": 10,
        "due_date": resumed["due_date"],
        "due_date_hijri": resumed["due_date_hijri"],
    }
    assert answered.resource_version == resumed["version"]
    assert await inbox(database, answered) == [("o1", None)]
    for event in (asked, answered):
        assert_private(event, QUESTION["question"]["ar"], answer["answer"], filing()["subject"])


NOT_HELD = {"outcome": "not_held", "response": {"ar": "المعلومات لدى أمانة منطقة عسير"}}


@pytest.mark.parametrize(
    ("decision", "grounds"),
    [
        (ANSWER, []),
        (refusal(outcome="partially_answered"), ["classified_record"]),
        (refusal(legal_grounds=[{"ground": "other_law", "citation": CITATION}]), ["other_law"]),
        (NOT_HELD, []),
    ],
    ids=["answered", "partially_answered", "refused", "not_held"],
)
async def test_each_outcome_is_its_own_event_with_ground_codes_only(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    decision: dict[str, Any],
    grounds: list[str],
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"))
    ok(await act(client, auth("o1", "information_officer"), receipt["id"], "start"))
    decider = auth("o2", "information_officer")
    decided = ok(await act(client, decider, receipt["id"], "response", decision))
    event = await the_event(database, f"request.{decision['outcome']}", receipt["id"])
    assert (event.owner_sub, event.handler_sub, event.audience_roles) == ("b1", "o2", [])
    assert event.data == {
        "status": decision["outcome"],
        "decided_on_time": True,
        "legal_grounds": grounds,
    }
    assert event.resource_version == decided["version"]
    assert await inbox(database, event) == [("b1", None)]
    texts = [*decision["response"].values(), *decision.get("explanation", {}).values()]
    assert_private(event, CITATION, *texts)


async def test_a_withdrawn_request_is_recorded_for_the_feed(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner = auth("b1", "beneficiary")
    receipt = await file(client, owner)
    withdrawn = ok(await act(client, owner, receipt["id"], "withdraw"))
    event = await the_event(database, "request.withdrawn", receipt["id"])
    assert (event.data, event.owner_sub) == ({"status": "withdrawn"}, "b1")
    assert event.resource_version == withdrawn["version"]
    assert await inbox(database, event) == [], "the feed's business, nobody's inbox"


# -- appeals -------------------------------------------------------------------------------------


async def test_a_filed_appeal_names_the_request_and_its_deadline_not_the_statement(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    request_id = await add_request(database)
    appeal = await filed(client, auth("b1", "beneficiary"), request_id)
    event = await the_event(database, "appeal.filed", appeal["id"])
    request = await stored_request(database, request_id)
    assert (event.reference, event.owner_sub, event.handler_sub) == (
        appeal["reference"],
        "b1",
        None,
    )
    assert (event.audience_roles, event.resource_version) == (["appeals_officer"], 1)
    assert event.data == {
        "status": "submitted",
        "ground": "refusal",
        "request_id": request_id,
        "request_reference": request.reference,
        "due_date": appeal["due_date"],
        "due_date_hijri": appeal["due_date_hijri"],
    }
    assert await inbox(database, event) == [("b1", None)]
    assert_private(event, STATEMENT, request.subject)


@pytest.mark.parametrize("outcome", ["upheld", "rejected"])
async def test_a_decided_appeal_says_whether_the_request_was_reopened(
    client: httpx.AsyncClient, auth: Auth, database: Database, outcome: str
) -> None:
    request_id = await add_request(database)
    appeal = await filed(client, auth("b1", "beneficiary"), request_id)
    officer = auth("ao-1", "appeals_officer")
    body = appeal_decisions.decision(outcome)
    decided = ok(await appeal_decisions.act(client, officer, appeal["id"], "decision", body))
    event = await the_event(database, "appeal.decided", appeal["id"])
    assert (event.owner_sub, event.handler_sub, event.resource_version) == (
        "b1",
        "ao-1",
        decided["version"],
    )
    expected: dict[str, Any] = {"status": outcome, "request_id": request_id}
    if outcome == "upheld":
        request = await stored_request(database, request_id)
        assert request.due_date is not None
        due = ok(await client.get(f"{BASE}/{request_id}", headers=auth("b1", "beneficiary")))
        expected |= {"request_reopened": True, "request_due_date": request.due_date.isoformat()}
        expected["request_due_date_hijri"] = due["due_date_hijri"]
    else:
        expected["request_reopened"] = False
    assert event.data == expected
    assert await inbox(database, event) == [("b1", None)]
    assert_private(event, *appeal_decisions.REASONING.values(), STATEMENT)


async def test_a_withdrawn_appeal_is_recorded(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner = auth("b1", "beneficiary")
    appeal = await filed(client, owner, await add_request(database))
    ok(await appeal_decisions.act(client, owner, appeal["id"], "withdraw"))
    event = await the_event(database, "appeal.withdrawn", appeal["id"])
    assert (event.data, event.owner_sub, event.resource_version) == (
        {"status": "withdrawn"},
        "b1",
        2,
    )

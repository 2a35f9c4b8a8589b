"""The submission workflow through HTTP: triage, decisions, withdrawal, history, lists."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from app.services import classifier
from tests.routers.test_submissions import (
    NOW,
    Auth,
    add_consultation,
    events,
    imported,
    stored,
    submit,
)

REASON = {"ar": "أُحيل إلى البلدية", "en": "Referred to the municipality"}


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    submission_id: str,
    action: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    method = "PATCH" if action == "classification" else "POST"
    path = f"/v1/submissions/{submission_id}/{action}"
    return await client.request(method, path, json=body, headers=headers)


async def test_an_officer_takes_up_a_received_submission_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    officer = auth("o1", "participation_officer")
    receipt = await submit(client, auth("b1", "beneficiary"))
    response = await act(client, officer | {"If-Match": 'W/"1"'}, receipt["id"], "review")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "under_review"
    assert response.headers["etag"] == 'W/"2"'
    (event,) = await events(database, "submission.review_started")
    assert (event.from_state, event.to_state, event.actor_sub) == ("received", "under_review", "o1")
    again = await act(client, officer, receipt["id"], "review")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


async def test_a_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    stale = auth("o1", "participation_officer") | {"If-Match": 'W/"9"'}
    response = await act(client, stale, receipt["id"], "review")
    assert response.status_code == 412
    assert response.headers["etag"] == 'W/"1"'
    assert (await stored(database, receipt["id"])).status == "received"


async def test_an_override_keeps_the_automatic_classification_beside_it(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "participation_officer")
    consultation = await add_consultation(database, topic="development_initiatives")
    receipt = await submit(client, owner, consultation_id=consultation)  # "... طريق الملك"
    override = {"topic": "government_services", "priority": "P1"}
    response = await act(client, officer, receipt["id"], "classification", override)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["topic"], body["subtopic"], body["priority"]) == (
        "government_services",
        None,
        "P1",
    )
    assert body["classification"] == {
        "auto_topic": "strategic_plans_infrastructure",
        "auto_subtopic": "roads_transport",
        "auto_priority": "P4",
        "confidence": 0.5,
        "classifier_version": classifier.current().version,
        "priority_reasons": [
            {
                "rule": "kind",
                "points": 1,
                "evidence": {"kind": "suggestion"},
                "explanation": {"ar": "اقتراح (+1)", "en": "A suggestion (+1)"},
            }
        ],
        "topic_override": "government_services",
        "subtopic_override": None,
        "priority_override": "P1",
        "overridden_by": "o1",
        "overridden_at": "2026-03-15T09:00:00Z",
    }
    seen_by_owner = (await client.get(f"/v1/submissions/{receipt['id']}", headers=owner)).json()
    assert seen_by_owner["classification"]["overridden_by"] is None
    cleared = await act(client, officer, receipt["id"], "classification", {"topic": None})
    assert (cleared.json()["topic"], cleared.json()["subtopic"], cleared.json()["priority"]) == (
        "strategic_plans_infrastructure",
        "roads_transport",
        "P1",
    )
    assert len(await events(database, "submission.classified")) == 2


async def test_classification_needs_something_to_change(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    officer = auth("o1", "participation_officer")
    for body in ({}, {"topic": "weather"}, {"priority": "P9"}):
        response = await act(client, officer, receipt["id"], "classification", body)
        assert response.status_code == 422, body


async def test_a_decided_submission_can_no_longer_be_classified(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    officer = auth("o1", "participation_officer")
    receipt = await submit(client, auth("b1", "beneficiary"))
    decision = {"disposition": "adopted", "reason": REASON}
    assert (await act(client, officer, receipt["id"], "decision", decision)).status_code == 200
    response = await act(client, officer, receipt["id"], "classification", {"priority": "P2"})
    assert (response.status_code, response.json()["code"]) == (409, "submission_closed")


@pytest.mark.parametrize(
    ("kind", "disposition", "valid"),
    [
        ("suggestion", "adopted", True),
        ("suggestion", "partially_adopted", True),
        ("comment", "not_adopted", True),
        ("comment", "duplicate", True),
        ("complaint", "resolved", True),
        ("complaint", "referred", True),
        ("complaint", "unfounded", True),
        ("complaint", "out_of_scope", True),
        ("complaint", "adopted", False),
        ("suggestion", "resolved", False),
        ("comment", "unfounded", False),
    ],
)
async def test_a_disposition_must_fit_the_kind(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    kind: str,
    disposition: str,
    valid: bool,
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"), kind=kind)
    decision = {"disposition": disposition, "reason": REASON}
    response = await act(
        client, auth("o1", "participation_officer"), receipt["id"], "decision", decision
    )
    row = await stored(database, receipt["id"])
    if valid:
        assert response.status_code == 200, response.text
        assert (row.status, row.disposition, row.decided_by) == ("decided", disposition, "o1")
        assert row.decision_reason == REASON
    else:
        assert (response.status_code, response.json()["code"]) == (422, "invalid_disposition")
        assert (row.status, row.disposition) == ("received", None)


async def test_the_submitter_sees_the_decision_but_not_who_took_it(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "participation_officer")
    receipt = await submit(client, owner, kind="complaint")
    await act(client, officer, receipt["id"], "review")
    decided = await act(
        client, officer, receipt["id"], "decision", {"disposition": "referred", "reason": REASON}
    )
    assert decided.json()["decided_by"] == "o1"
    body = (await client.get(f"/v1/submissions/{receipt['id']}", headers=owner)).json()
    assert (body["status"], body["disposition"], body["decision_reason"]) == (
        "decided",
        "referred",
        REASON,
    )
    assert body["decided_by"] is None
    assert body["decided_at"] is not None
    again = await act(
        client, officer, receipt["id"], "decision", {"disposition": "resolved", "reason": REASON}
    )
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    (event,) = await events(database, "submission.decided")
    assert (event.from_state, event.to_state) == ("under_review", "decided")
    assert event.details == {"disposition": "referred"}


async def test_a_decision_needs_an_arabic_reason(client: httpx.AsyncClient, auth: Auth) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    decision = {"disposition": "adopted", "reason": {"en": "Adopted"}}
    response = await act(
        client, auth("o1", "participation_officer"), receipt["id"], "decision", decision
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.reason.ar"]


async def test_the_submitter_withdraws_before_a_decision_only(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "participation_officer")
    first, second = await submit(client, owner), await submit(client, owner)
    response = await act(client, owner, first["id"], "withdraw")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["withdrawn_at"]) == (
        "withdrawn",
        "2026-03-15T09:00:00Z",
    )
    twice = await act(client, owner, first["id"], "withdraw")
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_transition")
    review = await act(client, officer, first["id"], "review")
    assert review.status_code == 409, "a withdrawn submission is not reviewed"
    await act(
        client, officer, second["id"], "decision", {"disposition": "adopted", "reason": REASON}
    )
    late = await act(client, owner, second["id"], "withdraw")
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")
    assert (await stored(database, second["id"])).status == "decided"


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("GET", "/history"), ("POST", "/withdraw")]
)
async def test_another_beneficiary_gets_404(
    client: httpx.AsyncClient, auth: Auth, database: Database, method: str, suffix: str
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    response = await client.request(
        method, f"/v1/submissions/{receipt['id']}{suffix}", headers=auth("b2", "beneficiary")
    )
    assert (response.status_code, response.json()["code"]) == (404, "submission_not_found")
    assert (await stored(database, receipt["id"])).status == "received"


async def test_the_submitter_reads_the_history_with_roles_not_officer_ids(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "participation_officer")
    receipt = await submit(client, owner)
    await act(client, officer, receipt["id"], "review")
    await act(
        client, officer, receipt["id"], "decision", {"disposition": "adopted", "reason": REASON}
    )
    path = f"/v1/submissions/{receipt['id']}/history"
    items = (await client.get(path, headers=owner)).json()["items"]
    assert [(i["action"], i["from_state"], i["to_state"], i["actor_role"]) for i in items] == [
        ("submission.received", None, "received", "beneficiary"),
        ("submission.review_started", "received", "under_review", "participation_officer"),
        ("submission.decided", "under_review", "decided", "participation_officer"),
    ]
    assert all(item["actor"] is None for item in items)
    staff_view = (await client.get(path, headers=officer)).json()["items"]
    assert [item["actor"] for item in staff_view] == ["b1", "o1", "o1"]


async def test_a_holiday_announced_after_filing_moves_a_complaint_due_date_later(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "participation_officer")
    complaint = await submit(client, owner, kind="complaint")
    decided = await submit(client, owner, kind="complaint")
    await act(
        client, officer, decided["id"], "decision", {"disposition": "resolved", "reason": REASON}
    )
    assert complaint["response_due_date"] == "2026-03-29"
    frozen_clock.advance(timedelta(hours=1))
    holiday = {"date": "2026-03-17", "name": {"ar": "إجازة طارئة", "en": "Emergency holiday"}}
    added = await client.post("/v1/calendar/holidays", json=holiday, headers=auth("a1", "admin"))
    assert added.status_code == 201
    response = await client.get(f"/v1/submissions/{complaint['id']}", headers=owner)
    body = response.json()
    assert (body["response_due_date"], body["response_due_date_hijri"]) == (
        "2026-03-30",
        "1447-10-11",
    )
    assert body["calendar_version"] == added.json()["calendar_version"]
    assert response.headers["etag"] == 'W/"2"', "clients holding the old ETag must re-read"
    closed = (await client.get(f"/v1/submissions/{decided['id']}", headers=owner)).json()
    assert closed["response_due_date"] == "2026-03-29", "decided complaints keep their date"
    history = (await client.get(f"/v1/submissions/{complaint['id']}/history", headers=owner)).json()
    moved = history["items"][-1]
    assert (moved["action"], moved["actor_role"]) == ("deadline.moved", "admin")
    assert (moved["details"]["from_due_date"], moved["details"]["to_due_date"]) == (
        "2026-03-29",
        "2026-03-30",
    )


# -- lists ---------------------------------------------------------------------------------------


@pytest.fixture
async def filed(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> dict[str, str]:
    """Five submissions, oldest first, in different states; names map to ids."""
    owner, officer = auth("b1", "beneficiary"), auth("o1", "participation_officer")
    consultation = await add_consultation(database, topic="strategic_plans_infrastructure")
    frozen_clock.set(NOW - timedelta(days=20))
    late = await submit(client, owner, kind="complaint", channel="portal_form")
    frozen_clock.set(NOW - timedelta(days=1))
    idea = await submit(client, owner, consultation_id=consultation, body="مقترح لتحسين الإنارة")
    frozen_clock.set(NOW)
    tafaul = await client.post(
        "/v1/submissions/imports",
        json=imported(received_at=(NOW - timedelta(hours=1)).isoformat()),
        headers=auth("i1", "channel_integrator"),
    )
    frozen_clock.set(NOW - timedelta(minutes=30))
    recent = await submit(client, auth("b2", "beneficiary"), kind="complaint")
    frozen_clock.set(NOW)
    handled = await submit(client, owner, kind="comment", channel="mobile_app")
    await act(client, officer, idea["id"], "review")
    await act(client, officer, late["id"], "classification", {"priority": "P1"})
    await act(
        client, officer, handled["id"], "decision", {"disposition": "adopted", "reason": REASON}
    )
    return {
        "late": late["id"],
        "idea": idea["id"],
        "imported": tafaul.json()["id"],
        "recent": recent["id"],
        "handled": handled["id"],
        "consultation": consultation,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["handled", "recent", "imported", "idea", "late"]),
        ({"status": "under_review"}, ["idea"]),
        ({"status": "decided"}, ["handled"]),
        ({"kind": "complaint"}, ["recent", "late"]),
        ({"channel": "tafaul"}, ["imported"]),
        ({"consultation_id": "consultation"}, ["idea"]),
        ({"topic": "strategic_plans_infrastructure"}, ["handled", "recent", "late"]),
        ({"subtopic": "municipal_services"}, ["idea"]),
        ({"priority": "P1"}, ["late"]),
        ({"overdue": "true"}, ["late"]),
        ({"overdue": "false"}, ["handled", "recent", "imported", "idea"]),
        ({"q": "الانارة"}, ["idea"]),
        ({"kind": "complaint", "overdue": "false"}, ["recent"]),
    ],
)
async def test_officers_filter_the_list(
    client: httpx.AsyncClient,
    auth: Auth,
    filed: dict[str, str],
    query: dict[str, str],
    expected: list[str],
) -> None:
    params = {key: filed.get(value, value) for key, value in query.items()}
    response = await client.get(
        "/v1/submissions", params=params, headers=auth("o1", "participation_officer")
    )
    assert response.status_code == 200, response.text
    names = {value: key for key, value in filed.items()}
    assert [names[item["id"]] for item in response.json()["items"]] == expected


async def test_list_rows_flag_overdue_complaints_and_page_newest_first(
    client: httpx.AsyncClient, auth: Auth, filed: dict[str, str]
) -> None:
    analyst = auth("a1", "analyst")
    first = (await client.get("/v1/submissions?limit=3", headers=analyst)).json()
    rest = (
        await client.get(f"/v1/submissions?limit=3&cursor={first['next_cursor']}", headers=analyst)
    ).json()
    rows = first["items"] + rest["items"]
    assert [row["id"] for row in rows][3:] == [filed["idea"], filed["late"]]
    assert rest["next_cursor"] is None
    assert {row["id"]: row["overdue"] for row in rows if row["kind"] == "complaint"} == {
        filed["recent"]: False,
        filed["late"]: True,
    }
    late = rows[-1]
    assert late["response_due_date"] < "2026-03-15"
    assert late["response_due_date_hijri"].startswith("1447-")


ROUTES = [
    ("POST", "", {"kind": "comment", "channel": "website", "body": "x"}, "analyst"),
    ("POST", "/imports", None, "beneficiary"),
    ("GET", "", None, "admin"),
    ("GET", "/{id}", None, "channel_integrator"),
    ("GET", "/{id}/history", None, "analyst"),
    ("POST", "/{id}/review", None, "beneficiary"),
    ("PATCH", "/{id}/classification", {"priority": "P2"}, "analyst"),
    ("POST", "/{id}/decision", {"disposition": "adopted", "reason": REASON}, "beneficiary"),
    ("POST", "/{id}/withdraw", None, "participation_officer"),
]


@pytest.mark.parametrize(("method", "path", "body", "wrong_role"), ROUTES)
async def test_every_route_refuses_anonymous_callers_and_wrong_roles(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    wrong_role: str,
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    if path == "/imports":
        body = imported()
    url = "/v1/submissions" + path.replace("{id}", receipt["id"])
    anonymous = await client.request(method, url, json=body)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    wrong = await client.request(method, url, json=body, headers=auth("x1", wrong_role))
    assert (wrong.status_code, wrong.json()["code"]) == (403, "forbidden")
    row = await stored(database, receipt["id"])
    assert (row.status, row.version) == ("received", 1)

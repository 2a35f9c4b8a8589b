"""Consultations through HTTP: drafting, publishing, the status the clock derives, edits, cancel."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.services.hijri import to_hijri

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
OFFICER = ("officer-1", "participation_officer")
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z

DRAFT: dict[str, Any] = {
    "title": {"ar": "تطوير الحدائق العامة في أبها", "en": "Developing public parks in Abha"},
    "summary": {"ar": "نرغب في آرائكم حول الحدائق.", "en": "We want your views on parks."},
    "topic": "development_initiatives",
    "opens_at": "2026-04-01T08:00:00+03:00",
    "closes_at": "2026-04-30T23:59:00+03:00",
    "channels": ["website", "mobile_app", "tafaul"],
}


async def create(client: httpx.AsyncClient, auth: Auth, **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/consultations", json=DRAFT | changes, headers=auth(*OFFICER))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def act(
    client: httpx.AsyncClient, auth: Auth, consultation: dict[str, Any], action: str
) -> httpx.Response:
    url = f"/v1/consultations/{consultation['id']}/{action}"
    return await client.post(url, headers=auth(*OFFICER) | EN)


async def read(
    client: httpx.AsyncClient, consultation: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.get(f"/v1/consultations/{consultation['id']}", headers=headers)


async def test_officer_drafts_a_consultation_with_a_reference_and_a_feedback_deadline(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.post("/v1/consultations", json=DRAFT, headers=auth(*OFFICER))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/v1/consultations/{body['id']}"
    assert response.headers["ETag"] == 'W/"1"'
    assert body["reference"] == "CON-2026-000001"
    assert body["status"] == "draft"
    assert body["opens_at"] == "2026-04-01T05:00:00Z"
    assert body["channels"] == ["website", "mobile_app", "tafaul"]
    assert body["live_results"] is False
    assert (body["published_at"], body["cancelled_at"]) == (None, None)
    # Closes on 30 April (Riyadh): feedback is due by the end of 30 May, Riyadh time.
    assert body["feedback_due_at"] == "2026-05-30T23:59:59.999999+03:00"
    assert body["feedback_due_at_hijri"] == to_hijri(datetime(2026, 5, 30).date())
    assert body["feedback_overdue"] is False
    second = await create(client, auth)
    assert second["reference"] == "CON-2026-000002"


async def test_a_retried_creation_with_the_same_idempotency_key_creates_one_consultation(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    headers = auth(*OFFICER) | {"Idempotency-Key": "parks-2026"}
    first = await client.post("/v1/consultations", json=DRAFT, headers=headers)
    again = await client.post("/v1/consultations", json=DRAFT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    listed = (await client.get("/v1/consultations", headers=auth(*OFFICER))).json()
    assert len(listed["items"]) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": "2026-03-31T08:00:00+03:00"}, "body.closes_at"),
        ({"closes_at": DRAFT["opens_at"]}, "body.closes_at"),
        ({"channels": []}, "body.channels"),
        ({"channels": ["email", "email"]}, "body.channels"),
        ({"channels": ["fax"]}, "body.channels.0"),
        ({"title": {"en": "No Arabic title"}}, "body.title.ar"),
        ({"title": {"ar": "عنوان\u0000مخفي"}}, "body.title.ar"),
        ({"summary": {"ar": "نص \u202eمعكوس"}}, "body.summary.ar"),
        ({"opens_at": "2026-04-01T08:00:00"}, "body.opens_at"),
        ({"topic": "sports"}, "body.topic"),
        ({"status": "open"}, "body.status"),
    ],
)
async def test_invalid_consultations_are_refused_field_by_field(
    client: httpx.AsyncClient, auth: Auth, changes: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/consultations", json=DRAFT | changes, headers=auth(*OFFICER))
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert field in [error["field"] for error in response.json()["errors"]]
    listed = (await client.get("/v1/consultations", headers=auth(*OFFICER))).json()
    assert listed["items"] == []


async def test_a_period_whose_feedback_date_has_no_hijri_date_is_refused(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    late = {"opens_at": "2077-10-01T00:00:00Z", "closes_at": "2077-11-01T00:00:00Z"}
    response = await client.post("/v1/consultations", json=DRAFT | late, headers=auth(*OFFICER))
    assert response.status_code == 422
    assert response.json()["code"] == "date_out_of_range"


async def test_publishing_before_the_opening_time_schedules_it(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    consultation = await create(client, auth)
    response = await act(client, auth, consultation, "publish")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "scheduled"
    assert response.json()["published_at"] == "2026-03-15T09:00:00Z"
    assert response.headers["ETag"] == 'W/"2"'


async def test_publishing_after_the_opening_time_opens_it_at_once(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    consultation = await create(client, auth)
    frozen_clock.set(datetime(2026, 4, 2, 10, 0, tzinfo=UTC))
    response = await act(client, auth, consultation, "publish")
    assert response.json()["status"] == "open"


async def test_the_clock_moves_a_published_consultation_from_scheduled_to_open_to_closed(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    consultation = (await act(client, auth, await create(client, auth), "publish")).json()
    seen = []
    for instant in ("2026-04-01T04:59:59Z", "2026-04-01T05:00:00Z", "2026-04-30T20:59:00Z"):
        frozen_clock.set(datetime.fromisoformat(instant))
        body = (await read(client, consultation)).json()
        seen.append((body["status"], body["version"], body["feedback_overdue"]))
    frozen_clock.set(datetime(2026, 5, 30, 20, 59, tzinfo=UTC))  # 23:59 on the due date
    seen.append(((await read(client, consultation)).json()["feedback_overdue"],))
    frozen_clock.set(datetime(2026, 5, 30, 21, 0, tzinfo=UTC))  # midnight in Riyadh
    seen.append(((await read(client, consultation)).json()["feedback_overdue"],))
    assert seen == [
        ("scheduled", 2, False),
        ("open", 2, False),
        ("closed", 2, False),
        (False,),
        (True,),
    ]


async def test_a_consultation_is_published_only_once(client: httpx.AsyncClient, auth: Auth) -> None:
    consultation = await create(client, auth)
    await act(client, auth, consultation, "publish")
    response = await act(client, auth, consultation, "publish")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "scheduled" in response.json()["detail"]


async def test_a_draft_whose_closing_time_has_passed_cannot_be_published(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    consultation = await create(client, auth)
    frozen_clock.set(datetime(2026, 5, 1, tzinfo=UTC))
    response = await act(client, auth, consultation, "publish")
    assert response.status_code == 409
    assert response.json()["code"] == "consultation_closing_passed"
    assert (await read(client, consultation, auth(*OFFICER))).json()["status"] == "draft"


@pytest.mark.parametrize(
    ("published", "moment", "before"),
    [
        (False, "2026-03-15T10:00:00Z", "draft"),
        (True, "2026-03-15T10:00:00Z", "scheduled"),
        (True, "2026-04-10T09:00:00Z", "open"),
    ],
)
async def test_draft_scheduled_and_open_consultations_can_be_cancelled(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    published: bool,
    moment: str,
    before: str,
) -> None:
    consultation = await create(client, auth)
    if published:
        frozen_clock.advance(timedelta(minutes=1))  # audit events are ordered by time
        await act(client, auth, consultation, "publish")
    frozen_clock.set(datetime.fromisoformat(moment))
    response = await act(client, auth, consultation, "cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_at"] == moment.replace("+00:00", "Z")
    history = await client.get(
        f"/v1/consultations/{consultation['id']}/history", headers=auth(*OFFICER)
    )
    last = history.json()["items"][-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "consultation.cancelled",
        before,
        "cancelled",
    )
    assert last["actor_sub"] == "officer-1"


async def test_closed_and_cancelled_consultations_cannot_be_cancelled(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    closed = await create(client, auth)
    await act(client, auth, closed, "publish")
    cancelled = await create(client, auth)
    await act(client, auth, cancelled, "cancel")
    frozen_clock.set(datetime(2026, 5, 2, tzinfo=UTC))
    for consultation, state in ((closed, "closed"), (cancelled, "cancelled")):
        response = await act(client, auth, consultation, "cancel")
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        assert f"Cannot move from {state} to cancelled" in response.json()["detail"]


async def test_an_officer_edits_a_draft_and_the_search_follows_the_new_title(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    consultation = await create(client, auth)
    changes = {"title": {"ar": "النقل العام", "en": "Public transport"}, "live_results": True}
    response = await client.patch(
        f"/v1/consultations/{consultation['id']}",
        json=changes,
        headers=auth(*OFFICER) | {"If-Match": 'W/"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == 'W/"2"'
    body = response.json()
    assert body["title"] == changes["title"]
    assert body["live_results"] is True
    assert body["summary"] == DRAFT["summary"], "fields not sent stay as they were"
    officer = auth(*OFFICER)
    found = (await client.get("/v1/consultations?q=transport", headers=officer)).json()
    gone = (await client.get("/v1/consultations?q=abha", headers=officer)).json()
    assert [item["id"] for item in found["items"]] == [consultation["id"]]
    assert gone["items"] == []


async def test_a_scheduled_consultation_can_still_be_edited_but_not_once_open(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    consultation = await create(client, auth)
    await act(client, auth, consultation, "publish")
    url, officer = f"/v1/consultations/{consultation['id']}", auth(*OFFICER) | EN
    moved = await client.patch(url, json={"channels": ["email"]}, headers=officer)
    assert moved.status_code == 200
    assert moved.json()["channels"] == ["email"]
    frozen_clock.set(datetime(2026, 4, 5, tzinfo=UTC))
    refused = await client.patch(
        url, json={"topic": "strategic_plans_infrastructure"}, headers=officer
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "consultation_not_editable"
    assert "open" in refused.json()["detail"]
    assert (await read(client, consultation)).json()["topic"] == "development_initiatives"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"closes_at": "2026-03-20T00:00:00Z"}, 422, "validation_failed"),
        ({"opens_at": "2026-05-01T00:00:00Z"}, 422, "validation_failed"),
        ({"title": None}, 422, "validation_failed"),
        ({"channels": []}, 422, "validation_failed"),
        ({"reference": "CON-1"}, 422, "validation_failed"),
    ],
)
async def test_edits_are_checked_against_the_stored_period(
    client: httpx.AsyncClient, auth: Auth, changes: dict[str, Any], status: int, code: str
) -> None:
    consultation = await create(client, auth)
    response = await client.patch(
        f"/v1/consultations/{consultation['id']}", json=changes, headers=auth(*OFFICER)
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert (await read(client, consultation, auth(*OFFICER))).json()["version"] == 1


async def test_a_scheduled_consultation_cannot_be_moved_to_close_in_the_past(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    consultation = await create(client, auth)
    await act(client, auth, consultation, "publish")
    response = await client.patch(
        f"/v1/consultations/{consultation['id']}",
        json={"opens_at": "2026-03-01T00:00:00Z", "closes_at": "2026-03-14T00:00:00Z"},
        headers=auth(*OFFICER),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "consultation_closing_passed"


@pytest.mark.parametrize(
    ("method", "action"), [("PATCH", ""), ("POST", "/publish"), ("POST", "/cancel")]
)
async def test_writes_with_a_stale_if_match_are_412_and_change_nothing(
    client: httpx.AsyncClient, auth: Auth, method: str, action: str
) -> None:
    consultation = await create(client, auth)
    url = f"/v1/consultations/{consultation['id']}"
    await client.patch(url, json={"live_results": True}, headers=auth(*OFFICER))
    response = await client.request(
        method,
        url + action,
        json={"topic": "local_policies_regulations"} if method == "PATCH" else None,
        headers=auth(*OFFICER) | {"If-Match": 'W/"1"'},
    )
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.headers["ETag"] == 'W/"2"'
    after = (await read(client, consultation, auth(*OFFICER))).json()
    assert (after["status"], after["topic"], after["version"]) == (
        "draft",
        "development_initiatives",
        2,
    )


@pytest.mark.parametrize("who", [None, ("citizen-1", "beneficiary"), ("analyst-1", "analyst")])
async def test_drafts_are_hidden_from_everyone_but_officers(
    client: httpx.AsyncClient, auth: Auth, who: tuple[str, str] | None
) -> None:
    draft = await create(client, auth)
    published = await create(client, auth, title={"ar": "استشارة منشورة"})
    await act(client, auth, published, "publish")
    headers = auth(*who) if who else {}
    response = await read(client, draft, headers | EN)
    assert response.status_code == 404
    assert response.json()["code"] == "consultation_not_found"
    assert (await read(client, published, headers)).status_code == 200
    listed = (await client.get("/v1/consultations", headers=headers)).json()
    assert [item["id"] for item in listed["items"]] == [published["id"]]
    drafts = (await client.get("/v1/consultations?status=draft", headers=headers)).json()
    assert drafts["items"] == []
    officer_view = (await client.get("/v1/consultations", headers=auth(*OFFICER))).json()
    assert {item["id"] for item in officer_view["items"]} == {draft["id"], published["id"]}


async def test_history_lists_every_transition_oldest_first_for_officers_only(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    consultation = await create(client, auth)
    url = f"/v1/consultations/{consultation['id']}"
    frozen_clock.advance(timedelta(minutes=1))
    await client.patch(url, json={"live_results": True}, headers=auth(*OFFICER))
    frozen_clock.advance(timedelta(minutes=1))
    await act(client, auth, consultation, "publish")
    body = (await client.get(url + "/history", headers=auth(*OFFICER))).json()
    steps = [(e["action"], e["from_state"], e["to_state"]) for e in body["items"]]
    assert steps == [
        ("consultation.created", None, "draft"),
        ("consultation.updated", "draft", "draft"),
        ("consultation.published", "draft", "scheduled"),
    ]
    assert body["items"][1]["details"] == {"fields": ["live_results"]}
    assert body["next_cursor"] is None
    assert (await client.get(url + "/history")).status_code == 401
    forbidden = await client.get(url + "/history", headers=auth("citizen-1", "beneficiary"))
    assert forbidden.status_code == 403


WRITES = [
    ("POST", "/v1/consultations", DRAFT),
    ("PATCH", "/v1/consultations/{id}", {"live_results": True}),
    ("POST", "/v1/consultations/{id}/publish", None),
    ("POST", "/v1/consultations/{id}/cancel", None),
    ("GET", "/v1/consultations/{id}/history", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), (("citizen-1", "beneficiary"), 403), (("importer-1", "channel_integrator"), 403)],
)
async def test_only_participation_officers_manage_consultations(
    client: httpx.AsyncClient,
    auth: Auth,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    who: tuple[str, str] | None,
    status: int,
) -> None:
    consultation = await create(client, auth)
    headers = auth(*who) if who else {}
    response = await client.request(
        method, path.format(id=consultation["id"]), json=body, headers=headers
    )
    assert response.status_code == status
    assert response.json()["code"] == ("not_authenticated" if who is None else "forbidden")
    after = (await read(client, consultation, auth(*OFFICER))).json()
    assert (after["status"], after["version"]) == ("draft", 1)

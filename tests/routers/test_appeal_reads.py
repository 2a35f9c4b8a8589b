"""Reading appeals through HTTP: scoping, history, lists and filters, overdue, calendar moves."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from tests.routers.test_appeals import NOW, Auth, add_request, events, filed, stored

REJECTION = {"outcome": "rejected", "reasoning": {"ar": "الرفض مسبب", "en": "Justified"}}
DUE_AT = datetime(2026, 3, 29, 20, 59, 59, 999999, tzinfo=UTC)  # end of 29 March in Riyadh


async def test_the_appellant_reads_the_appeal_without_the_officers_ids(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("ao1", "appeals_officer")
    receipt = await filed(client, owner, await add_request(database))
    await client.post(f"/v1/appeals/{receipt['id']}/review", headers=officer)
    response = await client.get(f"/v1/appeals/{receipt['id']}", headers=owner)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == 'W/"2"'
    body = response.json()
    assert {key: body[key] for key in receipt} == receipt | {"status": "under_review"}
    assert body["statement"] == (await stored(database, receipt["id"])).statement
    assert (body["working_days"], body["calendar_version"], body["version"]) == (10, 0, 2)
    assert (body["reviewer"], body["decided_by"], body["reasoning"]) == (None, None, None)
    seen_by_officer = (await client.get(f"/v1/appeals/{receipt['id']}", headers=officer)).json()
    assert seen_by_officer["reviewer"] == "ao1"


async def test_appellants_never_see_someone_elses_appeal_or_its_history(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    receipt = await filed(client, auth("b1", "beneficiary"), await add_request(database))
    other = auth("b2", "beneficiary")
    for path in ("", "/history"):
        response = await client.get(f"/v1/appeals/{receipt['id']}{path}", headers=other)
        assert (response.status_code, response.json()["code"]) == (404, "appeal_not_found")
    listed = (await client.get("/v1/appeals", headers=other)).json()
    assert listed == {"items": [], "next_cursor": None}


async def test_history_shows_every_transition_with_ids_for_officers_only(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("ao1", "appeals_officer")
    receipt = await filed(client, owner, await add_request(database))
    await client.post(f"/v1/appeals/{receipt['id']}/review", headers=officer)
    await client.post(f"/v1/appeals/{receipt['id']}/decision", json=REJECTION, headers=officer)
    path = f"/v1/appeals/{receipt['id']}/history"
    mine = (await client.get(path, headers=owner)).json()["items"]
    assert [(e["action"], e["from_state"], e["to_state"], e["actor_role"]) for e in mine] == [
        ("appeal.filed", None, "submitted", "beneficiary"),
        ("appeal.review_started", "submitted", "under_review", "appeals_officer"),
        ("appeal.decided", "under_review", "rejected", "appeals_officer"),
    ]
    assert {event["actor"] for event in mine} == {None}
    assert mine[2]["details"]["outcome"] == "rejected"
    officers = (await client.get(path, headers=officer)).json()["items"]
    assert [event["actor"] for event in officers] == ["b1", "ao1", "ao1"]


@pytest.fixture
async def listed(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> dict[str, str]:
    """Four appeals: b1's overdue one (filed 20 days ago) and a fresh one; b2's decided one and
    a delay appeal."""
    b1, b2 = auth("b1", "beneficiary"), auth("b2", "beneficiary")
    frozen_clock.set(NOW - timedelta(days=20))
    old_request = await add_request(database, decided_at=NOW - timedelta(days=22))
    old = await filed(client, b1, old_request)
    frozen_clock.set(NOW)
    fresh = await filed(
        client, b1, await add_request(database, "partially_answered"), "incomplete_answer"
    )
    decided = await filed(client, b2, await add_request(database, requester="b2"))
    await client.post(
        f"/v1/appeals/{decided['id']}/decision",
        json=REJECTION,
        headers=auth("ao1", "appeals_officer"),
    )
    frozen_clock.advance(timedelta(hours=4))  # after the cut-off: due one working day later
    late = await add_request(database, "in_progress", requester="b2")
    delay = await filed(client, b2, late, "delay")
    return {
        "old": old["id"],
        "fresh": fresh["id"],
        "decided": decided["id"],
        "on_delay": delay["id"],
        "late_request": late,
    }


def names_of(body: dict[str, object], ids: dict[str, str]) -> list[str]:
    names = {value: key for key, value in ids.items()}
    items = body["items"]
    assert isinstance(items, list)
    return [names[item["id"]] for item in items]


async def test_appellants_list_their_own_and_officers_all_soonest_due_first(
    client: httpx.AsyncClient, auth: Auth, listed: dict[str, str]
) -> None:
    mine = (await client.get("/v1/appeals", headers=auth("b1", "beneficiary"))).json()
    assert names_of(mine, listed) == ["old", "fresh"]
    everyone = (await client.get("/v1/appeals", headers=auth("ao1", "appeals_officer"))).json()
    assert names_of(everyone, listed)[0] == "old"
    assert names_of(everyone, listed)[-1] == "on_delay"
    row = everyone["items"][0]
    assert (row["due_date"], row["overdue"]) == ("2026-03-09", True)
    assert row["due_date_hijri"] == "1447-09-20"
    assert row["request_reference"].startswith("IR-T-")
    assert everyone["items"][-1]["due_date"] == "2026-03-30"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "submitted"}, ["old", "fresh", "on_delay"]),
        ({"status": "rejected"}, ["decided"]),
        ({"ground": "delay"}, ["on_delay"]),
        ({"ground": "incomplete_answer"}, ["fresh"]),
        ({"overdue": "true"}, ["old"]),
        ({"overdue": "false"}, ["fresh", "decided", "on_delay"]),
        ({"request_id": "late_request"}, ["on_delay"]),
        ({"ground": "refusal", "overdue": "false"}, ["decided"]),
    ],
)
async def test_officers_filter_the_list(
    client: httpx.AsyncClient,
    auth: Auth,
    listed: dict[str, str],
    query: dict[str, str],
    expected: list[str],
) -> None:
    params = {key: listed.get(value, value) for key, value in query.items()}
    response = await client.get(
        "/v1/appeals", params=params, headers=auth("ao1", "appeals_officer")
    )
    assert response.status_code == 200, response.text
    names = names_of(response.json(), listed)
    # fresh and decided share a due date; their order follows the id (filing order).
    assert names == expected


async def test_pages_follow_the_cursor_by_due_date_then_id(
    client: httpx.AsyncClient, auth: Auth, listed: dict[str, str]
) -> None:
    officer = auth("ao1", "appeals_officer")
    first = (await client.get("/v1/appeals?limit=3", headers=officer)).json()
    rest = (
        await client.get(f"/v1/appeals?limit=3&cursor={first['next_cursor']}", headers=officer)
    ).json()
    assert names_of(first, listed) == ["old", "fresh", "decided"]
    assert (names_of(rest, listed), rest["next_cursor"]) == (["on_delay"], None)
    bad = await client.get("/v1/appeals?cursor=nonsense", headers=officer)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_an_appeal_is_overdue_from_the_first_instant_after_its_due_date(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("ao1", "appeals_officer")
    receipt = await filed(client, owner, await add_request(database))
    path = f"/v1/appeals/{receipt['id']}"
    frozen_clock.set(DUE_AT)
    assert (await client.get(path, headers=owner)).json()["overdue"] is False
    assert (await client.get("/v1/appeals?overdue=true", headers=officer)).json()["items"] == []
    frozen_clock.advance(timedelta(microseconds=1))
    assert (await client.get(path, headers=owner)).json()["overdue"] is True
    overdue = (await client.get("/v1/appeals?overdue=true", headers=officer)).json()["items"]
    assert [item["id"] for item in overdue] == [receipt["id"]]
    await client.post(f"{path}/decision", json=REJECTION, headers=officer)
    assert (await client.get(path, headers=owner)).json()["overdue"] is False, "decided, late"


async def test_a_holiday_announced_after_filing_moves_the_appeal_deadline_later(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, admin = auth("b1", "beneficiary"), auth("a1", "admin")
    live = await filed(client, owner, await add_request(database))
    closed = await filed(
        client, owner, await add_request(database, "partially_answered"), "incomplete_answer"
    )
    await client.post(f"/v1/appeals/{closed['id']}/withdraw", headers=owner)
    holiday = {"date": "2026-03-24", "name": {"ar": "إجازة طارئة", "en": "Emergency holiday"}}
    response = await client.post("/v1/calendar/holidays", json=holiday, headers=admin)
    assert response.status_code == 201, response.text
    moved = await client.get(f"/v1/appeals/{live['id']}", headers=owner)
    body = moved.json()
    assert (body["due_date"], body["due_at"]) == ("2026-03-30", "2026-03-30T23:59:59.999999+03:00")
    assert body["calendar_version"] > 0
    assert moved.headers["etag"] == 'W/"2"', "clients holding the old deadline see it changed"
    assert (await stored(database, closed["id"])).due_date.isoformat() == "2026-03-29"
    (event,) = [e for e in await events(database, "deadline.moved") if e.entity_type == "appeals"]
    assert (event.entity_type, event.entity_id, event.actor_sub) == ("appeals", live["id"], "a1")
    assert event.details["from_due_date"] == "2026-03-29"
    history = (await client.get(f"/v1/appeals/{live['id']}/history", headers=owner)).json()
    assert history["items"][-1]["action"] == "deadline.moved"
    removed = await client.delete("/v1/calendar/holidays/2026-03-24", headers=admin)
    assert removed.status_code == 204
    again = (await client.get(f"/v1/appeals/{live['id']}", headers=owner)).json()
    assert again["due_date"] == "2026-03-30", "never moved earlier than communicated"

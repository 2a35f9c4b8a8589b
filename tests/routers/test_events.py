"""The integrators' event feed: strictly ordered, resumable without gaps or repeats, filtered by
type with cursors that keep working, and free of personal data."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.core.pagination import encode_cursor
from app.services import events
from app.services.event_types import EventType
from tests.routers.test_information_requests import CONTACT, file
from tests.routers.test_submissions import submit

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
FEED = "/v1/events"
ENVELOPE = {
    "id",
    "type",
    "occurred_at",
    "resource",
    "resource_id",
    "reference",
    "version",
    "audience",
    "data",
}
RECEIVED, ANSWERED, REFUSED = (
    EventType.REQUEST_RECEIVED,
    EventType.REQUEST_ANSWERED,
    EventType.REQUEST_REFUSED,
)


class Item:
    """What an event is about: the emitter reads only its table name, id and version."""

    __tablename__ = "information_requests"

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.version = 2


async def emit_all(session: AsyncSession, kinds: tuple[EventType, ...]) -> list[str]:
    written = [
        await events.emit(session, kind, Item(), reference="IR-2026-000001", owner="citizen-1")
        for kind in kinds
    ]
    await session.flush()
    return [str(event.id) for event in written]


async def happen(database: Database, *kinds: EventType) -> list[str]:
    """One committed transaction writing an event of each kind; their ids, in order."""
    async with database.sessions() as session:
        ids = await emit_all(session, kinds)
        await session.commit()
    return ids


async def page(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(FEED, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["next_cursor"], "the feed always says where to resume"
    return body


async def drain(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Every page until a short one, as a consumer would: the items and where to resume."""
    items: list[dict[str, Any]] = []
    limit = params.setdefault("limit", 100)
    while True:
        body = await page(client, headers, **params)
        items += body["items"]
        params["after"] = body["next_cursor"]
        if len(body["items"]) < limit:
            return items, body["next_cursor"]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


@pytest.fixture
def integrator(auth: Auth) -> dict[str, str]:
    return auth("int-1", "channel_integrator")


# -- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [FEED, f"{FEED}/{uuid.uuid4()}"])
async def test_anonymous_callers_and_beneficiaries_cannot_read_events(
    client: httpx.AsyncClient, auth: Auth, path: str
) -> None:
    anonymous = await client.get(path)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    beneficiary = await client.get(path, headers=auth("b1", "beneficiary"))
    assert (beneficiary.status_code, beneficiary.json()["code"]) == (403, "forbidden")


# -- order and resumption ------------------------------------------------------------------------


async def test_integrators_and_admins_read_every_change_in_the_order_it_happened(
    client: httpx.AsyncClient, auth: Auth, database: Database, integrator: dict[str, str]
) -> None:
    first = await happen(database, RECEIVED, ANSWERED)
    second = await happen(database, EventType.APPEAL_FILED)
    for reader in (integrator, auth("admin-1", "admin")):
        response = await client.get(FEED, headers=reader)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        items = response.json()["items"]
        assert ids(items) == first + second
        types = [item["type"] for item in items]
        assert types == ["request.received", "request.answered", "appeal.filed"]
    item = items[0]
    assert set(item) == ENVELOPE | {"cursor"}
    assert (item["resource"], item["reference"], item["version"]) == (
        "information_requests",
        "IR-2026-000001",
        2,
    )
    assert item["audience"] == {"owner": "citizen-1", "handler": None, "roles": []}
    assert item["occurred_at"] == "2026-03-15T09:00:00Z"


async def test_paging_with_next_cursor_sees_every_event_once_in_order(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    written: list[str] = []
    for _ in range(3):
        written += await happen(database, *[RECEIVED, ANSWERED, REFUSED] * 3)
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": 5}
    while not pages or len(pages[-1]) == 5:
        body = await page(client, integrator, **params)
        pages.append(ids(body["items"]))
        params["after"] = body["next_cursor"]
    assert [len(one) for one in pages] == [5, 5, 5, 5, 5, 2]
    assert [event_id for one in pages for event_id in one] == written
    again = await page(client, integrator, **params)
    assert again["items"] == [], "a caught-up consumer is handed nothing twice"


async def test_a_consumer_back_from_downtime_gets_exactly_the_events_after_its_cursor(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    before = await happen(database, *[RECEIVED, ANSWERED] * 6)
    seen = (await page(client, integrator, limit=4))["items"]
    old_cursor = seen[-1]["cursor"]
    while_away = await happen(database, REFUSED, RECEIVED)
    while_away += await happen(database, ANSWERED)
    caught_up, _ = await drain(client, integrator, after=old_cursor, limit=3)
    assert ids(caught_up) == before[4:] + while_away


async def test_a_caught_up_consumer_keeps_its_place_until_something_happens(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    empty = await page(client, integrator)
    assert empty["items"] == []
    still = await page(client, integrator, after=empty["next_cursor"])
    assert still["items"] == []
    news = await happen(database, ANSWERED, REFUSED)
    arrived = await page(client, integrator, after=still["next_cursor"])
    assert ids(arrived["items"]) == news


# -- the types filter ----------------------------------------------------------------------------


async def test_a_filtered_feed_resumes_without_losing_events_of_the_wanted_types(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    kinds = [RECEIVED, ANSWERED, RECEIVED, REFUSED, RECEIVED] * 3
    written = await happen(database, *kinds)
    wanted = [event_id for event_id, kind in zip(written, kinds, strict=True) if kind != RECEIVED]
    types = "request.answered,request.refused"
    first, cursor = await drain(client, integrator, types=types, limit=2)
    assert ids(first) == wanted
    unwanted_then_wanted = await happen(database, RECEIVED, RECEIVED, REFUSED, RECEIVED)
    later, _ = await drain(client, integrator, types=types, after=cursor, limit=2)
    assert ids(later) == [unwanted_then_wanted[2]]


async def test_types_may_be_comma_separated_repeated_or_both(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    written = await happen(database, RECEIVED, ANSWERED, EventType.APPEAL_FILED, REFUSED)
    query = "types=request.answered, appeal.filed&types=request.refused&types="
    response = await client.get(f"{FEED}?{query}", headers=integrator)
    assert response.status_code == 200
    assert ids(response.json()["items"]) == written[1:]


async def test_an_unknown_type_is_refused_and_the_known_ones_listed(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    await happen(database, ANSWERED)
    query = {"types": "request.answered,request.answerd"}
    response = await client.get(FEED, params=query, headers=integrator | EN)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "unknown_event_type"
    assert problem["known_types"] == sorted(kind.value for kind in EventType)
    assert "request.answered" in problem["detail"]
    assert "request.answerd" not in response.text, "the caller's input is not echoed"


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor([7]),
        encode_cursor([-1, 5]),
        encode_cursor([1, "5"]),
        encode_cursor(["2026-03-15T09:00:00+00:00", str(uuid.uuid4())]),  # another list's
    ],
)
async def test_a_cursor_this_feed_did_not_hand_out_is_refused(
    client: httpx.AsyncClient, integrator: dict[str, str], cursor: str
) -> None:
    response = await client.get(FEED, params={"after": cursor}, headers=integrator)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize("limit", [0, 101])
async def test_a_page_holds_one_to_a_hundred_events(
    client: httpx.AsyncClient, integrator: dict[str, str], limit: int
) -> None:
    response = await client.get(FEED, params={"limit": limit}, headers=integrator)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")


# -- one event -----------------------------------------------------------------------------------


async def test_one_event_reads_as_in_the_feed_without_a_cursor(
    client: httpx.AsyncClient, database: Database, integrator: dict[str, str]
) -> None:
    [event_id] = await happen(database, ANSWERED)
    [in_feed] = (await page(client, integrator))["items"]
    response = await client.get(f"{FEED}/{event_id}", headers=integrator)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {key: in_feed[key] for key in ENVELOPE}
    missing = await client.get(f"{FEED}/{uuid.uuid4()}", headers=integrator)
    assert (missing.status_code, missing.json()["code"]) == (404, "event_not_found")


# -- privacy -------------------------------------------------------------------------------------


async def test_events_of_real_changes_carry_no_personal_data(
    client: httpx.AsyncClient, auth: Auth, integrator: dict[str, str]
) -> None:
    sara = auth("b1", "beneficiary", name=CONTACT["name"], email=CONTACT["email"])
    await file(client, sara, contact=CONTACT)
    await submit(client, sara, body="الحفريات أمام منزلي في حي المنسك", contact=CONTACT)
    response = await client.get(FEED, headers=integrator)
    assert [item["type"] for item in response.json()["items"]] == [
        "request.received",
        "submission.received",
    ]
    personal = [*CONTACT.values(), "sara", "4567", "ميزانية", "أطلب", "الحفريات", "منزلي"]
    assert [value for value in personal if value in response.text] == []

"""The disclosure log through HTTP: publishing answered requests, public search, no identities."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from tests.routers.test_information_requests import BASE, CONTACT, Auth, act, events, file
from tests.routers.test_request_handling import ANSWER, refusal

LOG = "/v1/disclosure-log"
ENTRY_KEYS = {
    "id",
    "reference",
    "category",
    "outcome",
    "question",
    "answer",
    "links",
    "published_at",
}


def disclosure(**overrides: Any) -> dict[str, Any]:
    return {
        "question": {"ar": "كم صُرف على مشاريع الطرق في أبها عام 1446؟", "en": "Road spending?"},
        "answer": {"ar": "صُرف 120 مليون ريال على الطرق.", "en": "SAR 120 million."},
    } | overrides


async def decided(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, Any], **filing: Any
) -> dict[str, Any]:
    """A request filed by b1 (with contact details), started and decided by officer o1."""
    receipt = await file(client, auth("b1", "beneficiary", name="سارة"), contact=CONTACT, **filing)
    officer = auth("o1", "information_officer")
    await act(client, officer, receipt["id"], "start")
    response = await act(client, officer, receipt["id"], "response", body)
    assert response.status_code == 200, response.text
    return receipt


async def publish(
    client: httpx.AsyncClient, auth: Auth, request_id: str, **overrides: Any
) -> httpx.Response:
    return await act(
        client, auth("o1", "information_officer"), request_id, "disclosure", disclosure(**overrides)
    )


async def test_an_answered_request_is_published_without_the_requesters_identity(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    links = ["dataset:road-projects"]
    receipt = await decided(client, auth, ANSWER | {"links": links})
    response = await publish(client, auth, receipt["id"])
    assert response.status_code == 201, response.text
    entry = response.json()
    assert set(entry) == ENTRY_KEYS
    assert (entry["reference"], entry["category"], entry["outcome"]) == (
        receipt["reference"],
        "reports_statistics",
        "answered",
    )
    assert (entry["links"], entry["published_at"]) == (links, "2026-03-15T09:00:00Z")
    public = await client.get(f"{LOG}/{entry['id']}")
    assert public.json() == entry
    listing = await client.get(LOG)
    for text in (listing.text, public.text):
        # Ids are matched as quoted JSON strings: short subs also occur inside random UUIDs.
        for personal in ('"b1"', '"o1"', "سارة", "sara@example.sa", receipt["id"]):
            assert personal not in text
    (event,) = await events(database, "disclosure_entry.published")
    assert (event.actor_sub, event.entity_id) == ("o1", entry["id"])
    (on_request,) = await events(database, "information_request.disclosed")
    assert on_request.entity_id == receipt["id"]


async def test_links_given_replace_the_responses_links(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    receipt = await decided(client, auth, ANSWER | {"links": ["dataset:road-projects"]})
    response = await publish(client, auth, receipt["id"], links=[])
    assert response.json()["links"] == []


async def test_a_request_is_published_once(client: httpx.AsyncClient, auth: Auth) -> None:
    receipt = await decided(client, auth, ANSWER)
    assert (await publish(client, auth, receipt["id"])).status_code == 201
    again = await publish(client, auth, receipt["id"])
    assert (again.status_code, again.json()["code"]) == (409, "disclosure_already_published")
    assert len((await client.get(LOG)).json()["items"]) == 1


async def test_a_partial_answer_is_publishable(client: httpx.AsyncClient, auth: Auth) -> None:
    body = refusal(outcome="partially_answered", response={"ar": "نرفق الجزء المتاح"})
    receipt = await decided(client, auth, body)
    response = await publish(client, auth, receipt["id"])
    assert (response.status_code, response.json()["outcome"]) == (201, "partially_answered")


@pytest.mark.parametrize("stage", ["submitted", "in_progress", "refused", "not_held"])
async def test_only_answered_requests_are_published(
    client: httpx.AsyncClient, auth: Auth, stage: str
) -> None:
    officer = auth("o1", "information_officer")
    if stage in ("refused", "not_held"):
        body = refusal() if stage == "refused" else {"outcome": stage, "response": {"ar": "لا"}}
        receipt = await decided(client, auth, body)
    else:
        receipt = await file(client, auth("b1", "beneficiary"))
        if stage == "in_progress":
            await act(client, officer, receipt["id"], "start")
    response = await publish(client, auth, receipt["id"])
    assert (response.status_code, response.json()["code"]) == (409, "disclosure_not_allowed")
    english = await act(
        client, officer | {"Accept-Language": "en"}, receipt["id"], "disclosure", disclosure()
    )
    assert stage in english.json()["detail"]


async def test_the_log_is_searched_the_arabic_way_filtered_and_newest_first(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    roads = await decided(client, auth, ANSWER)
    await publish(client, auth, roads["id"])
    frozen_clock.advance(timedelta(hours=1))
    plans = await decided(client, auth, ANSWER, category="development_plans")
    plan_entry = disclosure(
        question={"ar": "ما مراحل المخطط الإقليمي لمنطقة عسير؟"},
        answer={"ar": "ثلاث مراحل حتى عام 2030."},
    )
    await act(client, auth("o1", "information_officer"), plans["id"], "disclosure", plan_entry)
    everything = (await client.get(LOG)).json()["items"]
    assert [item["reference"] for item in everything] == [plans["reference"], roads["reference"]]
    # Typed without hamza, with a taa marbuta as haa and Arabic-Indic digits.
    found = (await client.get(LOG, params={"q": "المخطط الاقليمي لمنطقه عسير"})).json()["items"]
    assert [item["reference"] for item in found] == [plans["reference"]]
    digits = (await client.get(LOG, params={"q": "١٢٠ مليون"})).json()["items"]
    assert [item["reference"] for item in digits] == [roads["reference"]]
    by_category = (await client.get(LOG, params={"category": "development_plans"})).json()
    assert [item["reference"] for item in by_category["items"]] == [plans["reference"]]
    first = (await client.get(LOG, params={"limit": 1})).json()
    rest = (await client.get(LOG, params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert [first["items"][0]["reference"], rest["items"][0]["reference"]] == [
        plans["reference"],
        roads["reference"],
    ]
    assert rest["next_cursor"] is None


async def test_an_unknown_entry_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{LOG}/{uuid.uuid4()}")
    assert (response.status_code, response.json()["code"]) == (404, "disclosure_entry_not_found")


async def test_publishing_refuses_anonymous_callers_and_wrong_roles(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await decided(client, auth, ANSWER)
    url = f"{BASE}/{receipt['id']}/disclosure"
    anonymous = await client.post(url, json=disclosure())
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    for role in ("beneficiary", "appeals_officer"):
        wrong = await client.post(url, json=disclosure(), headers=auth("b1", role))
        assert (wrong.status_code, wrong.json()["code"]) == (403, "forbidden")
    assert await events(database, "disclosure_entry.published") == []


async def test_the_log_is_public_to_anonymous_readers(client: httpx.AsyncClient) -> None:
    response = await client.get(LOG)
    assert (response.status_code, response.json()) == (200, {"items": [], "next_cursor": None})

"""Object scoping: one beneficiary never reaches another's items, by any route.

The owner files a submission, answers a poll, files information requests (one paused for a
clarification, one refused and appealed); another beneficiary files items of their own. For every
owner-scoped read and action, the other beneficiary gets 404 (never 403, which would confirm the
item exists) and none of the owner's data; lists and exports show them only their own items.
Everything is built through the HTTP API, as users would.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.clock import FrozenClock
from tests.routers.test_information_requests import BASE, act, filing
from tests.routers.test_polls import QUESTIONS, answers_for, poll_path
from tests.routers.test_request_handling import QUESTION, refusal
from tests.routers.test_submissions import submission

Auth = Callable[..., dict[str, str]]
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the frozen clock: Sunday 12:00 in Riyadh
EN = {"Accept-Language": "en"}
OWNER, OTHER = "scoping-owner", "scoping-other"


@dataclass
class Holdings:
    """One beneficiary's items, and every string that would betray them in a response."""

    sub: str
    submission: dict[str, Any] = field(default_factory=dict)
    poll_response: dict[str, Any] = field(default_factory=dict)
    paused_request: dict[str, Any] = field(default_factory=dict)
    refused_request: dict[str, Any] = field(default_factory=dict)
    appeal: dict[str, Any] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    def keep(self, body: dict[str, Any], *texts: str) -> dict[str, Any]:
        self.secrets += [body["id"], *texts]
        if "reference" in body:
            self.secrets.append(body["reference"])
        return body


@dataclass
class World:
    client: httpx.AsyncClient
    auth: Auth
    consultation_id: str
    owner: Holdings
    other: Holdings

    def as_owner(self) -> dict[str, str]:
        return self.auth(OWNER, "beneficiary") | EN

    def as_other(self) -> dict[str, str]:
        return self.auth(OTHER, "beneficiary") | EN


# -- building the data through the API -----------------------------------------------------------


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def open_consultation_with_poll(client: httpx.AsyncClient, auth: Auth) -> str:
    officer = auth("po-1", "participation_officer")
    draft = {
        "title": {"ar": "استشارة الحدائق", "en": "Parks consultation"},
        "summary": {"ar": "ملخص", "en": "Summary"},
        "topic": "development_initiatives",
        "opens_at": (NOW - timedelta(days=1)).isoformat(),
        "closes_at": (NOW + timedelta(days=10)).isoformat(),
        "channels": ["website", "mobile_app"],
    }
    consultation = created(await client.post("/v1/consultations", json=draft, headers=officer))
    path = f"/v1/consultations/{consultation['id']}"
    created(await client.post(f"{path}/publish", headers=officer))
    questions = {"questions": QUESTIONS}
    created(await client.put(f"{path}/poll/questions", json=questions, headers=officer))
    return str(consultation["id"])


async def file_input(world: World, holder: Holdings, headers: dict[str, str]) -> None:
    client, words = world.client, f"حديقة حي {holder.sub} السرية"
    email = f"{holder.sub}@example.sa"
    body = submission(
        kind="complaint",
        body=words,
        contact={"email": email},
        consultation_id=world.consultation_id,
    )
    holder.submission = holder.keep(
        created(await client.post("/v1/submissions", json=body, headers=headers)),
        words,
        email,
    )
    poll = (await client.get(poll_path(uuid.UUID(world.consultation_id)))).json()
    text = f"Private poll words of {holder.sub}"
    answers = {"answers": answers_for(poll, text=text)}
    url = poll_path(uuid.UUID(world.consultation_id), "/responses")
    holder.poll_response = holder.keep(
        created(await client.post(url, json=answers, headers=headers)), text
    )


async def file_request(world: World, holder: Holdings, headers: dict[str, str], n: int) -> Any:
    description = f"Request {n} of {holder.sub}: road budgets for my own street"
    email = f"{holder.sub}.{n}@example.sa"
    body = filing(description=description, contact={"email": email})
    receipt = created(await world.client.post(BASE, json=body, headers=headers))
    officer = world.auth("io-1", "information_officer")
    created(await act(world.client, officer, receipt["id"], "start"))
    return holder.keep(receipt, description, email)


async def file_requests_and_appeal(world: World, holder: Holdings, headers: dict[str, str]) -> None:
    officer = world.auth("io-1", "information_officer")
    holder.paused_request = await file_request(world, holder, headers, 1)
    created(
        await act(world.client, officer, holder.paused_request["id"], "clarification", QUESTION)
    )
    holder.refused_request = await file_request(world, holder, headers, 2)
    created(await act(world.client, officer, holder.refused_request["id"], "response", refusal()))
    statement = f"Appeal statement of {holder.sub}: no legal ground was given"
    url = f"{BASE}/{holder.refused_request['id']}/appeals"
    body = {"ground": "refusal", "statement": statement}
    holder.appeal = holder.keep(
        created(await world.client.post(url, json=body, headers=headers)), statement
    )


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock) -> World:
    consultation_id = await open_consultation_with_poll(client, auth)
    built = World(client, auth, consultation_id, Holdings(OWNER), Holdings(OTHER))
    for holder, headers in ((built.owner, built.as_owner()), (built.other, built.as_other())):
        await file_input(built, holder, headers)
        await file_requests_and_appeal(built, holder, headers)
    # An officer reads the owner's contact details: an entry in the owner's access log only.
    officer = auth("po-1", "participation_officer")
    created(await client.get(f"/v1/submissions/{built.owner.submission['id']}", headers=officer))
    return built


# -- checks --------------------------------------------------------------------------------------


async def scoping_problems(
    world: World, calls: list[tuple[str, str, dict[str, Any] | None]]
) -> list[str]:
    """What went wrong when the other beneficiary makes each call on the owner's items."""
    problems = []
    for method, url, body in calls:
        response = await world.client.request(method, url, json=body, headers=world.as_other())
        if response.status_code != 404:
            problems.append(f"{method} {url}: {response.status_code}, expected 404")
        if leaked := leaks(world, response, url):
            problems.append(f"{method} {url} leaked {leaked}")
    return problems


def leaks(world: World, response: httpx.Response, url: str = "") -> list[str]:
    """The owner's strings in a response (the id the caller sent, echoed as ``instance``, is no
    leak)."""
    return [
        secret for secret in world.owner.secrets if secret in response.text and secret not in url
    ]


async def owner_reads(world: World, urls: list[str]) -> list[str]:
    """The owner reads the same URLs: proof that the 404s are scoping, not typos."""
    problems = []
    for url in urls:
        response = await world.client.get(url, headers=world.as_owner())
        if response.status_code != 200:
            problems.append(f"GET {url}: owner got {response.status_code}")
    return problems


async def listed_ids(world: World, url: str) -> list[str]:
    response = await world.client.get(url, headers=world.as_other())
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def current(world: World, url: str) -> tuple[str, int]:
    body = (await world.client.get(url, headers=world.as_owner())).json()
    return body["status"], body["version"]


# -- submissions ---------------------------------------------------------------------------------


async def test_another_beneficiary_cannot_read_or_withdraw_the_owners_submission(
    world: World,
) -> None:
    url = f"/v1/submissions/{world.owner.submission['id']}"
    reads = [url, f"{url}/history"]
    assert await owner_reads(world, reads) == []
    before = await current(world, url)
    calls = [("GET", read, None) for read in reads] + [("POST", f"{url}/withdraw", None)]
    assert await scoping_problems(world, calls) == []
    assert await current(world, url) == before == ("received", 1)


async def test_submission_lists_show_another_beneficiary_only_their_own(world: World) -> None:
    own = [world.other.submission["id"]]
    assert await listed_ids(world, "/v1/submissions") == own
    assert (
        await listed_ids(world, f"/v1/submissions?consultation_id={world.consultation_id}") == own
    )
    assert await listed_ids(world, "/v1/submissions?q=السرية&kind=complaint") == own


async def test_an_idempotency_key_replays_only_to_the_caller_who_used_it(world: World) -> None:
    body = submission(body="نفس المحتوى")
    key = {"Idempotency-Key": "shared-key-0001"}
    first = created(
        await world.client.post("/v1/submissions", json=body, headers=world.as_owner() | key)
    )
    second = await world.client.post("/v1/submissions", json=body, headers=world.as_other() | key)
    assert second.status_code == 201, "another caller's key is a new request, not a replay"
    assert second.json()["id"] != first["id"]
    assert first["id"] not in second.text


# -- polls ---------------------------------------------------------------------------------------


async def test_another_beneficiary_never_sees_the_owners_poll_response(world: World) -> None:
    mine = poll_path(uuid.UUID(world.consultation_id), "/responses/mine")
    owner = await world.client.get(mine, headers=world.as_owner())
    assert owner.json()["id"] == world.owner.poll_response["id"]
    other = await world.client.get(mine, headers=world.as_other())
    assert other.json()["id"] == world.other.poll_response["id"]
    assert leaks(world, other) == []


async def test_the_owners_poll_response_does_not_stop_a_stranger_answering(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    consultation_id = uuid.UUID(await open_consultation_with_poll(client, auth))
    poll = (await client.get(poll_path(consultation_id))).json()
    answers = {"answers": answers_for(poll, text="owner only")}
    url = poll_path(consultation_id, "/responses")
    created(await client.post(url, json=answers, headers=auth(OWNER, "beneficiary")))
    stranger = auth(OTHER, "beneficiary") | EN
    missing = await client.get(poll_path(consultation_id, "/responses/mine"), headers=stranger)
    assert (missing.status_code, missing.json()["code"]) == (404, "poll_response_not_found")
    assert "owner only" not in missing.text
    assert (await client.post(url, json=answers, headers=stranger)).status_code == 201


# -- information requests ------------------------------------------------------------------------


async def test_another_beneficiary_cannot_read_or_act_on_the_owners_requests(
    world: World,
) -> None:
    paused = f"{BASE}/{world.owner.paused_request['id']}"
    refused = f"{BASE}/{world.owner.refused_request['id']}"
    reads = [
        f"{url}{suffix}" for url in (paused, refused) for suffix in ("", "/deadline", "/history")
    ]
    assert await owner_reads(world, reads) == []
    before = (await current(world, paused), await current(world, refused))
    appeal = {"ground": "refusal", "statement": "I appeal someone else's request"}
    calls: list[tuple[str, str, dict[str, Any] | None]] = [("GET", read, None) for read in reads]
    calls += [
        ("POST", f"{paused}/clarification/answer", {"answer": "Only Abha, please"}),
        ("POST", f"{paused}/withdraw", None),
        ("POST", f"{refused}/withdraw", None),
        ("POST", f"{refused}/appeals", appeal),
    ]
    assert await scoping_problems(world, calls) == []
    after = (await current(world, paused), await current(world, refused))
    assert after == before == (("awaiting_clarification", 3), ("refused", 3))


async def test_request_lists_show_another_beneficiary_only_their_own(world: World) -> None:
    own = {world.other.paused_request["id"], world.other.refused_request["id"]}
    assert set(await listed_ids(world, BASE)) == own
    assert set(await listed_ids(world, f"{BASE}?q=budgets")) == own
    assert await listed_ids(world, f"{BASE}?status=refused") == [world.other.refused_request["id"]]


# -- appeals -------------------------------------------------------------------------------------


async def test_another_beneficiary_cannot_read_or_withdraw_the_owners_appeal(world: World) -> None:
    url = f"/v1/appeals/{world.owner.appeal['id']}"
    reads = [url, f"{url}/history"]
    assert await owner_reads(world, reads) == []
    before = await current(world, url)
    calls = [("GET", read, None) for read in reads] + [("POST", f"{url}/withdraw", None)]
    assert await scoping_problems(world, calls) == []
    assert await current(world, url) == before == ("submitted", 1)


async def test_appeal_lists_show_another_beneficiary_only_their_own(world: World) -> None:
    assert await listed_ids(world, "/v1/appeals") == [world.other.appeal["id"]]
    owners_request = world.owner.refused_request["id"]
    assert await listed_ids(world, f"/v1/appeals?request_id={owners_request}") == []


# -- exports and other views of "my" data --------------------------------------------------------


def my_data_routes(app: FastAPI) -> list[str]:
    """Every GET under /v1/me/ without path parameters: the caller's own data, whatever exists."""
    return sorted(
        context.path
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.path.startswith("/v1/me/")
        and "GET" in context.methods
        and "{" not in context.path
    )


async def test_my_data_views_never_carry_another_beneficiarys_items(
    app: FastAPI, world: World
) -> None:
    routes = my_data_routes(app)
    if not routes:
        pytest.skip("no /v1/me/ data views in this build")
    problems = []
    for route in routes:
        response = await world.client.get(route, headers=world.as_other())
        if response.status_code != 200:
            problems.append(f"GET {route}: {response.status_code}")
        if leaked := leaks(world, response):
            problems.append(f"GET {route} leaked {leaked}")
    assert problems == []


async def test_the_export_carries_the_owners_items_and_only_theirs(
    app: FastAPI, world: World
) -> None:
    if "/v1/me/data" not in my_data_routes(app):
        pytest.skip("no /v1/me/data export in this build")
    response = await world.client.get("/v1/me/data", headers=world.as_owner())
    assert response.status_code == 200, response.text
    export = response.text
    for item in ("submission", "poll_response", "paused_request", "refused_request", "appeal"):
        assert getattr(world.owner, item)["id"] in export, item
        assert getattr(world.other, item)["id"] not in export, item

"""Datasets through HTTP: drafting, validation, slugs, public visibility, lists and statistics."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select

from app.core import clock
from app.core.db import Database
from app.core.pagination import encode_cursor
from app.models.audit_event import AuditEvent
from app.models.dataset import Dataset, DatasetKeyword
from app.models.information_request import InformationCategory
from tests.services.test_dataset_schedule import add

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
PUBLISHER = ("pub-1", "data_publisher")
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, 12:00 in Riyadh

DRAFT: dict[str, Any] = {
    "slug": "road-projects",
    "title": {"ar": "مشاريع الطرق في منطقة عسير", "en": "Road projects in the Asir Region"},
    "description": {"ar": "قائمة مشاريع الطرق وحالتها.", "en": "Road projects and their state."},
    "category": "development_plans",
    "keywords": ["طرق", "Infrastructure"],
    "publisher": "asir-municipality",
    "publisher_name": {"ar": "أمانة منطقة عسير", "en": "Asir Municipality"},
    "contact_name": "Open data office",
    "contact_email": "opendata@asir.example.sa",
    "licence_id": "CC-BY-4.0",
    "update_frequency": "monthly",
}
CSV = {
    "title": {"ar": "ملف CSV", "en": "CSV file"},
    "format": "CSV",
    "access_url": "https://data.asir.example.sa/roads",
    "download_url": "https://data.asir.example.sa/roads.csv",
}


async def create(client: httpx.AsyncClient, auth: Auth, **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/datasets", json=DRAFT | changes, headers=auth(*PUBLISHER))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def act(
    client: httpx.AsyncClient, auth: Auth, dataset: dict[str, Any], action: str
) -> httpx.Response:
    url = f"/v1/datasets/{dataset['slug']}/{action}"
    return await client.post(url, headers=auth(*PUBLISHER) | EN)


async def published(client: httpx.AsyncClient, auth: Auth, **changes: Any) -> dict[str, Any]:
    dataset = await create(client, auth, **changes)
    response = await act(client, auth, dataset, "publish")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_distribution(
    client: httpx.AsyncClient, auth: Auth, dataset: dict[str, Any], **changes: Any
) -> httpx.Response:
    url = f"/v1/datasets/{dataset['slug']}/distributions"
    return await client.post(url, json=CSV | changes, headers=auth(*PUBLISHER) | EN)


async def slugs(client: httpx.AsyncClient, query: str = "", **headers: str) -> list[str]:
    response = await client.get(f"/v1/datasets?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


async def audit_actions(database: Database, entity_id: str) -> list[str]:
    async with database.sessions() as session:
        events = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
        return [event.action for event in events]


async def test_publisher_drafts_a_dataset_that_the_public_cannot_see(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    response = await client.post("/v1/datasets", json=DRAFT, headers=auth(*PUBLISHER))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/v1/datasets/{body['id']}"
    assert response.headers["ETag"] == 'W/"1"'
    assert (body["slug"], body["status"], body["version"]) == ("road-projects", "draft", 1)
    assert body["licence"] == {
        "id": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert (body["next_release_due"], body["release_overdue"], body["distributions"]) == (
        None,
        False,
        [],
    )
    assert (await client.get("/v1/datasets/road-projects")).status_code == 404
    assert (await client.get(f"/v1/datasets/{body['id']}")).json()["code"] == "dataset_not_found"
    assert await slugs(client) == []
    mine = await client.get("/v1/datasets/road-projects", headers=auth(*PUBLISHER))
    assert (mine.status_code, mine.headers["ETag"]) == (200, 'W/"1"')
    assert await audit_actions(database, body["id"]) == ["dataset.created"]


async def test_keywords_are_shown_as_given_and_indexed_once_normalised(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    keywords = ["الطُّرق", "الطرق", "Roads", "roads ", "أبها"]
    body = await create(client, auth, keywords=keywords)
    assert body["keywords"] == ["الطُّرق", "Roads", "أبها"]
    async with database.sessions() as session:
        rows = await session.scalars(
            select(DatasetKeyword.keyword).where(DatasetKeyword.dataset_id == uuid.UUID(body["id"]))
        )
        assert sorted(rows) == sorted(["الطرق", "roads", "ابها"])
        dataset = await session.get_one(Dataset, uuid.UUID(body["id"]))
    assert "road projects in the asir region" in dataset.search_text
    assert "ابها" in dataset.search_text


async def test_creating_a_dataset_needs_the_publisher_role(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    anonymous = await client.post("/v1/datasets", json=DRAFT)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    officer = await client.post(
        "/v1/datasets", json=DRAFT, headers=auth("io-1", "information_officer")
    )
    assert (officer.status_code, officer.json()["code"]) == (403, "forbidden")
    assert await slugs(client, **auth(*PUBLISHER)) == []


@pytest.mark.parametrize(
    "slug",
    [
        "Road-Projects",
        "ro",
        "road--projects",
        "-roads",
        "roads-",
        "road_projects",
        "road projects",
        "طرق",
        "x" * 101,
        "statistics",
        "0195f3a2-7c1e-7a4b-8f3e-2b1c9d0e4f5a",
        "0195f3a27c1e7a4b8f3e2b1c9d0e4f5a",
    ],
)
async def test_invalid_slugs_are_refused_field_by_field(
    client: httpx.AsyncClient, auth: Auth, slug: str
) -> None:
    response = await client.post(
        "/v1/datasets", json=DRAFT | {"slug": slug}, headers=auth(*PUBLISHER)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert [error["field"] for error in response.json()["errors"]] == ["body.slug"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contact_email", "not-an-address"),
        ("publisher", "Asir Municipality"),
        ("keywords", ["k"] * 31),
        ("keywords", ["x" * 101]),
        ("category", "weather"),
        ("update_frequency", "hourly"),
        ("title", {"en": "English only"}),
    ],
)
async def test_other_invalid_fields_are_refused(
    client: httpx.AsyncClient, auth: Auth, field: str, value: Any
) -> None:
    response = await client.post(
        "/v1/datasets", json=DRAFT | {field: value}, headers=auth(*PUBLISHER)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith(f"body.{field}")


async def test_an_unknown_licence_is_refused_with_its_own_code(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.post(
        "/v1/datasets", json=DRAFT | {"licence_id": "MIT"}, headers=auth(*PUBLISHER) | EN
    )
    assert (response.status_code, response.json()["code"]) == (422, "unknown_licence")
    assert "MIT" in response.json()["detail"]
    assert "CC-BY-4.0" in response.json()["detail"]
    lower = await create(client, auth, licence_id="cc0-1.0")
    assert lower["licence"]["id"] == "CC0-1.0"


async def test_a_retried_create_with_the_same_idempotency_key_creates_one_dataset(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    headers = auth(*PUBLISHER) | {"Idempotency-Key": "roads-2026"}
    first = await client.post("/v1/datasets", json=DRAFT, headers=headers)
    again = await client.post("/v1/datasets", json=DRAFT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await slugs(client, **auth(*PUBLISHER)) == ["road-projects"]


async def test_a_published_dataset_is_public_by_slug_or_id(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    dataset = await published(client, auth)
    by_slug = await client.get("/v1/datasets/road-projects")
    by_id = await client.get(f"/v1/datasets/{dataset['id']}", headers=auth("b1", "beneficiary"))
    assert (by_slug.status_code, by_id.status_code) == (200, 200)
    assert by_slug.json() == by_id.json()
    assert by_slug.headers["ETag"] == f'W/"{dataset["version"]}"'
    assert (await client.get("/v1/datasets/no-such-dataset")).status_code == 404


async def test_the_public_list_holds_published_datasets_only(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await create(client, auth, slug="draft-one")
    await published(client, auth, slug="public-one")
    gone = await published(client, auth, slug="archived-one")
    assert (await act(client, auth, gone, "archive")).status_code == 200
    assert await slugs(client) == ["public-one"]
    assert await slugs(client, **auth("b1", "beneficiary")) == ["public-one"]
    assert await slugs(client, "status=draft") == []
    everything = await slugs(client, "sort=slug", **auth(*PUBLISHER))
    assert everything == ["archived-one", "draft-one", "public-one"]
    assert await slugs(client, "status=archived", **auth(*PUBLISHER)) == ["archived-one"]


async def test_filters_by_category_publisher_keyword_and_text(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await published(client, auth, slug="roads", keywords=["الطُّرق", "Asphalt"])
    await published(
        client,
        auth,
        slug="budget",
        category="reports_statistics",
        publisher="finance-office",
        title={"ar": "الميزانية السنوية لإمارة عسير", "en": "Annual budget"},
        keywords=["ميزانية"],
    )
    assert await slugs(client, "category=reports_statistics") == ["budget"]
    assert await slugs(client, "publisher=finance-office") == ["budget"]
    assert await slugs(client, "keyword=الطرق") == ["roads"]  # diacritics ignored
    assert await slugs(client, "keyword=ASPHALT") == ["roads"]
    assert await slugs(client, "keyword=asph") == []  # keywords match whole
    assert await slugs(client, "q=لاماره") == ["budget"]  # hamza and ta marbuta folded
    assert await slugs(client, "q=asphalt") == ["roads"]  # keywords are searched too
    assert await slugs(client, "q=100%25") == []
    assert await slugs(client, "category=open_data") == []


async def test_the_format_filter_looks_at_distributions(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    roads = await published(client, auth, slug="roads")
    parks = await published(client, auth, slug="parks")
    await published(client, auth, slug="empty")
    assert (await add_distribution(client, auth, roads)).status_code == 201
    assert (await add_distribution(client, auth, roads, format="JSON")).status_code == 201
    assert (await add_distribution(client, auth, parks, format="geojson")).status_code == 201
    assert await slugs(client, "format=CSV") == ["roads"]
    assert sorted(await slugs(client, "format=json")) == ["roads"]
    assert await slugs(client, "format=GEOJSON") == ["parks"]
    assert await slugs(client, "format=PDF") == []
    unknown = await client.get("/v1/datasets?format=DOC")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_format")


@contextmanager
def counting_distribution_queries(app: FastAPI) -> Iterator[list[str]]:
    engine = app.state.database.engine.sync_engine
    seen: list[str] = []

    def listen(*args: Any) -> None:
        statement = str(args[2])
        if "FROM dataset_distributions" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


async def test_list_items_carry_their_distributions_from_one_query(
    client: httpx.AsyncClient, auth: Auth, app: FastAPI
) -> None:
    for slug in ("first", "second", "third"):
        dataset = await published(client, auth, slug=slug)
        await add_distribution(client, auth, dataset)
        await add_distribution(client, auth, dataset, format="PDF")
    with counting_distribution_queries(app) as queries:
        body = (await client.get("/v1/datasets")).json()
    assert len(queries) == 1
    assert [len(item["distributions"]) for item in body["items"]] == [2, 2, 2]
    assert [item["distributions"][1]["media_type"] for item in body["items"]] == [
        "application/pdf"
    ] * 3


async def test_pages_follow_the_cursor_by_slug_and_by_modification(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: clock.FrozenClock
) -> None:
    for slug in ("delta", "alpha", "charlie", "bravo", "echo"):
        await published(client, auth, slug=slug)
        frozen_clock.advance(timedelta(minutes=1))
    first = (await client.get("/v1/datasets?sort=slug&limit=2")).json()
    second = (
        await client.get(f"/v1/datasets?sort=slug&limit=2&cursor={first['next_cursor']}")
    ).json()
    assert [item["slug"] for item in first["items"] + second["items"]] == [
        "alpha",
        "bravo",
        "charlie",
        "delta",
    ]
    newest = (await client.get("/v1/datasets?limit=3")).json()
    rest = (await client.get(f"/v1/datasets?limit=3&cursor={newest['next_cursor']}")).json()
    assert [item["slug"] for item in newest["items"] + rest["items"]] == [
        "echo",
        "bravo",
        "charlie",
        "alpha",
        "delta",
    ]
    assert rest["next_cursor"] is None
    mixed = await client.get(f"/v1/datasets?sort=slug&cursor={newest['next_cursor']}")
    assert (mixed.status_code, mixed.json()["code"]) == (400, "invalid_cursor")


async def test_statistics_count_published_datasets_and_late_releases_per_category(
    client: httpx.AsyncClient, database: Database
) -> None:
    late, on_time = date(2026, 3, 14), date(2026, 3, 15)  # today is 2026-03-15 in Riyadh
    await add(database, "open-late", "open_data", next_release_due=late)
    await add(database, "open-due-today", "open_data", next_release_due=on_time)
    await add(database, "open-irregular", "open_data", update_frequency="irregular")
    await add(database, "plans-late", "development_plans", next_release_due=late)
    await add(database, "plans-draft", "development_plans", status="draft")
    await add(database, "plans-archived", "development_plans", status="archived")
    response = await client.get("/v1/datasets/statistics")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["as_of"], body["published"], body["release_overdue"]) == ("2026-03-15", 4, 2)
    counts = {
        row["category"]: (row["published"], row["release_overdue"]) for row in body["by_category"]
    }
    assert counts == {category.value: (0, 0) for category in InformationCategory} | {
        "development_plans": (1, 1),
        "open_data": (3, 1),
    }
    assert await slugs(client, "release_overdue=true&sort=slug") == ["open-late", "plans-late"]
    on_time_ones = await slugs(client, "release_overdue=false&sort=slug")
    assert on_time_ones == ["open-due-today", "open-irregular"]


async def test_a_crafted_cursor_with_a_control_character_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # PostgreSQL refuses NUL in text: such a cursor must be a 400, never reach SQL as a 500.
    crafted = encode_cursor(["a\u0000b"])
    response = await client.get(f"/v1/datasets?sort=slug&cursor={crafted}")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")
    fine = await client.get(f"/v1/datasets?sort=slug&cursor={encode_cursor(['alpha'])}")
    assert fine.status_code == 200

"""Publishing datasets over HTTP: slugs, edits, publish, archive, distributions, releases."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Conflict
from app.core.migrations import upgrade_to_head
from app.core.security import Principal, Role
from app.models.dataset import Dataset, DatasetKeyword
from app.services import dataset_publishing as publishing
from app.services.catalogue_vocabulary import FORMATS
from app.services.hijri import to_hijri
from tests.routers.test_datasets import (
    CSV,
    DRAFT,
    EN,
    PUBLISHER,
    Auth,
    act,
    add_distribution,
    audit_actions,
    create,
    published,
    slugs,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, 12:00 in Riyadh
ROADS = "/v1/datasets/road-projects"


async def patch(
    client: httpx.AsyncClient, auth: Auth, changes: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.patch(ROADS, json=changes, headers=auth(*PUBLISHER) | EN | headers)


async def release(client: httpx.AsyncClient, auth: Auth, day: str, **extra: Any) -> httpx.Response:
    body = {"released_on": day} | extra
    return await client.post(f"{ROADS}/releases", json=body, headers=auth(*PUBLISHER) | EN)


WRITES = [
    ("PATCH", "", {"contact_name": "Another office"}),
    ("POST", "/publish", None),
    ("POST", "/archive", None),
    ("POST", "/distributions", CSV),
    ("PATCH", "/distributions/0195f3a2-7c1e-7a4b-8f3e-2b1c9d0e4f5a", {"format": "PDF"}),
    ("DELETE", "/distributions/0195f3a2-7c1e-7a4b-8f3e-2b1c9d0e4f5a", None),
    ("POST", "/releases", {"released_on": "2026-03-01"}),
    ("GET", "/history", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_publisher_routes_refuse_anonymous_callers_and_other_roles(
    client: httpx.AsyncClient, auth: Auth, method: str, path: str, body: Any
) -> None:
    await published(client, auth)
    url = f"{ROADS}{path}"
    anonymous = await client.request(method, url, json=body)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    for role in ("beneficiary", "information_officer", "admin"):
        other = await client.request(method, url, json=body, headers=auth("x", role))
        assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    assert (await client.get(ROADS)).json()["version"] == 2  # nothing changed


async def test_publishing_starts_the_schedule_one_period_later(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    draft = await create(client, auth)
    stale = await client.post(f"{ROADS}/publish", headers=auth(*PUBLISHER) | {"If-Match": 'W/"9"'})
    assert (stale.status_code, stale.headers["ETag"]) == (412, 'W/"1"')
    response = await client.post(
        f"{ROADS}/publish", headers=auth(*PUBLISHER) | {"If-Match": 'W/"1"'}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["published_at"]) == ("published", "2026-03-15T09:00:00Z")
    assert body["next_release_due"] == "2026-04-15"
    assert body["next_release_due_hijri"] == to_hijri(datetime(2026, 4, 15).date())
    assert (body["release_overdue"], response.headers["ETag"]) == (False, 'W/"2"')
    again = await act(client, auth, draft, "publish")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert await audit_actions(database, draft["id"]) == ["dataset.created", "dataset.published"]


async def test_archiving_withdraws_a_dataset_from_the_public(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    draft = await create(client, auth)
    early = await act(client, auth, draft, "archive")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    await act(client, auth, draft, "publish")
    response = await act(client, auth, draft, "archive")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["archived_at"]) == ("archived", "2026-03-15T09:00:00Z")
    assert (body["next_release_due"], body["release_overdue"]) == (None, False)
    assert (await client.get(ROADS)).status_code == 404
    assert (await client.get(f"{ROADS}/releases")).status_code == 404
    assert await slugs(client) == []
    assert (await client.get("/v1/datasets/statistics")).json()["published"] == 0
    edit = await patch(client, auth, {"contact_name": "Another office"})
    assert (edit.status_code, edit.json()["code"]) == (409, "invalid_transition")
    late_release = await release(client, auth, "2026-03-10")
    assert (late_release.status_code, late_release.json()["code"]) == (409, "invalid_transition")
    assert (await add_distribution(client, auth, draft)).status_code == 409
    actions = await audit_actions(database, draft["id"])
    assert actions == ["dataset.created", "dataset.published", "dataset.archived"]


async def test_edits_change_the_sent_fields_and_replace_the_keyword_index(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    dataset = await create(client, auth, keywords=["roads", "Abha"])
    response = await patch(
        client,
        auth,
        {"keywords": ["Abha", "bridges"], "title": {"ar": "الجسور"}, "slug": "bridges"},
        **{"If-Match": 'W/"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["slug"], body["keywords"], body["title"]) == (
        "bridges",
        ["Abha", "bridges"],
        {"ar": "الجسور", "en": None},
    )
    assert (body["version"], response.headers["ETag"]) == (2, 'W/"2"')
    async with database.sessions() as session:
        rows = await session.scalars(select(DatasetKeyword.keyword))
        assert sorted(rows) == ["abha", "bridges"]
    assert await slugs(client, "keyword=roads", **auth(*PUBLISHER)) == []
    assert await slugs(client, "q=الجسور", **auth(*PUBLISHER)) == ["bridges"]
    stale = await client.patch(
        "/v1/datasets/bridges",
        json={"slug": "x-y"},
        headers=auth(*PUBLISHER) | {"If-Match": 'W/"1"'},
    )
    assert stale.status_code == 412
    assert await audit_actions(database, dataset["id"]) == ["dataset.created", "dataset.updated"]


async def test_a_published_dataset_keeps_its_slug(client: httpx.AsyncClient, auth: Auth) -> None:
    await published(client, auth)
    moved = await patch(client, auth, {"slug": "other-roads"})
    assert (moved.status_code, moved.json()["code"]) == (409, "slug_not_editable")
    same = await patch(client, auth, {"slug": "road-projects", "contact_name": "Roads office"})
    assert (same.status_code, same.json()["contact_name"]) == (200, "Roads office")


async def test_a_taken_slug_is_a_conflict(client: httpx.AsyncClient, auth: Auth) -> None:
    await create(client, auth)
    again = await client.post("/v1/datasets", json=DRAFT, headers=auth(*PUBLISHER) | EN)
    assert (again.status_code, again.json()["code"]) == (409, "slug_taken")
    assert "road-projects" in again.json()["detail"]


async def test_the_unique_constraint_catches_a_slug_the_first_check_missed(
    client: httpx.AsyncClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create(client, auth)

    async def sees_nothing(*_args: object) -> None:
        return None  # as a concurrent create would, before the first one commits

    monkeypatch.setattr(publishing, "_slug_owner", sees_nothing)
    again = await client.post("/v1/datasets", json=DRAFT, headers=auth(*PUBLISHER))
    assert (again.status_code, again.json()["code"]) == (409, "slug_taken")
    assert len(await slugs(client, **auth(*PUBLISHER))) == 1


async def test_concurrent_creates_of_one_slug_leave_one_dataset(
    fresh_database_url: str, settings: Settings
) -> None:
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    database = Database(fresh)
    publisher = Principal(sub="pub-1", roles=frozenset({Role.DATA_PUBLISHER}))
    data = DRAFT | {"keywords": []}

    async def attempt() -> str:
        async with database.sessions() as session:
            try:
                await publishing.create(session, by=publisher, data=data)
            except Conflict as exc:
                await session.rollback()
                return exc.code
            await asyncio.sleep(0)  # let the other reach its insert before this commits
            await session.commit()
            return "created"

    try:
        outcomes = await asyncio.gather(attempt(), attempt(), attempt())
        assert sorted(outcomes) == ["created", "slug_taken", "slug_taken"]
        async with database.sessions() as session:
            assert len((await session.scalars(select(Dataset.id))).all()) == 1
    finally:
        await database.dispose()


async def test_renaming_a_draft_to_a_taken_slug_is_a_conflict(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await create(client, auth, slug="parks")
    await create(client, auth)
    taken = await patch(client, auth, {"slug": "parks"})
    assert (taken.status_code, taken.json()["code"]) == (409, "slug_taken")


async def test_edits_refuse_nulls_and_unknown_licences(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await create(client, auth)
    nulled = await patch(client, auth, {"title": None})
    assert (nulled.status_code, nulled.json()["code"]) == (422, "validation_failed")
    licence = await patch(client, auth, {"licence_id": "GPL-3.0"})
    assert (licence.status_code, licence.json()["code"]) == (422, "unknown_licence")


async def test_a_new_frequency_moves_the_next_release_due(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await published(client, auth)
    weekly = (await patch(client, auth, {"update_frequency": "weekly"})).json()
    assert weekly["next_release_due"] == "2026-03-22"
    irregular = (await patch(client, auth, {"update_frequency": "irregular"})).json()
    assert (irregular["next_release_due"], irregular["next_release_due_hijri"]) == (None, None)
    annual = (await patch(client, auth, {"update_frequency": "annual"})).json()
    assert annual["next_release_due"] == "2027-03-15"


async def test_distributions_are_added_edited_and_removed_with_audit(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    dataset = await published(client, auth)
    added = await add_distribution(client, auth, dataset, byte_size=2048, checksum_sha256="AB" * 32)
    assert added.status_code == 201, added.text
    item = added.json()
    assert added.headers["Location"] == f"/v1/datasets/{dataset['id']}/distributions/{item['id']}"
    assert (item["media_type"], item["checksum_sha256"]) == ("text/csv", "ab" * 32)
    shown = (await client.get(ROADS)).json()
    assert ([d["id"] for d in shown["distributions"]], shown["version"]) == ([item["id"]], 3)
    url = f"{ROADS}/distributions/{item['id']}"
    headers = auth(*PUBLISHER) | {"If-Match": 'W/"1"'}
    edited = await client.patch(url, json={"format": "xlsx", "byte_size": None}, headers=headers)
    assert edited.status_code == 200, edited.text
    assert edited.json()["media_type"] == FORMATS["XLSX"]
    assert (edited.json()["byte_size"], edited.headers["ETag"]) == (None, 'W/"2"')
    stale = await client.delete(url, headers=headers)
    assert stale.status_code == 412
    removed = await client.delete(url, headers=auth(*PUBLISHER) | {"If-Match": 'W/"2"'})
    assert removed.status_code == 204
    assert (await client.get(ROADS)).json()["distributions"] == []
    missing = await client.delete(url, headers=auth(*PUBLISHER))
    assert (missing.status_code, missing.json()["code"]) == (404, "distribution_not_found")
    assert (await audit_actions(database, dataset["id"]))[2:] == [
        "distribution.added",
        "distribution.updated",
        "distribution.removed",
    ]


async def test_a_distribution_of_another_dataset_is_not_found_here(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    other = await published(client, auth, slug="parks")
    item = (await add_distribution(client, auth, other)).json()
    await published(client, auth)
    url = f"{ROADS}/distributions/{item['id']}"
    response = await client.patch(url, json={"format": "PDF"}, headers=auth(*PUBLISHER))
    assert (response.status_code, response.json()["code"]) == (404, "distribution_not_found")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"access_url": "javascript:alert(1)"}, "body.access_url"),
        ({"access_url": "file:///etc/passwd"}, "body.access_url"),
        ({"access_url": "ftp://data.asir.example.sa/roads.csv"}, "body.access_url"),
        ({"access_url": "/roads.csv"}, "body.access_url"),
        ({"access_url": "https://data.asir.example.sa/a b.csv"}, "body.access_url"),
        ({"download_url": "data:text/csv,a,b"}, "body.download_url"),
        ({"media_type": "csv"}, "body.media_type"),
        ({"byte_size": -1}, "body.byte_size"),
        ({"checksum_sha256": "abc123"}, "body.checksum_sha256"),
    ],
)
async def test_invalid_distribution_fields_are_refused(
    client: httpx.AsyncClient, auth: Auth, changes: dict[str, Any], field: str
) -> None:
    dataset = await published(client, auth)
    response = await add_distribution(client, auth, dataset, **changes)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_an_unknown_format_is_refused_with_its_own_code(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    dataset = await published(client, auth)
    response = await add_distribution(client, auth, dataset, format="DOC")
    assert (response.status_code, response.json()["code"]) == (422, "unknown_format")
    assert "CSV" in response.json()["detail"]
    custom = await add_distribution(client, auth, dataset, media_type="Text/CSV")
    assert custom.json()["media_type"] == "text/csv"


async def test_releases_move_the_schedule_and_are_listed_newest_first(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    dataset = await published(client, auth)
    response = await release(client, auth, "2026-03-10", notes={"ar": "تحديث مارس"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["release"]["released_on"] == "2026-03-10"
    assert (body["last_release_on"], body["next_release_due"]) == ("2026-03-10", "2026-04-10")
    assert (body["release_overdue"], body["dataset_version"]) == (False, 3)
    older = (await release(client, auth, "2026-01-31")).json()
    assert (older["last_release_on"], older["next_release_due"]) == ("2026-03-10", "2026-04-10")
    twice = await release(client, auth, "2026-03-10")
    assert (twice.status_code, twice.json()["code"]) == (409, "release_exists")
    future = await release(client, auth, "2026-03-16")
    assert (future.status_code, future.json()["code"]) == (422, "release_in_future")
    listed = (await client.get(f"{ROADS}/releases")).json()
    assert [item["released_on"] for item in listed["items"]] == ["2026-03-10", "2026-01-31"]
    assert listed["items"][0]["notes"] == {"ar": "تحديث مارس", "en": None}
    assert listed["items"][0]["released_on_hijri"] == to_hijri(datetime(2026, 3, 10).date())
    assert (await audit_actions(database, dataset["id"]))[-2:] == ["dataset.released"] * 2


async def test_a_drafts_releases_are_the_publishers_and_count_from_publication(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    draft = await create(client, auth, update_frequency="quarterly")
    recorded = (await release(client, auth, "2025-12-31")).json()
    assert (recorded["last_release_on"], recorded["next_release_due"]) == ("2025-12-31", None)
    assert (await client.get(f"{ROADS}/releases")).status_code == 404
    mine = await client.get(f"{ROADS}/releases", headers=auth(*PUBLISHER))
    assert len(mine.json()["items"]) == 1
    body = (await act(client, auth, draft, "publish")).json()
    assert body["next_release_due"] == "2026-03-31"  # 31 Dec + one quarter


async def test_release_overdue_flips_the_day_after_the_due_date(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: clock.FrozenClock
) -> None:
    await published(client, auth, update_frequency="daily")  # due 2026-03-16
    await published(client, auth, slug="irregular", update_frequency="irregular")
    frozen_clock.set(datetime(2026, 3, 16, 20, 59, tzinfo=UTC))  # 23:59 on the 16th, Riyadh
    assert (await client.get(ROADS)).json()["release_overdue"] is False
    assert await slugs(client, "release_overdue=true") == []
    frozen_clock.advance(timedelta(minutes=1))  # midnight: the 17th in Riyadh
    late = (await client.get(ROADS)).json()
    assert (late["next_release_due"], late["release_overdue"]) == ("2026-03-16", True)
    assert await slugs(client, "release_overdue=true") == ["road-projects"]
    assert await slugs(client, "release_overdue=false") == ["irregular"]
    frozen_clock.advance(timedelta(days=3650))
    assert (await client.get("/v1/datasets/irregular")).json()["release_overdue"] is False
    frozen_clock.set(datetime(2026, 3, 17, 9, tzinfo=UTC))
    caught_up = (await release(client, auth, "2026-03-17")).json()
    assert (caught_up["next_release_due"], caught_up["release_overdue"]) == ("2026-03-18", False)
    assert await slugs(client, "release_overdue=true") == []


async def test_history_lists_every_audited_change_to_publishers(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    dataset = await published(client, auth)
    await add_distribution(client, auth, dataset)
    await release(client, auth, "2026-03-15")
    response = await client.get(f"{ROADS}/history", headers=auth(*PUBLISHER))
    events = response.json()["items"]
    assert [event["action"] for event in events] == [
        "dataset.created",
        "dataset.published",
        "distribution.added",
        "dataset.released",
    ]
    assert events[1]["from_state"] == "draft"
    assert events[1]["to_state"] == "published"
    assert events[3]["details"]["released_on"] == "2026-03-15"

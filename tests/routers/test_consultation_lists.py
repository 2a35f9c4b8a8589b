"""Listing consultations: derived-status, topic, channel, date and text filters; keyset pages."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from tests.routers.test_consultations import OFFICER, Auth, act, create

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z


async def ids(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> list[str]:
    response = await client.get(f"/v1/consultations?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def published(client: httpx.AsyncClient, auth: Auth, **changes: Any) -> dict[str, Any]:
    consultation = await create(client, auth, **changes)
    response = await act(client, auth, consultation, "publish")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_the_status_filter_follows_the_clock(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    draft = await create(client, auth)
    scheduled = await published(client, auth)
    still_open = await published(client, auth, opens_at="2026-03-01T00:00:00Z")
    closing = await published(
        client, auth, opens_at="2026-03-01T00:00:00Z", closes_at="2026-03-20T00:00:00Z"
    )
    cancelled = await create(client, auth)
    await act(client, auth, cancelled, "cancel")
    frozen_clock.set(datetime(2026, 3, 21, tzinfo=UTC))
    officer = auth(*OFFICER)
    expected = {
        "draft": [draft["id"]],
        "scheduled": [scheduled["id"]],
        "open": [still_open["id"]],
        "closed": [closing["id"]],
        "cancelled": [cancelled["id"]],
        "feedback_published": [],
    }
    found = {status: await ids(client, f"status={status}", officer) for status in expected}
    assert found == expected
    assert await ids(client, "status=closed", {}) == [closing["id"]]
    assert await ids(client, "status=draft", {}) == []


async def test_the_channel_filter_matches_list_elements(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    by_email = await published(client, auth, channels=["email"])
    social = await published(client, auth, channels=["social_media", "website"])
    in_app = await published(client, auth, channels=["portal_form", "mobile_app"])
    assert await ids(client, "channel=email", {}) == [by_email["id"]]
    assert await ids(client, "channel=website", {}) == [social["id"]]
    assert await ids(client, "channel=mobile_app", {}) == [in_app["id"]]
    assert await ids(client, "channel=tafaul", {}) == []


async def test_topic_and_channel_filters_combine(client: httpx.AsyncClient, auth: Auth) -> None:
    services = await published(client, auth, topic="government_services", channels=["email"])
    await published(client, auth, topic="government_services", channels=["website"])
    await published(client, auth, topic="local_policies_regulations", channels=["email"])
    query = "topic=government_services&channel=email"
    assert await ids(client, query, {}) == [services["id"]]
    assert len(await ids(client, "topic=government_services", {})) == 2
    assert await ids(client, "topic=strategic_plans_infrastructure", {}) == []


async def test_date_filters_include_their_bounds(client: httpx.AsyncClient, auth: Auth) -> None:
    march = await published(
        client, auth, opens_at="2026-03-20T00:00:00Z", closes_at="2026-04-10T00:00:00Z"
    )
    april = await published(
        client, auth, opens_at="2026-04-01T00:00:00Z", closes_at="2026-04-30T00:00:00Z"
    )
    assert await ids(client, "opens_after=2026-04-01T00:00:00Z", {}) == [april["id"]]
    assert await ids(client, "opens_after=2026-04-01T03:00:00%2B03:00", {}) == [april["id"]]
    assert await ids(client, "closes_before=2026-04-10T00:00:00Z", {}) == [march["id"]]
    both = "opens_after=2026-03-01T00:00:00Z&closes_before=2026-05-01T00:00:00Z"
    assert await ids(client, both, {}) == [april["id"], march["id"]]
    assert await ids(client, "opens_after=2026-04-02T00:00:00Z", {}) == []


async def test_arabic_search_ignores_diacritics_and_letter_variants(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    voweled = await published(client, auth, title={"ar": "مَدْرَسَة الحي الجديدة"})
    ta_marbuta_as_ha = await published(
        client, auth, title={"ar": "صيانة مباني"}, summary={"ar": "ترميم المدرسه القديمة"}
    )
    hamza = await published(client, auth, title={"ar": "إنارة الطرق"})
    await published(client, auth, title={"ar": "مستشفى المنطقة"}, summary={"ar": "خدمات"})
    found = await ids(client, "q=مدرسة", {})
    assert sorted(found) == sorted([voweled["id"], ta_marbuta_as_ha["id"]])
    assert await ids(client, "q=انارة", {}) == [hamza["id"]]
    assert await ids(client, "q=ٱلطرق", {}) == [hamza["id"]]


async def test_english_search_is_case_insensitive_and_treats_wildcards_literally(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    parks = await published(
        client, auth, title={"ar": "الحدائق", "en": "Public PARKS of Abha"}, summary={"ar": "ملخص"}
    )
    await published(client, auth, title={"ar": "النقل", "en": "Transport"}, summary={"ar": "ملخص"})
    assert await ids(client, "q=parks", {}) == [parks["id"]]
    assert await ids(client, "q=pArKs%20OF", {}) == [parks["id"]]
    assert await ids(client, "q=%25", {}) == []
    assert await ids(client, "q=p_rks", {}) == []


async def test_pages_run_newest_opening_first_without_gaps_or_repeats(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    openings = ["2026-03-20", "2026-04-01", "2026-04-01", "2026-04-01", "2026-04-05"]
    created = [
        await published(client, auth, opens_at=f"{day}T00:00:00Z", closes_at="2026-06-01T00:00:00Z")
        for day in openings
    ]
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(f"/v1/consultations?{query}")).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(created)
    keys = [(item["opens_at"], item["id"]) for item in seen]
    assert keys == sorted(keys, reverse=True)
    assert {item["id"] for item in seen} == {item["id"] for item in created}


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("cursor=not-a-cursor", 400, "invalid_cursor"),
        ("limit=0", 422, "validation_failed"),
        ("limit=101", 422, "validation_failed"),
        ("status=archived", 422, "validation_failed"),
        ("channel=fax", 422, "validation_failed"),
        ("opens_after=2026-04-01T00:00:00", 422, "validation_failed"),
        ("q=", 422, "validation_failed"),
    ],
)
async def test_bad_list_parameters_are_refused(
    client: httpx.AsyncClient, query: str, status: int, code: str
) -> None:
    response = await client.get(f"/v1/consultations?{query}")
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_a_consultation_is_found_by_its_reference(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await published(client, auth)
    second = await published(client, auth)
    assert await ids(client, f"reference={second['reference']}", {}) == [second["id"]]

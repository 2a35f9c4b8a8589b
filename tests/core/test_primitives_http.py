"""Shared primitives through HTTP: idempotent creation, ETag/If-Match, keyset pages."""

from collections.abc import Callable

import httpx

from app.core import clock

THING = {"title": {"ar": "عنوان", "en": "Title"}, "label": "first", "count": 1}


async def test_retry_with_same_idempotency_key_returns_the_first_response(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth("u1", "beneficiary") | {"Idempotency-Key": "k-1"}
    first = await probe.post("/v1/_probe/things", json=THING, headers=headers)
    retry = await probe.post("/v1/_probe/things", json=THING, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    events = (await probe.get("/v1/_probe/events")).json()["items"]
    assert len(events) == 1, "the retry must not create a second item"


async def test_same_key_with_a_different_body_is_409(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth("u1") | {"Idempotency-Key": "k-2", "Accept-Language": "en"}
    await probe.post("/v1/_probe/things", json=THING, headers=headers)
    changed = THING | {"label": "second"}
    response = await probe.post("/v1/_probe/things", json=changed, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


async def test_keys_are_scoped_per_caller(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    mine = await probe.post(
        "/v1/_probe/things", json=THING, headers=auth("u1") | {"Idempotency-Key": "shared"}
    )
    theirs = await probe.post(
        "/v1/_probe/things", json=THING, headers=auth("u2") | {"Idempotency-Key": "shared"}
    )
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers


async def test_expired_key_starts_afresh(
    probe: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    frozen_clock: clock.FrozenClock,
) -> None:
    from datetime import timedelta

    headers = auth("u1") | {"Idempotency-Key": "k-3"}
    first = await probe.post("/v1/_probe/things", json=THING, headers=headers)
    frozen_clock.advance(timedelta(hours=25))
    later = await probe.post("/v1/_probe/things", json=THING | {"label": "new"}, headers=headers)
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


async def test_invalid_idempotency_key_is_400(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth("u1") | {"Idempotency-Key": "x" * 300}
    response = await probe.post("/v1/_probe/things", json=THING, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


async def test_reference_numbers_are_sequential_per_year(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]], frozen_clock: clock.FrozenClock
) -> None:
    headers = auth("u1")
    first = (await probe.post("/v1/_probe/things", json=THING, headers=headers)).json()
    second = (await probe.post("/v1/_probe/things", json=THING, headers=headers)).json()
    assert first["reference"] == "TH-2026-000001"
    assert second["reference"] == "TH-2026-000002"


async def test_if_match_with_the_current_etag_succeeds(probe: httpx.AsyncClient) -> None:
    response = await probe.put("/v1/_probe/versioned", headers={"If-Match": 'W/"3"'})
    assert response.status_code == 200
    assert response.headers["etag"] == 'W/"3"'
    assert (await probe.put("/v1/_probe/versioned", headers={"If-Match": "*"})).status_code == 200
    assert (await probe.put("/v1/_probe/versioned")).status_code == 200


async def test_if_match_with_a_stale_etag_is_412_naming_the_current_one(
    probe: httpx.AsyncClient,
) -> None:
    response = await probe.put("/v1/_probe/versioned", headers={"If-Match": 'W/"2"'})
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.headers["etag"] == 'W/"3"'
    garbage = await probe.put("/v1/_probe/versioned", headers={"If-Match": "yesterday"})
    assert garbage.status_code == 412


async def test_keyset_pages_cover_every_item_once_even_with_inserts_between_pages(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]], frozen_clock: clock.FrozenClock
) -> None:
    from datetime import timedelta

    headers = auth("u1")
    for _ in range(5):
        frozen_clock.advance(timedelta(seconds=1))
        await probe.post("/v1/_probe/things", json=THING, headers=headers)
    first = (await probe.get("/v1/_probe/events?limit=2")).json()
    assert len(first["items"]) == 2
    frozen_clock.advance(timedelta(seconds=1))
    await probe.post("/v1/_probe/things", json=THING, headers=headers)  # newer, sorts first
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await probe.get(f"/v1/_probe/events?limit=2&cursor={cursor}")).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5


async def test_limit_out_of_range_and_bad_cursor_are_rejected(probe: httpx.AsyncClient) -> None:
    assert (await probe.get("/v1/_probe/events?limit=0")).status_code == 422
    assert (await probe.get("/v1/_probe/events?limit=101")).status_code == 422
    response = await probe.get("/v1/_probe/events?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"

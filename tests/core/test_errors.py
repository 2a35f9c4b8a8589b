"""Every error is application/problem+json with a stable code, in Arabic or English."""

import logging
from collections.abc import Callable

import httpx
import pytest

PROBLEM = "application/problem+json"
EN = {"Accept-Language": "en"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:beneficiary-api:problem:{code}"
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["instance"] == response.request.url.path
    assert body["title"]
    assert body["detail"]
    return body


async def test_unknown_path_is_a_404_problem_in_arabic_by_default(
    client: httpx.AsyncClient,
) -> None:
    body = assert_problem(await client.get("/v1/nothing-here"), 404, "not_found")
    assert body["title"] == "غير موجود"


async def test_english_when_the_caller_prefers_it(client: httpx.AsyncClient) -> None:
    headers = {"Accept-Language": "fr;q=0.9, en-GB;q=0.8, ar;q=0.1"}
    response = await client.get("/v1/nothing-here", headers=headers)
    body = assert_problem(response, 404, "not_found")
    assert body["title"] == "Not found"
    assert response.headers["content-language"] == "en"


async def test_arabic_when_it_has_the_higher_weight(client: httpx.AsyncClient) -> None:
    headers = {"Accept-Language": "en;q=0.5, ar-SA"}
    response = await client.get("/v1/nothing-here", headers=headers)
    assert response.json()["title"] == "غير موجود"
    assert response.headers["content-language"] == "ar"


async def test_wrong_method_is_405_with_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live", headers=EN)
    body = assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert "DELETE" in str(body["detail"])


async def test_validation_errors_list_each_field_without_echoing_input(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    payload = {"title": {"en": "no arabic"}, "label": "quux\x00label", "count": 99}
    response = await probe.post("/v1/_probe/things", json=payload, headers=auth("u1") | EN)
    body = assert_problem(response, 422, "validation_failed")
    fields = {error["field"] for error in body["errors"]}  # type: ignore[union-attr]
    assert fields == {"body.title.ar", "body.label", "body.count"}
    assert "no arabic" not in response.text
    assert "quux" not in response.text


async def test_business_rule_refusal_is_409_with_its_code(probe: httpx.AsyncClient) -> None:
    body = assert_problem(
        await probe.post("/v1/_probe/transition", headers=EN), 409, "invalid_transition"
    )
    assert body["detail"] == "Cannot move from decided to received."
    arabic = (await probe.post("/v1/_probe/transition")).json()
    assert "decided" in arabic["detail"]
    assert arabic["title"] == "انتقال غير مسموح"


async def test_rate_limit_is_429_with_retry_after(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/v1/_probe/busy")
    assert_problem(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "30"


async def test_non_json_body_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/_probe/things", content=b"title=x", headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_oversized_body_is_413_and_nothing_is_written(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    huge = {"title": {"ar": "ا" * 2_000_000}, "label": "x", "count": 1}
    response = await probe.post("/v1/_probe/things", json=huge, headers=auth("u1"))
    assert_problem(response, 413, "payload_too_large")
    events = (await probe.get("/v1/_probe/events")).json()["items"]
    assert events == []


async def test_unexpected_error_is_a_bare_500_logged_with_request_id(
    probe: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="beneficiary.errors"):
        response = await probe.get("/v1/_probe/boom", headers={"X-Request-ID": "req-500"} | EN)
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "req-500" in str(body["detail"])
    logged = [record for record in caplog.records if record.name == "beneficiary.errors"]
    assert [getattr(record, "request_id", None) for record in logged] == ["req-500"]


async def test_failed_request_rolls_back_what_it_wrote(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    response = await probe.post("/v1/_probe/things/fail-after-write", headers=auth("u1"))
    assert_problem(response, 409, "conflict")
    assert (await probe.get("/v1/_probe/events")).json()["items"] == []


async def test_streamed_oversized_body_is_413(
    probe: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async def chunks():  # no Content-Length: the limit applies while reading
        for _ in range(40):
            yield b"x" * 65536

    headers = auth("u1") | {"Content-Type": "application/json"}
    response = await probe.post("/v1/_probe/things", content=chunks(), headers=headers)
    assert_problem(response, 413, "payload_too_large")

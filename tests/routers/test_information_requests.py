"""Information requests through HTTP: receipts, personal data, scoping, lists and overdue."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.audit_event import AuditEvent
from app.models.information_request import InformationRequest

Auth = Callable[..., dict[str, str]]
BASE = "/v1/information-requests"
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the frozen clock: Sunday 12:00 in Riyadh
DUE_AT = datetime.fromisoformat("2026-03-29T23:59:59.999999+03:00")  # a request filed at NOW
CONTACT = {"name": "سارة أحمد", "email": "sara@example.sa", "phone": "+966 55 123 4567"}


def filing(**overrides: Any) -> dict[str, Any]:
    return {
        "subject": "ميزانية مشاريع الطرق في أبها",
        "description": "أطلب بيان المبالغ المصروفة على مشاريع الطرق في أبها لعام 1446.",
        "category": "reports_statistics",
    } | overrides


async def file(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(BASE, json=filing(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    request_id: str,
    action: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(f"{BASE}/{request_id}/{action}", json=body, headers=headers)


async def read(client: httpx.AsyncClient, headers: dict[str, str], request_id: str) -> Any:
    response = await client.get(f"{BASE}/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def stored(database: Database, request_id: str) -> InformationRequest:
    async with database.sessions() as session:
        return await session.get_one(
            InformationRequest, uuid.UUID(request_id), populate_existing=True
        )


async def events(database: Database, action: str) -> list[AuditEvent]:
    async with database.sessions() as session:
        statement = select(AuditEvent).where(AuditEvent.action == action)
        return list(await session.scalars(statement.order_by(AuditEvent.occurred_at)))


async def listed(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = await client.get(f"{BASE}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


# -- receipts ------------------------------------------------------------------------------------


async def test_the_receipt_gives_reference_start_and_due_date_with_hijri(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    response = await client.post(BASE, json=filing(), headers=auth("b1", "beneficiary"))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt == {
        "id": receipt["id"],
        "reference": "IR-2026-000001",
        "status": "submitted",
        "received_at": "2026-03-15T09:00:00Z",
        "start_date": "2026-03-15",
        "start_date_hijri": "1447-09-26",
        "due_date": "2026-03-29",
        "due_date_hijri": "1447-10-10",
        "due_at": "2026-03-29T23:59:59.999999+03:00",
        "working_days": 10,
        "calendar_version": 0,
    }
    assert response.headers["location"] == f"{BASE}/{receipt['id']}"
    assert response.headers["etag"] == 'W/"1"'
    row = await stored(database, receipt["id"])
    assert (row.requester_sub, row.clock_origin, row.clock_working_days) == ("b1", "received", 10)
    assert row.clock_started_at == row.received_at == NOW
    (event,) = await events(database, "information_request.received")
    assert event.details == {
        "category": "reports_statistics",
        "working_days": 10,
        "due_date": "2026-03-29",
    }


@pytest.mark.parametrize(
    ("received_at", "start_date", "due_date"),
    [
        ("2026-03-19T14:59:59.999999+03:00", "2026-03-19", "2026-04-02"),
        ("2026-03-19T15:00:00+03:00", "2026-03-22", "2026-04-05"),
    ],
)
async def test_a_thursday_receipt_counts_from_thursday_only_before_the_cutoff(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    received_at: str,
    start_date: str,
    due_date: str,
) -> None:
    frozen_clock.set(datetime.fromisoformat(received_at))
    receipt = await file(client, auth("b1", "beneficiary"))
    assert (receipt["start_date"], receipt["due_date"]) == (start_date, due_date)


async def test_a_retry_with_the_same_idempotency_key_files_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    headers = auth("b1", "beneficiary") | {"Idempotency-Key": "ir-retry-1"}
    first = await client.post(BASE, json=filing(), headers=headers)
    again = await client.post(BASE, json=filing(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InformationRequest)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "x" * 301}, "body.subject"),
        ({"subject": "two\nlines"}, "body.subject"),
        ({"description": ""}, "body.description"),
        ({"description": "x" * 5001}, "body.description"),
        ({"category": "gossip"}, "body.category"),
        ({"requester_category": "alien"}, "body.requester_category"),
        ({"preferred_format": "fax"}, "body.preferred_format"),
        ({"contact": {"email": "not-an-address"}}, "body.contact.email"),
        ({"requester_sub": "b2"}, "body.requester_sub"),
    ],
)
async def test_invalid_filings_are_422_naming_the_field(
    client: httpx.AsyncClient, auth: Auth, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(BASE, json=filing(**overrides), headers=auth("b1", "beneficiary"))
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_requester_category_defaults_to_the_token_claim_when_it_is_a_category(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    researcher = auth("b1", "beneficiary", beneficiary_category="researcher")
    from_claim = await file(client, researcher)
    given = await file(client, researcher, requester_category="media", preferred_format="csv")
    unknown_claim = await file(client, auth("b2", "beneficiary", beneficiary_category="wizard"))
    assert (await read(client, researcher, from_claim["id"]))["requester_category"] == "researcher"
    detail = await read(client, researcher, given["id"])
    assert (detail["requester_category"], detail["preferred_format"]) == ("media", "csv")
    b2 = auth("b2", "beneficiary")
    assert (await read(client, b2, unknown_claim["id"]))["requester_category"] is None


# -- personal data -------------------------------------------------------------------------------


async def test_contact_details_are_stored_only_encrypted(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"), contact=CONTACT)
    row = await stored(database, receipt["id"])
    assert row.contact_encrypted is not None
    for value in ("sara@example.sa", "سارة", "123 4567"):
        assert value not in row.contact_encrypted
    received = (await events(database, "information_request.received"))[0]
    assert "sara" not in str(received.details)


async def test_the_requester_reads_their_contact_without_an_audit_entry(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner = auth("b1", "beneficiary")
    receipt = await file(client, owner, contact=CONTACT)
    assert (await read(client, owner, receipt["id"]))["contact"]["email"] == "sara@example.sa"
    assert await events(database, "information_request.personal_data_read") == []


async def test_an_officer_reading_contact_details_is_audited_and_lists_never_carry_them(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"), contact=CONTACT)
    officer = auth("o1", "information_officer")
    assert (await read(client, officer, receipt["id"]))["contact"]["name"] == CONTACT["name"]
    (event,) = await events(database, "information_request.personal_data_read")
    assert (event.actor_sub, event.entity_id, event.details) == (
        "o1",
        receipt["id"],
        {"fields": ["contact"], "route": "GET /v1/information-requests/{request_id}"},
    )
    page = await client.get(BASE, headers=officer)
    assert "sara" not in page.text and "contact" not in page.json()["items"][0]


# -- scoping -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/deadline", "/history"])
async def test_a_requester_never_sees_another_requesters_request(
    client: httpx.AsyncClient, auth: Auth, suffix: str
) -> None:
    theirs = await file(client, auth("b1", "beneficiary"))
    response = await client.get(f"{BASE}/{theirs['id']}{suffix}", headers=auth("b2", "beneficiary"))
    assert (response.status_code, response.json()["code"]) == (404, "information_request_not_found")
    unknown = await client.get(
        f"{BASE}/{uuid.uuid4()}{suffix}", headers=auth("o1", "information_officer")
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "information_request_not_found")


async def test_requesters_list_their_own_and_officers_list_all(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    mine = await file(client, auth("b1", "beneficiary"))
    theirs = await file(client, auth("b2", "beneficiary"))
    assert await listed(client, auth("b1", "beneficiary")) == [mine["reference"]]
    everyone = await listed(client, auth("o1", "information_officer"))
    assert sorted(everyone) == sorted([mine["reference"], theirs["reference"]])


async def test_the_detail_carries_an_etag_and_hides_the_assignee_from_the_requester(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await file(client, owner)
    assert (await act(client, officer, receipt["id"], "assignment", {})).status_code == 200
    response = await client.get(f"{BASE}/{receipt['id']}", headers=owner)
    assert response.headers["etag"] == f'W/"{response.json()["version"]}"' == 'W/"2"'
    assert response.json()["assigned_to"] is None
    assert (await read(client, officer, receipt["id"]))["assigned_to"] == "o1"


# -- lists and overdue ---------------------------------------------------------------------------


async def test_overdue_flips_exactly_after_the_end_of_the_due_date(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await file(client, owner)
    assert receipt["due_at"] == DUE_AT.isoformat()
    for at, overdue in [
        (DUE_AT - timedelta(microseconds=1), False),
        (DUE_AT, False),
        (DUE_AT + timedelta(microseconds=1), True),
    ]:
        frozen_clock.set(at)
        assert (await read(client, owner, receipt["id"]))["overdue"] is overdue, at
        flagged = await listed(client, officer, "overdue=true")
        assert flagged == ([receipt["reference"]] if overdue else []), at
        on_time = await listed(client, officer, "overdue=false")
        assert on_time == ([] if overdue else [receipt["reference"]]), at


async def test_a_decided_or_paused_request_is_never_overdue(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    paused = await file(client, owner)
    await act(client, officer, paused["id"], "start")
    question = {"question": {"ar": "أي سنة تقصد؟"}}
    assert (await act(client, officer, paused["id"], "clarification", question)).status_code == 200
    withdrawn = await file(client, owner)
    assert (await act(client, owner, withdrawn["id"], "withdraw")).status_code == 200
    frozen_clock.advance(timedelta(days=60))
    assert await listed(client, officer, "overdue=true") == []
    assert (await read(client, owner, paused["id"]))["overdue"] is False


async def test_officers_filter_by_status_category_assignee_due_date_and_text(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    roads = await file(client, owner)
    frozen_clock.advance(timedelta(days=3))
    plans = await file(
        client, owner, subject="المخطط الإقليمي لمنطقة عسير", category="development_plans"
    )
    await act(client, officer, plans["id"], "assignment", {"assignee": "o2"})
    await act(client, officer, plans["id"], "start")
    assert await listed(client, officer, "status=in_progress") == [plans["reference"]]
    assert await listed(client, officer, "category=reports_statistics") == [roads["reference"]]
    assert await listed(client, officer, "assigned_to=o2") == [plans["reference"]]
    assert await listed(client, officer, f"due_before={plans['due_date']}") == [roads["reference"]]
    # Arabic-aware search: hamza and taa marbuta folded, as the subject was typed differently.
    assert await listed(client, officer, "q=ميزانيه مشاريع الطرق في ابها") == [roads["reference"]]
    # Who handles a request is the officers' business: a requester's assigned_to is ignored.
    assert len(await listed(client, owner, "assigned_to=o2")) == 2


async def test_lists_page_by_due_date_then_id_with_paused_requests_last(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipts = []
    for day in (2, 0, 1, 0, 0):
        frozen_clock.set(NOW + timedelta(days=day))
        receipts.append(await file(client, owner))
    for paused in receipts[3:]:
        await act(client, officer, paused["id"], "start")
        question = {"question": {"ar": "ما المقصود؟"}}
        assert (await act(client, officer, paused["id"], "clarification", question)).is_success
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = (await client.get(f"{BASE}?{query}", headers=officer)).json()
        seen += [(item["reference"], item["due_date"], item["paused"]) for item in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    references = [reference for reference, _, _ in seen]
    expected = [receipts[i]["reference"] for i in (1, 2, 0, 3, 4)]
    assert references == expected
    assert [due for _, due, _ in seen][:3] == ["2026-03-29", "2026-03-30", "2026-03-31"]
    assert [(due, paused) for _, due, paused in seen[3:]] == [(None, True), (None, True)]
    bad = await client.get(f"{BASE}?cursor=not-a-cursor", headers=officer)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


# -- who may call --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "wrong_role"),
    [
        ("POST", "", "information_officer"),
        ("GET", "", "analyst"),
        ("GET", "/{id}", "appeals_officer"),
        ("GET", "/{id}/deadline", "participation_officer"),
        ("GET", "/{id}/history", "admin"),
    ],
)
async def test_filing_and_reading_refuse_anonymous_callers_and_wrong_roles(
    client: httpx.AsyncClient, auth: Auth, method: str, path: str, wrong_role: str
) -> None:
    receipt = await file(client, auth("b1", "beneficiary"))
    url = BASE + path.replace("{id}", receipt["id"])
    body = filing() if method == "POST" else None
    anonymous = await client.request(method, url, json=body)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    wrong = await client.request(method, url, json=body, headers=auth("x1", wrong_role))
    assert (wrong.status_code, wrong.json()["code"]) == (403, "forbidden")

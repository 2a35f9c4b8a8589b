"""Filing appeals through HTTP: receipts, every eligibility case, the window, one open appeal."""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.information_request import InformationRequest

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the frozen clock: Sunday 12:00 in Riyadh
DECIDED_AT = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
RUNNING = ("submitted", "in_progress", "awaiting_clarification")
STATEMENT = "لم يُذكر سند نظامي للرفض"


async def add_request(
    database: Database,
    status: str = "refused",
    *,
    requester: str = "b1",
    due_date: date | None = date(2026, 3, 10),
    decided_at: datetime | None = DECIDED_AT,
    decided_by: str | None = "io-decider",
    handlers: Sequence[str] = ("io-assigner", "io-handler"),
) -> str:
    """An information request in the given state, written through the ORM (its API is built
    alongside); running requests carry no decision."""
    running = status in RUNNING
    received_at = datetime(2026, 2, 22, 6, 0, tzinfo=UTC)
    request = InformationRequest(
        reference=f"IR-T-{uuid.uuid4().hex[:10]}",
        requester_sub=requester,
        subject="ميزانية مشاريع الطرق",
        description="أطلب تفاصيل ميزانية مشاريع الطرق في أبها لعام 2025",
        category="reports_statistics",
        status=status,
        received_at=received_at,
        working_days=10,
        clock_origin="received",
        clock_started_at=received_at,
        clock_working_days=10,
        due_date=None if status == "awaiting_clarification" else due_date,
        decided_by=None if running else decided_by,
        decided_at=None if running else decided_at,
        handlers=list(handlers),
    )
    async with database.sessions() as session:
        session.add(request)
        await session.commit()
    return str(request.id)


async def file(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    request_id: str,
    ground: str = "refusal",
    **extra: str,
) -> httpx.Response:
    body = {"ground": ground, "statement": STATEMENT}
    return await client.post(
        f"/v1/information-requests/{request_id}/appeals", json=body, headers=headers | extra
    )


async def filed(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, ground: str = "refusal"
) -> dict[str, Any]:
    response = await file(client, headers, request_id, ground)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def stored(database: Database, appeal_id: str) -> Appeal:
    async with database.sessions() as session:
        return await session.get_one(Appeal, uuid.UUID(appeal_id), populate_existing=True)


async def stored_request(database: Database, request_id: str) -> InformationRequest:
    async with database.sessions() as session:
        return await session.get_one(
            InformationRequest, uuid.UUID(request_id), populate_existing=True
        )


async def appeal_count(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Appeal)) or 0)


async def events(database: Database, action: str) -> list[AuditEvent]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.occurred_at)
        )
        return list(rows)


def assert_not_eligible(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert (body["code"], body["reason"]) == ("appeal_not_eligible", reason)


# -- receipts ------------------------------------------------------------------------------------


async def test_a_refused_requester_appeals_and_gets_a_receipt_with_the_appeal_deadline(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    request_id = await add_request(database, "refused")
    response = await file(client, auth("b1", "beneficiary"), request_id, "refusal")
    assert response.status_code == 201, response.text
    receipt = response.json()
    request = await stored_request(database, request_id)
    assert receipt["reference"] == "AP-2026-000001"
    assert (receipt["status"], receipt["ground"], receipt["overdue"]) == (
        "submitted",
        "refusal",
        False,
    )
    assert (receipt["request_id"], receipt["request_reference"]) == (request_id, request.reference)
    assert receipt["received_at"].startswith("2026-03-15T09:00:00")
    # Sunday before the cut-off is day 0; ten working days skip two Friday-Saturday weekends.
    assert receipt["due_date"] == "2026-03-29"
    assert receipt["due_date_hijri"] == "1447-10-10"
    assert receipt["due_at"] == "2026-03-29T23:59:59.999999+03:00"
    assert response.headers["location"] == f"/v1/appeals/{receipt['id']}"
    assert response.headers["etag"] == 'W/"1"'
    row = await stored(database, receipt["id"])
    assert (row.appellant_sub, row.statement, row.working_days) == ("b1", STATEMENT, 10)
    (event,) = await events(database, "appeal.filed")
    assert (event.from_state, event.to_state, event.actor_sub) == (None, "submitted", "b1")
    assert event.details == {"ground": "refusal", "request_id": request_id}
    assert (await stored_request(database, request_id)).status == "refused", "filing changes none"


async def test_a_retried_filing_with_the_same_key_returns_the_first_receipt(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    request_id = await add_request(database)
    headers = auth("b1", "beneficiary")
    first = await file(client, headers, request_id, **{"Idempotency-Key": "appeal-1"})
    again = await file(client, headers, request_id, **{"Idempotency-Key": "appeal-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await appeal_count(database) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"ground": "refusal", "statement": ""},
        {"ground": "refusal", "statement": "x" * 5001},
        {"ground": "refusal", "statement": "bad\x00text"},
        {"ground": "unfair", "statement": STATEMENT},
        {"ground": "refusal"},
        {"ground": "refusal", "statement": STATEMENT, "status": "upheld"},
    ],
)
async def test_a_filing_needs_a_known_ground_and_a_statement(
    client: httpx.AsyncClient, auth: Auth, database: Database, body: dict[str, Any]
) -> None:
    request_id = await add_request(database)
    response = await client.post(
        f"/v1/information-requests/{request_id}/appeals",
        json=body,
        headers=auth("b1", "beneficiary"),
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert await appeal_count(database) == 0


# -- eligibility ---------------------------------------------------------------------------------

OVERDUE, IN_TIME = date(2026, 3, 12), date(2026, 3, 16)  # the frozen clock is 15 March


@pytest.mark.parametrize(
    ("status", "due_date", "ground", "reason"),
    [
        ("in_progress", OVERDUE, "delay", None),
        ("submitted", OVERDUE, "delay", None),
        ("in_progress", IN_TIME, "delay", "not_late_or_refused"),
        ("in_progress", date(2026, 3, 15), "delay", "not_late_or_refused"),  # due today
        ("awaiting_clarification", None, "delay", "not_late_or_refused"),  # clock paused
        ("in_progress", OVERDUE, "refusal", "ground_mismatch"),
        ("in_progress", IN_TIME, "refusal", "not_late_or_refused"),
        ("refused", OVERDUE, "refusal", None),
        ("refused", OVERDUE, "incomplete_answer", "ground_mismatch"),
        ("refused", OVERDUE, "delay", "ground_mismatch"),
        ("partially_answered", OVERDUE, "incomplete_answer", None),
        ("partially_answered", OVERDUE, "refusal", "ground_mismatch"),
        ("not_held", OVERDUE, "refusal", None),
        ("not_held", OVERDUE, "incomplete_answer", None),
        ("not_held", OVERDUE, "delay", "ground_mismatch"),
        ("answered", OVERDUE, "refusal", "not_late_or_refused"),
        ("answered", OVERDUE, "delay", "not_late_or_refused"),
        ("withdrawn", OVERDUE, "delay", "not_late_or_refused"),
    ],
)
async def test_eligibility_follows_the_request_state_and_the_ground(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    status: str,
    due_date: date | None,
    ground: str,
    reason: str | None,
) -> None:
    request_id = await add_request(database, status, due_date=due_date)
    response = await file(client, auth("b1", "beneficiary") | EN, request_id, ground)
    if reason is None:
        assert response.status_code == 201, response.text
        assert response.json()["ground"] == ground
        return
    assert_not_eligible(response, reason)
    assert response.json()["detail"].startswith("This appeal cannot be filed: ")
    assert await appeal_count(database) == 0


LAST_INSTANT = datetime(2026, 3, 15, 20, 59, 59, tzinfo=UTC)  # 23:59:59 on 15 March in Riyadh


@pytest.mark.parametrize("basis", ["decision", "missed_deadline"])
@pytest.mark.parametrize(
    ("at", "reason"),
    [(LAST_INSTANT, None), (LAST_INSTANT + timedelta(seconds=1), "window_closed")],
)
async def test_the_window_is_open_to_the_end_of_its_last_day_and_closed_the_next(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    basis: str,
    at: datetime,
    reason: str | None,
) -> None:
    # 30 calendar days from 13 February: decided at 01:00 on the 13th in Riyadh (still the 12th
    # in UTC), or a due date of the 13th missed; the last day to appeal is 15 March.
    if basis == "decision":
        decided = datetime(2026, 2, 12, 22, 0, tzinfo=UTC)
        request_id = await add_request(database, "refused", decided_at=decided)
        ground = "refusal"
    else:
        request_id = await add_request(database, "in_progress", due_date=date(2026, 2, 13))
        ground = "delay"
    frozen_clock.set(at)
    response = await file(client, auth("b1", "beneficiary"), request_id, ground)
    if reason is None:
        assert response.status_code == 201, response.text
    else:
        assert_not_eligible(response, reason)


async def test_one_open_appeal_per_request(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    beneficiary = auth("b1", "beneficiary")
    request_id = await add_request(database, "not_held")
    first = await filed(client, beneficiary, request_id, "refusal")
    second = await file(client, beneficiary, request_id, "incomplete_answer")
    assert_not_eligible(second, "appeal_already_open")
    await client.post(f"/v1/appeals/{first['id']}/review", headers=auth("ao1", "appeals_officer"))
    assert (await stored(database, first["id"])).status == "under_review"
    assert_not_eligible(await file(client, beneficiary, request_id), "appeal_already_open")
    assert await appeal_count(database) == 1


@pytest.mark.parametrize("first_ends", ["withdraw", "decision"])
async def test_a_second_appeal_is_allowed_once_the_first_is_closed(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    first_ends: str,
) -> None:
    beneficiary = auth("b1", "beneficiary")
    request_id = await add_request(database, "refused")
    first = await filed(client, beneficiary, request_id)
    if first_ends == "withdraw":
        closing = await client.post(f"/v1/appeals/{first['id']}/withdraw", headers=beneficiary)
    else:
        rejection = {"outcome": "rejected", "reasoning": {"ar": "الرفض مسبب", "en": "Justified"}}
        closing = await client.post(
            f"/v1/appeals/{first['id']}/decision",
            json=rejection,
            headers=auth("ao1", "appeals_officer"),
        )
    assert closing.status_code == 200, closing.text
    second = await filed(client, beneficiary, request_id)
    assert second["reference"] == "AP-2026-000002"
    assert await appeal_count(database) == 2


async def test_only_the_requester_may_appeal_anyone_else_is_told_it_does_not_exist(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    request_id = await add_request(database, "refused", requester="b1")
    for target in (request_id, str(uuid.uuid4())):
        response = await file(client, auth("b2", "beneficiary"), target)
        assert (response.status_code, response.json()["code"]) == (
            404,
            "information_request_not_found",
        )
    assert await appeal_count(database) == 0


async def test_eligibility_reasons_are_not_leaked_to_someone_elses_filing(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    request_id = await add_request(database, "answered", requester="b1")
    response = await file(client, auth("b2", "beneficiary"), request_id)
    assert response.status_code == 404
    assert "reason" not in response.json()

"""The request clock through HTTP: pauses, resumption, the explained deadline, calendar edits."""

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.db import Database
from app.core.security import Principal, Role
from app.models.information_request import InformationRequest
from app.services import calendar as calendar_service
from app.services import information_requests as request_service
from app.services.calendar import CalendarRules
from app.services.working_days import CalendarSnapshot
from tests.routers.test_information_requests import (
    BASE,
    DUE_AT,
    Auth,
    act,
    events,
    file,
    read,
    stored,
)
from tests.routers.test_request_handling import QUESTION, refusal, started

HOLIDAY_22 = {"date": "2026-03-22", "name": {"ar": "إجازة طارئة", "en": "Emergency holiday"}}
HOLIDAY_24 = {"date": "2026-03-24", "name": {"ar": "يوم التأسيس", "en": "Announced holiday"}}


def riyadh(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+03:00")


async def deadline(client: httpx.AsyncClient, headers: dict[str, str], request_id: str) -> Any:
    response = await client.get(f"{BASE}/{request_id}/deadline", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_pause_keeps_the_remaining_days_and_the_answer_resumes_past_weekend_and_holiday(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await started(client, auth)  # filed Sunday 15 March at noon: due Sunday the 29th
    rid = receipt["id"]
    frozen_clock.set(riyadh("2026-03-17T10:00"))  # Tuesday: 18, 19, 22..26, 29 are left
    paused = (await act(client, officer, rid, "clarification", QUESTION)).json()
    assert (paused["remaining_working_days"], paused["due_date"], paused["due_at"]) == (
        8,
        None,
        None,
    )
    # A holiday announced while paused leaves the count alone (there is no date to move).
    admin = auth("a1", "admin")
    assert (await client.post("/v1/calendar/holidays", json=HOLIDAY_22, headers=admin)).is_success
    assert (await read(client, owner, rid))["remaining_working_days"] == 8
    assert await events(database, "deadline.moved") == []
    # Answered Thursday after the cut-off: the count resumes on the next working day anyway.
    frozen_clock.set(riyadh("2026-03-19T16:00"))
    answer = {"answer": "داخل مدينة أبها فقط"}
    resumed = (await act(client, owner, rid, "clarification/answer", answer)).json()
    # Friday and Saturday are the weekend, Sunday the 22nd the holiday: 23..26, 29..31, 1 April.
    assert (resumed["due_date"], resumed["due_date_hijri"]) == ("2026-04-01", "1447-10-13")
    assert resumed["due_at"] == "2026-04-01T23:59:59.999999+03:00"
    assert (resumed["remaining_working_days"], resumed["paused"]) == (None, False)
    row = await stored(database, rid)
    assert (row.clock_origin, row.clock_working_days, row.calendar_version) == ("resumed", 8, 1)
    explained = await deadline(client, owner, rid)
    assert (explained["start_date"], explained["working_days"]) == ("2026-03-19", 8)
    skipped = [(day["date"], day["reason"]) for day in explained["ledger"] if not day["counted"]]
    assert skipped == [
        ("2026-03-19", None),
        ("2026-03-20", "weekend"),
        ("2026-03-21", "weekend"),
        ("2026-03-22", "holiday"),
        ("2026-03-27", "weekend"),
        ("2026-03-28", "weekend"),
    ]
    assert explained["ledger"][-1] == explained["ledger"][-1] | {"date": "2026-04-01", "day": 8}


async def test_a_second_pause_is_refused_with_the_default_setting(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await started(client, auth)
    await act(client, officer, receipt["id"], "clarification", QUESTION)
    await act(client, owner, receipt["id"], "clarification/answer", {"answer": "نعم"})
    again = await act(
        client, officer | {"Accept-Language": "en"}, receipt["id"], "clarification", QUESTION
    )
    assert (again.status_code, again.json()["code"]) == (409, "clarification_limit_reached")
    assert "1 time" in again.json()["detail"]
    row = await stored(database, receipt["id"])
    assert (row.status, row.pause_count, row.due_date is not None) == ("in_progress", 1, True)


async def test_the_deadline_explains_the_segment_and_every_clock_event(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await started(client, auth)
    rid = receipt["id"]
    fresh = await deadline(client, owner, rid)
    assert {key: fresh[key] for key in ("clock_origin", "start_date", "due_date", "due_at")} == {
        "clock_origin": "received",
        "start_date": "2026-03-15",
        "due_date": "2026-03-29",
        "due_at": DUE_AT.isoformat(),
    }
    assert (fresh["calendar_due_date"], fresh["estimated"], fresh["overdue"]) == (
        "2026-03-29",
        False,
        False,
    )
    assert [day["day"] for day in fresh["ledger"]][-1] == 10
    assert len(fresh["ledger"]) == 15  # the 15th to the 29th
    frozen_clock.set(riyadh("2026-03-17T10:00"))
    await act(client, officer, rid, "clarification", QUESTION)
    paused = await deadline(client, owner, rid)
    assert (paused["paused"], paused["remaining_working_days"], paused["ledger"]) == (True, 8, [])
    assert paused["due_date"] is None
    frozen_clock.set(riyadh("2026-03-18T09:00"))
    await act(client, owner, rid, "clarification/answer", {"answer": "نعم"})
    explained = await deadline(client, owner, rid)
    assert [
        (item["event"], item["due_date"], item["working_days"], item["remaining_working_days"])
        for item in explained["events"]
    ] == [
        ("received", "2026-03-29", 10, None),
        ("paused", "2026-03-29", None, 8),
        ("resumed", "2026-03-30", 8, None),
    ]


async def test_a_holiday_announced_after_filing_moves_the_due_date_later_never_earlier(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, admin = auth("b1", "beneficiary"), auth("a1", "admin")
    receipt = await file(client, owner)
    added = await client.post("/v1/calendar/holidays", json=HOLIDAY_24, headers=admin)
    assert added.status_code == 201
    moved = await client.get(f"{BASE}/{receipt['id']}", headers=owner)
    assert moved.json()["due_date"] == "2026-03-30"
    assert moved.headers["etag"] == 'W/"2"', "clients holding the old version must re-read"
    (event,) = await events(database, "deadline.moved")
    assert (event.entity_type, event.entity_id, event.actor_sub) == (
        "information_requests",
        receipt["id"],
        "a1",
    )
    assert (event.details["from_due_date"], event.details["to_due_date"]) == (
        "2026-03-29",
        "2026-03-30",
    )
    withdrawn = await client.delete("/v1/calendar/holidays/2026-03-24", headers=admin)
    assert withdrawn.status_code == 204
    explained = await deadline(client, owner, receipt["id"])
    assert (explained["due_date"], explained["calendar_due_date"]) == ("2026-03-30", "2026-03-29")
    assert [item["event"] for item in explained["events"]] == ["received", "deadline_moved"]
    assert explained["events"][1]["from_due_date"] == "2026-03-29"
    assert len(await events(database, "deadline.moved")) == 1


@pytest.mark.parametrize("status", ["answered", "withdrawn"])
async def test_a_closed_request_keeps_its_due_date_through_calendar_edits(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    status: str,
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await started(client, auth)
    if status == "answered":
        body: dict[str, Any] = {"outcome": "answered", "response": {"ar": "مرفق"}}
        await act(client, officer, receipt["id"], "response", body)
    else:
        await act(client, owner, receipt["id"], "withdraw")
    await client.post("/v1/calendar/holidays", json=HOLIDAY_24, headers=auth("a1", "admin"))
    assert (await read(client, owner, receipt["id"]))["due_date"] == "2026-03-29"
    assert await events(database, "deadline.moved") == []


async def test_a_deadline_past_an_estimated_eid_says_it_is_an_estimate(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    settings: Settings,
) -> None:
    async with database.sessions() as session:
        await calendar_service.seed_baseline(session, CalendarRules.from_settings(settings), [2026])
        await session.commit()
    owner = auth("b1", "beneficiary")
    receipt = await file(client, owner)
    assert receipt["due_date"] == "2026-04-02"  # 19 and 22-24 March are the estimated Eid break
    explained = await deadline(client, owner, receipt["id"])
    assert explained["estimated"] is True
    eid = next(day for day in explained["ledger"] if day["date"] == "2026-03-19")
    assert (eid["counted"], eid["reason"], eid["estimated"]) == (False, "holiday", True)
    assert eid["holiday_name"]["en"] == "Eid al-Fitr Holiday"


async def test_a_reopened_request_explains_its_fresh_period(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    receipt = await started(client, auth)
    await act(client, officer, receipt["id"], "response", refusal())
    # An upheld appeal reopens the request through the service (as the appeals service does).
    upheld_at = riyadh("2026-04-06T11:00")  # Monday before the cut-off: day 0
    appeals_officer = Principal("ap1", frozenset({Role.APPEALS_OFFICER}))
    async with database.sessions() as session:
        request = await session.get_one(InformationRequest, uuid.UUID(receipt["id"]))
        await request_service.reopen(
            session,
            request,
            by=appeals_officer,
            at=upheld_at,
            snapshot=CalendarSnapshot(),
            working_days=10,
            appeal_id=uuid.uuid4(),
        )
        await session.commit()
    explained = await deadline(client, owner, receipt["id"])
    assert (explained["clock_origin"], explained["start_date"], explained["due_date"]) == (
        "reopened",
        "2026-04-06",
        "2026-04-20",
    )
    assert explained["events"][-1] == explained["events"][-1] | {
        "event": "reopened",
        "due_date": "2026-04-20",
        "working_days": 10,
    }
    detail = await read(client, owner, receipt["id"])
    assert (detail["status"], detail["legal_grounds"], detail["response"]) == (
        "in_progress",
        [],
        None,
    )

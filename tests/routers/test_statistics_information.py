"""Public access-to-information statistics: the decision facts, every figure, suppression, CSV."""

import csv
import io
import itertools
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.appeal import Appeal
from app.models.information_request import InformationRequest
from tests.routers.test_information_requests import act, file, stored
from tests.routers.test_request_handling import ANSWER, refusal

Auth = Callable[..., dict[str, str]]
URL = "/v1/statistics/information-requests"
# Riyadh is UTC+3: local midnight starting 1 March 2026 is 21:00 UTC on 28 February.
MARCH_STARTS = datetime(2026, 2, 28, 21, 0, tzinfo=UTC)
APRIL_STARTS = datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
IN_MARCH = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
ASKED_AT = datetime(2026, 4, 5, 9, 0, tzinfo=UTC)  # Sunday 5 April, 12:00 in Riyadh
REFUSAL = refusal()  # on the classified_record ground
_numbers = itertools.count(1)


def shown(value: int | float) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


HIDDEN = {"value": None, "suppressed": True}
NONE = {"value": None, "suppressed": False}  # nothing to measure (a rate over zero items)


def grounds(*names: str) -> list[dict[str, Any]]:
    return [
        {"ground": name} | ({"citation": "نظام الوثائق"} if name == "other_law" else {})
        for name in names
    ]


async def add_request(
    database: Database,
    status: str,
    *,
    received_at: datetime = IN_MARCH,
    decided_at: datetime | None = None,
    due_date: date | None = date(2026, 3, 24),
    on_time: bool | None = None,
    days: int | None = None,
    cited: Sequence[str] = (),
) -> uuid.UUID:
    """An information request written through the ORM, in bulk, with its decision facts."""
    row = InformationRequest(
        reference=f"IR-T-{next(_numbers):06d}",
        requester_sub="b1",
        subject="ميزانية مشاريع الطرق",
        description="أطلب بيان المبالغ المصروفة",
        category="reports_statistics",
        status=status,
        received_at=received_at,
        working_days=10,
        clock_origin="received",
        clock_started_at=received_at,
        clock_working_days=10,
        due_date=due_date,
        decided_by="io-1" if decided_at else None,
        decided_at=decided_at,
        decided_on_time=on_time,
        decision_working_days=days,
        legal_grounds=grounds(*cited),
        handlers=["io-1"],
    )
    async with database.sessions() as session:
        session.add(row)
        await session.commit()
    return row.id


async def add_appeal(
    database: Database,
    request_id: uuid.UUID,
    status: str,
    *,
    received_at: datetime = IN_MARCH,
    decided_at: datetime | None = None,
) -> None:
    row = Appeal(
        reference=f"AP-T-{next(_numbers):06d}",
        request_id=request_id,
        appellant_sub="b1",
        ground="refusal",
        statement="لم يُذكر سند نظامي",
        status=status,
        received_at=received_at,
        working_days=10,
        due_date=date(2026, 3, 31),
        decided_by="ao-1" if decided_at else None,
        decided_at=decided_at,
    )
    async with database.sessions() as session:
        session.add(row)
        await session.commit()


async def statistics(client: httpx.AsyncClient, query: str, **headers: str) -> dict[str, Any]:
    response = await client.get(f"{URL}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"  # caches keep the JSON and CSV apart
    return response.json()  # type: ignore[no-any-return]


# -- the decision facts --------------------------------------------------------------------------


async def test_a_decision_records_whether_it_was_on_time_and_the_working_days_elapsed(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    # Filed on Sunday 15 March at 12:00 in Riyadh: day 0 is that Sunday, due Sunday 29 March.
    early, late, paused = [(await file(client, owner))["id"] for _ in range(3)]
    for rid in (early, late, paused):
        assert (await act(client, officer, rid, "start")).status_code == 200
    frozen_clock.set(datetime.fromisoformat("2026-03-17T10:00:00+03:00"))
    question = {"question": {"ar": "هل تقصد أبها فقط؟"}}
    assert (await act(client, officer, paused, "clarification", question)).status_code == 200
    frozen_clock.set(datetime.fromisoformat("2026-03-19T10:00:00+03:00"))  # Thursday
    assert (await act(client, officer, early, "response", ANSWER)).status_code == 200
    answer = {"answer": "نعم، أبها فقط."}
    assert (await act(client, owner, paused, "clarification/answer", answer)).status_code == 200
    # The pause kept 8 working days, counted again after Thursday 19th: due Tuesday 31 March.
    frozen_clock.set(datetime.fromisoformat("2026-03-31T14:00:00+03:00"))  # Tuesday
    assert (await act(client, officer, late, "response", REFUSAL)).status_code == 200
    assert (await act(client, officer, paused, "response", ANSWER)).status_code == 200
    facts = [await stored(database, rid) for rid in (early, late, paused)]
    assert [(row.decided_on_time, row.decision_working_days) for row in facts] == [
        (True, 4),  # Monday 16 to Thursday 19
        (False, 12),  # two working days past the 29th
        (True, 12),  # elapsed working days include the clarification pause
    ]


async def test_a_decision_after_hours_on_the_filing_day_took_no_working_days(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    # Filed on Sunday at 16:00 in Riyadh, after the cut-off: day 0 is Monday.
    frozen_clock.set(datetime.fromisoformat("2026-03-15T16:00:00+03:00"))
    rid = (await file(client, auth("b1", "beneficiary")))["id"]
    officer = auth("o1", "information_officer")
    await act(client, officer, rid, "start")
    frozen_clock.set(datetime.fromisoformat("2026-03-15T18:00:00+03:00"))
    assert (await act(client, officer, rid, "response", ANSWER)).status_code == 200
    row = await stored(database, rid)
    assert (row.decided_on_time, row.decision_working_days) == (True, 0)


async def test_a_request_reopened_by_an_upheld_appeal_counts_its_latest_decision(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("o1", "information_officer")
    rid = (await file(client, owner))["id"]  # Sunday 15 March, due 29 March
    await act(client, officer, rid, "start")
    frozen_clock.set(datetime.fromisoformat("2026-03-16T10:00:00+03:00"))
    assert (await act(client, officer, rid, "response", REFUSAL)).status_code == 200
    assert (await stored(database, rid)).decision_working_days == 1
    body = {"ground": "refusal", "statement": "لم يُذكر سند نظامي كافٍ"}
    appeal = await client.post(f"/v1/information-requests/{rid}/appeals", json=body, headers=owner)
    assert appeal.status_code == 201, appeal.text
    # Upheld on Wednesday 18 March at 10:00: a fresh 10 working days, due Wednesday 1 April.
    frozen_clock.set(datetime.fromisoformat("2026-03-18T10:00:00+03:00"))
    decision = {"outcome": "upheld", "reasoning": {"ar": "لم يُبيَّن السند النظامي"}}
    upheld = await client.post(
        f"/v1/appeals/{appeal.json()['id']}/decision",
        json=decision,
        headers=auth("ao1", "appeals_officer"),
    )
    assert upheld.status_code == 200, upheld.text
    frozen_clock.set(datetime.fromisoformat("2026-04-02T10:00:00+03:00"))  # Thursday, late
    assert (await act(client, officer, rid, "response", ANSWER)).status_code == 200
    row = await stored(database, rid)
    # Counted from the original start day (Sunday 15 March): 14 working days to 2 April.
    assert (row.status, row.decided_on_time, row.decision_working_days) == ("answered", False, 14)
    frozen_clock.set(ASKED_AT)
    march = await statistics(client, "year=2026&month=3")
    assert (march["decided"], march["by_outcome"]["refused"]) == (shown(0), shown(0))
    assert (march["appeals_filed"], march["appeals_decided"]) == (HIDDEN, HIDDEN)
    april = await statistics(client, "year=2026&month=4")
    assert (april["decided"], april["by_outcome"]["answered"]) == (HIDDEN, HIDDEN)


# -- the figures ---------------------------------------------------------------------------------


@pytest.fixture
async def march(database: Database) -> None:
    """Known data for March 2026 (Asia/Riyadh), with rows just outside it."""
    for day, days in enumerate((2, 4, 6, 8, 10, 12), start=2):  # five on time, one late
        decided_at = datetime(2026, 3, day, 9, 0, tzinfo=UTC)
        await add_request(database, "answered", decided_at=decided_at, on_time=days < 12, days=days)
    refusals = [("classified_record",), ("classified_record",), ("classified_record",)]
    refusals.append(("classified_record", "national_security"))
    for index, cited in enumerate(refusals):
        # The last one predates the decision facts: on time unknown, working days unknown.
        known = index < 3
        await add_request(
            database,
            "refused",
            received_at=datetime(2026, 2, 20, 8, 0, tzinfo=UTC),
            decided_at=IN_MARCH,
            on_time=True if known else None,
            cited=cited,
        )
    await add_request(
        database,
        "partially_answered",
        decided_at=IN_MARCH,
        on_time=True,
        cited=("classified_record", "protected_personal_data"),
    )
    # Just outside the month, by Riyadh midnights.
    await add_request(database, "submitted", received_at=MARCH_STARTS - timedelta(seconds=1))
    await add_request(database, "submitted", received_at=MARCH_STARTS)  # 1 March 00:00
    await add_request(database, "not_held", decided_at=APRIL_STARTS, on_time=True, days=3)
    await add_request(database, "answered", decided_at=APRIL_STARTS - timedelta(seconds=1), days=1)


@pytest.mark.usefixtures("march")
async def test_a_month_gives_the_known_figures_with_small_groups_suppressed(
    client: httpx.AsyncClient, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(ASKED_AT)
    body = await statistics(client, "year=2026&month=3")
    assert body["period"] == {
        "year": 2026,
        "month": 3,
        "from": "2026-03-01T00:00:00+03:00",
        "to": "2026-04-01T00:00:00+03:00",
    }
    assert body["generated_at"] == "2026-04-05T09:00:00Z"
    # Received in March: 6 answered, the partial answer, the one filed at 1 March 00:00, and
    # the two decided just around the month's end (the refusals came in February).
    assert body["received"] == shown(10)
    assert body["decided"] == shown(12)
    assert body["by_outcome"] == {
        "answered": shown(7),
        "partially_answered": HIDDEN,  # 1
        "refused": HIDDEN,  # 4
        "not_held": shown(0),  # decided on 1 April, Riyadh time
    }
    assert body["refusals_by_legal_ground"] == {
        "national_security": HIDDEN,
        "protected_personal_data": HIDDEN,
        "classified_record": shown(5),
        "other_law": shown(0),
    }
    # On time: 5 answered + 3 refused + 1 partial, over the 10 decisions whose timing is known.
    assert body["on_time_rate"] == shown(0.9)
    # Working days of the 7 answered decisions: 1, 2, 4, 6, 8, 10, 12.
    assert body["median_working_days_to_decision"] == shown(6)


@pytest.mark.usefixtures("march")
async def test_a_year_takes_every_month_and_a_median_over_an_even_count_is_the_mean_of_two(
    client: httpx.AsyncClient, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(ASKED_AT)
    body = await statistics(client, "year=2026")
    assert body["period"]["month"] is None
    assert (body["period"]["from"], body["period"]["to"]) == (
        "2026-01-01T00:00:00+03:00",
        "2027-01-01T00:00:00+03:00",
    )
    assert (body["received"], body["decided"]) == (shown(15), shown(13))
    assert body["by_outcome"]["not_held"] == HIDDEN
    assert body["median_working_days_to_decision"] == shown(5)  # 1 2 3 4 6 8 10 12
    assert body["on_time_rate"] == shown(round(10 / 11, 4))
    assert (await statistics(client, "year=2025"))["received"] == shown(0)


async def test_open_and_overdue_now_do_not_depend_on_the_period(
    client: httpx.AsyncClient, frozen_clock: FrozenClock, database: Database
) -> None:
    frozen_clock.set(ASKED_AT)  # today is 5 April
    for status in ("submitted", "in_progress", "in_progress", "submitted", "in_progress"):
        await add_request(database, status, due_date=date(2026, 4, 2))  # overdue
    await add_request(database, "in_progress", due_date=date(2026, 4, 5))  # due today
    await add_request(database, "awaiting_clarification", due_date=None)  # paused
    await add_request(database, "withdrawn")
    await add_request(database, "answered", decided_at=IN_MARCH, due_date=date(2026, 3, 1))
    for query in ("year=2026&month=3", "year=2020"):
        body = await statistics(client, query)
        assert (body["open_now"], body["overdue_now"]) == (shown(7), shown(5))
    frozen_clock.set(datetime(2026, 4, 5, 21, 0, tzinfo=UTC))  # 6 April in Riyadh
    assert (await statistics(client, "year=2026"))["overdue_now"] == shown(6)


async def test_appeals_filed_decided_and_the_upheld_rate(
    client: httpx.AsyncClient, frozen_clock: FrozenClock, database: Database
) -> None:
    frozen_clock.set(ASKED_AT)
    request_id = await add_request(database, "refused", decided_at=IN_MARCH, cited=["other_law"])
    outcomes = ("upheld", "upheld", "partially_upheld", "rejected", "rejected", "upheld")
    for outcome in outcomes:
        await add_appeal(database, request_id, outcome, decided_at=IN_MARCH)
    await add_appeal(database, request_id, "submitted")
    await add_appeal(database, request_id, "withdrawn")
    # Filed in February, decided in March: decided in March, not filed in it.
    await add_appeal(
        database,
        request_id,
        "rejected",
        received_at=datetime(2026, 2, 25, tzinfo=UTC),
        decided_at=IN_MARCH,
    )
    await add_appeal(database, request_id, "upheld", decided_at=APRIL_STARTS)
    body = await statistics(client, "year=2026&month=3")
    assert (body["appeals_filed"], body["appeals_decided"]) == (shown(9), shown(7))
    assert body["upheld_rate"] == shown(round(4 / 7, 4))
    april = await statistics(client, "year=2026&month=4")
    assert (april["appeals_filed"], april["appeals_decided"], april["upheld_rate"]) == (
        shown(0),
        HIDDEN,
        HIDDEN,
    )


async def test_with_nothing_recorded_counts_are_zero_and_rates_have_nothing_to_measure(
    client: httpx.AsyncClient,
) -> None:
    body = await statistics(client, "year=2026&month=1")
    assert (body["received"], body["decided"], body["open_now"]) == (shown(0),) * 3
    assert (body["on_time_rate"], body["median_working_days_to_decision"]) == (NONE, NONE)
    assert body["upheld_rate"] == NONE


# -- CSV and negotiation -------------------------------------------------------------------------


@pytest.mark.usefixtures("march")
async def test_the_figures_as_csv_open_data(
    client: httpx.AsyncClient, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(ASKED_AT)
    response = await client.get(f"{URL}?year=2026&month=3", headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="information-requests-2026-03.csv"'
    )
    assert response.headers["vary"] == "Accept"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == ["figure", "group", "value", "suppressed"]
    assert rows[1:6] == [
        ["received", "", "10", "false"],
        ["decided", "", "12", "false"],
        ["by_outcome", "answered", "7", "false"],
        ["by_outcome", "partially_answered", "", "true"],
        ["by_outcome", "refused", "", "true"],
    ]
    assert ["refusals_by_legal_ground", "other_law", "0", "false"] in rows
    assert ["on_time_rate", "", "0.9", "false"] in rows
    assert ["upheld_rate", "", "", "false"] in rows
    assert len(rows) == 1 + 2 + 4 + 4 + 7  # header, two counts, two groups, seven figures
    year = await client.get(f"{URL}?year=2026", headers={"Accept": "text/csv"})
    assert 'filename="information-requests-2026.csv"' in year.headers["content-disposition"]


# -- parameters and access -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=2026&month=13", "query.month"),
        ("year=2026&month=0", "query.month"),
        ("month=3", "query.year"),
        ("year=2019", "query.year"),
        ("year=2101", "query.year"),
        ("year=twenty", "query.year"),
    ],
)
async def test_bad_parameters_are_422_problems(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"{URL}?{query}", headers={"Accept": "text/csv"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_anyone_may_read_the_statistics_with_or_without_a_token(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    anonymous = await client.get(f"{URL}?year=2026")
    assert anonymous.status_code == 200
    for roles in (("beneficiary",), ("analyst",), ("information_officer",)):
        signed_in = await client.get(f"{URL}?year=2026", headers=auth("u1", *roles))
        assert signed_in.status_code == 200
        assert signed_in.json()["received"] == anonymous.json()["received"]

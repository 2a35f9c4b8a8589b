"""Complaint response reminders: an undecided complaint hears of its response date once per
threshold; the participation officers hear all three, the submitter only that it is late.

Complaints are filed through the API with the clock set by the test; the worker's pass
(``reminders.emit_due``) runs at chosen instants (``Ticks`` from the reminders tests).
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.db import Database
from app.services import reminders
from app.services.calendar import CalendarRules, load_snapshot
from tests.conftest import on_postgres
from tests.routers.test_submission_workflow import REASON, act
from tests.routers.test_submissions import imported, submit
from tests.services.test_reminders import Ticks, inbox, on
from tests.support.statements import Statement, StatementRecorder
from tests.test_index_plans import explain, nodes, outline

Auth = Callable[..., dict[str, str]]
SUBMITTER, OFFICER = ("b1", "beneficiary"), ("po1", "participation_officer")
PARTIAL_INDEX = "ix_submissions_undecided_response_due_date"


@pytest.fixture
def ticks(database: Database, settings: Settings, frozen_clock: FrozenClock) -> Ticks:
    return Ticks(database, settings, frozen_clock)


async def complaint_on_thursday(
    client: httpx.AsyncClient, auth: Auth, clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    """b1's complaint filed on Thursday 12 March at 09:00: a response is due ten working days
    on, Thursday 26."""
    clock.set(on(12, hour=9))
    receipt = await submit(client, auth(*SUBMITTER), **({"kind": "complaint"} | overrides))
    if receipt["kind"] == "complaint":
        assert receipt["response_due_date"] == "2026-03-26"
    return receipt


async def test_a_complaint_hears_each_threshold_once_and_never_escalates(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    receipt = await complaint_on_thursday(client, auth, frozen_clock)
    assert await ticks.types_at(on(23)) == []  # Monday: Tue, Wed, Thu left
    soon = await ticks.at(on(24))  # Tuesday: Wednesday and Thursday left
    assert [(e.type, e.entity_type, e.entity_id, e.reference) for e in soon] == [
        ("submission.due_soon", "submissions", receipt["id"], receipt["reference"])
    ]
    assert soon[0].data == {
        "due_date": "2026-03-26",
        "due_date_hijri": "1447-10-07",
        "working_days_left": 2,
    }
    assert await ticks.types_at(on(24, hour=18)) == []  # running again emits nothing new
    assert await ticks.types_at(on(25)) == []
    assert await ticks.types_at(on(26)) == ["submission.due_today"]
    overdue = await ticks.at(on(27, hour=0))  # Friday, the first instant after the deadline
    assert [e.type for e in overdue] == ["submission.overdue"]
    assert overdue[0].data["working_days_overdue"] == 0
    # A request would escalate on Tuesday 31 (the weekend skipped); a complaint never does.
    for day in (28, 29, 30, 31):
        assert await ticks.types_at(on(day)) == []
    assert await ticks.types_at(on(15, month=4)) == []


async def test_officers_hear_all_three_and_the_submitter_only_the_overdue(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
) -> None:
    await complaint_on_thursday(client, auth, frozen_clock)
    (soon,) = await ticks.at(on(24))
    (today,) = await ticks.at(on(26))
    (overdue,) = await ticks.at(on(29))
    assert await inbox(database, soon) == {"role:participation_officer"}
    assert await inbox(database, today) == {"role:participation_officer"}
    assert await inbox(database, overdue) == {"b1", "role:participation_officer"}
    assert (overdue.owner_sub, overdue.handler_sub, overdue.audience_roles) == (
        "b1",
        None,
        ["participation_officer"],
    )


async def inbox_of(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/v1/me/notifications", params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_the_submitter_reads_that_their_complaint_is_late_without_any_appeal_offer(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    receipt = await complaint_on_thursday(client, auth, frozen_clock)
    for when in (on(24), on(26), on(29)):
        await ticks.at(when)
    mine = await inbox_of(client, auth(*SUBMITTER))
    assert sorted(item["type"] for item in mine) == ["submission.overdue", "submission.received"]
    (late,) = [item for item in mine if item["type"] == "submission.overdue"]
    assert late["title"]["en"] == f"The response to your complaint {receipt['reference']} is late"
    assert late["title"]["ar"] == f"تأخر الرد على شكواك رقم {receipt['reference']}"
    assert "2026-03-26 (7 Shawwal 1447 AH)" in late["body"]["en"]
    assert "appeal" not in late["body"]["en"].lower() and "تظلم" not in late["body"]["ar"]
    staff = await inbox_of(client, auth(*OFFICER))
    assert sorted(item["type"] for item in staff) == [
        "submission.due_soon",
        "submission.due_today",
        "submission.overdue",
    ]
    (overdue,) = [item for item in staff if item["type"] == "submission.overdue"]
    assert overdue["title"]["en"] == f"Complaint {receipt['reference']} is overdue"


async def test_only_undecided_complaints_hear_reminders(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    officer = auth(*OFFICER)
    decided = await complaint_on_thursday(client, auth, frozen_clock)
    withdrawn = await complaint_on_thursday(client, auth, frozen_clock)
    received = await complaint_on_thursday(client, auth, frozen_clock)
    reviewed = await complaint_on_thursday(client, auth, frozen_clock)
    await complaint_on_thursday(client, auth, frozen_clock, kind="suggestion")
    await complaint_on_thursday(client, auth, frozen_clock, kind="comment")
    assert (await act(client, officer, reviewed["id"], "review")).status_code == 200
    decision = {"disposition": "resolved", "reason": REASON}
    assert (await act(client, officer, decided["id"], "decision", decision)).status_code == 200
    assert (await act(client, auth(*SUBMITTER), withdrawn["id"], "withdraw")).status_code == 200
    for when in (on(24), on(26), on(29)):
        assert {event.entity_id for event in await ticks.at(when)} == {
            received["id"],
            reviewed["id"],
        }


async def test_a_complaint_decided_after_its_reminder_hears_no_more(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    receipt = await complaint_on_thursday(client, auth, frozen_clock)
    assert await ticks.types_at(on(24)) == ["submission.due_soon"]
    decision = {"disposition": "referred", "reason": REASON}
    assert (await act(client, auth(*OFFICER), receipt["id"], "decision", decision)).is_success
    for when in (on(26), on(29)):
        assert await ticks.types_at(when) == []


async def test_an_imported_complaint_without_a_submitter_reminds_the_officers_alone(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
) -> None:
    frozen_clock.set(on(12, hour=9))
    body = imported(kind="complaint", received_at=on(12, hour=9).isoformat())
    response = await client.post(
        "/v1/submissions/imports", json=body, headers=auth("i1", "channel_integrator")
    )
    assert response.status_code == 201, response.text
    assert response.json()["response_due_date"] == "2026-03-26"
    (overdue,) = await ticks.at(on(29))
    assert (overdue.type, overdue.owner_sub) == ("submission.overdue", None)
    assert await inbox(database, overdue) == {"role:participation_officer"}


async def test_a_response_date_moved_later_earns_its_reminders_again(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    receipt = await complaint_on_thursday(client, auth, frozen_clock)
    assert [e.data["due_date"] for e in await ticks.at(on(24))] == ["2026-03-26"]
    holiday = {"date": "2026-03-25", "name": {"ar": "إجازة", "en": "Holiday"}}
    added = await client.post("/v1/calendar/holidays", json=holiday, headers=auth("a1", "admin"))
    assert added.status_code == 201, added.text
    moved = await client.get(f"/v1/submissions/{receipt['id']}", headers=auth(*OFFICER))
    assert moved.json()["response_due_date"] == "2026-03-29"
    again = await ticks.at(on(24, hour=11))  # Thursday 26 and Sunday 29 are left
    assert [(e.type, e.data["due_date"]) for e in again] == [("submission.due_soon", "2026-03-29")]
    assert await ticks.types_at(on(26)) == []
    assert await ticks.types_at(on(29)) == ["submission.due_today"]


# -- PostgreSQL: the candidates come from the partial index --------------------------------------


async def generic_plan(connection: AsyncConnection, statement: Statement) -> dict[str, Any]:
    """The plan PostgreSQL may settle on for a prepared statement the worker runs over and over:
    one made without the parameters' values (the worker's driver prepares its statements)."""
    await connection.exec_driver_sql(f"PREPARE candidates AS {statement.sql}")
    try:
        await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        values = ", ".join(f"'{value}'" for value in statement.parameters)  # dates and codes
        sql = f"EXPLAIN (FORMAT JSON) EXECUTE candidates({values})"
        document = (await connection.exec_driver_sql(sql)).scalar_one()
    finally:
        await connection.exec_driver_sql("DEALLOCATE candidates")
    return document[0]["Plan"]  # type: ignore[no-any-return]


async def complaint_candidates_plan(
    database: Database, settings: Settings, statements: StatementRecorder, *, generic: bool
) -> dict[str, Any]:
    """The plan of the pass's SELECT of complaints, with sequential scans off."""
    async with database.sessions() as session:
        snapshot = await load_snapshot(session, CalendarRules.from_settings(settings))
        statements.clear()
        await reminders.emit_due(session, settings, snapshot, on(24, hour=12))
        (select,) = [s for s in statements.selects() if "FROM submissions" in s.sql]
        connection = await session.connection()
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = await (generic_plan if generic else explain)(connection, select)
        await session.rollback()
    return plan


@pytest.mark.skipif(not on_postgres(), reason="set BENEFICIARY_TEST_DATABASE_URL")
@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
async def test_candidates_are_read_from_the_undecided_complaints_index(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
    settings: Settings,
    statements: StatementRecorder,
    generic: bool,
) -> None:
    await complaint_on_thursday(client, auth, frozen_clock)
    decided = await complaint_on_thursday(client, auth, frozen_clock)
    decision = {"disposition": "resolved", "reason": REASON}
    assert (await act(client, auth(*OFFICER), decided["id"], "decision", decision)).is_success
    assert len(await ticks.at(on(24))) == 1
    plan = await complaint_candidates_plan(database, settings, statements, generic=generic)
    used = {node.get("Index Name") for node in nodes(plan)}
    assert PARTIAL_INDEX in used, outline(plan)

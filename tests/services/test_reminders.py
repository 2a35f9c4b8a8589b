"""Time-based events: each open item hears of each deadline threshold once, on the right day.

Requests are filed through the API with the clock set by the test; the worker's pass
(``reminders.emit_due``) is run at chosen instants and the events it wrote are inspected.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.db import Database
from app.models.consultation import Consultation
from app.models.event import Event, Notification
from app.models.information_request import InformationRequest
from app.services import reminders
from app.services.calendar import CalendarRules, load_snapshot
from tests.routers.test_feedback_reports import Seeder
from tests.routers.test_feedback_reports import draft as draft_feedback
from tests.routers.test_feedback_reports import publish as publish_feedback
from tests.routers.test_information_requests import act, file
from tests.routers.test_request_handling import ANSWER, QUESTION, refusal
from tests.routers.test_submissions import submit
from tests.support.statements import StatementRecorder

Auth = Callable[..., dict[str, str]]
RIYADH = ZoneInfo("Asia/Riyadh")
OWNER, OFFICER = ("b1", "beneficiary"), ("o1", "information_officer")
REVIEWER = ("ao1", "appeals_officer")


def on(day: int, month: int = 3, hour: int = 10) -> datetime:
    """An instant of March (or ``month``) 2026, Riyadh time."""
    return datetime.combine(date(2026, month, day), time(hour), RIYADH)


@dataclass
class Ticks:
    """Runs the worker's reminder pass at a chosen instant; returns the events it wrote."""

    database: Database
    settings: Settings
    clock: FrozenClock
    seen: int = 0

    async def at(self, when: datetime) -> list[Event]:
        self.clock.set(when)
        async with self.database.sessions() as session:
            rules = CalendarRules.from_settings(self.settings)
            snapshot = await load_snapshot(session, rules)
            count = await reminders.emit_due(session, self.settings, snapshot, when)
            await session.commit()
            statement = select(Event).where(
                Event.position > self.seen, Event.dedupe_key.is_not(None)
            )
            written = list(await session.scalars(statement.order_by(Event.position)))
        assert count == len(written)
        self.seen = max([self.seen, *(event.position for event in written)])
        return written

    async def types_at(self, when: datetime) -> list[str]:
        return [event.type for event in await self.at(when)]


@pytest.fixture
def ticks(database: Database, settings: Settings, frozen_clock: FrozenClock) -> Ticks:
    return Ticks(database, settings, frozen_clock)


async def inbox(database: Database, event: Event) -> set[str]:
    """Who the event reached: account ids, and ``role:<name>`` for every holder of a role."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(Notification.recipient_sub, Notification.recipient_role).where(
                Notification.event_id == event.id
            )
        )
        return {sub or f"role:{role}" for sub, role in rows}


async def filed_on_thursday(
    client: httpx.AsyncClient, auth: Auth, clock: FrozenClock, *, start: bool = True
) -> dict[str, Any]:
    """A request filed on Thursday 12 March at 09:00: due ten working days on, Thursday 26."""
    clock.set(on(12, hour=9))
    receipt = await file(client, auth(*OWNER))
    assert receipt["due_date"] == "2026-03-26"
    if start:
        assert (await act(client, auth(*OFFICER), receipt["id"], "start")).status_code == 200
    return receipt


# -- information requests ------------------------------------------------------------------------


async def test_a_request_hears_each_threshold_once_around_a_thursday_deadline(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    receipt = await filed_on_thursday(client, auth, frozen_clock)
    assert await ticks.types_at(on(23)) == []  # Monday: Tue, Wed, Thu left
    soon = await ticks.at(on(24))  # Tuesday: Wednesday and Thursday left
    assert [(e.type, e.entity_id, e.reference) for e in soon] == [
        ("request.due_soon", receipt["id"], receipt["reference"])
    ]
    assert soon[0].data == {
        "due_date": "2026-03-26",
        "due_date_hijri": "1447-10-07",
        "working_days_left": 2,
    }
    assert await ticks.types_at(on(24, hour=18)) == []  # running again emits nothing new
    assert await ticks.types_at(on(25)) == []
    assert await ticks.types_at(on(26)) == ["request.due_today"]
    overdue = await ticks.at(on(27, hour=0))  # Friday, the first instant after the deadline
    assert [e.type for e in overdue] == ["request.overdue"]
    assert overdue[0].data["working_days_overdue"] == 0
    # Friday and Saturday are not working days: two working days past Thursday end on Monday.
    for day in (28, 29, 30):
        assert await ticks.types_at(on(day)) == []
    escalated = await ticks.at(on(31))
    assert [e.type for e in escalated] == ["request.escalated"]
    assert escalated[0].data["working_days_overdue"] == 3
    assert await ticks.types_at(on(1, month=4)) == []


async def test_reminders_reach_the_handling_officer_overdue_the_requester_escalation_admins(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
) -> None:
    await filed_on_thursday(client, auth, frozen_clock)
    (soon,) = await ticks.at(on(24))
    (today,) = await ticks.at(on(26))
    (overdue,) = await ticks.at(on(27))
    (escalated,) = await ticks.at(on(31))
    assert await inbox(database, soon) == {"o1"}
    assert await inbox(database, today) == {"o1"}
    assert await inbox(database, overdue) == {"b1", "o1"}
    assert await inbox(database, escalated) == {"o1", "role:admin"}
    assert (escalated.owner_sub, escalated.audience_roles) == ("b1", ["admin"])


async def test_an_unassigned_request_reminds_every_information_officer(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
) -> None:
    await filed_on_thursday(client, auth, frozen_clock, start=False)
    (soon,) = await ticks.at(on(24))
    assert await inbox(database, soon) == {"role:information_officer"}
    (escalated,) = [e for e in await ticks.at(on(31)) if e.type == "request.escalated"]
    assert await inbox(database, escalated) == {"role:admin"}


async def test_a_holiday_after_the_due_date_delays_escalation(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    await filed_on_thursday(client, auth, frozen_clock)
    holiday = {"date": "2026-03-30", "name": {"ar": "إجازة", "en": "Holiday"}}
    added = await client.post("/v1/calendar/holidays", json=holiday, headers=auth("a1", "admin"))
    assert added.status_code == 201, added.text
    assert await ticks.types_at(on(27)) == ["request.overdue"]
    assert await ticks.types_at(on(31)) == []  # Sunday 29 and Tuesday 31 are the two days
    assert await ticks.types_at(on(1, month=4)) == ["request.escalated"]


async def test_missed_stages_are_not_sent_late(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    await filed_on_thursday(client, auth, frozen_clock)
    # The worker was stopped from Monday to the day after the escalation point.
    assert await ticks.types_at(on(31)) == ["request.overdue", "request.escalated"]


async def test_escalation_after_zero_working_days_comes_with_overdue(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    await filed_on_thursday(client, auth, frozen_clock)
    ticks.settings = ticks.settings.model_copy(update={"escalation_after_working_days": 0})
    assert await ticks.types_at(on(26)) == ["request.due_today"]
    assert await ticks.types_at(on(27, hour=0)) == ["request.overdue", "request.escalated"]


async def test_answered_withdrawn_and_paused_requests_hear_nothing(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    officer = auth(*OFFICER)
    answered = await filed_on_thursday(client, auth, frozen_clock)
    withdrawn = await filed_on_thursday(client, auth, frozen_clock)
    paused = await filed_on_thursday(client, auth, frozen_clock)
    live = await filed_on_thursday(client, auth, frozen_clock)
    assert (await act(client, officer, answered["id"], "response", ANSWER)).status_code == 200
    assert (await act(client, auth(*OWNER), withdrawn["id"], "withdraw")).status_code == 200
    assert (await act(client, officer, paused["id"], "clarification", QUESTION)).status_code == 200
    for when in (on(24), on(26), on(27), on(31)):
        assert {event.entity_id for event in await ticks.at(when)} == {live["id"]}


async def test_a_deadline_moved_later_earns_its_reminders_again(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    receipt = await filed_on_thursday(client, auth, frozen_clock)
    assert [e.data["due_date"] for e in await ticks.at(on(24))] == ["2026-03-26"]
    holiday = {"date": "2026-03-25", "name": {"ar": "إجازة", "en": "Holiday"}}
    added = await client.post("/v1/calendar/holidays", json=holiday, headers=auth("a1", "admin"))
    assert added.status_code == 201, added.text
    moved = await client.get(f"/v1/information-requests/{receipt['id']}", headers=auth(*OFFICER))
    assert moved.json()["due_date"] == "2026-03-29"
    again = await ticks.at(on(24, hour=11))  # Thursday 26 and Sunday 29 are left
    assert [(e.type, e.data["due_date"]) for e in again] == [("request.due_soon", "2026-03-29")]
    assert await ticks.types_at(on(26)) == []
    assert await ticks.types_at(on(29)) == ["request.due_today"]


# -- appeals -------------------------------------------------------------------------------------


async def appeal_on_thursday(
    client: httpx.AsyncClient, auth: Auth, clock: FrozenClock
) -> dict[str, Any]:
    """b1's appeal against a refusal, filed Thursday 12 March at 10:00: due Thursday 26."""
    request = await filed_on_thursday(client, auth, clock)
    refused = await act(client, auth(*OFFICER), request["id"], "response", refusal())
    assert refused.status_code == 200, refused.text
    clock.set(on(12))
    body = {"ground": "refusal", "statement": "لم يُذكر سند نظامي للرفض"}
    url = f"/v1/information-requests/{request['id']}/appeals"
    appeal = await client.post(url, json=body, headers=auth(*OWNER))
    assert appeal.status_code == 201, appeal.text
    assert appeal.json()["due_date"] == "2026-03-26"
    return appeal.json()  # type: ignore[no-any-return]


async def test_an_appeal_hears_each_threshold_once_and_escalates_to_admins(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
) -> None:
    appeal = await appeal_on_thursday(client, auth, frozen_clock)
    (soon,) = await ticks.at(on(24))
    assert (soon.type, soon.entity_id, soon.data["working_days_left"]) == (
        "appeal.due_soon",
        appeal["id"],
        2,
    )
    assert await inbox(database, soon) == {"role:appeals_officer"}
    review = await client.post(f"/v1/appeals/{appeal['id']}/review", headers=auth(*REVIEWER))
    assert review.status_code == 200, review.text
    assert await ticks.types_at(on(25)) == []
    assert await ticks.types_at(on(26)) == ["appeal.due_today"]
    (overdue,) = await ticks.at(on(29))
    assert (overdue.type, await inbox(database, overdue)) == ("appeal.overdue", {"b1", "ao1"})
    (escalated,) = await ticks.at(on(31))
    assert escalated.type == "appeal.escalated"
    assert await inbox(database, escalated) == {"ao1", "role:admin"}
    assert await ticks.types_at(on(1, month=4)) == []


async def test_a_withdrawn_appeal_hears_nothing(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, frozen_clock: FrozenClock
) -> None:
    appeal = await appeal_on_thursday(client, auth, frozen_clock)
    withdrawn = await client.post(f"/v1/appeals/{appeal['id']}/withdraw", headers=auth(*OWNER))
    assert withdrawn.status_code == 200, withdrawn.text
    for when in (on(24), on(26), on(31)):
        assert await ticks.types_at(when) == []


# -- consultations -------------------------------------------------------------------------------

# Seeder consultations close on 10 March at 15:00 Riyadh; feedback is due by the end of 9 April.
CLOSING = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def test_a_consultation_closes_once_then_its_feedback_falls_due_and_overdue(
    ticks: Ticks, database: Database
) -> None:
    consultation = await Seeder(database).consultation()
    assert await ticks.types_at(on(10, hour=14)) == []
    (closed,) = await ticks.at(CLOSING)
    assert (closed.type, closed.entity_id) == ("consultation.closed", consultation)
    assert closed.data == {
        "closed_at": "2026-03-10T12:00:00+00:00",
        "feedback_due_date": "2026-04-09",
        "feedback_due_date_hijri": "1447-10-21",
    }
    assert await inbox(database, closed) == set()  # the feed and webhooks only
    assert await ticks.types_at(on(11)) == []
    assert await ticks.types_at(on(1, month=4)) == []  # eight days left
    (soon,) = await ticks.at(on(2, month=4))
    assert (soon.type, soon.data["days_left"], soon.data["due_date"]) == (
        "feedback_report.due_soon",
        7,
        "2026-04-09",
    )
    assert await inbox(database, soon) == {"role:participation_officer"}
    assert await ticks.types_at(on(9, month=4, hour=23)) == []
    (overdue,) = await ticks.at(on(10, month=4, hour=0))
    assert (overdue.type, overdue.data["days_overdue"]) == ("feedback_report.overdue", 1)
    assert await ticks.types_at(on(20, month=4)) == []


async def test_a_published_report_silences_the_feedback_reminders(
    client: httpx.AsyncClient, auth: Auth, ticks: Ticks, database: Database
) -> None:
    consultation = await Seeder(database).consultation()
    assert await ticks.types_at(on(11)) == ["consultation.closed"]
    await draft_feedback(client, auth, consultation)
    published = await publish_feedback(client, auth, consultation)
    assert published.status_code == 200, published.text
    for when in (on(2, month=4), on(10, month=4)):
        assert await ticks.types_at(when) == []


async def test_drafts_and_cancelled_consultations_never_close(
    ticks: Ticks, database: Database
) -> None:
    seeder = Seeder(database)
    await seeder.consultation(published=False)
    cancelled = await seeder.consultation()
    async with database.sessions() as session:
        row = await session.get_one(Consultation, uuid.UUID(cancelled))
        row.cancelled_at = datetime(2026, 3, 1, tzinfo=UTC)
        await session.commit()
    for when in (on(11), on(2, month=4), on(10, month=4)):
        assert await ticks.types_at(when) == []


# -- cost ----------------------------------------------------------------------------------------


async def test_a_pass_costs_the_same_few_queries_however_many_items_are_due(
    client: httpx.AsyncClient,
    auth: Auth,
    ticks: Ticks,
    frozen_clock: FrozenClock,
    database: Database,
    settings: Settings,
    statements: StatementRecorder,
) -> None:
    for _ in range(3):
        await filed_on_thursday(client, auth, frozen_clock)
        await submit(client, auth(*OWNER), kind="complaint")  # filed with it, due with it
    await Seeder(database).consultation()
    assert len(await ticks.at(on(24))) == 7  # three requests and three complaints, one closed
    async with database.sessions() as session:
        snapshot = await load_snapshot(session, CalendarRules.from_settings(settings))
        statements.clear()
        assert await reminders.emit_due(session, settings, snapshot, on(24, hour=12)) == 0
    # Requests, appeals, complaints, consultations, then one look-up of all candidates' keys.
    assert [s.sql.split()[0].upper() for s in statements.queries] == ["SELECT"] * 5


# -- several workers -----------------------------------------------------------------------------


def stored_request(due: date) -> InformationRequest:
    received = datetime(2026, 3, 1, 9, tzinfo=UTC)
    return InformationRequest(
        reference=f"IR-T-{uuid.uuid4().hex[:10]}",
        requester_sub="b1",
        subject="طلب",
        description="أطلب بيانات",
        category="open_data",
        status="in_progress",
        assigned_to="o1",
        received_at=received,
        working_days=10,
        clock_started_at=received,
        clock_working_days=10,
        due_date=due,
    )

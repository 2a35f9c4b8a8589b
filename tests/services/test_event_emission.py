"""The outbox through the real API: every state change that matters writes its event, naming the
resource, its reference, its audience and its version, with codes and dates but no personal data.

Participation, datasets and the calendar here; information requests and appeals in
``test_event_emission_information``, which shares the helpers below.
"""

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select, update

from app.core.config import Settings
from app.core.db import Database
from app.models.event import Event, Notification
from app.models.feedback_report import FeedbackReport
from app.models.submission import Submission
from app.services import calendar as calendar_service
from app.services.calendar import CalendarRules
from tests.routers import test_consultations as consultations
from tests.routers import test_datasets as datasets
from tests.routers import test_feedback_reports as feedback
from tests.routers.test_information_requests import CONTACT, Auth, file
from tests.routers.test_submissions import add_consultation, imported, submission

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, 12:00 in Riyadh
Inbox = list[tuple[str | None, str | None]]
PERSONAL = (CONTACT["name"], CONTACT["email"], CONTACT["phone"])


async def the_event(database: Database, event_type: str, entity_id: str) -> Event:
    """The one event of ``event_type`` about the entity (fails on none or several)."""
    async with database.sessions() as session:
        rows = await session.scalars(
            select(Event).where(Event.type == event_type, Event.entity_id == entity_id)
        )
        (event,) = rows.all()
        return event


async def types_about(database: Database, entity_id: str) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(Event.type).where(Event.entity_id == entity_id).order_by(Event.position)
        )
        return list(rows)


async def inbox(database: Database, event: Event) -> Inbox:
    """Who the event was left for: (recipient_sub, recipient_role) pairs."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(Notification.recipient_sub, Notification.recipient_role).where(
                Notification.event_id == event.id
            )
        )
        return sorted(((sub, role) for sub, role in rows), key=str)


def assert_private(event: Event, *secrets: str) -> None:
    """None of ``secrets`` appears anywhere in the stored row, JSON-encoded."""
    row = {attr.key: getattr(event, attr.key) for attr in inspect(Event).column_attrs}
    text = json.dumps(row, default=str, ensure_ascii=False)
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"personal data in {event.type}: {leaked}"


def etag(response: httpx.Response) -> int:
    return int(response.headers["etag"].removeprefix('W/"').removesuffix('"'))


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


# -- submissions ---------------------------------------------------------------------------------


async def test_a_received_complaint_is_announced_to_its_submitter_without_its_contents(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    consultation = await add_consultation(database)
    body = submission(kind="complaint", consultation_id=consultation, contact=CONTACT)
    receipt = ok(await client.post("/v1/submissions", json=body, headers=auth("b1", "beneficiary")))
    event = await the_event(database, "submission.received", receipt["id"])
    assert (event.entity_type, event.reference, event.owner_sub) == (
        "submissions",
        receipt["reference"],
        "b1",
    )
    assert (event.handler_sub, event.audience_roles, event.resource_version) == (None, [], 1)
    assert event.data == {
        "status": "received",
        "kind": "complaint",
        "channel": "website",
        "consultation_id": consultation,
        "response_due_date": receipt["response_due_date"],
    }
    assert await inbox(database, event) == [("b1", None)]
    assert_private(event, body["body"], *PERSONAL)


async def test_an_import_replayed_on_its_external_id_is_announced_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    integrator = auth("i1", "channel_integrator")
    first = ok(await client.post("/v1/submissions/imports", json=imported(), headers=integrator))
    again = await client.post("/v1/submissions/imports", json=imported(), headers=integrator)
    assert (again.status_code, again.json()["id"]) == (200, first["id"])
    event = await the_event(database, "submission.received", first["id"])
    assert (event.owner_sub, event.data["channel"], event.data["consultation_id"]) == (
        None,
        "tafaul",
        None,
    )
    assert await inbox(database, event) == [], "an anonymous channel input has nobody to tell"
    assert_private(event, imported()["body"], imported()["source_handle"])


async def test_a_decision_reaches_the_submitter_and_a_withdrawal_is_recorded(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner, officer = auth("b1", "beneficiary"), auth("po-1", "participation_officer")
    decided = ok(await client.post("/v1/submissions", json=submission(), headers=owner))
    withdrawn = ok(await client.post("/v1/submissions", json=submission(), headers=owner))
    reason = {"ar": "سيُضاف الممشى إلى خطة العام", "en": "The walkway joins this year's plan"}
    decision = {"disposition": "adopted", "reason": reason}
    response = await client.post(
        f"/v1/submissions/{decided['id']}/decision", json=decision, headers=officer
    )
    event = await the_event(database, "submission.decided", decided["id"])
    assert event.data == {"status": "decided", "disposition": "adopted"}
    assert (event.owner_sub, event.resource_version) == ("b1", etag(response))
    assert await inbox(database, event) == [("b1", None)]
    assert_private(event, reason["ar"], reason["en"], submission()["body"])
    response = await client.post(f"/v1/submissions/{withdrawn['id']}/withdraw", headers=owner)
    event = await the_event(database, "submission.withdrawn", withdrawn["id"])
    assert (event.data, event.owner_sub) == ({"status": "withdrawn"}, "b1")
    assert event.resource_version == etag(response) == 2


# -- consultations and their feedback ------------------------------------------------------------


async def test_publishing_and_cancelling_a_consultation_are_announced_with_its_dates(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    draft = await consultations.create(client, auth)
    published = await consultations.act(client, auth, draft, "publish")
    event = await the_event(database, "consultation.published", draft["id"])
    assert (event.reference, event.owner_sub, event.resource_version) == (
        draft["reference"],
        None,
        etag(published),
    )
    assert event.data == {
        "status": "scheduled",
        "topic": "development_initiatives",
        "opens_at": "2026-04-01T05:00:00+00:00",
        "closes_at": "2026-04-30T20:59:00+00:00",
        "feedback_due_at": published.json()["feedback_due_at"],
    }
    cancelled = await consultations.act(client, auth, draft, "cancel")
    event = await the_event(database, "consultation.cancelled", draft["id"])
    assert (event.data["status"], event.resource_version) == ("cancelled", etag(cancelled))
    assert await inbox(database, event) == []


async def input_from(seed: feedback.Seeder, consultation: str, submitter: str | None) -> None:
    """A decided, adopted input to the consultation from ``submitter`` (None: anonymous)."""
    submission_id = uuid.UUID(await seed.submission(consultation))
    async with seed.database.sessions() as session:
        await session.execute(
            update(Submission).where(Submission.id == submission_id).values(submitter_sub=submitter)
        )
        await session.commit()


async def test_a_published_feedback_report_tells_each_contributor_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    seed = feedback.Seeder(database)
    consultation = await seed.consultation()
    for submitter in ("citizen-1", "citizen-1", "citizen-2", None):
        await input_from(seed, consultation, submitter)
    await feedback.draft(client, auth, consultation)
    published = await feedback.publish(client, auth, consultation)
    assert ok(published)["status"] == "published"
    read = ok(await client.get(f"/v1/consultations/{consultation}"))
    async with database.sessions() as session:
        report = await session.scalar(
            select(FeedbackReport.id).where(
                FeedbackReport.consultation_id == uuid.UUID(consultation)
            )
        )
    event = await the_event(database, "feedback_report.published", str(report))
    assert (event.entity_type, event.reference, event.resource_version) == (
        "feedback_reports",
        read["reference"],
        etag(published),
    )
    assert event.data == {
        "consultation_id": consultation,
        "on_time": True,
        "disposition_counts": {"adopted": 4},
    }
    assert await inbox(database, event) == [("citizen-1", None), ("citizen-2", None)]
    assert_private(event, "Ahmad", "0555 123 456", feedback.SUMMARY["ar"])


# -- datasets ------------------------------------------------------------------------------------


async def test_a_dataset_publication_release_and_archiving_are_announced_by_slug(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    draft = await datasets.create(client, auth)
    published = await datasets.act(client, auth, draft, "publish")
    event = await the_event(database, "dataset.published", draft["id"])
    body = ok(published)
    assert (event.reference, event.resource_version) == ("road-projects", etag(published))
    assert event.data == {
        "status": "published",
        "next_release_due": body["next_release_due"],
        "next_release_due_hijri": body["next_release_due_hijri"],
    }
    release = {"released_on": "2026-03-10"}
    headers = auth(*datasets.PUBLISHER)
    url = "/v1/datasets/road-projects/releases"
    ok(await client.post(url, json=release, headers=headers))
    released = ok(await client.get("/v1/datasets/road-projects", headers=headers))
    event = await the_event(database, "dataset.released", draft["id"])
    assert event.data["released_on"] == "2026-03-10"
    assert event.data["next_release_due"] == released["next_release_due"] == "2026-04-10"
    assert event.resource_version == released["version"]
    archived = await datasets.act(client, auth, draft, "archive")
    event = await the_event(database, "dataset.archived", draft["id"])
    assert (event.data["status"], event.data["next_release_due"]) == ("archived", None)
    assert event.resource_version == etag(archived)
    assert_private(event, datasets.DRAFT["contact_email"], datasets.DRAFT["contact_name"])


# -- the calendar --------------------------------------------------------------------------------

BREAK = {"start_date": "2026-03-18", "end_date": "2026-03-20", "name": {"ar": "إجازة"}}


async def calendar_events(database: Database) -> list[Event]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(Event).where(Event.type == "calendar.changed").order_by(Event.position)
        )
        return list(rows)


async def test_every_admin_edit_announces_the_new_calendar_version(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await file(client, auth("b1", "beneficiary"))  # a live deadline the break moves
    admin = auth("a1", "admin")
    ok(await client.post("/v1/calendar/holidays", json=BREAK, headers=admin))
    patch = {"source_reference": "Civil service announcement"}
    ok(await client.patch("/v1/calendar/holidays/2026-03-19", json=patch, headers=admin))
    deleted = await client.delete("/v1/calendar/holidays/2026-03-20", headers=admin)
    assert deleted.status_code == 204
    added, patched, withdrawn = await calendar_events(database)
    assert (added.entity_type, added.entity_id, added.resource_version) == (
        "calendar_state",
        "1",
        1,
    )
    assert added.data == {
        "version": 1,
        "change": "holiday.added",
        "count": 3,
        "dates": ["2026-03-18", "2026-03-19", "2026-03-20"],
        "deadlines_moved": 1,
    }
    assert (patched.data["change"], patched.data["dates"], patched.data["version"]) == (
        "holiday.updated",
        ["2026-03-19"],
        2,
    )
    assert (withdrawn.data["change"], withdrawn.resource_version) == ("holiday.withdrawn", 3)
    assert ok(await client.get("/v1/calendar"))["version"] == 3
    assert await inbox(database, withdrawn) == []


async def test_the_first_baseline_seeding_is_silent_and_a_later_change_is_announced(
    database: Database, settings: Settings
) -> None:
    rules = CalendarRules.from_settings(settings)
    for years in ([2026], [2026], [2026, 2027]):  # create, repeat (no change), extend
        async with database.sessions() as session:
            await calendar_service.seed_baseline(session, rules, years)
            await session.commit()
    (event,) = await calendar_events(database)
    assert (event.resource_version, event.data["version"]) == (2, 2)
    assert event.data["change"] == "calendar.seeded"
    assert event.data["inserted"] > 0
    assert (event.data["updated"], event.data["removed"], event.data["deadlines_moved"]) == (
        0,
        0,
        0,
    )

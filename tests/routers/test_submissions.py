"""Submissions through HTTP: receipts, channel and consultation rules, imports, reads and lists."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.clock import FrozenClock
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.models.audit_event import AuditEvent
from app.models.consultation import Consultation
from app.models.submission import Submission

Auth = Callable[..., dict[str, str]]
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the frozen clock: Sunday 12:00 in Riyadh
CONTACT = {"name": "سارة أحمد", "email": "sara@example.sa", "phone": "+966 55 123 4567"}


async def add_consultation(
    database: Database,
    *,
    opens_at: datetime = NOW - timedelta(days=1),
    closes_at: datetime = NOW + timedelta(days=10),
    channels: tuple[str, ...] = ("website", "mobile_app", "tafaul"),
    published: bool = True,
    topic: str = "development_initiatives",
) -> str:
    """A consultation written through the ORM (its API is built alongside)."""
    consultation = Consultation(
        reference=f"CON-T-{uuid.uuid4().hex[:10]}",
        title={"ar": "استشارة", "en": "A consultation"},
        summary={"ar": "ملخص", "en": "Summary"},
        topic=topic,
        opens_at=opens_at,
        closes_at=closes_at,
        channels=list(channels),
        published_at=opens_at - timedelta(days=1) if published else None,
        created_by="o1",
        search_text="",
    )
    async with database.sessions() as session:
        session.add(consultation)
        await session.commit()
    return str(consultation.id)


def submission(**overrides: Any) -> dict[str, Any]:
    return {"kind": "suggestion", "channel": "website", "body": "ممشى على طريق الملك"} | overrides


def imported(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "tafaul",
        "external_id": "tf-1001",
        "received_at": (NOW - timedelta(days=2)).isoformat(),
        "source_handle": "@citizen_1",
        "kind": "comment",
        "body": "تعليق من منصة تفاعل",
    } | overrides


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post("/v1/submissions", json=submission(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def stored(database: Database, submission_id: str) -> Submission:
    async with database.sessions() as session:
        return await session.get_one(Submission, uuid.UUID(submission_id), populate_existing=True)


async def events(database: Database, action: str) -> list[AuditEvent]:
    async with database.sessions() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows)


# -- receipts ------------------------------------------------------------------------------------


async def test_a_complaint_receipt_gives_reference_and_due_date_with_hijri(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    response = await client.post(
        "/v1/submissions",
        json=submission(kind="complaint", channel="mobile_app", body="تأخر إصلاح الإنارة"),
        headers=auth("b1", "beneficiary"),
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["reference"] == "SUB-2026-000001"
    assert (receipt["status"], receipt["kind"], receipt["channel"]) == (
        "received",
        "complaint",
        "mobile_app",
    )
    assert receipt["received_at"].startswith("2026-03-15T09:00:00")
    # Sunday before the cut-off is day 0; ten working days skip two Friday-Saturday weekends.
    assert receipt["response_due_date"] == "2026-03-29"
    assert receipt["response_due_date_hijri"] == "1447-10-10"
    assert receipt["response_due_at"] == "2026-03-29T23:59:59.999999+03:00"
    assert response.headers["location"] == f"/v1/submissions/{receipt['id']}"
    assert response.headers["etag"] == 'W/"1"'
    row = await stored(database, receipt["id"])
    assert (row.submitter_sub, row.response_working_days, row.calendar_version) == ("b1", 10, 0)


async def test_a_suggestion_receipt_has_no_due_date(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    assert receipt["reference"].startswith("SUB-2026-")
    assert receipt["response_due_date"] is None
    assert receipt["response_due_date_hijri"] is None
    assert receipt["response_due_at"] is None


async def test_a_retry_with_the_same_idempotency_key_files_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    headers = auth("b1", "beneficiary") | {"Idempotency-Key": "retry-1"}
    first = await client.post("/v1/submissions", json=submission(), headers=headers)
    again = await client.post("/v1/submissions", json=submission(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "tafaul"}, "body.channel"),
        ({"channel": "email"}, "body.channel"),
        ({"body": "   "}, "body.body"),
        ({"body": "x" * 5001}, "body.body"),
        ({"kind": "praise"}, "body.kind"),
        ({"contact": {"email": "not-an-address"}}, "body.contact.email"),
        ({"contact": {"phone": "call me"}}, "body.contact.phone"),
        ({"submitter_sub": "someone-else"}, "body.submitter_sub"),
    ],
)
async def test_invalid_submissions_are_422(
    client: httpx.AsyncClient, auth: Auth, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/submissions", json=submission(**overrides), headers=auth("b1", "beneficiary")
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_a_body_of_exactly_5000_characters_is_accepted(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await submit(client, auth("b1", "beneficiary"), body="ب" * 5000)


# -- consultations -------------------------------------------------------------------------------


async def test_input_without_recognisable_terms_takes_its_consultations_topic(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    consultation = await add_consultation(database, topic="local_policies_regulations")
    receipt = await submit(
        client,
        auth("b1", "beneficiary"),
        consultation_id=consultation,
        body="شكرا على هذه المبادرة الطيبة",
    )
    assert receipt["consultation_id"] == consultation
    row = await stored(database, receipt["id"])
    assert (row.auto_topic, row.topic, row.auto_subtopic, row.confidence) == (
        "local_policies_regulations",
        "local_policies_regulations",
        None,
        0.0,
    )
    assert row.auto_priority == "P4"  # a suggestion (+1) with nothing urgent


@pytest.mark.parametrize(
    ("consultation", "channel", "status", "code"),
    [
        ({"closes_at": NOW - timedelta(hours=1)}, "website", 409, "consultation_not_open"),
        ({"opens_at": NOW + timedelta(days=1)}, "website", 409, "consultation_not_open"),
        ({"published": False}, "website", 404, "consultation_not_found"),
        ({"channels": ("mobile_app",)}, "website", 409, "channel_not_accepted"),
    ],
)
async def test_input_to_a_consultation_needs_it_open_and_accepting_the_channel(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    consultation: dict[str, Any],
    channel: str,
    status: int,
    code: str,
) -> None:
    consultation_id = await add_consultation(database, **consultation)
    response = await client.post(
        "/v1/submissions",
        json=submission(channel=channel, consultation_id=consultation_id),
        headers=auth("b1", "beneficiary"),
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0


async def test_input_to_an_unknown_consultation_is_404(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.post(
        "/v1/submissions",
        json=submission(consultation_id=str(uuid.uuid4())),
        headers=auth("b1", "beneficiary"),
    )
    assert (response.status_code, response.json()["code"]) == (404, "consultation_not_found")


# -- personal data -------------------------------------------------------------------------------


async def test_contact_details_are_stored_only_encrypted(
    client: httpx.AsyncClient, auth: Auth, database: Database, app: Any
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"), contact=CONTACT)
    async with database.sessions() as session:
        raw = await session.scalar(
            select(Submission.contact_encrypted).where(Submission.id == uuid.UUID(receipt["id"]))
        )
    assert raw is not None
    for value in ("sara@example.sa", "123 4567", "sara", "966"):
        assert value not in raw
    cipher: PersonalDataCipher = app.state.cipher
    assert cipher.decrypt(raw) == CONTACT


async def test_lists_never_carry_personal_data(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await submit(client, auth("b1", "beneficiary"), contact=CONTACT)
    integrator = auth("i1", "channel_integrator")
    await client.post("/v1/submissions/imports", json=imported(), headers=integrator)
    for reader in (auth("o1", "participation_officer"), auth("a1", "analyst")):
        response = await client.get("/v1/submissions", headers=reader)
        assert response.status_code == 200
        assert len(response.json()["items"]) == 2
        text = response.text
        assert all(value not in text for value in ("sara", "123 4567", "citizen_1", "contact"))
    assert await events(database, "submission.personal_data_read") == []


async def test_an_officer_reading_contact_details_is_audited(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"), contact=CONTACT)
    response = await client.get(
        f"/v1/submissions/{receipt['id']}", headers=auth("o1", "participation_officer")
    )
    assert response.status_code == 200
    assert response.json()["contact"] == CONTACT | {"national_id": None, "notes": None}
    (event,) = await events(database, "submission.personal_data_read")
    assert (event.actor_sub, event.entity_id) == ("o1", receipt["id"])
    assert event.details == {"fields": ["contact"], "route": "GET /v1/submissions/{submission_id}"}
    assert "sara" not in str(event.details)


async def test_the_submitter_reads_their_contact_details_without_an_audit_entry(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    owner = auth("b1", "beneficiary")
    receipt = await submit(client, owner, contact=CONTACT)
    body = (await client.get(f"/v1/submissions/{receipt['id']}", headers=owner)).json()
    assert body["contact"]["email"] == "sara@example.sa"
    assert await events(database, "submission.personal_data_read") == []


async def test_analysts_read_submissions_without_personal_data(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"), contact=CONTACT)
    response = await client.get(f"/v1/submissions/{receipt['id']}", headers=auth("a1", "analyst"))
    assert response.status_code == 200
    body = response.json()
    assert body["body"] == submission()["body"]
    assert (body["contact"], body["source_handle"], body["external_id"]) == (None, None, None)
    assert "sara" not in response.text
    assert await events(database, "submission.personal_data_read") == []


# -- imports -------------------------------------------------------------------------------------


async def test_an_import_is_idempotent_on_channel_and_external_id(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    integrator = auth("i1", "channel_integrator")
    first = await client.post("/v1/submissions/imports", json=imported(), headers=integrator)
    assert first.status_code == 201, first.text
    assert first.json()["external_id"] == "tf-1001"
    assert first.json()["received_at"].startswith("2026-03-13T09:00:00")
    changed = imported(body="نص معدّل", kind="complaint")
    again = await client.post("/v1/submissions/imports", json=changed, headers=integrator)
    assert again.status_code == 200
    assert again.json() == first.json(), "the first import is the record"
    assert again.headers["idempotent-replayed"] == "true"
    other_channel = imported(channel="email")
    assert (
        await client.post("/v1/submissions/imports", json=other_channel, headers=integrator)
    ).status_code == 201
    async with database.sessions() as session:
        rows = list(await session.scalars(select(Submission).order_by(Submission.channel)))
    assert [(row.channel, row.external_id) for row in rows] == [
        ("email", "tf-1001"),
        ("tafaul", "tf-1001"),
    ]
    tafaul = rows[1]
    assert (tafaul.submitter_sub, tafaul.imported_by, tafaul.body) == (
        None,
        "i1",
        imported()["body"],
    )
    assert tafaul.source_handle_encrypted is not None
    assert "citizen_1" not in tafaul.source_handle_encrypted
    assert len(await events(database, "submission.imported")) == 2


async def test_an_imported_complaint_is_due_from_its_original_receipt(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    # Received on Thursday 12 March at 16:00 in Riyadh: after the cut-off, so day 0 is Sunday.
    body = imported(kind="complaint", received_at="2026-03-12T16:00:00+03:00")
    response = await client.post(
        "/v1/submissions/imports", json=body, headers=auth("i1", "channel_integrator")
    )
    assert response.status_code == 201
    assert response.json()["response_due_date"] == "2026-03-29"


@pytest.mark.parametrize(
    "received_at", [(NOW + timedelta(minutes=5)).isoformat(), "2026-03-13T09:00:00"]
)
async def test_an_import_received_in_the_future_or_without_offset_is_refused(
    client: httpx.AsyncClient,
    auth: Auth,
    frozen_clock: FrozenClock,
    database: Database,
    received_at: str,
) -> None:
    response = await client.post(
        "/v1/submissions/imports",
        json=imported(received_at=received_at),
        headers=auth("i1", "channel_integrator"),
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.received_at"]
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0


async def test_an_import_counts_the_consultation_as_it_was_when_the_input_arrived(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    closed_yesterday = await add_consultation(
        database, opens_at=NOW - timedelta(days=10), closes_at=NOW - timedelta(days=1)
    )
    integrator = auth("i1", "channel_integrator")
    in_time = imported(consultation_id=closed_yesterday)
    assert (
        await client.post("/v1/submissions/imports", json=in_time, headers=integrator)
    ).status_code == 201
    too_late = imported(
        external_id="tf-1002", consultation_id=closed_yesterday, received_at=NOW.isoformat()
    )
    response = await client.post("/v1/submissions/imports", json=too_late, headers=integrator)
    assert (response.status_code, response.json()["code"]) == (409, "consultation_not_open")
    by_mail = imported(external_id="m-1", channel="email", consultation_id=closed_yesterday)
    response = await client.post("/v1/submissions/imports", json=by_mail, headers=integrator)
    assert (response.status_code, response.json()["code"]) == (409, "channel_not_accepted")


# -- reads ---------------------------------------------------------------------------------------


async def test_a_beneficiary_lists_only_their_own_submissions(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    mine = await submit(client, auth("b1", "beneficiary"))
    await submit(client, auth("b2", "beneficiary"))
    await client.post(
        "/v1/submissions/imports", json=imported(), headers=auth("i1", "channel_integrator")
    )
    body = (await client.get("/v1/submissions", headers=auth("b1", "beneficiary"))).json()
    assert [item["id"] for item in body["items"]] == [mine["id"]]


async def test_another_beneficiary_cannot_read_a_submission(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    receipt = await submit(client, auth("b1", "beneficiary"))
    response = await client.get(
        f"/v1/submissions/{receipt['id']}", headers=auth("b2", "beneficiary")
    )
    assert (response.status_code, response.json()["code"]) == (404, "submission_not_found")
    unknown = await client.get(
        f"/v1/submissions/{uuid.uuid4()}", headers=auth("o1", "participation_officer")
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "submission_not_found")


async def test_the_detail_carries_an_etag(client: httpx.AsyncClient, auth: Auth) -> None:
    owner = auth("b1", "beneficiary")
    receipt = await submit(client, owner)
    response = await client.get(f"/v1/submissions/{receipt['id']}", headers=owner)
    assert response.headers["etag"] == 'W/"1"'
    assert response.json()["version"] == 1
    assert response.json()["imported"] is False

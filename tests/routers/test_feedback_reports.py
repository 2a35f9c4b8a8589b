"""Feedback reports through HTTP: drafting, the publication rules, timeliness and the counts."""

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.consultation import Consultation
from app.models.submission import Submission

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
OFFICER = ("officer-1", "participation_officer")
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z
# Closed on 10 March at 15:00 Riyadh time: feedback is due by the end of 9 April, Riyadh time.
CLOSES_AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DUE_AT = "2026-04-09T23:59:59.999999+03:00"
SUMMARY = {"ar": "شكرًا لمشاركتكم؛ اعتمدنا أغلب المقترحات.", "en": "Thank you; we adopted most."}
_numbers = itertools.count(1)


class Seeder:
    """Writes consultations and submissions straight through the ORM."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def consultation(self, *, closes_at: datetime = CLOSES_AT, published: bool = True) -> str:
        row = Consultation(
            reference=f"CON-2026-{next(_numbers):06d}",
            title={"ar": "تحسين خدمات البلدية", "en": "Better municipal services"},
            summary={"ar": "ملخص", "en": "Summary"},
            topic="government_services",
            opens_at=datetime(2026, 2, 1, tzinfo=UTC),
            closes_at=closes_at,
            channels=["website", "email", "tafaul"],
            published_at=datetime(2026, 1, 25, tzinfo=UTC) if published else None,
            created_by="officer-1",
        )
        return await self._add(row)

    async def submission(
        self,
        consultation_id: str,
        status: str = "decided",
        disposition: str | None = "adopted",
        kind: str = "suggestion",
    ) -> str:
        decided = status == "decided"
        row = Submission(
            reference=f"SUB-2026-{next(_numbers):06d}",
            kind=kind,
            channel="website",
            consultation_id=uuid.UUID(consultation_id),
            body="My neighbour Ahmad (0555 123 456) says the park lights are broken.",
            received_at=datetime(2026, 2, 10, tzinfo=UTC),
            status=status,
            submitter_sub="citizen-1",
            disposition=disposition if decided else None,
            decision_reason={"ar": "سبب", "en": "Reason"} if decided else None,
            decided_by="officer-1" if decided else None,
            decided_at=datetime(2026, 3, 12, tzinfo=UTC) if decided else None,
        )
        return await self._add(row)

    async def _add(self, row: Consultation | Submission) -> str:
        async with self.database.sessions() as session:
            session.add(row)
            await session.commit()
        return str(row.id)


@pytest.fixture
def seed(database: Database) -> Seeder:
    return Seeder(database)


def url(consultation_id: str, action: str = "") -> str:
    return f"/v1/consultations/{consultation_id}/feedback{action}"


def report(*highlighted: str) -> dict[str, Any]:
    excerpts = [
        {"submission_id": sid, "excerpt": {"ar": "إصلاح إنارة الحدائق"}} for sid in highlighted
    ]
    return {"summary": SUMMARY, "highlights": excerpts}


async def draft(
    client: httpx.AsyncClient, auth: Auth, consultation_id: str, *highlighted: str
) -> httpx.Response:
    response = await client.put(
        url(consultation_id), json=report(*highlighted), headers=auth(*OFFICER)
    )
    assert response.status_code in (200, 201), response.text
    return response


async def publish(client: httpx.AsyncClient, auth: Auth, consultation_id: str) -> httpx.Response:
    return await client.post(url(consultation_id, "/publish"), headers=auth(*OFFICER) | EN)


async def test_a_draft_is_the_officers_until_it_is_published(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    adopted = await seed.submission(consultation)
    response = await draft(client, auth, consultation, adopted)
    assert response.status_code == 201
    assert response.headers["Location"] == url(consultation)
    assert response.headers["ETag"] == 'W/"1"'
    body = response.json()
    assert (body["status"], body["summary"], body["due_at"]) == ("draft", SUMMARY, DUE_AT)
    assert (body["disposition_counts"], body["published_at"], body["on_time"]) == (None, None, None)
    assert body["highlights"][0]["submission_reference"].startswith("SUB-2026-")
    for who in ({}, auth("citizen-1", "beneficiary"), auth("analyst-1", "analyst")):
        hidden = await client.get(url(consultation), headers=who | EN)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "feedback_not_found"
    officer_view = await client.get(url(consultation), headers=auth(*OFFICER))
    assert officer_view.json()["status"] == "draft"


async def test_the_draft_is_replaced_only_with_the_current_if_match(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    await draft(client, auth, consultation)
    changed = {"summary": {"ar": "ملخص جديد"}}
    stale = await client.put(
        url(consultation), json=changed, headers=auth(*OFFICER) | {"If-Match": 'W/"7"'}
    )
    assert stale.status_code == 412
    current = await client.put(
        url(consultation), json=changed, headers=auth(*OFFICER) | {"If-Match": 'W/"1"'}
    )
    assert current.status_code == 200
    assert current.headers["ETag"] == 'W/"2"'
    assert current.json()["summary"] == {"ar": "ملخص جديد", "en": None}
    assert current.json()["highlights"] == []


async def test_feedback_waits_for_the_consultation_to_close(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation(closes_at=datetime(2026, 3, 20, tzinfo=UTC))
    await draft(client, auth, consultation)
    response = await publish(client, auth, consultation)
    assert response.status_code == 409
    assert response.json()["code"] == "consultation_not_closed"
    assert "open" in response.json()["detail"]


async def test_feedback_waits_for_every_input_to_be_decided(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    await seed.submission(consultation)
    await seed.submission(consultation, status="received")
    await seed.submission(consultation, status="under_review")
    await seed.submission(consultation, status="withdrawn")  # needs no decision
    await draft(client, auth, consultation)
    response = await publish(client, auth, consultation)
    assert response.status_code == 409
    assert response.json()["code"] == "feedback_incomplete"
    assert "2 left" in response.json()["detail"]
    assert (await client.get(url(consultation))).status_code == 404


async def test_feedback_published_on_time_counts_every_disposition(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder, database: Database
) -> None:
    consultation = await seed.consultation()
    adopted = await seed.submission(consultation)
    await seed.submission(consultation)
    partly = await seed.submission(consultation, disposition="partially_adopted")
    await seed.submission(consultation, disposition="not_adopted")
    await seed.submission(consultation, disposition="duplicate")
    await seed.submission(consultation, disposition="resolved", kind="complaint")
    await seed.submission(consultation, status="withdrawn")
    other = await seed.consultation()
    await seed.submission(other, disposition="out_of_scope")
    await draft(client, auth, consultation, adopted, partly)
    response = await publish(client, auth, consultation)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == 'W/"2"'
    body = (await client.get(url(consultation))).json()  # anonymous
    assert (body["status"], body["on_time"]) == ("published", True)
    assert (body["published_at"], body["due_at"]) == ("2026-03-15T09:00:00Z", DUE_AT)
    assert body["due_at_hijri"] == "1447-10-21"
    assert body["disposition_counts"] == {
        "adopted": 2,
        "partially_adopted": 1,
        "not_adopted": 1,
        "resolved": 1,
        "referred": 0,
        "unfounded": 0,
        "duplicate": 1,
        "out_of_scope": 0,
        "total": 6,
    }
    assert [item["submission_id"] for item in body["highlights"]] == [adopted, partly]
    assert "0555 123 456" not in str(body) and "Ahmad" not in str(body)
    status = (await client.get(f"/v1/consultations/{consultation}")).json()
    assert (status["status"], status["feedback_overdue"]) == ("feedback_published", False)
    async with database.sessions() as session:
        row = await session.get(Consultation, uuid.UUID(consultation))
        assert row is not None and row.feedback_published_at is not None


async def test_feedback_published_after_the_deadline_says_it_was_late(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder, frozen_clock: FrozenClock
) -> None:
    consultation = await seed.consultation()
    await seed.submission(consultation, disposition="not_adopted")
    await draft(client, auth, consultation)
    frozen_clock.set(datetime(2026, 4, 9, 21, 0, tzinfo=UTC))  # midnight after the due date
    before = (await client.get(f"/v1/consultations/{consultation}")).json()
    assert (before["status"], before["feedback_overdue"]) == ("closed", True)
    body = (await publish(client, auth, consultation)).json()
    assert (body["on_time"], body["due_at"]) == (False, DUE_AT)
    assert body["published_at"] == "2026-04-09T21:00:00Z"
    after = (await client.get(f"/v1/consultations/{consultation}")).json()
    assert after["feedback_overdue"] is False


async def test_a_published_report_is_final(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    await draft(client, auth, consultation)
    await publish(client, auth, consultation)
    for response in (
        await client.put(url(consultation), json=report(), headers=auth(*OFFICER)),
        await publish(client, auth, consultation),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "feedback_already_published"


async def test_publishing_needs_a_draft_first(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    response = await publish(client, auth, consultation)
    assert response.status_code == 404
    assert response.json()["code"] == "feedback_not_found"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        ("other_consultation", "highlight_not_in_consultation"),
        ("unknown", "highlight_not_in_consultation"),
        ("not_adopted", "highlight_not_adopted"),
        ("undecided", "highlight_not_adopted"),
        ("resolved_complaint", "highlight_not_adopted"),
    ],
)
async def test_only_adopted_inputs_to_this_consultation_can_be_highlighted(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder, make: str, code: str
) -> None:
    consultation = await seed.consultation()
    other = await seed.consultation()
    submission = {
        "other_consultation": lambda: seed.submission(other),
        "not_adopted": lambda: seed.submission(consultation, disposition="not_adopted"),
        "undecided": lambda: seed.submission(consultation, status="under_review"),
        "resolved_complaint": lambda: seed.submission(
            consultation, disposition="resolved", kind="complaint"
        ),
    }
    sid = await submission[make]() if make in submission else str(uuid.uuid4())
    response = await client.put(url(consultation), json=report(sid), headers=auth(*OFFICER) | EN)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert sid in response.json()["detail"]


async def test_a_submission_is_highlighted_once(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    adopted = await seed.submission(consultation)
    response = await client.put(
        url(consultation), json=report(adopted, adopted), headers=auth(*OFFICER)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.highlights"


async def test_publication_is_audited_on_the_report_and_the_consultation(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder, database: Database
) -> None:
    from app.models.audit_event import AuditEvent

    consultation = await seed.consultation()
    await seed.submission(consultation)
    await draft(client, auth, consultation)
    await publish(client, auth, consultation)
    history = (
        await client.get(f"/v1/consultations/{consultation}/history", headers=auth(*OFFICER))
    ).json()["items"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("consultation.feedback_published", "closed", "feedback_published")
    ]
    assert history[0]["details"]["on_time"] is True
    async with database.sessions() as session:
        statement = select(AuditEvent.action).where(AuditEvent.entity_type == "feedback_reports")
        actions = sorted((await session.scalars(statement)).all())
    assert actions == ["feedback.drafted", "feedback.published"]


async def test_feedback_of_a_draft_consultation_is_not_found_for_the_public(
    client: httpx.AsyncClient, seed: Seeder
) -> None:
    consultation = await seed.consultation(published=False)
    response = await client.get(url(consultation))
    assert response.status_code == 404
    assert response.json()["code"] == "consultation_not_found"


@pytest.mark.parametrize(("method", "action"), [("PUT", ""), ("POST", "/publish")])
@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), (("citizen-1", "beneficiary"), 403), (("analyst-1", "analyst"), 403)],
)
async def test_only_participation_officers_draft_and_publish_feedback(
    client: httpx.AsyncClient,
    auth: Auth,
    seed: Seeder,
    method: str,
    action: str,
    who: tuple[str, str] | None,
    status: int,
) -> None:
    consultation = await seed.consultation()
    await draft(client, auth, consultation)
    headers = auth(*who) if who else {}
    body = report() if method == "PUT" else None
    response = await client.request(method, url(consultation, action), json=body, headers=headers)
    assert response.status_code == status
    officer_view = (await client.get(url(consultation), headers=auth(*OFFICER))).json()
    assert (officer_view["status"], officer_view["version"]) == ("draft", 1)

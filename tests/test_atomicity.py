"""Atomicity: a failure half-way through a multi-row write leaves nothing behind.

A fault is injected into the last step of a write that touches several rows (an audit event, the
priority reasons); the caller gets a plain 500 problem and the database is exactly as before: no
half-decided appeal beside a reopened request, no decision without its audit event, no
submission without its reasons, no reference number or idempotency key used up, and no outbox
event or notification about a change that did not happen.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.event import Event, Notification
from app.models.feedback_report import FeedbackReport
from app.models.idempotency_key import IdempotencyKey
from app.models.information_request import InformationRequest
from app.models.reference_counter import ReferenceCounter
from app.models.submission import PriorityReason, Submission
from app.services import audit, classification, events
from app.services.event_types import EventType
from tests.routers.test_feedback_reports import Seeder
from tests.routers.test_feedback_reports import draft as draft_report
from tests.routers.test_feedback_reports import publish as publish_report
from tests.routers.test_information_requests import BASE, act, filing
from tests.routers.test_request_handling import refusal
from tests.routers.test_submissions import submission

Auth = Callable[..., dict[str, str]]
PROBLEM = "application/problem+json"
DANGEROUS_COMPLAINT = "فيه حفره كبيره في الطريق العام وخطيره على السيارات، نبي سفلته عاجل"


class InjectedFailure(RuntimeError):
    """Stands for any unexpected error: a lost connection, a bug, a full disk."""


def fail_audit_on(monkeypatch: pytest.MonkeyPatch, failing_action: str) -> list[str]:
    """Make ``audit.record`` raise for one action, after the rows before it were flushed;
    returns the list of faults fired, to show the failure struck where intended."""
    original, fired = audit.record, []

    async def record(session: Any, actor: Any, action: str, entity: Any, **kwargs: Any) -> Any:
        if action == failing_action:
            fired.append(action)
            raise InjectedFailure(f"injected failure at {action}")
        return await original(session, actor, action, entity, **kwargs)

    monkeypatch.setattr(audit, "record", record)
    return fired


def fail_after(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[str]:
    """Make ``owner.name`` do its work (rows written and flushed) and then raise; returns the
    list of faults fired."""
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)
    fired = []

    async def then_fail(*args: Any, **kwargs: Any) -> Any:
        await original(*args, **kwargs)
        fired.append(name)
        raise InjectedFailure(f"injected failure after {name}")

    monkeypatch.setattr(owner, name, then_fail)
    return fired


def fail_after_emitting(monkeypatch: pytest.MonkeyPatch, failing: EventType) -> list[str]:
    """Make ``events.emit`` write the ``failing`` event and its notifications (flushed: the rows
    exist in the transaction) and then raise; returns the list of faults fired."""
    original, fired = events.emit, []

    async def emit(session: Any, event_type: EventType, entity: Any, **kwargs: Any) -> Any:
        event = await original(session, event_type, entity, **kwargs)
        if event_type is failing:
            await session.flush()
            fired.append(event_type.value)
            raise InjectedFailure(f"injected failure after emitting {event_type}")
        return event

    monkeypatch.setattr(events, "emit", emit)
    return fired


def assert_plain_500(response: httpx.Response) -> None:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["code"]) == (500, "internal_error")
    assert body["request_id"] == response.headers["x-request-id"]
    assert "injected" not in response.text, "nothing internal reaches the caller"


async def count(database: Database, column: InstrumentedAttribute[Any], *where: Any) -> int:
    async with database.sessions() as session:
        statement = select(func.count(column)).where(*where)
        return int(await session.scalar(statement) or 0)


async def audit_actions(database: Database) -> list[str]:
    async with database.sessions() as session:
        statement = select(AuditEvent.action).order_by(AuditEvent.occurred_at, AuditEvent.id)
        return list(await session.scalars(statement))


async def row(database: Database, model: type[Any], row_id: str) -> Any:
    async with database.sessions() as session:
        return await session.get_one(model, uuid.UUID(row_id), populate_existing=True)


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


# -- (a) an upholding appeal decision: appeal decided + request reopened + two audit events ----


async def refused_and_appealed(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    """b1's request, refused by io-1, and b1's appeal against the refusal."""
    owner, officer = auth("b1", "beneficiary"), auth("io-1", "information_officer")
    receipt = created(await client.post(BASE, json=filing(), headers=owner))
    created(await act(client, officer, receipt["id"], "start"))
    created(await act(client, officer, receipt["id"], "response", refusal()))
    body = {"ground": "refusal", "statement": "لم يُذكر سند نظامي للرفض"}
    url = f"{BASE}/{receipt['id']}/appeals"
    return created(await client.post(url, json=body, headers=owner))


def request_state(request: InformationRequest) -> tuple[Any, ...]:
    return (
        request.status,
        request.version,
        request.due_date,
        request.clock_origin,
        request.clock_started_at,
        request.decided_by,
        request.response,
        request.legal_grounds,
    )


@pytest.mark.parametrize(
    "failing_action",
    [
        "appeal.decided",  # the very last step, after the request was reopened and audited
        "information_request.reopened",  # half-way: the request's columns already flushed
    ],
)
async def test_a_failed_upholding_decision_leaves_appeal_request_and_audit_untouched(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    failing_action: str,
) -> None:
    appeal = await refused_and_appealed(client, auth)
    request_before = request_state(await row(database, InformationRequest, appeal["request_id"]))
    events_before = await audit_actions(database)
    fail_audit_on(monkeypatch, failing_action)
    decision = {"outcome": "upheld", "reasoning": {"ar": "لم يُبيَّن السند النظامي"}}
    response = await client.post(
        f"/v1/appeals/{appeal['id']}/decision",
        json=decision,
        headers=auth("ao-1", "appeals_officer"),
    )
    assert_plain_500(response)
    stored = await row(database, Appeal, appeal["id"])
    assert (stored.status, stored.version, stored.decided_by, stored.reasoning) == (
        "submitted",
        1,
        None,
        None,
    )
    request_after = request_state(await row(database, InformationRequest, appeal["request_id"]))
    assert request_after == request_before
    assert request_after[0] == "refused"
    assert await audit_actions(database) == events_before
    monkeypatch.undo()  # the fault is gone: the same decision now goes through whole
    retried = await client.post(
        f"/v1/appeals/{appeal['id']}/decision",
        json=decision,
        headers=auth("ao-1", "appeals_officer"),
    )
    assert (retried.status_code, retried.json()["status"]) == (200, "upheld")
    reopened = await row(database, InformationRequest, appeal["request_id"])
    assert (reopened.status, reopened.clock_origin) == ("in_progress", "reopened")
    assert (await audit_actions(database))[len(events_before) :] == [
        "information_request.reopened",
        "appeal.decided",
    ]


# -- (b) a submission decision and its audit event ------------------------------------------------


async def test_a_decision_whose_audit_event_fails_is_not_taken(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receipt = created(
        await client.post("/v1/submissions", json=submission(), headers=auth("b1", "beneficiary"))
    )
    events_before = await audit_actions(database)
    fired = fail_audit_on(monkeypatch, "submission.decided")
    url = f"/v1/submissions/{receipt['id']}/decision"
    decision = {"disposition": "adopted", "reason": {"ar": "سيُضاف الممشى إلى خطة العام"}}
    officer = auth("po-1", "participation_officer")
    assert_plain_500(await client.post(url, json=decision, headers=officer))
    assert fired == ["submission.decided"]
    stored = await row(database, Submission, receipt["id"])
    assert (stored.status, stored.version, stored.disposition) == ("received", 1, None)
    assert (stored.decision_reason, stored.decided_by, stored.decided_at) == (None, None, None)
    assert await audit_actions(database) == events_before
    monkeypatch.undo()
    retried = await client.post(url, json=decision, headers=officer | {"If-Match": 'W/"1"'})
    assert (retried.status_code, retried.json()["disposition"]) == (200, "adopted")


# -- (c) intake: the submission row, its priority reasons, its reference and its audit event -----


async def test_a_failed_intake_stores_nothing_and_uses_up_no_reference_or_key(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fired = fail_after(monkeypatch, classification, "store_reasons")
    body = submission(kind="complaint", body=DANGEROUS_COMPLAINT, contact={"name": "سارة"})
    headers = auth("b1", "beneficiary") | {"Idempotency-Key": "intake-0001"}
    assert_plain_500(await client.post("/v1/submissions", json=body, headers=headers))
    assert fired == ["store_reasons"], "the row and its reasons were flushed before the fault"
    assert await count(database, Submission.id) == 0
    assert await count(database, PriorityReason.rule) == 0
    assert await audit_actions(database) == []
    # The counter's increment rolled back with the row: the number is free again.
    assert await count(database, ReferenceCounter.prefix, ReferenceCounter.prefix == "SUB") == 0
    assert await count(database, IdempotencyKey.key) == 0
    assert (await count(database, Event.id), await count(database, Notification.id)) == (0, 0)
    monkeypatch.undo()
    retried = await client.post("/v1/submissions", json=body, headers=headers)
    assert retried.status_code == 201, "a retry with the same key is a first attempt, not a replay"
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["reference"] == "SUB-2026-000001"
    assert await count(database, PriorityReason.rule) == 3  # safety, kind and urgency


# -- (d) the outbox: an event and its notifications exist only with the change they report -------


async def event_types(database: Database) -> list[str]:
    async with database.sessions() as session:
        return list(await session.scalars(select(Event.type).order_by(Event.position)))


async def test_a_failed_filing_leaves_no_event_and_no_notification(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fired = fail_after_emitting(monkeypatch, EventType.REQUEST_RECEIVED)
    owner = auth("b1", "beneficiary")
    assert_plain_500(await client.post(BASE, json=filing(), headers=owner))
    assert fired == ["request.received"], "the event and its notification were flushed"
    assert await count(database, InformationRequest.id) == 0
    assert (await count(database, Event.id), await count(database, Notification.id)) == (0, 0)
    monkeypatch.undo()
    created(await client.post(BASE, json=filing(), headers=owner))
    assert await event_types(database) == ["request.received"]
    assert await count(database, Notification.id, Notification.recipient_sub == "b1") == 1


async def test_a_failed_refusal_leaves_the_request_open_and_tells_nobody(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    officer = auth("io-1", "information_officer")
    receipt = created(await client.post(BASE, json=filing(), headers=auth("b1", "beneficiary")))
    created(await act(client, officer, receipt["id"], "start"))
    before = (await event_types(database), await count(database, Notification.id))
    fired = fail_after_emitting(monkeypatch, EventType.REQUEST_REFUSED)
    assert_plain_500(await act(client, officer, receipt["id"], "response", refusal()))
    assert fired == ["request.refused"]
    assert (await row(database, InformationRequest, receipt["id"])).status == "in_progress"
    assert (await event_types(database), await count(database, Notification.id)) == before
    monkeypatch.undo()
    created(await act(client, officer, receipt["id"], "response", refusal()))
    assert (await event_types(database))[-1] == "request.refused"


async def test_a_failed_feedback_publication_notifies_no_contributor(
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = Seeder(database)
    consultation = await seed.consultation()
    await seed.submission(consultation)  # citizen-1's adopted input
    await draft_report(client, auth, consultation)
    fired = fail_after(monkeypatch, events, "notify_subs")
    assert_plain_500(await publish_report(client, auth, consultation))
    assert fired == ["notify_subs"], "the contributors' notifications were inserted first"
    assert (await count(database, Event.id), await count(database, Notification.id)) == (0, 0)
    assert await count(database, FeedbackReport.id, FeedbackReport.status == "draft") == 1
    monkeypatch.undo()
    created(await publish_report(client, auth, consultation))
    assert await event_types(database) == ["feedback_report.published"]
    assert await count(database, Notification.id, Notification.recipient_sub == "citizen-1") == 1

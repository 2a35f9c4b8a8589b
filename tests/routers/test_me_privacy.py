"""A beneficiary's rights over their personal data: the access log and the export.

Erasure is in ``test_me_erasure.py``; the scenario builders here are shared with it.
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.audit_event import AuditEvent
from tests.routers.test_appeals import filed
from tests.routers.test_information_requests import act, file
from tests.routers.test_polls import answer, answers_for, make_consultation, set_poll
from tests.routers.test_request_handling import QUESTION, refusal
from tests.routers.test_submissions import submit

Auth = Callable[..., dict[str, str]]
CONTACT = {"name": "سارة أحمد", "email": "sara@example.sa", "phone": "+966 55 123 4567"}
OTHER_CONTACT = {"name": "خالد", "email": "khalid@example.sa"}
PARTICIPATION_OFFICER = ("officer-salem", "participation_officer")
INFORMATION_OFFICER = ("officer-huda", "information_officer")
SUBMISSION_ROUTE = "GET /v1/submissions/{submission_id}"
REQUEST_ROUTE = "GET /v1/information-requests/{request_id}"
ACCESS_LOG, EXPORT, ERASURE = "/v1/me/access-log", "/v1/me/data", "/v1/me/personal-data"
CLARIFICATION = {"answer": "نعم، داخل مدينة أبها فقط"}
ROUTES = [("GET", ACCESS_LOG), ("GET", EXPORT), ("DELETE", ERASURE)]


@dataclass(frozen=True)
class Items:
    """What one beneficiary filed: a submission to a consultation, a poll response, a refused
    information request with a clarification, and an appeal against the refusal."""

    consultation_id: uuid.UUID
    poll: dict[str, Any]
    submission: dict[str, Any]
    poll_response: dict[str, Any]
    request: dict[str, Any]
    appeal: dict[str, Any]


async def file_everything(
    client: httpx.AsyncClient, auth: Auth, database: Database, sub: str
) -> Items:
    owner, officer = auth(sub, "beneficiary"), auth(*INFORMATION_OFFICER)
    consultation_id = await make_consultation(database)
    poll = await set_poll(client, auth, consultation_id)
    submission = await submit(client, owner, consultation_id=str(consultation_id), contact=CONTACT)
    poll_response = await answer(client, auth, consultation_id, sub, answers_for(poll, rating=5))
    assert poll_response.status_code == 201, poll_response.text
    request = await file(client, owner, contact=CONTACT)
    for who, action, body in [
        (officer, "start", None),
        (officer, "clarification", QUESTION),
        (owner, "clarification/answer", CLARIFICATION),
        (officer, "response", refusal()),
    ]:
        response = await act(client, who, request["id"], action, body)
        assert response.status_code == 200, response.text
    appeal = await filed(client, owner, request["id"])
    return Items(consultation_id, poll, submission, poll_response.json(), request, appeal)


async def read_as(client: httpx.AsyncClient, headers: dict[str, str], path: str) -> Any:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def access_log(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> Any:
    response = await client.get(f"{ACCESS_LOG}{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def audit_events(database: Database, action: str) -> list[AuditEvent]:
    async with database.sessions() as session:
        statement = select(AuditEvent).where(AuditEvent.action == action)
        return list(await session.scalars(statement.order_by(AuditEvent.occurred_at)))


# -- the access log ------------------------------------------------------------------------------


async def test_the_access_log_shows_officers_reads_of_my_items_with_route_and_role(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    sara, khalid = auth("citizen-sara", "beneficiary"), auth("citizen-khalid", "beneficiary")
    submission = await submit(client, sara, contact=CONTACT)
    request = await file(client, sara, contact=CONTACT)
    theirs = await submit(client, khalid, contact=OTHER_CONTACT)
    await read_as(client, sara, f"/v1/submissions/{submission['id']}")  # her own read: not logged
    frozen_clock.advance(timedelta(minutes=5))
    read = await read_as(
        client, auth(*PARTICIPATION_OFFICER), f"/v1/submissions/{submission['id']}"
    )
    assert read["contact"]["email"] == CONTACT["email"]
    await read_as(client, auth(*PARTICIPATION_OFFICER), f"/v1/submissions/{theirs['id']}")
    frozen_clock.advance(timedelta(minutes=5))
    await read_as(client, auth(*INFORMATION_OFFICER), f"/v1/information-requests/{request['id']}")

    log = await access_log(client, sara)
    assert log == {
        "items": [
            {
                "occurred_at": "2026-03-15T09:10:00Z",
                "item": {
                    "type": "information_request",
                    "id": request["id"],
                    "reference": request["reference"],
                },
                "fields": ["contact"],
                "route": REQUEST_ROUTE,
                "reader_role": "information_officer",
            },
            {
                "occurred_at": "2026-03-15T09:05:00Z",
                "item": {
                    "type": "submission",
                    "id": submission["id"],
                    "reference": submission["reference"],
                },
                "fields": ["contact"],
                "route": SUBMISSION_ROUTE,
                "reader_role": "participation_officer",
            },
        ],
        "next_cursor": None,
    }
    assert "officer-salem" not in str(log) and "officer-huda" not in str(log)
    [khalids] = (await access_log(client, khalid))["items"]
    assert (khalids["item"]["id"], khalids["reader_role"]) == (
        theirs["id"],
        "participation_officer",
    )


async def test_the_read_is_audited_with_its_route_for_the_admins_too(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    submission = await submit(client, auth("citizen-sara", "beneficiary"), contact=CONTACT)
    await read_as(client, auth(*PARTICIPATION_OFFICER), f"/v1/submissions/{submission['id']}")
    [read] = await audit_events(database, "submission.personal_data_read")
    assert (read.actor_sub, read.entity_id) == ("officer-salem", submission["id"])
    assert read.details == {"fields": ["contact"], "route": SUBMISSION_ROUTE}


async def test_the_access_log_is_paged_newest_first(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    sara = auth("citizen-sara", "beneficiary")
    references = []
    for _ in range(3):
        submission = await submit(client, sara, contact=CONTACT)
        frozen_clock.advance(timedelta(minutes=1))
        await read_as(client, auth(*PARTICIPATION_OFFICER), f"/v1/submissions/{submission['id']}")
        references.append(submission["reference"])
    first = await access_log(client, sara, "?limit=2")
    assert [entry["item"]["reference"] for entry in first["items"]] == references[:0:-1]
    rest = await access_log(client, sara, f"?limit=2&cursor={first['next_cursor']}")
    assert [entry["item"]["reference"] for entry in rest["items"]] == references[:1]
    assert rest["next_cursor"] is None


async def test_nobody_sees_someone_elses_access_log(client: httpx.AsyncClient, auth: Auth) -> None:
    submission = await submit(client, auth("citizen-sara", "beneficiary"), contact=CONTACT)
    await read_as(client, auth(*PARTICIPATION_OFFICER), f"/v1/submissions/{submission['id']}")
    khalid = auth("citizen-khalid", "beneficiary")
    assert await access_log(client, khalid) == {"items": [], "next_cursor": None}


async def test_reads_without_personal_data_are_not_in_the_access_log(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    sara = auth("citizen-sara", "beneficiary")
    submission = await submit(client, sara)  # no contact given: nothing personal to read
    await read_as(client, auth(*PARTICIPATION_OFFICER), f"/v1/submissions/{submission['id']}")
    await read_as(client, auth("analyst-noura", "analyst"), f"/v1/submissions/{submission['id']}")
    assert (await access_log(client, sara))["items"] == []


# -- the export ----------------------------------------------------------------------------------


async def test_the_export_holds_everything_with_contact_details_and_histories(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    items = await file_everything(client, auth, database, "citizen-sara")
    await file_everything(client, auth, database, "citizen-khalid")
    await read_as(
        client, auth(*INFORMATION_OFFICER), f"/v1/information-requests/{items.request['id']}"
    )
    response = await client.get(EXPORT, headers=auth("citizen-sara", "beneficiary"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["sub"], body["exported_at"]) == ("citizen-sara", "2026-03-15T09:00:00Z")

    [submission] = body["submissions"]
    assert (submission["id"], submission["status"]) == (items.submission["id"], "received")
    assert submission["consultation_id"] == str(items.consultation_id)
    assert submission["contact"] == CONTACT | {"national_id": None, "notes": None}
    assert [event["action"] for event in submission["history"]] == ["submission.received"]

    [poll_response] = body["poll_responses"]
    assert poll_response["id"] == items.poll_response["id"]
    assert poll_response["answers"] == items.poll_response["answers"]
    assert [a["rating"] for a in poll_response["answers"]] == [None, 5]
    assert [event["action"] for event in poll_response["history"]] == ["poll.responded"]

    [request] = body["information_requests"]
    assert (request["reference"], request["status"]) == (items.request["reference"], "refused")
    assert request["contact"]["email"] == CONTACT["email"]
    assert request["legal_grounds"] == [{"ground": "classified_record", "citation": None}]
    [clarification] = request["clarifications"]
    assert clarification["answer"] == CLARIFICATION["answer"]
    assert clarification["question"] == QUESTION["question"]
    assert [
        (event["action"], event["actor_role"], event["actor"]) for event in request["history"]
    ] == [
        ("information_request.received", "beneficiary", None),
        ("information_request.started", "information_officer", None),
        ("information_request.clarification_requested", "information_officer", None),
        ("information_request.clarification_answered", "beneficiary", None),
        ("information_request.decided", "information_officer", None),
        ("information_request.personal_data_read", "information_officer", None),
    ]

    [appeal] = body["appeals"]
    assert (appeal["id"], appeal["request_id"], appeal["ground"]) == (
        items.appeal["id"],
        items.request["id"],
        "refusal",
    )
    assert [event["action"] for event in appeal["history"]] == ["appeal.filed"]
    assert "khalid" not in response.text and "officer-huda" not in response.text


async def test_exporting_is_audited_without_personal_data(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await submit(client, auth("citizen-sara", "beneficiary"), contact=CONTACT)
    await client.get(EXPORT, headers=auth("citizen-sara", "beneficiary"))
    [exported] = await audit_events(database, "personal_data.exported")
    assert (exported.actor_sub, exported.actor_roles) == ("citizen-sara", ["beneficiary"])
    assert exported.entity_type == "data_subject"
    assert exported.details == {
        "submissions": 1,
        "information_requests": 0,
        "appeals": 0,
        "poll_responses": 0,
    }
    assert "sara@" not in str(exported.details)


async def test_a_beneficiary_with_nothing_on_file_exports_empty_lists(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    body = await read_as(client, auth("citizen-new", "beneficiary"), EXPORT)
    assert [
        body[kind] for kind in ("submissions", "poll_responses", "information_requests", "appeals")
    ] == [[], [], [], []]


@contextmanager
def counted_statements(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_the_export_runs_the_same_queries_for_one_item_or_many(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    async def statements_for(sub: str, items: int) -> int:
        for _ in range(items):
            await file_everything(client, auth, database, sub)
        with counted_statements(database) as statements:
            await read_as(client, auth(sub, "beneficiary"), EXPORT)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    assert await statements_for("citizen-one", 1) == await statements_for("citizen-three", 3)


# -- who may call ------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_anonymous_callers_get_401(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "role", ["participation_officer", "information_officer", "appeals_officer", "analyst", "admin"]
)
async def test_other_roles_get_403(
    client: httpx.AsyncClient, auth: Auth, method: str, path: str, role: str
) -> None:
    response = await client.request(method, path, headers=auth("staff-1", role))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "personal_data:manage_own" in response.json()["detail"]

"""Query-count guard for writes: a create sends a bounded number of statements, whatever is
stored around it (similar inputs, deadlines a holiday moves), so no N+1 query slips in.

Statements are counted with the ``statements`` fixture, without transaction control.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.models import AuditEvent, InformationRequest, Submission
from tests.routers.test_appeals import add_request
from tests.routers.test_consultations import DRAFT as CONSULTATION
from tests.routers.test_datasets import CSV, DRAFT, PUBLISHER, published
from tests.routers.test_information_requests import filing
from tests.routers.test_polls import answers_for, make_consultation, set_poll
from tests.routers.test_submissions import CONTACT
from tests.support.row_copies import clone, first_id
from tests.support.statements import StatementRecorder
from tests.test_query_counts import (
    ADMIN,
    COMPLAINT,
    HOLIDAY,
    OWNER,
    PARTICIPATION,
    Auth,
    Body,
    Caller,
    Make,
    World,
    a_draft_dataset,
    a_request,
    numbered,
    warm,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, 12:00 in Riyadh

# What each create sends today, the same on SQLite and PostgreSQL: a ceiling to keep, not a
# target to reach. A change that needs more statements must say why in its own commit.
# Creates that report a state change also write its outbox event (one INSERT) and, when the
# event reaches someone's inbox, its notifications (one INSERT); a calendar edit reads the
# calendar's state row back to announce the new version.
CREATE_CEILINGS = {
    "submission": 8,
    "submission-import": 8,
    "information-request": 6,
    "appeal": 9,
    "consultation": 4,
    "poll-response": 8,
    "dataset": 5,
    "distribution": 4,
    "release": 6,
    "holiday": 13,
    "holiday-break": 13,
}


@dataclass
class Write:
    path: str
    json: Body
    headers: dict[str, str]


Prepare = Callable[[World], Awaitable[Write]]  # what a create needs first, then the create
BREAK = {"start_date": "2026-03-18", "end_date": "2026-03-24"}  # seven dates in one request


def imported(external_id: str) -> Body:
    ids = {"channel": "tafaul", "external_id": external_id, "source_handle": "@citizen_1"}
    return COMPLAINT | ids | {"received_at": "2026-03-14T10:00:00+03:00"}


def at(template: str, body: Body, caller: Caller, make: Make | None = None) -> Prepare:
    """A create at ``template``, filled with the id of what ``make`` made first."""

    async def prepare(world: World) -> Write:
        path = template.format(await make(world)) if make else template
        return Write(path, body, world.headers(caller))

    return prepare


async def a_refused_request(world: World) -> str:
    return await add_request(world.database, requester=OWNER[0])


async def a_dataset(world: World) -> str:
    return str((await published(world.client, world.auth))["id"])


async def poll_response(world: World) -> Write:
    consultation_id = await make_consultation(world.database)
    poll = await set_poll(world.client, world.auth, consultation_id)
    answers = answers_for(poll, multiple=["web", "app"], text="مظلات في الحدائق")
    path = f"/v1/consultations/{consultation_id}/poll/responses"
    return Write(path, {"answers": answers}, world.headers(OWNER))


INTEGRATOR: Caller = ("tafaul-bridge", "channel_integrator")
APPEAL = {"ground": "refusal", "statement": "لم يُذكر سند نظامي"}
CREATES: dict[str, Prepare] = {
    "submission": at("/v1/submissions", COMPLAINT | {"channel": "website"}, OWNER),
    "submission-import": at("/v1/submissions/imports", imported("tf-1"), INTEGRATOR),
    "information-request": at("/v1/information-requests", filing(contact=CONTACT), OWNER),
    "appeal": at("/v1/information-requests/{}/appeals", APPEAL, OWNER, a_refused_request),
    "consultation": at("/v1/consultations", CONSULTATION, PARTICIPATION),
    "poll-response": poll_response,
    "dataset": at("/v1/datasets", DRAFT, PUBLISHER),
    "distribution": at("/v1/datasets/{}/distributions", CSV, PUBLISHER, a_draft_dataset),
    "release": at("/v1/datasets/{}/releases", {"released_on": "2026-03-01"}, PUBLISHER, a_dataset),
    "holiday": at("/v1/calendar/holidays", HOLIDAY | {"date": "2026-03-19"}, ADMIN),
    "holiday-break": at("/v1/calendar/holidays", HOLIDAY | BREAK, ADMIN),
}


async def created(world: World, statements: StatementRecorder, write: Write) -> int:
    statements.clear()
    response = await world.client.post(write.path, json=write.json, headers=write.headers)
    assert response.status_code == 201, response.text
    return len(statements.queries)


@pytest.mark.parametrize("name", CREATES)
async def test_a_create_stays_within_its_statement_ceiling(
    name: str,
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    statements: StatementRecorder,
) -> None:
    world = World(client, auth, database)
    await warm(client)
    sent = await created(world, statements, await CREATES[name](world))
    assert sent <= CREATE_CEILINGS[name], [statement.sql for statement in statements.queries]


# -- writes whose work grows with stored data stay set-based ---------------------------------


async def test_an_import_beside_50_similar_inputs_sends_as_many_statements_as_beside_1(
    client: httpx.AsyncClient, auth: Auth, database: Database, statements: StatementRecorder
) -> None:
    """Imports come one per request; the priority rule counts similar inputs in one query."""
    world = World(client, auth, database)
    await warm(client)
    first = await CREATES["submission-import"](world)
    await created(world, statements, first)
    again = Write(first.path, imported("tf-2"), first.headers)
    one = await created(world, statements, again)  # beside one similar input
    stored = await first_id(database, Submission.id, Submission.external_id == "tf-1")
    changes = [c | {"external_id": f"tf-q-{n}"} for n, c in enumerate(numbered("SUB"))]
    await clone(database, Submission, stored, changes[:48])  # 50 stored now
    fifty = await created(world, statements, Write(first.path, imported("tf-3"), first.headers))
    assert fifty == one


async def moved_deadlines(database: Database) -> int:
    async with database.sessions() as session:
        moved = await session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "deadline.moved")
        )
        return len(moved.all())


async def test_a_holiday_moving_50_deadlines_sends_as_many_statements_as_moving_1(
    client: httpx.AsyncClient, auth: Auth, database: Database, statements: StatementRecorder
) -> None:
    """Live deadlines after a new holiday move with one UPDATE and one audit INSERT in all."""
    world = World(client, auth, database)
    request_id = await a_request(world)
    path, headers = "/v1/calendar/holidays", world.headers(ADMIN)
    one = await created(world, statements, Write(path, HOLIDAY | {"date": "2026-03-19"}, headers))
    assert await moved_deadlines(database) == 1
    await clone(database, InformationRequest, request_id, numbered("IR")[:49])
    fifty = await created(world, statements, Write(path, HOLIDAY | {"date": "2026-03-22"}, headers))
    assert await moved_deadlines(database) == 1 + 50
    assert fifty == one

"""Query-count guard for lists: as many statements for 100 items as for 1, so no N+1 query
slips in unnoticed (creates: tests/test_create_statement_counts.py).

Statements are counted with the ``statements`` fixture, without transaction control. The first
item of every list is made through the API, so it has the shape the service stores; the other 99
are copies of its rows (and of their child rows) written in one flush.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models import (
    Appeal,
    AuditEvent,
    Consultation,
    Dataset,
    DatasetKeyword,
    DisclosureEntry,
    Distribution,
    Holiday,
    InformationRequest,
    PollAnswer,
    PollResponse,
    Release,
    Submission,
)
from tests.routers.test_appeals import add_request, filed
from tests.routers.test_consultations import act, create
from tests.routers.test_datasets import PUBLISHER, add_distribution, published
from tests.routers.test_datasets import create as create_dataset
from tests.routers.test_disclosure_log import decided, publish
from tests.routers.test_information_requests import file
from tests.routers.test_polls import answer, answers_for, make_consultation, set_poll
from tests.routers.test_request_handling import ANSWER
from tests.routers.test_submissions import CONTACT, submit
from tests.support import row_copies
from tests.support.row_copies import clone, clone_children, first_id
from tests.support.statements import StatementRecorder

Auth = Callable[..., dict[str, str]]
Body = dict[str, Any]
Caller = tuple[str, str]
Grow = Callable[[], Awaitable[object]]  # adds the 99 copies
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z, 12:00 in Riyadh

OWNER: Caller = ("citizen-1", "beneficiary")
PARTICIPATION: Caller = ("po-1", "participation_officer")
INFORMATION: Caller = ("io-1", "information_officer")
APPEALS: Caller = ("ao-1", "appeals_officer")
ADMIN: Caller = ("admin-1", "admin")
MORE = 99  # copies added to the first item: the second count is over 100
COMPLAINT = {"kind": "complaint", "body": "تسرب مياه في حي المنسك منذ أسبوع", "contact": CONTACT}
HOLIDAY = {"name": {"ar": "إجازة", "en": "A holiday"}, "source_reference": "Announcement 12"}


def later(database: Database, model: type[Any], row_id: Any, changes: Sequence[Body]) -> Grow:
    return lambda: clone(database, model, row_id, changes)


def numbered(prefix: str) -> list[Body]:
    return row_copies.numbered(prefix, MORE)


# -- lists: one item, then 100 ---------------------------------------------------------------


def items(body: Any) -> int:
    return len(body["items"])


@dataclass
class Listing:
    """A list request over one stored item, and how to add the other 99."""

    path: str
    headers: dict[str, str]
    grow: Grow
    size: Callable[[Any], int] = items
    full: int = 1 + MORE  # what it holds once grown (less where the API caps a page)


@dataclass
class World:
    client: httpx.AsyncClient
    auth: Auth
    database: Database

    def headers(self, caller: Caller | None) -> dict[str, str]:
        return self.auth(*caller) if caller else {}


Make = Callable[[World], Awaitable[str]]  # makes one item through the API, returns its id
Build = Callable[[World], Awaitable[Listing]]


async def a_submission(world: World) -> str:
    return str((await submit(world.client, world.headers(OWNER), **COMPLAINT))["id"])


async def a_draft_consultation(world: World) -> str:
    return str((await create(world.client, world.auth))["id"])


async def a_consultation(world: World) -> str:
    consultation = await create(world.client, world.auth)
    assert (await act(world.client, world.auth, consultation, "publish")).status_code == 200
    return str(consultation["id"])


async def a_request(world: World) -> str:
    return str((await file(world.client, world.headers(OWNER), contact=CONTACT))["id"])


async def an_appeal(world: World) -> str:
    request_id = await add_request(world.database, requester=OWNER[0])
    return str((await filed(world.client, world.headers(OWNER), request_id))["id"])


async def a_draft_dataset(world: World) -> str:
    return str((await create_dataset(world.client, world.auth))["id"])


def copied(make: Make, model: type[Any], prefix: str) -> Callable[[str, Caller | None], Build]:
    """Lists of ``model`` rows: the made one, then 99 copies with their own references."""

    def listed(path: str, caller: Caller | None) -> Build:
        async def build(world: World) -> Listing:
            item_id = await make(world)
            grow = later(world.database, model, item_id, numbered(prefix))
            return Listing(path, world.headers(caller), grow)

        return build

    return listed


def history(make: Make, path: str, caller: Caller) -> Build:
    """An item's audit trail: its one event so far, then 99 more."""

    async def build(world: World) -> Listing:
        item_id = await make(world)
        event = await first_id(world.database, AuditEvent.id, AuditEvent.entity_id == item_id)
        grow = later(world.database, AuditEvent, event, [{}] * MORE)
        return Listing(path.format(item_id), world.headers(caller), grow)

    return build


async def access_log(world: World) -> Listing:
    """An officer's read of the owner's contact details; each copy reads another submission."""
    sid = await a_submission(world)
    read = await world.client.get(f"/v1/submissions/{sid}", headers=world.headers(PARTICIPATION))
    assert read.status_code == 200, read.text

    async def grow() -> None:
        copies = await clone(world.database, Submission, sid, numbered("SUB"))
        read_event = AuditEvent.action == "submission.personal_data_read"
        event = await first_id(world.database, AuditEvent.id, read_event)
        await clone(world.database, AuditEvent, event, [{"entity_id": str(c)} for c in copies])

    return Listing("/v1/me/access-log?limit=100", world.headers(OWNER), grow)


def poll_answers(suffix: str, size: Callable[[Any], int]) -> Build:
    """A poll answered once (with free text); each copy is another respondent's answers."""

    async def build(world: World) -> Listing:
        consultation_id = await make_consultation(world.database)
        poll = await set_poll(world.client, world.auth, consultation_id)
        answers = answers_for(poll, multiple=["web", "app"], text="مظلات في الحدائق")
        response = await answer(world.client, world.auth, consultation_id, OWNER[0], answers)
        assert response.status_code == 201, response.text

        async def grow() -> None:
            first = await first_id(world.database, PollResponse.id)
            subs = [{"respondent_sub": f"citizen-q-{n}"} for n in range(MORE)]
            copies = await clone(world.database, PollResponse, first, subs)
            await clone_children(world.database, PollAnswer.response_id, first, copies)

        path = f"/v1/consultations/{consultation_id}/poll/{suffix}"
        return Listing(path, world.headers(PARTICIPATION), grow, size)

    return build


def appeal_list(caller: Caller) -> Build:
    """Each copy appeals another request, so the list looks up 100 requests' references."""

    async def build(world: World) -> Listing:
        appeal_id = await an_appeal(world)
        request_id = await first_id(world.database, Appeal.request_id)

        async def grow() -> None:
            requests = await clone(world.database, InformationRequest, request_id, numbered("IR"))
            changes = [c | {"request_id": r} for c, r in zip(numbered("AP"), requests, strict=True)]
            await clone(world.database, Appeal, appeal_id, changes)

        return Listing("/v1/appeals?limit=100", world.headers(caller), grow)

    return build


def disclosure_log(query: str = "") -> Build:
    """A published answer; each copy publishes another request's (one entry per request)."""

    async def build(world: World) -> Listing:
        receipt = await decided(world.client, world.auth, ANSWER)
        assert (await publish(world.client, world.auth, receipt["id"])).status_code == 201

        async def grow() -> None:
            requests = await clone(
                world.database, InformationRequest, receipt["id"], numbered("IR")
            )
            entry = await first_id(world.database, DisclosureEntry.id)
            await clone(
                world.database, DisclosureEntry, entry, [{"request_id": r} for r in requests]
            )

        return Listing(f"/v1/disclosure-log?limit=100{query}", {}, grow)

    return build


def dataset_list(path: str, size: Callable[[Any], int] = items, full: int = 1 + MORE) -> Build:
    """A published dataset with a CSV file; copies carry their keywords, files and publishers."""

    async def build(world: World) -> Listing:
        dataset = await published(world.client, world.auth)
        response = await add_distribution(world.client, world.auth, dataset)
        assert response.status_code == 201, response.text

        async def grow() -> None:
            changes = [{"slug": f"copy-{n}", "publisher": f"office-{n}"} for n in range(MORE)]
            copies = await clone(world.database, Dataset, dataset["id"], changes)
            for parent in (DatasetKeyword.dataset_id, Distribution.dataset_id):
                await clone_children(world.database, parent, uuid.UUID(dataset["id"]), copies)

        return Listing(path, {}, grow, size, full)

    return build


async def distributions(world: World) -> Listing:
    dataset_id = await a_draft_dataset(world)
    response = await add_distribution(world.client, world.auth, {"slug": dataset_id})
    assert response.status_code == 201, response.text
    first = await first_id(world.database, Distribution.id)
    grow = later(world.database, Distribution, first, [{}] * MORE)
    return Listing(
        f"/v1/datasets/{dataset_id}",
        world.auth(*PUBLISHER),
        grow,
        lambda body: len(body["distributions"]),
    )


async def releases(world: World) -> Listing:
    path = f"/v1/datasets/{(await published(world.client, world.auth))['slug']}/releases"
    response = await world.client.post(
        path, json={"released_on": "2026-03-01"}, headers=world.auth(*PUBLISHER)
    )
    assert response.status_code == 201, response.text
    first = await first_id(world.database, Release.id)
    days = [{"released_on": date(2025, 1, 1) + timedelta(days=n)} for n in range(MORE)]
    return Listing(f"{path}?limit=100", {}, later(world.database, Release, first, days))


async def holidays(world: World) -> Listing:
    body = HOLIDAY | {"date": "2030-01-01"}
    response = await world.client.post(
        "/v1/calendar/holidays", json=body, headers=world.headers(ADMIN)
    )
    assert response.status_code == 201, response.text
    first = await first_id(world.database, Holiday.id)
    days = [{"day": date(2030, 1, 2) + timedelta(days=n)} for n in range(MORE)]
    grow = later(world.database, Holiday, first, days)
    return Listing("/v1/calendar/holidays?year=2030&limit=100", {}, grow)


def names(body: Any) -> int:
    return len(body["result"])


def catalogue_datasets(body: Any) -> int:
    return sum(1 for node in body["@graph"] if "dcat:Dataset" in str(node.get("@type")))


submissions = copied(a_submission, Submission, "SUB")
consultations = copied(a_consultation, Consultation, "CON")
requests = copied(a_request, InformationRequest, "IR")
SUBMISSIONS, REQUESTS = "/v1/submissions?limit=100", "/v1/information-requests?limit=100"
CONSULTATIONS, CKAN = "/v1/consultations?limit=100", "/api/3/action"
LISTS: dict[str, Build] = {
    "submissions": submissions(SUBMISSIONS, PARTICIPATION),
    "submissions-searched": submissions(f"{SUBMISSIONS}&q=المنسك&kind=complaint", PARTICIPATION),
    "submissions-own": submissions(SUBMISSIONS, OWNER),
    "submission-history": history(a_submission, "/v1/submissions/{}/history", PARTICIPATION),
    "me-access-log": access_log,
    "consultations-public": consultations(CONSULTATIONS, None),
    "consultations-searched": consultations(
        f"{CONSULTATIONS}&q=الحدائق&status=scheduled", PARTICIPATION
    ),
    "consultation-history": history(
        a_draft_consultation, "/v1/consultations/{}/history", PARTICIPATION
    ),
    "poll-results": poll_answers("results", lambda body: int(body["respondents"])),
    "poll-free-text": poll_answers("free-text?limit=100", items),
    "information-requests": requests(REQUESTS, INFORMATION),
    "information-requests-searched": requests(f"{REQUESTS}&q=الطرق&overdue=false", INFORMATION),
    "information-requests-own": requests(REQUESTS, OWNER),
    "information-request-history": history(
        a_request, "/v1/information-requests/{}/history", INFORMATION
    ),
    "appeals": appeal_list(APPEALS),
    "appeals-own": appeal_list(OWNER),
    "appeal-history": history(an_appeal, "/v1/appeals/{}/history", APPEALS),
    "disclosure-log": disclosure_log(),
    "disclosure-log-searched": disclosure_log("&q=الطرق&category=reports_statistics"),
    "datasets": dataset_list("/v1/datasets?limit=100"),
    "datasets-filtered": dataset_list("/v1/datasets?limit=100&keyword=طرق&format=CSV&q=الطرق"),
    "dataset-distributions": distributions,
    "dataset-releases": releases,
    "dataset-history": history(a_draft_dataset, "/v1/datasets/{}/history", PUBLISHER),
    "catalog-jsonld": dataset_list("/v1/catalog.jsonld?page_size=100", catalogue_datasets),
    "ckan-package-list": dataset_list(f"{CKAN}/package_list?limit=100", names),
    "ckan-package-search": dataset_list(
        f"{CKAN}/package_search?rows=100&q=الطرق", lambda body: len(body["result"]["results"])
    ),
    "ckan-organization-list": dataset_list(f"{CKAN}/organization_list?limit=100", names),
    "ckan-organization-dicts": dataset_list(  # CKAN caps organisation dicts at 25 a page
        f"{CKAN}/organization_list?all_fields=true", names, full=25
    ),
    "calendar-holidays": holidays,
}


async def warm(client: httpx.AsyncClient) -> None:
    """Load the calendar snapshot the app caches, so that no count includes loading it."""
    assert (await client.get("/v1/calendar")).status_code == 200


async def counted(
    client: httpx.AsyncClient, statements: StatementRecorder, listing: Listing, expected: int
) -> int:
    statements.clear()
    response = await client.get(listing.path, headers=listing.headers)
    assert response.status_code == 200, response.text
    assert listing.size(response.json()) == expected, "the list must really hold the items"
    return len(statements.queries)


@pytest.mark.parametrize("name", LISTS)
async def test_a_list_sends_as_many_statements_for_100_items_as_for_1(
    name: str,
    client: httpx.AsyncClient,
    auth: Auth,
    database: Database,
    statements: StatementRecorder,
) -> None:
    listing = await LISTS[name](World(client, auth, database))
    await warm(client)
    one = await counted(client, statements, listing, 1)
    await listing.grow()
    hundred = await counted(client, statements, listing, listing.full)
    assert hundred == one, [statement.sql for statement in statements.queries]

"""Every filter and sort a list offers is served by an index on PostgreSQL (no Seq Scan).

Each list is called (per filter, per sort, and for a second page) while the statement recorder
runs; every SELECT it sent is EXPLAINed with the same SQL and parameters on the test connection,
with sequential scans disabled. The seeded tables are tiny, so a Seq Scan would otherwise be the
cheapest plan; with it disabled, a Seq Scan that remains on a big table means that no index can
serve the query. The default list of each big table must also walk an index in its keyset order
rather than sort every row it matches.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import Database
from tests.conftest import on_postgres
from tests.routers.test_appeals import add_request, filed
from tests.routers.test_dataset_publishing import release
from tests.routers.test_datasets import add_distribution, published
from tests.routers.test_datasets import create as create_dataset
from tests.routers.test_disclosure_log import decided, publish
from tests.routers.test_information_requests import act, file
from tests.routers.test_polls import answer, answers_for, make_consultation, set_poll
from tests.routers.test_request_handling import ANSWER
from tests.routers.test_submissions import CONTACT, add_consultation, submit
from tests.support.statements import Statement, StatementRecorder

pytestmark = [
    pytest.mark.skipif(
        not on_postgres(), reason="plans are PostgreSQL's: set BENEFICIARY_TEST_DATABASE_URL"
    ),
    pytest.mark.usefixtures("frozen_clock"),  # 2026-03-15T09:00Z
]

Auth = Callable[..., dict[str, str]]
Caller = tuple[str, str] | None  # (sub, role), or None for the public
# The tables that grow with use; the calendar and the counters stay small.
PARTICIPATION = {"submissions", "submission_priority_reasons", "consultations", "poll_responses"}
INFORMATION = {"information_requests", "appeals", "disclosure_entries", "audit_events"}
BIG_TABLES = frozenset(
    PARTICIPATION
    | INFORMATION
    | {"poll_answers", "datasets", "dataset_keywords", "dataset_distributions"}
)
PARTICIPATION_OFFICER = ("officer-salem", "participation_officer")
INFORMATION_OFFICER = ("o1", "information_officer")
APPEALS_OFFICER = ("officer-amal", "appeals_officer")
PUBLISHER = ("pub-1", "data_publisher")
ANALYST = ("analyst-1", "analyst")
BENEFICIARY = ("b1", "beneficiary")


def as_(caller: Caller) -> str:
    return f"as {caller[1]}" if caller else "as the public"


# -- plans ---------------------------------------------------------------------------------------


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def seq_scans(plan: dict[str, Any]) -> list[str]:
    """The big tables the plan reads with a sequential scan."""
    return [
        node["Relation Name"]
        for node in nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
    ]


def sorts_rows(plan: dict[str, Any]) -> bool:
    """Whether the plan sorts rows (rather than walking an index in order)."""
    return any(node["Node Type"] in {"Sort", "Incremental Sort"} for node in nodes(plan))


def outline(plan: dict[str, Any], depth: int = 0) -> str:
    """The plan as indented lines: node, table, index and conditions (for failure messages)."""
    fields = ("Relation Name", "Index Name", "Index Cond", "Recheck Cond", "Filter", "Sort Key")
    details = ", ".join(f"{name}: {plan[name]}" for name in fields if name in plan)
    lines = ["  " * depth + f"{plan['Node Type']} ({details})"]
    lines += [outline(child, depth + 1) for child in plan.get("Plans", [])]
    return "\n".join(lines)


def reads_big_table(plan: dict[str, Any]) -> bool:
    return any(node.get("Relation Name") in BIG_TABLES for node in nodes(plan))


async def explain(connection: AsyncConnection, statement: Statement) -> dict[str, Any]:
    sql = "EXPLAIN (FORMAT JSON) " + statement.sql  # the driver's SQL, with its parameters
    document = (await connection.exec_driver_sql(sql, statement.parameters)).scalar_one()
    return document[0]["Plan"]  # type: ignore[no-any-return]


async def plans_of(
    database: Database, selects: list[Statement], disabled: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The plans of the statements that read a big table, with the ``disabled`` plan types off."""
    async with database.sessions() as session:
        connection = await session.connection()
        for setting in disabled:
            await connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        plans = [await explain(connection, statement) for statement in selects]
        await session.rollback()  # to the savepoint, and the settings go with it
    return [plan for plan in plans if reads_big_table(plan)]


# -- calling lists -------------------------------------------------------------------------------


@dataclass
class PlanCheck:
    """Calls lists and collects what no index serves, named by list, filter, table and plan."""

    client: httpx.AsyncClient
    auth: Auth
    database: Database
    statements: StatementRecorder
    failures: list[str] = field(default_factory=list)

    async def plans(
        self, path: str, caller: Caller, disabled: tuple[str, ...]
    ) -> tuple[Any, list[dict[str, Any]]]:
        self.statements.clear()
        response = await self.client.get(path, headers=self.auth(*caller) if caller else {})
        assert response.status_code == 200, f"{path}: {response.text}"
        plans = await plans_of(self.database, self.statements.selects(), disabled)
        assert plans, f"{path} read no big table"
        return response.json(), plans

    async def get(self, path: str, caller: Caller) -> Any:
        """Calls the list; a Seq Scan left on a big table is a failure."""
        body, plans = await self.plans(path, caller, ("enable_seqscan",))
        for plan in plans:
            if tables := seq_scans(plan):
                scans = f"Seq Scan on {', '.join(tables)}"
                self.failures.append(f"GET {path} {as_(caller)}: {scans}\n{outline(plan)}")
        return body

    async def each(
        self,
        path: str,
        caller: Caller,
        filters: list[dict[str, Any]],
        fixed: dict[str, str] | None = None,
    ) -> None:
        """The list unfiltered, with each filter, and its second page after a page of one."""
        fixed = fixed or {}
        for query in [{}, *filters]:
            await self.get(f"{path}?{urlencode(fixed | query)}", caller)
        first = await self.get(f"{path}?{urlencode(fixed | {'limit': 1})}", caller)
        assert first["next_cursor"], f"{path}: seed at least two rows to check the second page"
        await self.get(
            f"{path}?{urlencode(fixed | {'limit': 1, 'cursor': first['next_cursor']})}", caller
        )

    async def walks_in_order(self, path: str, caller: Caller) -> None:
        """A page (a LIMIT over a big table) that still sorts with sorting disabled is a failure:
        no index hands the rows over in the keyset order."""
        _, plans = await self.plans(path, caller, ("enable_seqscan", "enable_sort"))
        for plan in plans:
            if plan["Node Type"] == "Limit" and sorts_rows(plan):
                self.failures.append(f"GET {path} {as_(caller)}: sorts a page\n{outline(plan)}")

    def assert_served(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)


def one_each(**values: str | list[str]) -> list[dict[str, str]]:
    """One query per filter value: ``one_each(kind="complaint", overdue=["true", "false"])``."""
    listed = {name: [value] if isinstance(value, str) else value for name, value in values.items()}
    return [{name: value} for name, options in listed.items() for value in options]


@pytest.fixture
def check(
    client: httpx.AsyncClient, auth: Auth, database: Database, statements: StatementRecorder
) -> PlanCheck:
    return PlanCheck(client, auth, database, statements)


# -- seeding: a handful of rows of each resource, through the API where it is quick -------------


@dataclass
class Seed:
    client: httpx.AsyncClient
    auth: Auth
    database: Database

    async def participation(self) -> str:
        """Two open consultations and a draft; two beneficiaries' input, one read by an officer."""
        client, auth = self.client, self.auth
        consultation_id = await add_consultation(self.database)
        await add_consultation(self.database, topic="government_services")
        await add_consultation(self.database, published=False)
        sara = auth("b1", "beneficiary")
        mine = await submit(client, sara, consultation_id=consultation_id, contact=CONTACT)
        await submit(client, sara, kind="complaint", body="تأخر الرد على بلاغ انقطاع المياه")
        await submit(client, auth("b2", "beneficiary"), channel="mobile_app", body="إنارة الطريق")
        await self.read(f"/v1/submissions/{mine['id']}", PARTICIPATION_OFFICER)
        return consultation_id

    async def requests(self) -> str:
        """Two answered requests in the disclosure log, an assigned one, another beneficiary's,
        and appeals against a refusal and a partial answer (whose request id is returned)."""
        client, auth, sara = self.client, self.auth, self.auth("b1", "beneficiary")
        for category in ("reports_statistics", "development_plans"):
            receipt = await decided(client, auth, ANSWER, category=category)
            assert (await publish(client, auth, receipt["id"])).status_code == 201
        running = await file(client, sara, contact=CONTACT)
        assigned = await act(client, auth(*INFORMATION_OFFICER), running["id"], "assignment", {})
        assert assigned.status_code == 200, assigned.text
        await self.read(f"/v1/information-requests/{running['id']}", INFORMATION_OFFICER)
        await file(client, auth("b2", "beneficiary"), category="open_data")
        refused = await add_request(self.database, "refused", requester="b1")
        await filed(client, sara, refused)
        partial = await add_request(self.database, "partially_answered", requester="b1")
        await filed(client, sara, partial, "incomplete_answer")
        return refused

    async def datasets(self) -> str:
        """Two published datasets (one with a distribution and two releases) and a draft."""
        client, auth = self.client, self.auth
        roads = await published(client, auth)
        await add_distribution(client, auth, roads)
        for day in ("2026-02-10", "2026-03-10"):
            assert (await release(client, auth, day)).status_code == 201
        await published(client, auth, slug="budget", category="reports_statistics")
        await create_dataset(client, auth, slug="draft-plans", publisher="asir-health")
        return str(roads["slug"])

    async def read(self, path: str, officer: tuple[str, str]) -> None:
        """An officer's read of personal data, which the owner's access log shows."""
        response = await self.client.get(path, headers=self.auth(*officer))
        assert response.status_code == 200, response.text


@pytest.fixture
def seed(client: httpx.AsyncClient, auth: Auth, database: Database) -> Seed:
    return Seed(client, auth, database)


# -- e-participation -----------------------------------------------------------------------------


async def test_submission_lists_use_an_index_for_every_filter(check: PlanCheck, seed: Seed) -> None:
    consultation_id = await seed.participation()
    filters = one_each(
        status="received",
        kind="complaint",
        channel="website",
        consultation_id=consultation_id,
        topic="government_services",
        subtopic="water",
        priority="P2",
        overdue=["true", "false"],
        q="الطريق",
    )
    await check.each("/v1/submissions", PARTICIPATION_OFFICER, filters)
    await check.each("/v1/submissions", BENEFICIARY, filters)
    check.assert_served()


async def test_consultation_lists_use_an_index_for_every_filter(
    check: PlanCheck, seed: Seed
) -> None:
    await seed.participation()
    filters = one_each(
        status=["draft", "scheduled", "open", "closed", "feedback_published", "cancelled"],
        topic="development_initiatives",
        channel="website",
        opens_after="2026-03-01T00:00:00Z",
        closes_before="2026-04-01T00:00:00Z",
        q="استشارة",
        reference="CON-2026-000001",
    )
    await check.each("/v1/consultations", PARTICIPATION_OFFICER, filters)
    await check.each("/v1/consultations", None, filters)
    check.assert_served()


async def test_analytics_use_an_index_for_every_filter(check: PlanCheck, seed: Seed) -> None:
    consultation_id = await seed.participation()
    shared = [{}, *one_each(consultation_id=consultation_id, kind="complaint")]
    window = {"from": "2026-01-01", "to": "2026-03-15"}
    queries = {
        "/v1/analytics/topics": [*shared, window, {"channel": "website"}],
        "/v1/analytics/channels": [*shared, window],
    }
    for path, filters in queries.items():
        for query in filters:
            for caller in (PARTICIPATION_OFFICER, ANALYST):
                await check.get(f"{path}?{urlencode(query)}", caller)
    check.assert_served()


async def test_free_text_answers_and_histories_use_indexes(
    check: PlanCheck, seed: Seed, client: httpx.AsyncClient, auth: Auth
) -> None:
    consultation_id = await make_consultation(seed.database)
    poll = await set_poll(client, auth, consultation_id)
    for sub in ("b1", "b2", "b3"):
        answers = answers_for(poll, text=f"ظل {sub}")
        assert (await answer(client, auth, consultation_id, sub, answers)).status_code == 201
    officer, consultation = PARTICIPATION_OFFICER, f"/v1/consultations/{consultation_id}"
    free_text = one_each(question_id=poll["questions"][3]["id"])
    await check.each(f"{consultation}/poll/free-text", officer, free_text)
    await check.get(f"{consultation}/poll/results", officer)
    await check.get(f"{consultation}/history", officer)
    mine = await submit(client, auth("b1", "beneficiary"))
    await check.get(f"/v1/submissions/{mine['id']}/history", officer)
    check.assert_served()


# -- access to information -----------------------------------------------------------------------


async def test_information_request_lists_use_an_index_for_every_filter(
    check: PlanCheck, seed: Seed
) -> None:
    await seed.requests()
    filters = one_each(
        status="submitted",
        category="reports_statistics",
        overdue=["true", "false"],
        due_before="2026-04-01",
        assigned_to=INFORMATION_OFFICER[0],
        q="الطرق",
    )
    await check.each("/v1/information-requests", INFORMATION_OFFICER, filters)
    await check.each("/v1/information-requests", BENEFICIARY, filters)
    check.assert_served()


async def test_appeal_lists_use_an_index_for_every_filter(check: PlanCheck, seed: Seed) -> None:
    request_id = await seed.requests()
    filters = one_each(
        status="submitted", ground="refusal", overdue=["true", "false"], request_id=request_id
    )
    await check.each("/v1/appeals", APPEALS_OFFICER, filters)
    await check.each("/v1/appeals", BENEFICIARY, filters)
    check.assert_served()


async def test_disclosure_log_and_access_log_use_indexes(check: PlanCheck, seed: Seed) -> None:
    await seed.requests()
    await seed.participation()
    filters = one_each(category="development_plans", q="الطرق")
    await check.each("/v1/disclosure-log", None, filters)
    await check.each("/v1/me/access-log", BENEFICIARY, [])
    check.assert_served()


# -- datasets ------------------------------------------------------------------------------------


async def test_dataset_lists_use_an_index_for_every_filter_and_sort(
    check: PlanCheck, seed: Seed
) -> None:
    slug = await seed.datasets()
    filters = one_each(
        category="development_plans",
        keyword="طرق",
        format="CSV",
        publisher="asir-municipality",
        q="الطرق",
        release_overdue=["true", "false"],
    )
    publisher = PUBLISHER
    for sort in ("modified", "slug"):
        await check.each("/v1/datasets", None, filters, {"sort": sort})
        await check.each("/v1/datasets", publisher, [*filters, {"status": "draft"}], {"sort": sort})
    await check.each(f"/v1/datasets/{slug}/releases", None, [])
    check.assert_served()


# -- the default order ---------------------------------------------------------------------------

DEFAULT_LISTS = [
    ("/v1/submissions", PARTICIPATION_OFFICER),
    ("/v1/information-requests", INFORMATION_OFFICER),
    ("/v1/appeals", APPEALS_OFFICER),
    ("/v1/consultations", PARTICIPATION_OFFICER),
    ("/v1/consultations", None),
    ("/v1/datasets", PUBLISHER),
    ("/v1/datasets", None),
    ("/v1/disclosure-log", None),
]


async def test_default_lists_walk_an_index_in_their_keyset_order(
    check: PlanCheck, seed: Seed
) -> None:
    await seed.participation()
    await seed.requests()
    await seed.datasets()
    for path, caller in DEFAULT_LISTS:
        await check.walks_in_order(path, caller)
    check.assert_served()

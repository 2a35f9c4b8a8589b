"""Appeals under concurrency, the one-open-appeal index, and deadlines that follow the calendar."""

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import AppError
from app.core.migrations import upgrade_to_head
from app.core.security import Principal, Role
from app.models.appeal import Appeal, AppealGround
from app.models.audit_event import AuditEvent
from app.models.information_request import InformationRequest
from app.services import appeal_decisions as workflow
from app.services import appeals as appeal_service
from app.services.appeal_decisions import AppealOutcome
from app.services.appeals import AppealNotEligible, AppealRules, recompute_appeal_deadlines
from app.services.working_days import HolidayInfo, snapshot_from_rows
from tests.routers.test_appeals import NOW, add_request

RULES = AppealRules(
    snapshot_from_rows([]),
    decision_working_days=10,
    filing_window_days=30,
    reopened_working_days=10,
)
APPELLANT = Principal("b1", frozenset({Role.BENEFICIARY}))
REASONING = {"ar": "قرار", "en": "Decision"}


def officer(sub: str) -> Principal:
    return Principal(sub, frozenset({Role.APPEALS_OFFICER}))


async def file_appeal(database: Database, request_id: str) -> uuid.UUID:
    async with database.sessions() as session:
        appeal = await appeal_service.file(
            session,
            by=APPELLANT,
            request_id=uuid.UUID(request_id),
            ground=AppealGround.REFUSAL,
            statement="تظلم",
            rules=RULES,
        )
        await session.commit()
        return appeal.id


async def count(database: Database, action: str) -> int:
    async with database.sessions() as session:
        found = await session.scalar(select(func.count()).where(AuditEvent.action == action))
        return int(found or 0)


@pytest.fixture
async def fresh_database(fresh_database_url: str, settings: Settings) -> AsyncIterator[Database]:
    """A migrated database of its own, where separate sessions really commit and race."""
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    database = Database(fresh)
    yield database
    await database.dispose()


@pytest.mark.parametrize(
    ("if_match", "loser"), [(1, "precondition_failed"), (None, "invalid_transition")]
)
async def test_two_officers_deciding_at_once_produce_one_decision(
    fresh_database: Database, if_match: int | None, loser: str
) -> None:
    with clock.use(clock.FrozenClock(NOW)):
        request_id = await add_request(fresh_database)
        appeal_id = await file_appeal(fresh_database, request_id)

        async def attempt(sub: str, outcome: AppealOutcome) -> str:
            async with fresh_database.sessions() as session:
                try:
                    appeal = await appeal_service.get_readable(
                        session, officer(sub), appeal_id, for_update=True
                    )
                    await asyncio.sleep(0)  # let the other officer reach the same appeal
                    await workflow.decide(
                        session,
                        appeal,
                        by=officer(sub),
                        outcome=outcome,
                        reasoning=REASONING,
                        rules=RULES,
                        expected_version=if_match,
                    )
                except AppError as exc:
                    await session.rollback()
                    return exc.code
                await asyncio.sleep(0)
                await session.commit()
                return outcome.value

        outcomes = await asyncio.gather(
            attempt("ao1", AppealOutcome.UPHELD), attempt("ao2", AppealOutcome.REJECTED)
        )
    winner = next(outcome for outcome in outcomes if outcome != loser)
    assert sorted(outcomes) == sorted([winner, loser])
    async with fresh_database.sessions() as session:
        appeal = await session.get_one(Appeal, appeal_id)
        request = await session.get_one(InformationRequest, uuid.UUID(request_id))
    assert (appeal.status, appeal.version) == (winner, 2)
    assert request.status == ("in_progress" if winner == "upheld" else "refused")
    assert await count(fresh_database, "appeal.decided") == 1
    assert await count(fresh_database, "information_request.reopened") == (winner == "upheld")


async def test_concurrent_filings_on_one_request_leave_one_open_appeal(
    fresh_database: Database,
) -> None:
    with clock.use(clock.FrozenClock(NOW)):
        request_id = await add_request(fresh_database)

        async def attempt() -> str:
            async with fresh_database.sessions() as session:
                try:
                    await appeal_service.file(
                        session,
                        by=APPELLANT,
                        request_id=uuid.UUID(request_id),
                        ground=AppealGround.REFUSAL,
                        statement="تظلم",
                        rules=RULES,
                    )
                except AppealNotEligible as exc:
                    await session.rollback()
                    return str(exc.params["reason"])
                await asyncio.sleep(0)  # let the other filing reach its insert first
                await session.commit()
                return "filed"

        outcomes = await asyncio.gather(*(attempt() for _ in range(3)))
    assert sorted(outcomes) == ["appeal_already_open", "appeal_already_open", "filed"]
    assert await count(fresh_database, "appeal.filed") == 1


async def test_a_filing_that_misses_the_open_appeal_is_stopped_by_the_index(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.use(clock.FrozenClock(NOW)):
        request_id = await add_request(database)
        await file_appeal(database, request_id)

        lookups = 0
        real_lookup = appeal_service._open_appeal

        async def unseen_at_first(*args: object) -> bool:
            nonlocal lookups
            lookups += 1  # the first check misses it, as a concurrent filing's would
            return lookups > 1 and await real_lookup(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(appeal_service, "_open_appeal", unseen_at_first)
        with pytest.raises(AppealNotEligible) as raised:
            await file_appeal(database, request_id)
    assert (raised.value.params, lookups) == ({"reason": "appeal_already_open"}, 2)
    assert await count(database, "appeal.filed") == 1


async def test_recompute_moves_live_appeals_later_and_never_earlier(database: Database) -> None:
    received = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # due 29 March on the plain calendar
    request_ids = [uuid.UUID(await add_request(database)) for _ in range(4)]
    rows = {
        "submitted": ("submitted", date(2026, 3, 29)),
        "under_review": ("under_review", date(2026, 3, 29)),
        "told_later": ("submitted", date(2026, 4, 2)),
        "rejected": ("rejected", date(2026, 3, 29)),
    }
    appeals = {
        name: Appeal(
            reference=f"AP-T-{index}",
            request_id=request_ids[index],
            appellant_sub="b1",
            ground="refusal",
            statement="تظلم",
            status=status,
            received_at=received,
            working_days=10,
            due_date=due,
        )
        for index, (name, (status, due)) in enumerate(rows.items())
    }
    snapshot = snapshot_from_rows([(date(2026, 3, 24), HolidayInfo("إجازة", "Holiday"))], version=7)
    async with database.sessions() as session:
        session.add_all(appeals.values())
        await session.flush()
        moved = await recompute_appeal_deadlines(session, snapshot, None)
        await session.commit()
    assert moved == 2
    async with database.sessions() as session:
        stored = {
            name: await session.get_one(Appeal, appeal.id) for name, appeal in appeals.items()
        }
        audited = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.moved"))
        )
    assert {name: row.due_date for name, row in stored.items()} == {
        "submitted": date(2026, 3, 30),
        "under_review": date(2026, 3, 30),
        "told_later": date(2026, 4, 2),
        "rejected": date(2026, 3, 29),
    }
    assert (stored["submitted"].calendar_version, stored["submitted"].version) == (7, 2)
    assert {event.entity_id for event in audited} == {
        str(appeals["submitted"].id),
        str(appeals["under_review"].id),
    }
    assert {event.actor_sub for event in audited} == {None}


def test_the_cli_sees_the_appeal_deadline_step() -> None:
    """``beneficiary-api deadlines recompute`` must move appeal deadlines too."""
    script = (
        "import app.cli; from app.services import deadlines; print(list(deadlines.registered()))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "'appeals'" in result.stdout

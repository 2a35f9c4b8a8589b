"""Audit events record who, roles, when, what, from/to and the request id; nothing else."""

import uuid
from datetime import UTC, datetime

from app.core import clock, request_context
from app.core.db import Database
from app.core.security import Principal, Role
from app.services import audit


class Appeal:
    __tablename__ = "appeals"

    def __init__(self) -> None:
        self.id = uuid.uuid4()


async def test_record_captures_actor_roles_time_states_and_request_id(database: Database) -> None:
    officer = Principal(sub="officer-7", roles=frozenset({Role.APPEALS_OFFICER, Role.ADMIN}))
    appeal = Appeal()
    request_context.bind({}, "req-42")
    at = datetime(2026, 4, 2, 8, 30, tzinfo=UTC)
    with clock.use(clock.FrozenClock(at)):
        async with database.sessions() as session:
            await audit.record(
                session,
                officer,
                "appeal.decided",
                appeal,
                from_state="under_review",
                to_state="upheld",
                details={"grounds": 2},
            )
            await session.commit()
    async with database.sessions() as session:
        (event,) = await audit.history(session, appeal)
    assert event.actor_sub == "officer-7"
    assert event.actor_roles == ["admin", "appeals_officer"]
    assert event.occurred_at == at
    assert event.occurred_at.tzinfo is not None
    assert (event.entity_type, event.entity_id) == ("appeals", str(appeal.id))
    assert (event.from_state, event.to_state) == ("under_review", "upheld")
    assert event.request_id == "req-42"
    assert event.details == {"grounds": 2}


async def test_history_is_oldest_first_and_only_for_that_item(database: Database) -> None:
    first, other = Appeal(), Appeal()
    frozen = clock.FrozenClock(datetime(2026, 4, 2, tzinfo=UTC))
    with clock.use(frozen):
        async with database.sessions() as session:
            for action in ("appeal.filed", "appeal.review_started", "appeal.decided"):
                frozen.set(frozen.now().replace(hour=frozen.now().hour + 1))
                await audit.record(session, None, action, first)
            await audit.record(session, None, "appeal.filed", other)
            history = await audit.history(session, first)
    assert [event.action for event in history] == [
        "appeal.filed",
        "appeal.review_started",
        "appeal.decided",
    ]
    assert all(event.actor_sub is None and event.actor_roles == [] for event in history)


async def test_audit_rolls_back_with_the_change(database: Database) -> None:
    appeal = Appeal()
    async with database.sessions() as session:
        await audit.record(session, None, "appeal.filed", appeal)
        await session.rollback()
    async with database.sessions() as session:
        assert list(await audit.history(session, appeal)) == []

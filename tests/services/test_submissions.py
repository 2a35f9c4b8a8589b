"""Imports stay idempotent when repeats race; complaint deadlines are registered for the CLI."""

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.core.security import Principal, Role
from app.models.audit_event import AuditEvent
from app.models.consultation import Channel
from app.models.submission import Submission, SubmissionKind
from app.services import submissions as submission_service
from app.services.submissions import ComplaintClock, Intake, import_submission
from app.services.working_days import snapshot_from_rows

INTEGRATOR = Principal("i1", frozenset({Role.CHANNEL_INTEGRATOR}))
RECEIVED = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)
COMPLAINTS = ComplaintClock(snapshot_from_rows([]), 10)


def intake(body: str = "شكوى من البريد الرسمي") -> Intake:
    return Intake(SubmissionKind.COMPLAINT, Channel.EMAIL, body)


async def run_import(
    database: Database, cipher: PersonalDataCipher, body: str = "شكوى"
) -> tuple[uuid.UUID, bool]:
    async with database.sessions() as session, session.begin():
        submission, created = await import_submission(
            session,
            by=INTEGRATOR,
            intake=intake(body),
            external_id="mail-42",
            received_at=RECEIVED,
            source_handle="someone@example.sa",
            complaints=COMPLAINTS,
            cipher=cipher,
        )
        await asyncio.sleep(0)  # let the other imports interleave before this one commits
        return submission.id, created


async def counts(database: Database) -> tuple[int, int]:
    async with database.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(Submission))
        imports = await session.scalar(
            select(func.count()).where(AuditEvent.action == "submission.imported")
        )
    return int(rows or 0), int(imports or 0)


async def test_concurrent_repeats_of_one_import_leave_one_row(
    fresh_database_url: str, settings: Settings
) -> None:
    fresh = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, fresh)
    database = Database(fresh)
    cipher = PersonalDataCipher(fresh.personal_data_keys())
    try:
        results = await asyncio.gather(
            *(run_import(database, cipher, body=f"نسخة {i}") for i in range(6))
        )
        assert len({submission_id for submission_id, _ in results}) == 1
        assert sorted(created for _, created in results) == [False] * 5 + [True]
        assert await counts(database) == (1, 1)
    finally:
        await database.dispose()


async def test_a_repeat_that_loses_the_race_at_the_constraint_returns_the_winner(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cipher = PersonalDataCipher(settings.personal_data_keys())
    winner, _ = await run_import(database, cipher)
    lookups = 0
    real_lookup = submission_service._imported

    async def unseen_at_first(*args: object) -> Submission | None:
        nonlocal lookups
        lookups += 1
        return None if lookups == 1 else await real_lookup(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(submission_service, "_imported", unseen_at_first)
    loser, created = await run_import(database, cipher, body="نص آخر")
    assert (loser, created, lookups) == (winner, False, 2)
    assert await counts(database) == (1, 1)


def test_the_cli_sees_the_complaint_deadline_step() -> None:
    """``beneficiary-api deadlines recompute`` must move complaint deadlines too."""
    script = (
        "import app.cli; from app.services import deadlines; print(list(deadlines.registered()))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "'submissions'" in result.stdout

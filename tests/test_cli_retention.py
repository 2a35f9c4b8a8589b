"""`beneficiary-api retention purge`: personal data of long-closed items is erased, and audited."""

import asyncio
import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.cli import main
from app.core import clock
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.information_request import InformationRequest
from app.models.submission import Submission
from app.services import retention

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
SUBMISSIONS_CUTOFF = NOW - timedelta(days=730)  # 2024-03-15 09:00 UTC
REQUESTS_CUTOFF = NOW - timedelta(days=1095)  # 2023-03-16 09:00 UTC (2024 is a leap year)
SECOND = timedelta(seconds=1)
LONG_AGO = datetime(2019, 1, 6, 9, tzinfo=UTC)
TOKEN = "gAAAAAB-a-fernet-token-stands-here"
_numbers = itertools.count(1)


@pytest.fixture
def configured(configured: Settings) -> Iterator[Settings]:
    """The migrated database, with the clock frozen at ``NOW``."""
    with clock.use(clock.FrozenClock(NOW)):
        yield configured


def submission(name: str, status: str, **values: Any) -> Submission:
    columns: dict[str, Any] = {
        "reference": f"SUB-T-{next(_numbers):06d}",
        "kind": "complaint",
        "channel": "website",
        "body": name,
        "status": status,
        "received_at": LONG_AGO,
        "contact_encrypted": TOKEN,
    }
    return Submission(**(columns | values))


def information_request(name: str, status: str, **values: Any) -> InformationRequest:
    columns: dict[str, Any] = {
        "reference": f"IR-T-{next(_numbers):06d}",
        "requester_sub": "b1",
        "subject": name,
        "description": "أطلب بيان المبالغ المصروفة",
        "category": "reports_statistics",
        "status": status,
        "received_at": LONG_AGO,
        "working_days": 10,
        "clock_started_at": LONG_AGO,
        "clock_working_days": 10,
        "contact_encrypted": TOKEN,
    }
    return InformationRequest(**(columns | values))


def appeal(request: InformationRequest, status: str) -> Appeal:
    return Appeal(
        reference=f"AP-T-{next(_numbers):06d}",
        request_id=request.id,
        appellant_sub="b1",
        ground="refusal",
        statement="تظلم",
        status=status,
        received_at=REQUESTS_CUTOFF,
        working_days=10,
        due_date=REQUESTS_CUTOFF.date(),
    )


def the_estate() -> tuple[list[Submission], list[InformationRequest]]:
    """Every case the rule distinguishes; the names say whether personal data must go."""
    past, inside = SUBMISSIONS_CUTOFF - SECOND, SUBMISSIONS_CUTOFF + SECOND
    submissions = [
        submission("decided-past", "decided", decided_at=past, source_handle_encrypted=TOKEN),
        submission("withdrawn-past", "withdrawn", withdrawn_at=SUBMISSIONS_CUTOFF - 2 * SECOND),
        submission("decided-inside", "decided", decided_at=inside),
        submission("decided-at-the-cutoff", "decided", decided_at=SUBMISSIONS_CUTOFF),
        submission("withdrawn-inside", "withdrawn", withdrawn_at=inside),
        submission("open-old", "under_review"),
        submission("decided-past-no-data", "decided", decided_at=past, contact_encrypted=None),
    ]
    past, inside = REQUESTS_CUTOFF - SECOND, REQUESTS_CUTOFF + SECOND
    requests = [
        information_request("ir-answered-past", "answered", decided_at=past),
        information_request("ir-not-held-past", "not_held", decided_at=LONG_AGO),
        information_request("ir-withdrawn-past", "withdrawn", withdrawn_at=past),
        information_request("ir-refused-appeal-rejected", "refused", decided_at=past),
        information_request("ir-refused-inside", "refused", decided_at=inside),
        information_request("ir-refused-under-appeal", "refused", decided_at=past),
        # Reopened by an upheld appeal: its old decision no longer closes it.
        information_request("ir-reopened-old", "in_progress", decided_at=LONG_AGO),
        information_request("ir-submitted-old", "submitted"),
    ]
    return submissions, requests


async def seed(settings: Settings) -> dict[str, uuid.UUID]:
    """Store the estate; the ids by name."""
    submissions, requests = the_estate()
    database = Database(settings)
    async with database.sessions() as session, session.begin():
        session.add_all([*submissions, *requests])
        await session.flush()
        by_subject = {request.subject: request for request in requests}
        session.add_all(
            [
                appeal(by_subject["ir-refused-appeal-rejected"], "rejected"),
                appeal(by_subject["ir-refused-under-appeal"], "under_review"),
            ]
        )
    await database.dispose()
    ids = {row.body: row.id for row in submissions} | {row.subject: row.id for row in requests}
    assert len(ids) == len(submissions) + len(requests)  # names are unique across both kinds
    return ids


async def stored(settings: Settings) -> tuple[dict[str, tuple[Any, ...]], list[AuditEvent]]:
    """Every item's personal data and version by name, and the purge audit events."""
    database = Database(settings)
    s, r = Submission, InformationRequest
    async with database.sessions() as session:
        submissions = await session.execute(
            select(s.body, s.contact_encrypted, s.source_handle_encrypted, s.version)
        )
        requests = await session.execute(select(r.subject, r.contact_encrypted, r.version))
        items = {row[0]: tuple(row)[1:] for row in [*submissions, *requests]}
        events = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "personal_data.purged")
        )
        audited = list(events.all())
    await database.dispose()
    return items, audited


PURGED_SUBMISSIONS = {"decided-past", "withdrawn-past"}
PURGED_REQUESTS = {
    "ir-answered-past",
    "ir-not-held-past",
    "ir-withdrawn-past",
    "ir-refused-appeal-rejected",
}


def output_lines(verb: str, submissions: int, requests: int) -> list[str]:
    return [
        f"submissions: {verb} the personal data of {submissions} items closed before "
        "2024-03-15T09:00:00+00:00 (730 days)",
        f"information_requests: {verb} the personal data of {requests} items closed before "
        "2023-03-16T09:00:00+00:00 (1095 days)",
    ]


async def test_purge_erases_only_items_closed_longer_than_their_period_and_audits_each(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = await seed(configured)
    before, _ = await stored(configured)

    assert await asyncio.to_thread(main, ["retention", "purge"]) == 0
    assert capsys.readouterr().out.splitlines() == output_lines("erased", 2, 4)

    after, events = await stored(configured)
    erased = {name for name, values in after.items() if values != before[name]}
    assert erased == PURGED_SUBMISSIONS | PURGED_REQUESTS
    assert after["decided-past"] == (None, None, 2)  # the version moved: old ETags are stale
    assert after["ir-answered-past"] == (None, 2)
    assert after["ir-refused-under-appeal"] == (TOKEN, 1)
    assert after["decided-at-the-cutoff"] == (TOKEN, None, 1)  # not *more* than 730 days

    audited = {(e.entity_type, e.entity_id): e.details for e in events}
    by_id = {str(ids[name]): name for name in ids}
    assert {(kind, by_id[entity]) for kind, entity in audited} == {
        ("submissions", "decided-past"),
        ("submissions", "withdrawn-past"),
        *{("information_requests", name) for name in PURGED_REQUESTS},
    }
    assert audited["submissions", str(ids["decided-past"])] == {
        "reason": "retention",
        "fields": ["contact", "source_handle"],
    }
    assert audited["information_requests", str(ids["ir-withdrawn-past"])] == {
        "reason": "retention",
        "fields": ["contact"],
    }
    assert {(e.actor_sub, e.occurred_at) for e in events} == {(None, NOW)}


async def test_purge_in_small_batches_then_again_finds_nothing_and_writes_no_more_events(
    configured: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured)
    monkeypatch.setattr(retention, "BATCH_SIZE", 1)
    assert await asyncio.to_thread(main, ["retention", "purge"]) == 0
    assert capsys.readouterr().out.splitlines() == output_lines("erased", 2, 4)
    assert await asyncio.to_thread(main, ["retention", "purge"]) == 0
    assert capsys.readouterr().out.splitlines() == output_lines("erased", 0, 0)
    _, events = await stored(configured)
    assert len(events) == 6


async def test_dry_run_counts_the_same_items_and_changes_nothing(
    configured: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured)
    before, _ = await stored(configured)

    assert await asyncio.to_thread(main, ["retention", "purge", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [*output_lines("would erase", 2, 4), "dry run: nothing was changed"]
    after, events = await stored(configured)
    assert after == before
    assert events == []


async def test_longer_periods_from_settings_keep_more(
    configured: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured)
    monkeypatch.setenv("BENEFICIARY_RETENTION_SUBMISSIONS_DAYS", "731")
    monkeypatch.setenv("BENEFICIARY_RETENTION_INFORMATION_REQUESTS_DAYS", "2500")
    get_settings.cache_clear()
    assert await asyncio.to_thread(main, ["retention", "purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "submissions: would erase the personal data of 0 items" in out
    # Only the request decided in January 2019 is older than 2500 days.
    assert "information_requests: would erase the personal data of 1 items" in out


def test_retention_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["retention"])
    assert "purge" in capsys.readouterr().err

"""Retention: erasing the personal data of items closed longer than their category's period.

The records themselves stay (statistics, the disclosure log and audit trails need them); only the
encrypted personal-data columns are set to NULL, and each erasure is audited per item.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    Update,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.config import Settings
from app.models.appeal import Appeal
from app.models.information_request import InformationRequest, RequestStatus
from app.models.submission import Submission, SubmissionStatus
from app.services import audit
from app.services.appeals import LIVE as OPEN_APPEAL_STATUSES
from app.services.request_handling import Outcome

ACTION = "personal_data.purged"
BATCH_SIZE = 1000  # ids per UPDATE: well under both databases' bound-parameter limits
DECIDED_REQUEST_STATUSES = tuple(outcome.value for outcome in Outcome)


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One category of items: its table, its period, its personal data (audit name: column), and
    when an item counts as closed before a cutoff."""

    category: str
    table: Table
    days: int
    fields: dict[str, str]
    closed_before: Callable[[datetime], ColumnElement[bool]]

    def has_personal_data(self) -> ColumnElement[bool]:
        return or_(*(self.table.c[column].is_not(None) for column in self.fields.values()))


@dataclass(frozen=True, slots=True)
class PurgeCount:
    category: str
    days: int
    cutoff: datetime
    items: int


def rules(settings: Settings) -> list[RetentionRule]:
    submissions, requests = Submission.__table__, InformationRequest.__table__
    assert isinstance(submissions, Table) and isinstance(requests, Table)
    return [
        RetentionRule(
            "submissions",
            submissions,
            settings.retention_submissions_days,
            Submission.PERSONAL_DATA,
            submission_closed_before,
        ),
        RetentionRule(
            "information_requests",
            requests,
            settings.retention_information_requests_days,
            InformationRequest.PERSONAL_DATA,
            request_closed_before,
        ),
    ]


def submission_closed_before(cutoff: datetime) -> ColumnElement[bool]:
    s = Submission
    return or_(
        and_(s.status == SubmissionStatus.DECIDED.value, s.decided_at < cutoff),
        and_(s.status == SubmissionStatus.WITHDRAWN.value, s.withdrawn_at < cutoff),
    )


def request_closed_before(cutoff: datetime) -> ColumnElement[bool]:
    """Decided or withdrawn before ``cutoff``; a request under appeal is not closed yet."""
    r = InformationRequest
    open_appeal = exists().where(Appeal.request_id == r.id, Appeal.status.in_(OPEN_APPEAL_STATUSES))
    return and_(
        or_(
            and_(r.status.in_(DECIDED_REQUEST_STATUSES), r.decided_at < cutoff),
            and_(r.status == RequestStatus.WITHDRAWN.value, r.withdrawn_at < cutoff),
        ),
        not_(open_appeal),
    )


async def purge(session: AsyncSession, settings: Settings, *, dry_run: bool) -> list[PurgeCount]:
    """Erase (or with ``dry_run`` only count) expired personal data, category by category."""
    now, counts = clock.now(), []
    for rule in rules(settings):
        cutoff = now - timedelta(days=rule.days)
        expired = and_(rule.closed_before(cutoff), rule.has_personal_data())
        if dry_run:
            items = await _count(session, rule, expired)
        else:
            items = await _erase(session, rule, expired)
        counts.append(PurgeCount(rule.category, rule.days, cutoff, items))
    return counts


async def _count(session: AsyncSession, rule: RetentionRule, expired: ColumnElement[bool]) -> int:
    statement = select(func.count()).select_from(rule.table).where(expired)
    return int(await session.scalar(statement) or 0)


async def _erase(session: AsyncSession, rule: RetentionRule, expired: ColumnElement[bool]) -> int:
    """Erase in id batches: one SELECT (which fields each item held, for its audit event), one
    UPDATE and one audit insert per batch, so memory and parameter counts stay bounded."""
    table, erased, after = rule.table, 0, None
    columns = [table.c[column] for column in rule.fields.values()]
    while True:
        # Locked (PostgreSQL; SQLite holds its write lock from BEGIN) so the fields audited are
        # the fields erased.
        statement = select(table.c.id, *columns).where(expired).with_for_update()
        if after is not None:
            statement = statement.where(table.c.id > after)
        rows = (await session.execute(statement.order_by(table.c.id).limit(BATCH_SIZE))).all()
        if not rows:
            return erased
        after = rows[-1].id
        # The UPDATE checks the rule again: an appeal filed meanwhile keeps a request's data.
        erasure = _erasure(rule, [row.id for row in rows]).where(expired)
        done = set((await session.scalars(erasure.returning(table.c.id))).all())
        changes = [(str(row.id), _details(rule, row._mapping)) for row in rows if row.id in done]
        erased += await audit.record_many(session, None, ACTION, table.name, changes)


def _erasure(rule: RetentionRule, ids: list[uuid.UUID]) -> Update:
    # Erasing changes what the owner sees: the version moves so an old ETag no longer matches.
    table = rule.table
    return (
        update(table)
        .where(table.c.id.in_(ids))
        .values(
            {
                **dict.fromkeys(rule.fields.values()),
                "version": table.c.version + 1,
                "updated_at": clock.now(),
            }
        )
    )


def _details(rule: RetentionRule, row: RowMapping) -> dict[str, Any]:
    held = sorted(name for name, column in rule.fields.items() if row[column] is not None)
    return {"reason": "retention", "fields": held}

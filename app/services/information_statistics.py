"""Public statistics on access to information: requests and appeals in a month or a year.

Decisions are counted by the decision instant and the request's current status, so a request
reopened by an upheld appeal counts by its latest decision (its earlier one is in the audit
trail). Every count is a conditional sum over one scan of its table.
"""

from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.appeal import Appeal
from app.models.information_request import InformationRequest, LegalGround
from app.schemas.statistics import (
    Figure,
    FiguresByLegalGround,
    FiguresByOutcome,
    InformationRequestStatistics,
    Period,
)
from app.services import aggregates
from app.services.appeal_decisions import UPHOLDING, AppealOutcome
from app.services.information_requests import UNDECIDED, overdue_condition
from app.services.request_handling import NEEDS_GROUNDS, Outcome
from app.services.statistics import counted, during

DECISIONS = tuple(outcome.value for outcome in Outcome)
REFUSALS = tuple(outcome.value for outcome in NEEDS_GROUNDS)
APPEAL_DECISIONS = tuple(outcome.value for outcome in AppealOutcome)
APPEALS_UPHELD = tuple(outcome.value for outcome in UPHOLDING)


async def information_request_statistics(
    session: AsyncSession, *, period: Period, today: date, now: datetime
) -> InformationRequestStatistics:
    """The period's figures; ``open_now`` and ``overdue_now`` are as of ``today``."""
    dialect = session.get_bind().dialect.name
    requests = await counted(session, _request_conditions(period, today, dialect))
    appeals = await counted(session, _appeal_conditions(period))
    days = await _decision_working_days(session, period)
    decided = sum(requests[outcome] for outcome in DECISIONS)
    return InformationRequestStatistics(
        period=period,
        generated_at=now,
        received=_count(requests["received"]),
        decided=_count(decided),
        by_outcome=FiguresByOutcome.model_validate(
            {outcome: _count(requests[outcome]) for outcome in DECISIONS}
        ),
        refusals_by_legal_ground=FiguresByLegalGround.model_validate(
            {ground.value: _count(requests[ground.value]) for ground in LegalGround}
        ),
        on_time_rate=_rate(requests["on_time"], requests["timed"]),
        median_working_days_to_decision=Figure.of(aggregates.median(days)),
        open_now=_count(requests["open"]),
        overdue_now=_count(requests["overdue"]),
        appeals_filed=_count(appeals["filed"]),
        appeals_decided=_count(appeals["decided"]),
        upheld_rate=_rate(appeals["upheld"], appeals["decided"]),
    )


def _count(n: int) -> Figure:
    return Figure.of(aggregates.count(n))


def _rate(numerator: int, denominator: int) -> Figure:
    return Figure.of(aggregates.rate(numerator, denominator))


def _decided_in(period: Period) -> ColumnElement[bool]:
    r = InformationRequest
    return and_(during(r.decided_at, period), r.status.in_(DECISIONS))


def _request_conditions(
    period: Period, today: date, dialect: str
) -> dict[str, ColumnElement[bool]]:
    r = InformationRequest
    decided = _decided_in(period)
    refused = and_(decided, r.status.in_(REFUSALS))
    return {
        "received": during(r.received_at, period),
        **{outcome: and_(decided, r.status == outcome) for outcome in DECISIONS},
        **{ground.value: and_(refused, cites(ground, dialect)) for ground in LegalGround},
        "on_time": and_(decided, r.decided_on_time.is_(True)),
        "timed": and_(decided, r.decided_on_time.is_not(None)),
        # Not bound to the period: the workload at the time of asking.
        "open": r.status.in_(UNDECIDED),
        "overdue": overdue_condition(today),
    }


def cites(ground: LegalGround, dialect: str) -> ColumnElement[bool]:
    """The request's JSON ``legal_grounds`` list holds an entry for ``ground``.

    JSONB containment on PostgreSQL; a correlated ``json_each`` on SQLite.
    """
    grounds = InformationRequest.legal_grounds
    if dialect == "postgresql":
        return type_coerce(grounds, JSONB).contains([{"ground": ground.value}])
    entries = func.json_each(grounds).table_valued("value")
    return exists().where(func.json_extract(entries.c.value, "$.ground") == ground.value)


def _appeal_conditions(period: Period) -> dict[str, ColumnElement[bool]]:
    a = Appeal
    decided = and_(during(a.decided_at, period), a.status.in_(APPEAL_DECISIONS))
    return {
        "filed": during(a.received_at, period),
        "decided": decided,
        "upheld": and_(decided, a.status.in_(APPEALS_UPHELD)),
    }


async def _decision_working_days(session: AsyncSession, period: Period) -> list[int]:
    """The stored working days of the period's decisions (nulls, from before they were
    recorded, left out) for the median: one column of one month's or year's decisions."""
    r = InformationRequest
    statement = select(r.decision_working_days).where(
        _decided_in(period), r.decision_working_days.is_not(None)
    )
    return [days for days in await session.scalars(statement) if days is not None]

"""Public statistics on e-participation in a year, and proactive disclosure now.

Figures about people's input (submissions, the adopted share) are suppressed below five.
Figures about the emirate's own public records (consultations, feedback reports, datasets) are
not: every one of those records is already published one by one, so hiding a small count would
protect no one and only contradict the public lists.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.consultation import Channel, Consultation, Topic
from app.models.feedback_report import FeedbackReport
from app.models.submission import Submission, SubmissionKind, SubmissionStatus
from app.schemas.statistics import (
    Figure,
    FiguresByCategory,
    FiguresByChannel,
    FiguresByTopic,
    ParticipationStatistics,
    Period,
    ProactiveDisclosure,
)
from app.services import aggregates
from app.services import datasets as dataset_service
from app.services.feedback_reports import QUOTABLE, ReportStatus
from app.services.statistics import counted, during

UNCLASSIFIED = "unclassified"
# Complaints are resolved, not adopted: the share is over the inputs that can be adopted.
ADOPTABLE = (SubmissionKind.SUGGESTION.value, SubmissionKind.COMMENT.value)
TOPIC_GROUPS = (*(topic.value for topic in Topic), UNCLASSIFIED)


async def participation_statistics(
    session: AsyncSession, *, period: Period, today: date, now: datetime, timezone: str
) -> ParticipationStatistics:
    """The year's figures; ``proactive_disclosure`` is the catalogue as of ``today``."""
    inputs = await counted(
        session,
        _submission_conditions(),
        during(Submission.received_at, period),
        Submission.status != SubmissionStatus.WITHDRAWN.value,
    )
    feedback = await _feedback_delays(session, period, ZoneInfo(timezone))
    on_time = sum(1 for _, punctual in feedback if punctual)
    return ParticipationStatistics(
        period=period,
        generated_at=now,
        consultations_held=_public(await _consultations_held(session, period)),
        submissions_by_channel=FiguresByChannel.model_validate(
            {channel.value: _count(inputs[channel.value]) for channel in Channel}
        ),
        submissions_by_topic=FiguresByTopic.model_validate(
            {topic: _count(inputs[topic]) for topic in TOPIC_GROUPS}
        ),
        feedback_reports_published=_public(len(feedback)),
        feedback_reports_on_time=_public(on_time),
        feedback_on_time_rate=Figure.of(aggregates.rate(on_time, len(feedback), suppress=False)),
        median_days_to_feedback=Figure.of(
            aggregates.median([days for days, _ in feedback], suppress=False)
        ),
        share_of_inputs_adopted=Figure.of(aggregates.rate(inputs["adopted"], inputs["decided"])),
        proactive_disclosure=await _proactive_disclosure(session, today),
    )


def _count(n: int) -> Figure:
    return Figure.of(aggregates.count(n))


def _public(n: int) -> Figure:
    """A count of published records, shown whatever its size."""
    return Figure.of(aggregates.count(n, suppress=False))


async def _consultations_held(session: AsyncSession, period: Period) -> int:
    c = Consultation
    statement = select(func.count()).where(
        c.published_at.is_not(None), c.cancelled_at.is_(None), during(c.opens_at, period)
    )
    return int(await session.scalar(statement) or 0)


def _submission_conditions() -> dict[str, ColumnElement[bool]]:
    s = Submission
    decided = and_(s.status == SubmissionStatus.DECIDED.value, s.kind.in_(ADOPTABLE))
    return {
        **{channel.value: s.channel == channel.value for channel in Channel},
        **{topic.value: s.topic == topic.value for topic in Topic},
        UNCLASSIFIED: s.topic.is_(None),
        "decided": decided,
        "adopted": and_(decided, s.disposition.in_(QUOTABLE)),
    }


async def _feedback_delays(
    session: AsyncSession, period: Period, zone: ZoneInfo
) -> list[tuple[int, bool]]:
    """For each report published in the period: calendar days from the consultation's closing
    date to the publication date (local dates, as the feedback period counts), and on time."""
    r, c = FeedbackReport, Consultation
    statement = (
        select(c.closes_at, r.published_at, r.on_time)
        .join(c, c.id == r.consultation_id)
        .where(r.status == ReportStatus.PUBLISHED.value, during(r.published_at, period))
    )
    return [
        (_days_between(closes_at, published_at, zone), bool(on_time))
        for closes_at, published_at, on_time in await session.execute(statement)
    ]


def _days_between(start: datetime, end: datetime | None, zone: ZoneInfo) -> int:
    assert end is not None, "a published report has a publication instant"
    elapsed: timedelta = end.astimezone(zone).date() - start.astimezone(zone).date()
    return elapsed.days


async def _proactive_disclosure(session: AsyncSession, today: date) -> ProactiveDisclosure:
    stats = await dataset_service.publication_statistics(session, today)
    by_category = stats.by_category.items()
    return ProactiveDisclosure(
        as_of=stats.as_of,
        datasets_published=_public(stats.published),
        releases_overdue=_public(stats.release_overdue),
        published_by_category=FiguresByCategory.model_validate(
            {category.value: _public(counts.published) for category, counts in by_category}
        ),
        release_overdue_by_category=FiguresByCategory.model_validate(
            {category.value: _public(counts.release_overdue) for category, counts in by_category}
        ),
    )

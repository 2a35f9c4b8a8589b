"""Analytics: which topics and channels carry the most input, and the most urgent input.

Counts come from a handful of GROUP BY queries over the window's submissions (withdrawn ones
excluded); subtopics are rolled up to topics in Python over those few grouped rows. Analysts get
small groups suppressed; participation officers, who read the submissions themselves, do not.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, RowMapping, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import UnprocessableEntity
from app.core.security import Permission, Principal
from app.models.consultation import Channel, Topic
from app.models.submission import (
    Priority,
    Submission,
    SubmissionKind,
    SubmissionStatus,
)
from app.schemas.analytics import (
    AnalyticsByChannel,
    AnalyticsCurrentWindow,
    AnalyticsWindow,
    ChannelAnalytics,
    ChannelsReport,
    KindFigures,
    PriorityFigures,
    ReasonCount,
    SubtopicAnalytics,
    TopicAnalytics,
    TopicsReport,
)
from app.schemas.common import LocalizedText
from app.schemas.statistics import Figure
from app.services import aggregates, taxonomy
from app.services.calendar import ensure_in_range
from app.services.classifier import RULE_BITS
from app.services.tally_cache import NO_CACHE, TallyCache

DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 366
# Urgent input outweighs volume: one P1 submission counts as much as eight P4 ones.
PRIORITY_WEIGHTS = {"P1": 8, "P2": 4, "P3": 2, "P4": 1}
UNPRIORITISED_WEIGHT = 1
UNPRIORITISED = "unprioritised"
LEVELS = tuple(priority.value for priority in Priority)
KINDS = tuple(kind.value for kind in SubmissionKind)
TOP_REASONS = 3
UNCLASSIFIED = {"ar": "غير مصنف", "en": "Unclassified"}
GroupKey = TypeVar("GroupKey", bound=str | None)


class AnalyticsWindowInvalid(UnprocessableEntity):
    code = "analytics_window_invalid"


@dataclass(frozen=True, slots=True)
class DateWindow:
    """Local dates from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "DateWindow":
        """The same number of days, ending the day before this window starts."""
        end = self.start - timedelta(days=1)
        return DateWindow(end - timedelta(days=self.days - 1), end)

    def instants(self, timezone: str) -> tuple[datetime, datetime]:
        """``[first local midnight, local midnight after the last day)`` as aware instants."""
        after = self.end + timedelta(days=1)
        return clock.local_midnight(self.start, timezone), clock.local_midnight(after, timezone)


def window(start: date | None, end: date | None, *, timezone: str) -> DateWindow:
    """The requested window; by default the 30 days ending today (local)."""
    end = end or clock.local_today(timezone)
    # Year 1 or 9999 would overflow the window arithmetic below: a 500 instead of a 422.
    ensure_in_range(*(day for day in (start, end) if day is not None))
    start = start or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    chosen = DateWindow(start, end)
    if start > end or chosen.days > MAX_WINDOW_DAYS:
        raise AnalyticsWindowInvalid(start=start.isoformat(), end=end.isoformat())
    return chosen


@dataclass(frozen=True, slots=True)
class Filters:
    consultation_id: UUID | None = None
    channel: Channel | None = None
    kind: SubmissionKind | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Which submissions count: the filters, in a window, in the service's time zone."""

    filters: Filters
    window: DateWindow
    timezone: str

    def where(self, dates: DateWindow | None = None) -> list[ColumnElement[bool]]:
        start, after = (dates or self.window).instants(self.timezone)
        conditions = [
            Submission.status != SubmissionStatus.WITHDRAWN.value,
            Submission.received_at >= start,
            Submission.received_at < after,
        ]
        if self.filters.consultation_id is not None:
            conditions.append(Submission.consultation_id == self.filters.consultation_id)
        if self.filters.channel is not None:
            conditions.append(Submission.channel == self.filters.channel.value)
        if self.filters.kind is not None:
            conditions.append(Submission.kind == self.filters.kind.value)
        return conditions


@dataclass(slots=True)
class Tally:
    """The counts of one group of submissions."""

    count: int = 0
    previous: int = 0
    by_priority: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    decided: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def score(self) -> int:
        return sum(
            PRIORITY_WEIGHTS.get(level, UNPRIORITISED_WEIGHT) * n
            for level, n in self.by_priority.items()
        )

    def absorb(self, other: "Tally") -> None:
        self.count += other.count
        self.previous += other.previous
        self.by_priority.update(other.by_priority)
        self.by_kind.update(other.by_kind)
        self.decided += other.decided
        self.reasons.update(other.reasons)


# -- queries ----------------------------------------------------------------------------------


def _sums(column: Any, values: Iterable[str]) -> list[ColumnElement[int]]:
    """One conditional sum per value: how many rows of the group hold it."""
    return [func.sum(case((column == value, 1), else_=0)).label(value) for value in values]


def _priorities(row: RowMapping) -> Counter[str]:
    counts = Counter({level: int(row[level]) for level in LEVELS})
    # Anything without one of the four levels weighs as unprioritised.
    counts[UNPRIORITISED] = int(row["n"]) - sum(counts.values())
    return counts


def _rule_sums() -> list[ColumnElement[int]]:
    """One sum per priority rule: how many submissions of the group it raised."""
    fired = Submission.priority_rules.op("&")
    return [
        func.sum(case((fired(bit) != 0, 1), else_=0)).label(f"rule_{rule}")
        for rule, bit in RULE_BITS.items()
    ]


async def _topic_tallies(session: AsyncSession, scope: Scope) -> dict[tuple[Any, Any], Tally]:
    """``{(topic, subtopic): Tally}`` for the window (with its reasons) and the previous one."""
    groups: defaultdict[tuple[Any, Any], Tally] = defaultdict(Tally)
    keys = (Submission.topic, Submission.subtopic)
    current = select(
        *keys, func.count().label("n"), *_sums(Submission.priority, LEVELS), *_rule_sums()
    )
    for row in (await session.execute(current.where(*scope.where()).group_by(*keys))).mappings():
        tally = groups[row["topic"], row["subtopic"]]
        tally.count, tally.by_priority = int(row["n"]), _priorities(row)
        fired = {rule: int(row[f"rule_{rule}"]) for rule in RULE_BITS}
        tally.reasons = Counter({rule: n for rule, n in fired.items() if n})
    previous = select(*keys, func.count().label("n")).where(*scope.where(scope.window.previous()))
    for row in (await session.execute(previous.group_by(*keys))).mappings():
        groups[row["topic"], row["subtopic"]].previous = int(row["n"])
    return groups


async def _channel_tallies(session: AsyncSession, scope: Scope) -> dict[str, Tally]:
    groups: defaultdict[str, Tally] = defaultdict(Tally)
    decided = func.sum(case((Submission.status == SubmissionStatus.DECIDED.value, 1), else_=0))
    current = select(
        Submission.channel,
        func.count().label("n"),
        *_sums(Submission.priority, LEVELS),
        *_sums(Submission.kind, KINDS),
        decided.label("decided"),
    )
    statement = current.where(*scope.where()).group_by(Submission.channel)
    for row in (await session.execute(statement)).mappings():
        tally = groups[row["channel"]]
        tally.count, tally.by_priority = int(row["n"]), _priorities(row)
        tally.by_kind = Counter({kind: int(row[kind]) for kind in KINDS})
        tally.decided = int(row["decided"])
    previous = select(Submission.channel, func.count().label("n"))
    previous = previous.where(*scope.where(scope.window.previous()))
    for row in (await session.execute(previous.group_by(Submission.channel))).mappings():
        groups[row["channel"]].previous = int(row["n"])
    return groups


# -- figures ----------------------------------------------------------------------------------

_SUPPRESSED = Figure.of(aggregates.SUPPRESSED)


@dataclass(frozen=True, slots=True)
class Figures:
    """Turns tallies into published figures, suppressing small groups unless ``exact``."""

    exact: bool
    total: int

    def count(self, n: int) -> Figure:
        return Figure.of(aggregates.count(n, suppress=not self.exact))

    def hidden(self, tally: Tally) -> bool:
        """A group of 1 to 4 shows nothing that would reveal its size."""
        return not self.exact and 0 < tally.count < aggregates.MIN_GROUP_SIZE

    def share(self, tally: Tally) -> Figure:
        if self.hidden(tally):
            return _SUPPRESSED
        return Figure.of(aggregates.rate(tally.count, self.total, suppress=not self.exact))

    def change(self, tally: Tally) -> Figure:
        if self.hidden(tally):
            return _SUPPRESSED
        moved = tally.count - tally.previous
        return Figure.of(aggregates.rate(moved, tally.previous, suppress=not self.exact))

    def score(self, tally: Tally) -> Figure:
        # A weighted sum, not a head count: shown for any group big enough to show its count.
        return _SUPPRESSED if self.hidden(tally) else Figure(value=tally.score, suppressed=False)

    def group_count(self, tally: Tally, n: int) -> Figure:
        """A count within a group: hidden with its group, else shown unless small itself."""
        return _SUPPRESSED if self.hidden(tally) else self.count(n)

    def by_priority(self, tally: Tally) -> PriorityFigures:
        levels = (*LEVELS, UNPRIORITISED)
        return PriorityFigures(
            **{level: self.group_count(tally, tally.by_priority[level]) for level in levels}
        )

    def group(self, tally: Tally, name: dict[str, str]) -> dict[str, Any]:
        """The fields every ranked group carries."""
        reasons = sorted(tally.reasons.items(), key=lambda item: (-item[1], item[0]))
        return {
            "name": LocalizedText.model_validate(name),
            "count": self.group_count(tally, tally.count),
            "share": self.share(tally),
            "priority_score": self.score(tally),
            "by_priority": self.by_priority(tally),
            "previous_count": self.count(tally.previous),
            "change": self.change(tally),
            "top_reasons": [
                ReasonCount(rule=rule, count=self.group_count(tally, n))
                for rule, n in reasons[:TOP_REASONS]
            ],
        }


def figures_for(principal: Principal, total: int) -> Figures:
    """Exact figures for those who read the submissions themselves (triage), else suppressed."""
    return Figures(exact=principal.has(Permission.SUBMISSIONS_TRIAGE), total=total)


def _ranked(groups: Mapping[GroupKey, Tally]) -> list[tuple[GroupKey, Tally]]:
    """By true priority score, then count, then id (unclassified last among equals)."""
    return sorted(
        groups.items(),
        key=lambda item: (-item[1].score, -item[1].count, item[0] is None, item[0] or ""),
    )


def _topic_name(topic: str | None) -> dict[str, str]:
    names = taxonomy.current().topic_names
    return UNCLASSIFIED if topic is None else names.get(topic, {"ar": topic, "en": topic})


def _subtopic_name(subtopic: str | None) -> dict[str, str]:
    if subtopic is None:
        return UNCLASSIFIED
    known = taxonomy.current().subtopic(subtopic)
    return known.name if known else {"ar": subtopic, "en": subtopic}


def _windows(dates: DateWindow) -> dict[str, Any]:
    previous = dates.previous()
    return {
        "window": AnalyticsCurrentWindow(from_=dates.start, to=dates.end, days=dates.days),
        "previous_window": AnalyticsWindow(from_=previous.start, to=previous.end),
    }


# -- reports ----------------------------------------------------------------------------------


async def topics(
    session: AsyncSession, *, by: Principal, scope: Scope, cache: TallyCache = NO_CACHE
) -> TopicsReport:
    """Topics and their subtopics in the window, ranked by priority score."""
    groups = await cache.get(("topics", scope), lambda: _topic_tallies(session, scope))
    topic_totals: defaultdict[str | None, Tally] = defaultdict(Tally)
    subtopics: defaultdict[str | None, dict[str | None, Tally]] = defaultdict(dict)
    for (topic, subtopic), tally in groups.items():
        topic_totals[topic].absorb(tally)
        subtopics[topic][subtopic] = tally
    figures = figures_for(by, sum(tally.count for tally in groups.values()))
    ranked = [
        TopicAnalytics(
            topic=Topic(topic) if topic is not None else None,
            subtopics=[
                SubtopicAnalytics(subtopic=sub, **figures.group(tally, _subtopic_name(sub)))
                for sub, tally in _ranked(subtopics[topic])
            ],
            **figures.group(tally, _topic_name(topic)),
        )
        for topic, tally in _ranked(topic_totals)
    ]
    total = figures.count(figures.total)
    return TopicsReport(**_windows(scope.window), total=total, topics=ranked)


async def channels(
    session: AsyncSession, *, by: Principal, scope: Scope, cache: TallyCache = NO_CACHE
) -> ChannelsReport:
    """Every channel's input in the window, zeros included."""
    groups = await cache.get(("channels", scope), lambda: _channel_tallies(session, scope))
    figures = figures_for(by, sum(tally.count for tally in groups.values()))
    per_channel = {
        channel.value: _channel(figures, groups.get(channel.value, Tally())) for channel in Channel
    }
    return ChannelsReport(
        **_windows(scope.window),
        total=figures.count(figures.total),
        channels=AnalyticsByChannel(**per_channel),
    )


def _channel(figures: Figures, tally: Tally) -> ChannelAnalytics:
    return ChannelAnalytics(
        count=figures.group_count(tally, tally.count),
        share=figures.share(tally),
        previous_count=figures.count(tally.previous),
        change=figures.change(tally),
        by_kind=KindFigures(
            **{kind: figures.group_count(tally, tally.by_kind[kind]) for kind in KINDS}
        ),
        by_priority=figures.by_priority(tally),
        decided=figures.group_count(tally, tally.decided),
    )

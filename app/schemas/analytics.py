"""Analytics responses: topics and channels over a window of local dates, every count a Figure.

For analysts, counts of 1 to 4 (and the shares, scores and changes that would reveal them) are
null with ``suppressed: true``; participation officers see exact figures.
"""

import datetime as dt

from pydantic import ConfigDict, Field

from app.models.consultation import Topic
from app.schemas.common import LocalizedText, Schema
from app.schemas.statistics import Figure


class AnalyticsWindow(Schema):
    """Local dates (the service's time zone), both included."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    from_: dt.date = Field(alias="from", description="First date included.")
    to: dt.date = Field(description="Last date included.")


class AnalyticsCurrentWindow(AnalyticsWindow):
    days: int = Field(description="Number of dates in the window.")


class PriorityFigures(Schema):
    """Submissions per effective priority (the officer's override, else the automatic one)."""

    P1: Figure
    P2: Figure
    P3: Figure
    P4: Figure
    unprioritised: Figure


class KindFigures(Schema):
    suggestion: Figure
    complaint: Figure
    comment: Figure


class ReasonCount(Schema):
    rule: str = Field(description="`kind`, `urgency_terms`, `safety_terms` or `similar_inputs`.")
    count: Figure = Field(description="Submissions in the group whose priority this rule raised.")


class GroupAnalytics(Schema):
    """What one group of submissions weighs in the window, and how it moved since the last one."""

    name: LocalizedText
    count: Figure
    share: Figure = Field(description="Count over the window's total (0..1).")
    priority_score: Figure = Field(
        description="Sum of weights by effective priority: P1 8, P2 4, P3 2, P4 1, none 1."
    )
    by_priority: PriorityFigures
    previous_count: Figure = Field(description="Count in the previous window.")
    change: Figure = Field(
        description="(count - previous_count) / previous_count; null when previous_count is 0."
    )
    top_reasons: list[ReasonCount] = Field(
        description="Up to three priority rules, most frequent first."
    )


class SubtopicAnalytics(GroupAnalytics):
    subtopic: str | None = Field(description="Taxonomy subtopic id; null when unclassified.")


class TopicAnalytics(GroupAnalytics):
    topic: Topic | None = Field(description="Policy topic; null when unclassified.")
    subtopics: list[SubtopicAnalytics] = Field(
        description="The topic's subtopics, ranked like the topics."
    )


class TopicsReport(Schema):
    """Topics ranked by priority score (ties: count, then id)."""

    window: AnalyticsCurrentWindow
    previous_window: AnalyticsWindow
    total: Figure = Field(description="Submissions received in the window (withdrawn excluded).")
    topics: list[TopicAnalytics]


class ChannelAnalytics(Schema):
    count: Figure
    share: Figure = Field(description="Count over the window's total (0..1).")
    previous_count: Figure
    change: Figure = Field(
        description="(count - previous_count) / previous_count; null when previous_count is 0."
    )
    by_kind: KindFigures
    by_priority: PriorityFigures
    decided: Figure = Field(description="Of the count, how many are decided now.")


class AnalyticsByChannel(Schema):
    """Every channel, with zeros for a channel that received nothing."""

    tafaul: ChannelAnalytics
    website: ChannelAnalytics
    mobile_app: ChannelAnalytics
    social_media: ChannelAnalytics
    portal_form: ChannelAnalytics
    email: ChannelAnalytics


class ChannelsReport(Schema):
    window: AnalyticsCurrentWindow
    previous_window: AnalyticsWindow
    total: Figure = Field(description="Submissions received in the window (withdrawn excluded).")
    channels: AnalyticsByChannel

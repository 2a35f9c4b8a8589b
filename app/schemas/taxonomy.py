"""The published taxonomy: topics, subtopics, their terms, and the priority rules."""

from pydantic import Field

from app.models.consultation import Topic
from app.schemas.common import LocalizedText, Schema


class SubtopicRead(Schema):
    id: str = Field(examples=["roads_transport"])
    name: LocalizedText
    terms: list[str] = Field(description="Arabic and English terms that signal the subtopic.")


class TopicRead(Schema):
    id: Topic
    name: LocalizedText
    subtopics: list[SubtopicRead]


class TermRuleRead(Schema):
    points: int
    terms: list[str]


class SimilarTierRead(Schema):
    at_least: int
    points: int


class SimilarRuleRead(Schema):
    window_days: int = Field(description="Inputs on the same subtopic within this many days.")
    tiers: list[SimilarTierRead]


class PriorityRulesRead(Schema):
    levels: dict[str, int] = Field(
        description="Minimum points for P1, P2 and P3; fewer points give P4.",
        examples=[{"P1": 5, "P2": 3, "P3": 2}],
    )
    kind: dict[str, int] = Field(examples=[{"complaint": 2, "suggestion": 1, "comment": 0}])
    urgency: TermRuleRead
    safety: TermRuleRead
    similar: SimilarRuleRead


class TaxonomyRead(Schema):
    version: str = Field(description="Recorded on every classified item as classifier_version.")
    topics: list[TopicRead]
    priority: PriorityRulesRead

"""The classification taxonomy and priority rules, published so every result can be explained."""

from fastapi import APIRouter

from app.core.openapi import operation_id
from app.dependencies import PublicAccess
from app.models.consultation import Topic
from app.schemas.common import LocalizedText
from app.schemas.taxonomy import (
    PriorityRulesRead,
    SimilarRuleRead,
    SimilarTierRead,
    SubtopicRead,
    TaxonomyRead,
    TermRuleRead,
    TopicRead,
)
from app.services import taxonomy as taxonomy_service
from app.services.taxonomy import PriorityRules, Taxonomy

router = APIRouter(generate_unique_id_function=operation_id, tags=["analytics"])


@router.get(
    "/v1/taxonomy", summary="The topic taxonomy and priority rules", dependencies=[PublicAccess]
)
async def get_taxonomy() -> TaxonomyRead:
    """Topics, subtopics with their Arabic and English terms, and the rules that set priority."""
    return taxonomy_read(taxonomy_service.current())


def taxonomy_read(taxonomy: Taxonomy) -> TaxonomyRead:
    topics = [
        TopicRead(
            id=Topic(topic),
            name=LocalizedText.model_validate(name),
            subtopics=[
                SubtopicRead(
                    id=s.id, name=LocalizedText.model_validate(s.name), terms=list(s.terms)
                )
                for s in taxonomy.subtopics_of(topic)
            ],
        )
        for topic, name in taxonomy.topic_names.items()
    ]
    return TaxonomyRead(version=taxonomy.version, topics=topics, priority=_rules(taxonomy.priority))


def _rules(rules: PriorityRules) -> PriorityRulesRead:
    return PriorityRulesRead(
        levels=rules.levels,
        kind=rules.kind_points,
        urgency=TermRuleRead(points=rules.urgency.points, terms=list(rules.urgency.terms)),
        safety=TermRuleRead(points=rules.safety.points, terms=list(rules.safety.terms)),
        similar=SimilarRuleRead(
            window_days=rules.similar_window_days,
            tiers=[
                SimilarTierRead(at_least=t.at_least, points=t.points)
                for t in sorted(rules.similar_tiers, key=lambda t: t.at_least)
            ],
        ),
    )

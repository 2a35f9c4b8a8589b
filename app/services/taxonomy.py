"""The topic taxonomy: the four policy topics, their subtopics, and the terms that signal them.

Loaded from ``app/data/taxonomy.toml`` (versioned by its ``version``). Editing that file and then
running ``beneficiary-api classify --all`` is how the taxonomy is extended; see the README.
"""

import functools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.models.consultation import Topic

TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.toml"


class TaxonomyError(ValueError):
    """The taxonomy file is inconsistent (raised at load, so a bad edit never reaches intake)."""


@dataclass(frozen=True, slots=True)
class Subtopic:
    id: str
    topic: str
    name: dict[str, str]
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TermRule:
    """A priority rule that fires when any of its terms appears in the text."""

    points: int
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SimilarTier:
    at_least: int
    points: int


@dataclass(frozen=True, slots=True)
class PriorityRules:
    kind_points: dict[str, int]
    urgency: TermRule
    safety: TermRule
    similar_window_days: int
    similar_tiers: tuple[SimilarTier, ...]  # highest threshold first
    levels: dict[str, int]  # minimum points for P1, P2, P3; anything lower is P4


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: str
    topic_names: dict[str, dict[str, str]]
    subtopics: tuple[Subtopic, ...]
    priority: PriorityRules

    def subtopic(self, subtopic_id: str) -> Subtopic | None:
        return next((s for s in self.subtopics if s.id == subtopic_id), None)

    def subtopics_of(self, topic: str) -> Iterator[Subtopic]:
        return (s for s in self.subtopics if s.topic == topic)


@functools.cache
def current() -> Taxonomy:
    """The taxonomy in force (read once per process)."""
    return load(TAXONOMY_PATH)


def load(path: Path) -> Taxonomy:
    with path.open("rb") as file:
        data = tomllib.load(file)
    try:
        return _parse(data)
    except (KeyError, TypeError) as exc:
        raise TaxonomyError(f"{path}: missing or malformed entry {exc}") from exc


def _parse(data: dict[str, Any]) -> Taxonomy:
    topic_names: dict[str, dict[str, str]] = {}
    subtopics: list[Subtopic] = []
    for topic in data["topics"]:
        if topic["id"] not in set(Topic):
            raise TaxonomyError(f"unknown policy topic {topic['id']!r}")
        topic_names[topic["id"]] = _name(topic)
        subtopics += [_subtopic(topic["id"], entry) for entry in topic["subtopics"]]
    if set(topic_names) != set(Topic):
        raise TaxonomyError("every policy topic needs an entry")
    ids = [s.id for s in subtopics]
    if len(ids) != len(set(ids)):
        raise TaxonomyError("subtopic ids must be unique")
    return Taxonomy(
        str(data["version"]), topic_names, tuple(subtopics), _priority(data["priority"])
    )


def _subtopic(topic: str, entry: dict[str, Any]) -> Subtopic:
    terms = tuple(entry.get("terms_ar", [])) + tuple(entry.get("terms_en", []))
    if not terms:
        raise TaxonomyError(f"subtopic {entry['id']!r} has no terms")
    return Subtopic(entry["id"], topic, _name(entry), terms)


def _priority(data: dict[str, Any]) -> PriorityRules:
    tiers = sorted(
        (SimilarTier(tier["at_least"], tier["points"]) for tier in data["similar"]["tiers"]),
        key=lambda tier: tier.at_least,
        reverse=True,
    )
    levels = {level: int(data["levels"][level]) for level in ("P1", "P2", "P3")}
    if not levels["P1"] > levels["P2"] > levels["P3"]:
        raise TaxonomyError("priority levels must decrease from P1 to P3")
    return PriorityRules(
        kind_points={kind: int(points) for kind, points in data["kind"].items()},
        urgency=_term_rule(data["urgency"]),
        safety=_term_rule(data["safety"]),
        similar_window_days=int(data["similar"]["window_days"]),
        similar_tiers=tuple(tiers),
        levels=levels,
    )


def _term_rule(data: dict[str, Any]) -> TermRule:
    return TermRule(int(data["points"]), tuple(data["terms_ar"]) + tuple(data["terms_en"]))


def _name(entry: dict[str, Any]) -> dict[str, str]:
    return {"ar": str(entry["name"]["ar"]), "en": str(entry["name"]["en"])}

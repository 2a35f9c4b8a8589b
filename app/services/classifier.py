"""Topic classification and explainable priority, from the terms and rules in the taxonomy.

Every word of a text is reduced to a small set of *forms* — the normalised word, the word without
Arabic proclitics (و، ف، ب، ل، ال ...), and its Snowball stem — and a taxonomy term matches where
its words' forms meet the text's, word after word. Matching forms rather than one stem keeps the
classifier tolerant of how people type (مدرسة / مدرسه / المدارس) without a model to train, and
every result can be explained by the terms that matched.
"""

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer

from app.core.text import normalize, without_marks
from app.services.taxonomy import Taxonomy, TermRule
from app.services.taxonomy import current as current_taxonomy

_WORD = re.compile(r"\w+")
_ARABIC = re.compile("[\u0600-\u06ff]")
# Longest first: the first that fits is stripped (single letters only from longer words).
_PROCLITICS = ("وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال")
_SINGLE_PROCLITICS = ("و", "ف", "ب", "ل")
_STEMMERS = {"ar": snowballstemmer.stemmer("arabic"), "en": snowballstemmer.stemmer("english")}
# A subtopic of the linked consultation's topic wins a tie (and no more) against another topic.
CONSULTATION_PRIOR = 0.5

Forms = frozenset[str]


@functools.lru_cache(maxsize=65536)
def word_forms(word: str) -> Forms:
    """The forms a word may match by (see the module docstring)."""
    plain = normalize(word)
    forms = {plain}
    for prefix in _PROCLITICS:
        if plain.startswith(prefix) and len(plain) - len(prefix) >= 3:
            forms.add(plain[len(prefix) :])
            break
    else:
        if plain[:1] in _SINGLE_PROCLITICS and len(plain) >= 5:
            forms.add(plain[1:])
    stemmer = _STEMMERS["ar" if _ARABIC.search(plain) else "en"]
    forms |= {normalize(stemmer.stemWord(word)), normalize(stemmer.stemWord(plain))}
    return frozenset(form for form in forms if len(form) >= 3 or form == plain)


def text_forms(text: str) -> list[Forms]:
    # Harakat are combining characters, which \w does not match: unless they go first, a
    # vowelled word (مَدْرَسَة) falls apart into single letters and matches nothing.
    return [word_forms(word) for word in _WORD.findall(without_marks(text))]


class TermIndex:
    """Finds which of many terms (single words or phrases) occur in a text."""

    def __init__(self, terms: Iterable[tuple[str, Any]]) -> None:
        # form of a term's first word -> [(term, its words' forms, label)]
        self._by_first: dict[str, list[tuple[str, tuple[Forms, ...], Any]]] = defaultdict(list)
        for term, label in terms:
            words = tuple(text_forms(term))
            if not words:
                continue
            for form in words[0]:
                self._by_first[form].append((term, words, label))

    def find(self, words: Sequence[Forms]) -> list[tuple[str, Any, range]]:
        """``(term, label, word positions)`` for each term found, in text order; a term that
        only repeats words an earlier one covered (خطير after خطيرة) is left out."""
        found: list[tuple[str, Any, range]] = []
        covered: dict[Any, set[int]] = defaultdict(set)
        for i, forms in enumerate(words):
            for form in sorted(forms):  # sorted: the same term reported in every process
                for term, term_words, label in self._by_first.get(form, ()):
                    span = range(i, i + len(term_words))
                    if not set(span) <= covered[label] and _phrase_at(words, i, term_words):
                        found.append((term, label, span))
                        covered[label].update(span)
        return found


def _phrase_at(words: Sequence[Forms], start: int, phrase: tuple[Forms, ...]) -> bool:
    if start + len(phrase) > len(words):
        return False
    return all(words[start + j] & forms for j, forms in enumerate(phrase))


@dataclass(frozen=True, slots=True)
class Classification:
    topic: str | None
    subtopic: str | None
    confidence: float
    version: str
    terms: tuple[str, ...] = ()  # the matched terms of the chosen subtopic


# The priority rules, each a bit of ``Submission.priority_rules``: analytics counts a window's
# reasons from the submissions alone, without joining their evidence rows.
RULE_BITS = {"kind": 1, "urgency_terms": 2, "safety_terms": 4, "similar_inputs": 8}


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str  # kind | urgency_terms | safety_terms | similar_inputs
    points: int
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PriorityResult:
    priority: str
    points: int
    reasons: tuple[Reason, ...]

    @property
    def rules(self) -> int:
        """The rules that fired, as ``RULE_BITS`` flags."""
        return sum(RULE_BITS[reason.rule] for reason in self.reasons)


class Classifier:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._topics = {s.id: s.topic for s in taxonomy.subtopics}
        self._subtopics = TermIndex((term, s.id) for s in taxonomy.subtopics for term in s.terms)
        rules, rule = taxonomy.priority, "rule"
        self._urgency = TermIndex((term, rule) for term in rules.urgency.terms)
        self._safety = TermIndex((term, rule) for term in rules.safety.terms)

    @property
    def version(self) -> str:
        return self.taxonomy.version

    def classify(self, text: str, *, consultation_topic: str | None = None) -> Classification:
        """The subtopic whose terms cover the most words of the text, and its topic.

        Confidence is the winner's share of all matched weight, damped when the evidence is thin
        (one term: at most 0.5, two: 0.67, ...). No match leaves the subtopic empty and keeps the
        linked consultation's topic, if any, with confidence 0.
        """
        matches: dict[str, list[str]] = defaultdict(list)
        words: dict[str, set[int]] = defaultdict(set)
        for term, subtopic, span in self._subtopics.find(text_forms(text)):
            matches[subtopic].append(term)
            words[subtopic].update(span)
        if not matches:
            return Classification(consultation_topic, None, 0.0, self.version)
        scores = {subtopic: float(len(covered)) for subtopic, covered in words.items()}
        ranked = sorted(
            scores,
            key=lambda s: scores[s] + (self._topics[s] == consultation_topic) * CONSULTATION_PRIOR,
            reverse=True,
        )  # stable: equal scores keep the taxonomy's order of first match
        best = ranked[0]
        share = scores[best] / sum(scores.values())
        confidence = round(share * scores[best] / (scores[best] + 1), 2)
        return Classification(
            self._topics[best], best, confidence, self.version, tuple(sorted(matches[best]))
        )

    def priority(self, text: str, kind: str, similar: int) -> PriorityResult:
        """P1-P4 from the kind, urgency and safety terms, and how many similar inputs arrived."""
        rules = self.taxonomy.priority
        words = text_forms(text)
        reasons = [
            reason
            for reason in (
                self._kind(kind),
                _term_reason("urgency_terms", rules.urgency, self._urgency, words),
                _term_reason("safety_terms", rules.safety, self._safety, words),
                self._similar(similar),
            )
            if reason is not None
        ]
        points = sum(reason.points for reason in reasons)
        level = next((lvl for lvl, least in rules.levels.items() if points >= least), "P4")
        return PriorityResult(level, points, tuple(reasons))

    def _kind(self, kind: str) -> Reason | None:
        points = self.taxonomy.priority.kind_points.get(kind, 0)
        return Reason("kind", points, {"kind": kind}) if points else None

    def _similar(self, count: int) -> Reason | None:
        rules = self.taxonomy.priority
        tier = next((t for t in rules.similar_tiers if count >= t.at_least), None)
        if tier is None:
            return None
        return Reason(
            "similar_inputs",
            tier.points,
            {"count": count, "window_days": rules.similar_window_days},
        )


def _term_reason(
    rule: str, term_rule: TermRule, index: TermIndex, words: Sequence[Forms]
) -> Reason | None:
    found = [term for term, _, _ in index.find(words)]
    return Reason(rule, term_rule.points, {"terms": found}) if found else None


@functools.cache
def current() -> Classifier:
    return Classifier(current_taxonomy())


_KIND_NAMES = {
    "complaint": {"ar": "شكوى", "en": "A complaint"},
    "suggestion": {"ar": "اقتراح", "en": "A suggestion"},
    "comment": {"ar": "تعليق", "en": "A comment"},
}


def explain(rule: str, points: int, evidence: dict[str, Any]) -> dict[str, str]:
    """A reason in words, Arabic and English, e.g. "Safety terms: danger (+3)"."""
    if rule == "kind":
        name = _KIND_NAMES.get(str(evidence.get("kind")), {"ar": "النوع", "en": "The kind"})
        return {"ar": f"{name['ar']} (+{points})", "en": f"{name['en']} (+{points})"}
    if rule == "similar_inputs":
        count, days = evidence.get("count"), evidence.get("window_days")
        return {
            "ar": f"{count} مدخلات مماثلة خلال {days} أيام سابقة (+{points})",
            "en": f"{count} similar inputs in the previous {days} days (+{points})",
        }
    terms = "، ".join(evidence.get("terms", []))
    if rule == "urgency_terms":
        return {
            "ar": f"عبارات استعجال: {terms} (+{points})",
            "en": f"Urgency terms: {terms} (+{points})",
        }
    return {
        "ar": f"عبارات خطر على السلامة: {terms} (+{points})",
        "en": f"Safety terms: {terms} (+{points})",
    }

"""CKAN's search syntax as SQL: ``q`` words, ``fq`` filter queries and ``sort``.

``fq`` is the part of Solr's syntax that CKAN clients and harvesters send: ``field:value`` terms
(values quoted or backslash-escaped), ``[a TO b]`` ranges on the metadata dates, ``-``/``NOT`` to
exclude, ``OR``, ``AND`` and parentheses. Terms side by side must all hold, as on CKAN (whose Solr
default operator is AND). ckanext-harvest sends e.g.
``(organization:a OR organization:b)`` and ``metadata_modified:[2026-03-01T08:00:00Z TO *]``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select, true
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

from app.core.text import like_pattern, normalize
from app.models.dataset import Dataset, DatasetKeyword, Distribution
from app.services.datasets import keyword_key

DEFAULT_SORT = "score desc, metadata_modified desc"
MAX_WORDS = 10
MAX_TERMS = 50
_MATCH_ALL = {"", "*", "*:*"}
_RELEVANCE = {"score", "rank", "relevance"}  # no ranking here: the other keys decide


class InvalidParameters(ValueError):
    """Parameters CKAN would refuse, by parameter; answered as a Validation Error."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{key}: {' '.join(value)}" for key, value in errors.items()))
        self.errors = errors


def invalid(parameter: str, message: str) -> InvalidParameters:
    return InvalidParameters({parameter: [message]})


# -- q ---------------------------------------------------------------------------------------------


def text_filters(q: str) -> list[ColumnElement[bool]]:
    """Every word must occur in the dataset's searchable text (normalised, Arabic-aware)."""
    if q.strip() in _MATCH_ALL:
        return []
    words = normalize(q).split()[:MAX_WORDS]
    return [Dataset.search_text.like(like_pattern(word), escape="\\") for word in words]


# -- sort ------------------------------------------------------------------------------------------


def _sort_columns() -> dict[str, ColumnElement[Any]]:
    return {
        "metadata_modified": Dataset.updated_at,
        "metadata_created": Dataset.created_at,
        "name": Dataset.slug,
        "id": Dataset.id,
        "title_string": Dataset.title["ar"].as_string(),
    }


def order_by(sort: str | None) -> list[UnaryExpression[Any]]:
    """SQL ordering for a CKAN ``sort``; the id always comes last so pages are stable."""
    columns: dict[str, ColumnElement[Any]] = _sort_columns()
    clauses: list[UnaryExpression[Any]] = []
    for part in (sort or DEFAULT_SORT).split(","):
        words = part.split()
        if not words:
            continue
        field, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise invalid("sort", f"Cannot sort by {part.strip()!r}: use '<field> asc|desc'")
        if field in _RELEVANCE:
            continue
        if field not in columns:
            raise invalid("sort", f"Cannot sort by {field!r}; known: {', '.join(columns)}")
        column = columns[field]
        clauses.append(column.desc() if direction == "desc" else column.asc())
    if not clauses:
        clauses.append(Dataset.updated_at.desc())
    return [*clauses, Dataset.id.asc()]


# -- fq: tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\))
      | (?P<op>AND|OR|NOT|&&|\|\|)(?=[\s()]|$)
      | (?P<sign>[-+!])(?=[A-Za-z_(])
      | (?P<field>[A-Za-z_][\w.]*):
        (?: "(?P<quoted>(?:[^"\\]|\\.)*)"
          | (?P<range>[\[{][^\]}]*[\]}])
          | (?P<bare>(?:[^\s()"\\]|\\.)+) )
    )""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class _Token:
    kind: str  # open, close, op, sign, term
    text: str
    field: str = ""
    value: str = ""
    is_range: bool = False


def _tokens(fq: str) -> list[_Token]:
    tokens, position, end = [], 0, len(fq.rstrip())
    while position < end:
        match = _TOKEN.match(fq, position)
        if match is None or match.end() == position:
            raise invalid("fq", f"Cannot read the filter query at {fq[position:].strip()[:40]!r}")
        position = match.end()
        tokens.append(_token(match))
    if len(tokens) > MAX_TERMS * 3:
        raise invalid("fq", "The filter query is too long")
    return tokens


def _token(match: re.Match[str]) -> _Token:
    groups = match.groupdict()
    for kind in ("open", "close", "op", "sign"):
        if groups[kind]:
            return _Token(kind, groups[kind].upper())
    if groups["range"] is not None:
        return _Token("term", match.group(0), groups["field"], groups["range"], is_range=True)
    raw = groups["quoted"] if groups["quoted"] is not None else groups["bare"]
    return _Token("term", match.group(0), groups["field"], _ESCAPE.sub(r"\1", raw))


# -- fq: grammar -----------------------------------------------------------------------------------

Term = Callable[[str, str, bool], ColumnElement[bool]]


class _Parser:
    """or := and (OR and)* ; and := unary ([AND] unary)* ; unary := (-|!|NOT|+) unary | ( or ) |
    term"""

    def __init__(self, tokens: list[_Token], term: Term) -> None:
        self.tokens, self.position, self.term = tokens, 0, term

    def parse(self) -> ColumnElement[bool]:
        expression = self._disjunction()
        if self._peek() is not None:
            raise invalid("fq", "Unbalanced parentheses in the filter query")
        return expression

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise invalid("fq", "The filter query ends too early")
        self.position += 1
        return token

    def _at(self, kind: str, *texts: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == kind and (not texts or token.text in texts)

    def _disjunction(self) -> ColumnElement[bool]:
        parts = [self._conjunction()]
        while self._at("op", "OR", "||"):
            self._next()
            parts.append(self._conjunction())
        return or_(*parts) if len(parts) > 1 else parts[0]

    def _conjunction(self) -> ColumnElement[bool]:
        parts = [self._unary()]
        while self._peek() is not None and not self._at("close") and not self._at("op", "OR", "||"):
            if self._at("op", "AND", "&&"):
                self._next()
            parts.append(self._unary())
        return and_(*parts) if len(parts) > 1 else parts[0]

    def _unary(self) -> ColumnElement[bool]:
        token = self._next()
        if token.kind == "sign" and token.text == "+":
            return self._unary()
        if token.kind == "sign" or (token.kind == "op" and token.text == "NOT"):
            return not_(self._unary())
        if token.kind == "open":
            expression = self._disjunction()
            if not self._at("close"):
                raise invalid("fq", "Unbalanced parentheses in the filter query")
            self._next()
            return expression
        if token.kind == "term":
            return self.term(token.field, token.value, token.is_range)
        raise invalid("fq", f"Unexpected {token.text!r} in the filter query")


def filter_query(fq: str) -> ColumnElement[bool] | None:
    """The SQL condition of a CKAN filter query, or None when it is empty."""
    if not fq.strip():
        return None
    return _Parser(_tokens(fq), _term).parse()


# -- fq: fields ------------------------------------------------------------------------------------

# Always true of what this service shows (CKAN adds such terms itself; some clients send them).
_CONSTANT_FIELDS = {"dataset_type": "dataset", "type": "dataset", "state": "active"}


def _term(field: str, value: str, is_range: bool) -> ColumnElement[bool]:
    dates = {"metadata_modified": Dataset.updated_at, "metadata_created": Dataset.created_at}
    if field in dates:
        if not is_range:
            raise invalid("fq", f"{field} takes a range, e.g. {field}:[2026-01-01T00:00:00Z TO *]")
        return _date_range(dates[field], value)
    if is_range:
        raise invalid("fq", f"{field} does not take a range")
    if field in _CONSTANT_FIELDS:
        return true() if value == _CONSTANT_FIELDS[field] else false()
    equal = {
        "organization": Dataset.publisher,
        "groups": Dataset.category,
        "license_id": Dataset.licence_id,
        "name": Dataset.slug,
    }
    if field in equal:
        return equal[field] == value
    if field == "tags":
        return (
            select(DatasetKeyword.dataset_id)
            .where(DatasetKeyword.dataset_id == Dataset.id)
            .where(DatasetKeyword.keyword == keyword_key(value))
            .exists()
        )
    if field == "res_format":
        return (
            select(Distribution.id)
            .where(Distribution.dataset_id == Dataset.id)
            .where(func.upper(Distribution.format) == value.upper())
            .exists()
        )
    known = sorted([*dates, *equal, "tags", "res_format"])
    raise invalid("fq", f"Cannot filter on {field!r}; known: {', '.join(known)}")


def _date_range(column: QueryableAttribute[datetime], text: str) -> ColumnElement[bool]:
    inner = text[1:-1].split()
    if len(inner) != 3 or inner[1] != "TO":
        raise invalid("fq", f"A range reads [from TO to], not {text!r}")
    low, high = (_instant(bound) for bound in (inner[0], inner[2]))
    conditions = []
    if low is not None:
        conditions.append(column >= low if text[0] == "[" else column > low)
    if high is not None:
        conditions.append(column <= high if text[-1] == "]" else column < high)
    return and_(true(), *conditions)


def _instant(bound: str) -> datetime | None:
    """``*`` (open) or an ISO 8601 instant; without an offset it is UTC, as in Solr."""
    if bound == "*":
        return None
    try:
        instant = datetime.fromisoformat(bound.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise invalid("fq", f"{bound!r} is not a date and time like 2026-03-01T08:00:00Z") from exc
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)

"""The disclosure log: answered requests' questions and answers, public and searchable.

An officer rewrites the question and the answer without the requester's identity; what the
public reads of an entry leads back to no one (no requester, no request id, no officer).
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Principal
from app.core.text import like_pattern, search_text
from app.models.information_request import DisclosureEntry, InformationRequest, RequestStatus
from app.services import audit

# Only what was (at least partly) disclosed to the requester can be published to everyone.
PUBLISHABLE = (RequestStatus.ANSWERED.value, RequestStatus.PARTIALLY_ANSWERED.value)


async def publish(
    session: AsyncSession,
    request: InformationRequest,
    *,
    by: Principal,
    question: dict[str, Any],
    answer: dict[str, Any],
    links: list[str] | None,
) -> DisclosureEntry:
    """Publish one entry per answered request; ``links`` None copies the response's links.

    The unique request_id is the guard against two officers publishing at once: the insert runs
    in a savepoint, and the loser gets the same 409 as a later attempt.
    """
    if request.status not in PUBLISHABLE:
        raise Conflict(code="disclosure_not_allowed", status=request.status)
    if await _entry_of(session, request) is not None:
        raise Conflict(code="disclosure_already_published")
    entry = DisclosureEntry(
        request_id=request.id,
        reference=request.reference,
        category=request.category,
        question=question,
        answer=answer,
        outcome=request.status,
        links=list(request.response_links if links is None else links),
        published_at=clock.now(),
        published_by=by.sub,
        search_text=search_text(*_texts(question), *_texts(answer)),
    )
    try:
        async with session.begin_nested():
            session.add(entry)
    except IntegrityError as exc:
        raise Conflict(code="disclosure_already_published") from exc
    await _audit(session, by, request, entry)
    return entry


def _texts(localized: dict[str, Any]) -> list[str]:
    return [text for text in localized.values() if isinstance(text, str)]


async def _entry_of(session: AsyncSession, request: InformationRequest) -> uuid.UUID | None:
    statement = select(DisclosureEntry.id).where(DisclosureEntry.request_id == request.id)
    return await session.scalar(statement)


async def _audit(
    session: AsyncSession, by: Principal, request: InformationRequest, entry: DisclosureEntry
) -> None:
    await audit.record(
        session, by, "disclosure_entry.published", entry, details={"outcome": entry.outcome}
    )
    await audit.record(
        session,
        by,
        "information_request.disclosed",
        request,
        details={"disclosure_entry_id": str(entry.id)},
    )


async def list_entries(
    session: AsyncSession, *, category: str | None, q: str | None, page: PageParams
) -> tuple[list[DisclosureEntry], str | None]:
    """Newest first; ``q`` matches the question and answer however the Arabic was typed."""
    statement = select(DisclosureEntry)
    if category is not None:
        statement = statement.where(DisclosureEntry.category == category)
    if q:
        statement = statement.where(DisclosureEntry.search_text.like(like_pattern(q), escape="\\"))
    keys = [SortKey(DisclosureEntry.published_at, True), SortKey(DisclosureEntry.id, True)]
    return await paginate(session, statement, keys=keys, page=page)


async def get_entry(session: AsyncSession, entry_id: uuid.UUID) -> DisclosureEntry:
    entry = await session.get(DisclosureEntry, entry_id)
    if entry is None:
        raise NotFound(code="disclosure_entry_not_found")
    return entry

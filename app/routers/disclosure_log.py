"""The disclosure log: officers publish answered requests; everyone reads and searches them."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import CanHandleInformationRequests, PublicAccess, SessionDep
from app.models.information_request import DisclosureEntry, InformationCategory
from app.schemas.common import LocalizedText, Page, SingleLineParameter
from app.schemas.disclosure_log import DisclosureCreate, DisclosureEntryRead
from app.schemas.problems import problem_responses
from app.services import disclosure_log as disclosure_service
from app.services import information_requests as request_service
from app.services.request_handling import Outcome

router = APIRouter(
    generate_unique_id_function=operation_id,
    tags=["disclosure-log"],
    responses=problem_responses(422),
)


@router.post(
    "/v1/information-requests/{request_id}/disclosure",
    status_code=201,
    summary="Publish a request to the disclosure log",
    responses=problem_responses(401, 403, 404, 409),
)
async def publish_to_disclosure_log(
    request_id: Annotated[uuid.UUID, Path(description="The information request's id.")],
    body: DisclosureCreate,
    session: SessionDep,
    principal: CanHandleInformationRequests,
) -> DisclosureEntryRead:
    """Publish an answered request's question and answer, rewritten without personal data."""
    request = await request_service.get_readable(session, principal, request_id, for_update=True)
    entry = await disclosure_service.publish(
        session,
        request,
        by=principal,
        question=body.question.model_dump(exclude_none=True),
        answer=body.answer.model_dump(exclude_none=True),
        links=list(body.links) if body.links is not None else None,
    )
    return entry_read(entry)


@router.get(
    "/v1/disclosure-log",
    summary="Search the disclosure log",
    dependencies=[PublicAccess],
    responses=problem_responses(400),
)
async def list_disclosure_entries(
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    category: InformationCategory | None = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Search question and answer."),
        SingleLineParameter,
    ] = None,
) -> Page[DisclosureEntryRead]:
    """List published answers, newest first; Arabic-aware search and a category filter."""
    rows, cursor = await disclosure_service.list_entries(
        session, category=category.value if category else None, q=q, page=page
    )
    return Page[DisclosureEntryRead](items=[entry_read(row) for row in rows], next_cursor=cursor)


@router.get(
    "/v1/disclosure-log/{entry_id}",
    summary="Read a disclosure log entry",
    dependencies=[PublicAccess],
    responses=problem_responses(404),
)
async def get_disclosure_entry(
    entry_id: Annotated[uuid.UUID, Path(description="The entry's id.")], session: SessionDep
) -> DisclosureEntryRead:
    """Read one published question and answer."""
    return entry_read(await disclosure_service.get_entry(session, entry_id))


def entry_read(entry: DisclosureEntry) -> DisclosureEntryRead:
    return DisclosureEntryRead(
        id=entry.id,
        reference=entry.reference,
        category=InformationCategory(entry.category),
        outcome=Outcome(entry.outcome),
        question=LocalizedText.model_validate(entry.question),
        answer=LocalizedText.model_validate(entry.answer),
        links=entry.links,
        published_at=entry.published_at,
    )

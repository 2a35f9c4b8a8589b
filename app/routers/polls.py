"""Opinion polls on a consultation: questions, one response per beneficiary, results."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.core.concurrency import etag
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.dependencies import (
    CanManagePolls,
    CanRespondToPolls,
    IdempotencyDep,
    IfMatch,
    OptionalPrincipalDep,
    PublicAccess,
    SessionDep,
)
from app.schemas.common import Page
from app.schemas.polls import (
    FreeTextRead,
    PollQuestionsReplace,
    PollRead,
    PollResponseCreate,
    PollResponseRead,
    PollResults,
    QuestionRead,
)
from app.schemas.problems import problem_responses
from app.services import consultations as consultation_service
from app.services import polls as poll_service
from app.services.polls import Poll

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/consultations/{consultation_id}/poll",
    tags=["polls"],
    responses=problem_responses(404, 422),
)


def poll_read(poll: Poll, response: Response) -> PollRead:
    response.headers["ETag"] = etag(poll.version)
    return PollRead(
        consultation_id=poll.consultation_id,
        version=poll.version,
        questions=[QuestionRead.model_validate(question) for question in poll.questions],
    )


@router.get("", summary="Read a poll's questions", dependencies=[PublicAccess])
async def get_poll(
    consultation_id: uuid.UUID,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    response: Response,
) -> PollRead:
    """Return the questions of a visible consultation's poll, in order, with its ETag."""
    consultation = await consultation_service.get_readable(session, principal, consultation_id)
    return poll_read(await poll_service.get_poll(session, consultation), response)


@router.put(
    "/questions",
    summary="Replace a poll's questions",
    responses=problem_responses(401, 403, 409, 412),
)
async def replace_poll_questions(
    consultation_id: uuid.UUID,
    body: PollQuestionsReplace,
    session: SessionDep,
    officer: CanManagePolls,
    response: Response,
    expected_version: IfMatch = None,
) -> PollRead:
    """Replace the whole question list until the first response arrives (If-Match honoured)."""
    consultation = await consultation_service.get_readable(session, officer, consultation_id)
    poll = await poll_service.replace_questions(
        session,
        consultation,
        by=officer,
        questions=body.questions,
        expected_version=expected_version,
    )
    return poll_read(poll, response)


@router.post(
    "/responses",
    status_code=201,
    response_model=PollResponseRead,
    summary="Answer a poll",
    responses=problem_responses(400, 401, 403, 409),
)
async def respond_to_poll(
    consultation_id: uuid.UUID,
    body: PollResponseCreate,
    session: SessionDep,
    respondent: CanRespondToPolls,
    idempotency: IdempotencyDep,
) -> Response:
    """Answer an open consultation's poll, once; a retry with the same Idempotency-Key replays."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    consultation = await consultation_service.get_readable(session, respondent, consultation_id)
    stored = await poll_service.respond(session, consultation, by=respondent, answers=body.answers)
    location = f"/v1/consultations/{consultation_id}/poll/responses/mine"
    return await idempotency.respond(stored, status_code=201, headers={"Location": location})


@router.get(
    "/responses/mine",
    summary="Read my poll response",
    responses=problem_responses(401, 403),
)
async def get_my_poll_response(
    consultation_id: uuid.UUID, session: SessionDep, respondent: CanRespondToPolls
) -> PollResponseRead:
    """Return the caller's own response to the poll, or 404 when they have not responded."""
    consultation = await consultation_service.get_readable(session, respondent, consultation_id)
    return await poll_service.get_own_response(session, consultation, by=respondent)


@router.get("/results", summary="Read a poll's results", dependencies=[PublicAccess])
async def get_poll_results(
    consultation_id: uuid.UUID, session: SessionDep, principal: OptionalPrincipalDep
) -> PollResults:
    """Return counts, shares and means: public once closed or live, else officers only."""
    consultation = await consultation_service.get_readable(session, principal, consultation_id)
    return await poll_service.results(session, consultation, principal=principal)


@router.get(
    "/free-text",
    summary="List free-text answers",
    responses=problem_responses(400, 401, 403),
)
async def list_poll_free_text(
    consultation_id: uuid.UUID,
    session: SessionDep,
    officer: CanManagePolls,
    page: Annotated[PageParams, Depends(page_params)],
    question_id: Annotated[uuid.UUID | None, Query(description="One question only.")] = None,
) -> Page[FreeTextRead]:
    """List free-text answers for officers, with no respondent identifiers."""
    consultation = await consultation_service.get_readable(session, officer, consultation_id)
    rows, cursor = await poll_service.list_free_text(
        session, consultation, question_id=question_id, page=page
    )
    items = [
        FreeTextRead(
            question_id=row.question_id, text=row.text or "", topic=row.topic, subtopic=row.subtopic
        )
        for row in rows
    ]
    return Page[FreeTextRead](items=items, next_cursor=cursor)

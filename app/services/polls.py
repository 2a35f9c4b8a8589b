"""Polls: questions editable until the first response, one response per beneficiary, results."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, distinct, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.errors import Conflict, NotFound, UnprocessableEntity
from app.core.i18n import REASONS
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Permission, Principal
from app.models.consultation import (
    Consultation,
    ConsultationStatus,
    PollAnswer,
    PollQuestion,
    PollResponse,
    QuestionKind,
)
from app.schemas.polls import (
    CHOICE_KINDS,
    RATING_MAX,
    RATING_MIN,
    AnswerRead,
    AnswerWrite,
    OptionResult,
    PollResponseRead,
    PollResults,
    QuestionResult,
    QuestionWrite,
    RatingBucket,
    RatingResult,
)
from app.services import audit, classification
from app.services.consultations import status_of

Status = ConsultationStatus
EDITABLE = frozenset({Status.DRAFT, Status.SCHEDULED, Status.OPEN})
# DESIGN section 8: public outputs suppress groups of fewer than this many people.
SMALLEST_PUBLIC_GROUP = 5
ONE_DECIMAL, TWO_DECIMALS = Decimal("0.1"), Decimal("0.01")


@dataclass
class Poll:
    """A consultation's questions in order, and the version If-Match compares."""

    consultation_id: uuid.UUID
    version: int
    questions: list[PollQuestion]


async def get_poll(session: AsyncSession, consultation: Consultation) -> Poll:
    statement = (
        select(PollQuestion)
        .where(PollQuestion.consultation_id == consultation.id)
        .order_by(PollQuestion.position)
    )
    questions = list((await session.scalars(statement)).all())
    return Poll(consultation.id, max((q.version for q in questions), default=0), questions)


async def _lock(session: AsyncSession, consultation: Consultation, *, exclusive: bool) -> None:
    """Reload the consultation under a row lock (a no-op on SQLite, whose writes serialise).

    Responses take a shared lock and question edits an exclusive one, so a replacement never
    deletes questions that a response being written refers to, and a response always sees the
    questions as they are once any edit has committed.
    """
    await session.refresh(consultation, with_for_update={"read": not exclusive})


async def replace_questions(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    questions: Sequence[QuestionWrite],
    expected_version: int | None,
) -> Poll:
    """Replace the whole question list; refused once anyone has responded."""
    await _lock(session, consultation, exclusive=True)
    await _ensure_editable(session, consultation)
    current = await get_poll(session, consultation)
    ensure_version(current, expected_version)
    await session.execute(
        delete(PollQuestion).where(PollQuestion.consultation_id == consultation.id)
    )
    if questions:
        # A Core insert, because the ORM writes version 1 on every insert.
        rows = [
            _question_row(consultation.id, position, question, current.version + 1)
            for position, question in enumerate(questions, start=1)
        ]
        await session.execute(insert(PollQuestion.__table__), rows)  # type: ignore[arg-type]
    poll = await get_poll(session, consultation)
    details = {"questions": len(questions), "version": poll.version}
    await audit.record(session, by, "poll.questions_replaced", consultation, details=details)
    return poll


async def _ensure_editable(session: AsyncSession, consultation: Consultation) -> None:
    status = status_of(consultation)
    if status not in EDITABLE:
        raise Conflict(code="poll_not_editable", status=status.value)
    answered = select(exists().where(PollResponse.consultation_id == consultation.id))
    if await session.scalar(answered):
        raise Conflict(code="poll_locked")


def _question_row(
    consultation_id: uuid.UUID, position: int, question: QuestionWrite, version: int
) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": uuid.uuid4(),
        "consultation_id": consultation_id,
        "position": position,
        "kind": question.kind.value,
        "prompt": question.prompt.model_dump(exclude_none=True),
        "options": [option.model_dump(exclude_none=True) for option in question.options],
        "required": question.required,
        "version": version,
        "created_at": now,
        "updated_at": now,
    }


async def respond(
    session: AsyncSession,
    consultation: Consultation,
    *,
    by: Principal,
    answers: Sequence[AnswerWrite],
) -> PollResponseRead:
    """Store the caller's one response, validated against the questions, while open."""
    await _lock(session, consultation, exclusive=False)
    status = status_of(consultation)
    if status is not Status.OPEN:
        raise Conflict(code="consultation_not_open", status=status.value)
    if await _own_response(session, consultation, by) is not None:
        raise Conflict(code="already_responded")
    questions = (await get_poll(session, consultation)).questions
    if not questions:
        raise Conflict(code="poll_empty")
    rows = _answer_rows(questions, answers)
    response = PollResponse(
        consultation_id=consultation.id, respondent_sub=by.sub, submitted_at=clock.now()
    )
    await _insert_once(session, response)
    # Random ids, never time-ordered ones: free text is listed and paged by them, and must not
    # reveal when, or in which order, anyone answered.
    answers_to_store = [PollAnswer(id=uuid.uuid4(), response_id=response.id, **row) for row in rows]
    for answer in answers_to_store:
        classification.classify_answer(answer)
    session.add_all(answers_to_store)
    await session.flush()
    details = {"consultation_id": str(consultation.id), "questions_answered": len(answers)}
    await audit.record(session, by, "poll.responded", response, details=details)
    return await _response_read(session, response)


async def _insert_once(session: AsyncSession, response: PollResponse) -> None:
    """Insert the response; the unique constraint decides between concurrent first responses.

    The check before it gives the usual answer; this catches a concurrent request that passed
    the same check. The savepoint keeps the transaction usable for the error response.
    """
    try:
        async with session.begin_nested():
            session.add(response)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(code="already_responded") from exc


async def _own_response(
    session: AsyncSession, consultation: Consultation, by: Principal
) -> PollResponse | None:
    statement = select(PollResponse).where(
        PollResponse.consultation_id == consultation.id, PollResponse.respondent_sub == by.sub
    )
    return await session.scalar(statement)


def _answer_rows(
    questions: Sequence[PollQuestion], answers: Sequence[AnswerWrite]
) -> list[dict[str, Any]]:
    """The answer rows to store, or 422 ``invalid_answer`` naming the first misfit."""
    by_id = {question.id: question for question in questions}
    answered: set[uuid.UUID] = set()
    rows: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        question = by_id.get(answer.question_id)
        if question is None:
            raise _invalid(index, "question_id", "answer_unknown_question")
        if question.id in answered:
            raise _invalid(index, "question_id", "answer_repeated_question")
        answered.add(question.id)
        rows.extend(
            {"question_id": question.id, **value} for value in _values(question, answer, index)
        )
    missing = [
        question for question in questions if question.required and question.id not in answered
    ]
    if missing:
        raise _invalid(None, "answers", "answer_required_missing", missing[0].position)
    return rows


def _values(question: PollQuestion, answer: AnswerWrite, index: int) -> list[dict[str, Any]]:
    kind = QuestionKind(question.kind)
    if kind in CHOICE_KINDS:
        chosen = answer.option_ids
        if chosen is None:
            raise _invalid(index, "option_ids", "answer_wrong_kind")
        if kind is QuestionKind.SINGLE_CHOICE and len(chosen) != 1:
            raise _invalid(index, "option_ids", "answer_one_option")
        if len(set(chosen)) != len(chosen):
            raise _invalid(index, "option_ids", "answer_repeated_option")
        if not set(chosen) <= {option["id"] for option in question.options}:
            raise _invalid(index, "option_ids", "answer_unknown_option")
        return [{"option_id": option_id} for option_id in chosen]
    if kind is QuestionKind.RATING:
        if answer.rating is None:
            raise _invalid(index, "rating", "answer_wrong_kind")
        return [{"rating": answer.rating}]
    if answer.text is None:
        raise _invalid(index, "text", "answer_wrong_kind")
    return [{"text": answer.text}]


def _invalid(
    index: int | None, field: str, reason: str, position: int | None = None
) -> UnprocessableEntity:
    location = "body.answers" if index is None else f"body.answers.{index}.{field}"
    message = REASONS[reason][1] + (f" (question {position})" if position is not None else "")
    return UnprocessableEntity(
        code="invalid_answer",
        reason=reason,
        errors=[{"field": location, "message": message, "type": reason}],
    )


async def get_own_response(
    session: AsyncSession, consultation: Consultation, *, by: Principal
) -> PollResponseRead:
    """The caller's own response; anyone else's does not exist for them."""
    response = await _own_response(session, consultation, by)
    if response is None:
        raise NotFound(code="poll_response_not_found")
    return await _response_read(session, response)


async def _response_read(session: AsyncSession, response: PollResponse) -> PollResponseRead:
    statement = (
        select(PollAnswer)
        .join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
        .where(PollAnswer.response_id == response.id)
        .order_by(PollQuestion.position, PollAnswer.option_id)
    )
    grouped: dict[uuid.UUID, AnswerRead] = {}
    for row in await session.scalars(statement):
        answer = grouped.setdefault(row.question_id, AnswerRead(question_id=row.question_id))
        if row.option_id is not None:
            answer.option_ids = [*(answer.option_ids or []), row.option_id]
        answer.rating = row.rating if row.rating is not None else answer.rating
        answer.text = row.text if row.text is not None else answer.text
    return PollResponseRead(
        id=response.id,
        consultation_id=response.consultation_id,
        submitted_at=response.submitted_at,
        answers=list(grouped.values()),
    )


def results_are_public(consultation: Consultation) -> bool:
    """After closing, or while open when the consultation shows live results."""
    status = status_of(consultation)
    live = status is Status.OPEN and consultation.live_results
    return live or status in {Status.CLOSED, Status.FEEDBACK_PUBLISHED}


async def results(
    session: AsyncSession, consultation: Consultation, *, principal: Principal | None
) -> PollResults:
    """Aggregates per question; officers see every number, others see small groups suppressed."""
    officer = principal is not None and principal.has(Permission.POLLS_MANAGE)
    if not officer and not results_are_public(consultation):
        raise NotFound(code="poll_results_not_public")
    questions = (await get_poll(session, consultation)).questions
    answered, cells = await _tallies(session, consultation)
    total = await session.scalar(
        select(func.count()).where(PollResponse.consultation_id == consultation.id)
    )
    status = status_of(consultation)
    return PollResults(
        consultation_id=consultation.id,
        consultation_status=status,
        final=status in {Status.CLOSED, Status.FEEDBACK_PUBLISHED},
        respondents=int(total or 0),
        questions=[_question_result(q, answered, cells, raw=officer) for q in questions],
    )


Cell = tuple[uuid.UUID, str | int | None]  # (question, option id or rating value)


async def _tallies(
    session: AsyncSession, consultation: Consultation
) -> tuple[dict[uuid.UUID, int], dict[Cell, int]]:
    """Respondents per question, and counts per (question, option) and (question, rating)."""
    of_poll = PollQuestion.consultation_id == consultation.id
    per_question = (
        select(PollAnswer.question_id, func.count(distinct(PollAnswer.response_id)))
        .join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
        .where(of_poll)
        .group_by(PollAnswer.question_id)
    )
    per_cell = (
        select(PollAnswer.question_id, PollAnswer.option_id, PollAnswer.rating, func.count())
        .join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
        .where(of_poll, or_(PollAnswer.option_id.is_not(None), PollAnswer.rating.is_not(None)))
        .group_by(PollAnswer.question_id, PollAnswer.option_id, PollAnswer.rating)
    )
    answered = {row[0]: int(row[1]) for row in await session.execute(per_question)}
    cells: dict[Cell, int] = {}
    for question_id, option_id, rating, count in await session.execute(per_cell):
        cells[(question_id, option_id if option_id is not None else rating)] = count
    return answered, cells


def _question_result(
    question: PollQuestion,
    answered: Mapping[uuid.UUID, int],
    cells: Mapping[Cell, int],
    *,
    raw: bool,
) -> QuestionResult:
    kind = QuestionKind(question.kind)
    respondents = answered.get(question.id, 0)
    suppressed = not raw and respondents < SMALLEST_PUBLIC_GROUP
    options = rating = free_text_count = None
    if kind in CHOICE_KINDS:
        options = [
            _option_result(
                option, cells.get((question.id, option["id"]), 0), respondents, suppressed
            )
            for option in question.options
        ]
    elif kind is QuestionKind.RATING:
        counts = {
            value: cells.get((question.id, value), 0) for value in range(RATING_MIN, RATING_MAX + 1)
        }
        rating = _rating_result(counts, suppressed)
    else:
        free_text_count = respondents
    return QuestionResult.model_validate(
        {
            "question_id": question.id,
            "position": question.position,
            "kind": kind,
            "prompt": question.prompt,
            "respondents": respondents,
            "suppressed": suppressed,
            "options": options,
            "rating": rating,
            "free_text_count": free_text_count,
        }
    )


def _option_result(
    option: Mapping[str, Any], count: int, respondents: int, suppressed: bool
) -> OptionResult:
    share = _rounded(Decimal(count * 100), respondents, ONE_DECIMAL) if respondents else 0.0
    return OptionResult.model_validate(
        {
            "id": option["id"],
            "label": option["label"],
            "count": None if suppressed else count,
            "percentage": None if suppressed else share,
        }
    )


def _rating_result(counts: Mapping[int, int], suppressed: bool) -> RatingResult:
    if suppressed:
        return RatingResult(mean=None, distribution=None)
    ratings = sum(counts.values())
    total = sum(value * count for value, count in counts.items())
    return RatingResult(
        mean=_rounded(Decimal(total), ratings, TWO_DECIMALS) if ratings else None,
        distribution=[RatingBucket(value=value, count=count) for value, count in counts.items()],
    )


def _rounded(numerator: Decimal, denominator: int, places: Decimal) -> float:
    """Exact division rounded half up (never banker's rounding, never float drift)."""
    return float((numerator / denominator).quantize(places, rounding=ROUND_HALF_UP))


async def list_free_text(
    session: AsyncSession,
    consultation: Consultation,
    *,
    question_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[PollAnswer], str | None]:
    """Free-text answers by question, ordered by their random ids: never by who or when."""
    statement = (
        select(PollAnswer)
        .join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
        .where(PollQuestion.consultation_id == consultation.id, PollAnswer.text.is_not(None))
    )
    if question_id is not None:
        statement = statement.where(PollAnswer.question_id == question_id)
    keys = [SortKey(PollAnswer.question_id), SortKey(PollAnswer.id)]
    return await paginate(session, statement, keys=keys, page=page)

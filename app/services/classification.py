"""Classification at intake and on demand: topic, subtopic, confidence and automatic priority.

The pure rules live in ``services.classifier``; this module stores their results beside the human
overrides (never over them) and counts the similar inputs the priority rules ask about.
"""

import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import UnprocessableEntity
from app.models.consultation import Consultation, PollAnswer
from app.models.submission import PriorityReason, Submission
from app.services import classifier as classifier_module
from app.services.classifier import Classification, Classifier, PriorityResult


def current() -> Classifier:
    return classifier_module.current()


async def classify_submission(
    session: AsyncSession, submission: Submission, *, consultation_topic: str | None
) -> PriorityResult:
    """Fill the automatic values of a submission about to be stored (before its INSERT, so it is
    written once); store the returned reasons with ``store_reasons`` after the INSERT."""
    engine = current()
    result = engine.classify(submission.body, consultation_topic=consultation_topic)
    _set_classification(submission, result)
    window_days = engine.taxonomy.priority.similar_window_days
    similar = await similar_inputs(
        session, submission.subtopic, submission.received_at, window_days
    )
    priority = engine.priority(submission.body, submission.kind, similar)
    _set_priority(submission, priority)
    return priority


async def store_reasons(
    session: AsyncSession, submission: Submission, priority: PriorityResult
) -> None:
    """The reasons of a submission just stored (it has none yet: nothing to replace)."""
    await _insert_reasons(session, {submission.id: priority})


def classify_answer(answer: PollAnswer) -> None:
    """Free-text poll answers get a topic and subtopic (no priority: they are not requests)."""
    if answer.text is None:
        answer.topic = answer.subtopic = answer.confidence = answer.classifier_version = None
        return
    result = current().classify(answer.text)
    answer.topic, answer.subtopic = result.topic, result.subtopic
    answer.confidence, answer.classifier_version = result.confidence, result.version


def _set_priority(submission: Submission, priority: PriorityResult) -> None:
    submission.auto_priority, submission.priority_rules = priority.priority, priority.rules
    submission.priority = submission.priority_override or priority.priority


def _set_classification(submission: Submission, result: Classification) -> None:
    submission.auto_topic, submission.auto_subtopic = result.topic, result.subtopic
    submission.confidence, submission.classifier_version = result.confidence, result.version
    set_effective(submission)


def set_effective(submission: Submission) -> None:
    """The effective topic and subtopic: overrides first, and never a subtopic of another topic."""
    submission.topic = submission.topic_override or submission.auto_topic
    subtopic = submission.subtopic_override or submission.auto_subtopic
    parent = current().taxonomy.subtopic(subtopic) if subtopic else None
    submission.subtopic = subtopic if parent and parent.topic == submission.topic else None


def override(submission: Submission, changes: dict[str, str | None]) -> None:
    """Apply an officer's overrides (``None`` clears one); automatic values stay as they are.

    A subtopic brings its topic along; a new topic drops a subtopic override of another topic;
    a topic and a subtopic that disagree are refused (422 ``subtopic_outside_topic``).
    """
    taxonomy = current().taxonomy
    if "subtopic" in changes:
        subtopic = changes["subtopic"]
        parent = taxonomy.subtopic(subtopic) if subtopic else None
        if parent and changes.get("topic", parent.topic) != parent.topic:
            raise UnprocessableEntity(
                code="subtopic_outside_topic", subtopic=subtopic, topic=changes["topic"]
            )
        submission.subtopic_override = subtopic
        if parent:
            submission.topic_override = parent.topic
    if "topic" in changes and "subtopic" not in changes:
        submission.topic_override = changes["topic"]
        kept = taxonomy.subtopic(submission.subtopic_override or "")
        if kept is None or kept.topic != changes["topic"]:
            submission.subtopic_override = None
    elif "topic" in changes and submission.subtopic_override is None:  # both cleared
        submission.topic_override = changes["topic"]
    if "priority" in changes:
        submission.priority_override = changes["priority"]
    set_effective(submission)
    submission.priority = submission.priority_override or submission.auto_priority


async def similar_inputs(
    session: AsyncSession,
    subtopic: str | None,
    received_at: datetime,
    window_days: int,
) -> int:
    """Stored inputs on the same subtopic received in the window up to ``received_at``."""
    if subtopic is None:
        return 0
    statement = select(func.count()).where(
        Submission.subtopic == subtopic,
        Submission.received_at > received_at - timedelta(days=window_days),
        Submission.received_at <= received_at,
    )
    return int(await session.scalar(statement) or 0)


async def reasons(session: AsyncSession, submission_id: uuid.UUID) -> Sequence[PriorityReason]:
    statement = select(PriorityReason).where(PriorityReason.submission_id == submission_id)
    return (await session.scalars(statement.order_by(PriorityReason.points.desc()))).all()


async def _replace_reasons(session: AsyncSession, results: dict[uuid.UUID, PriorityResult]) -> None:
    await session.execute(
        delete(PriorityReason).where(PriorityReason.submission_id.in_(list(results)))
    )
    await _insert_reasons(session, results)


async def _insert_reasons(session: AsyncSession, results: dict[uuid.UUID, PriorityResult]) -> None:
    rows = [
        {"submission_id": sid, "rule": r.rule, "points": r.points, "evidence": r.evidence}
        for sid, result in results.items()
        for r in result.reasons
    ]
    if rows:
        await session.execute(insert(PriorityReason), rows)


# -- re-classifying everything after a taxonomy change ------------------------------------------


@dataclass
class RerunReport:
    submissions: int = 0
    answers: int = 0
    changed: int = 0  # submissions whose automatic topic, subtopic or priority changed


async def count_all(session: AsyncSession) -> int:
    submissions = await session.scalar(select(func.count()).select_from(Submission))
    answers = await session.scalar(
        select(func.count()).select_from(PollAnswer).where(PollAnswer.text.is_not(None))
    )
    return int(submissions or 0) + int(answers or 0)


async def reclassify_all(
    session: AsyncSession, *, batch_size: int = 500
) -> AsyncIterator[RerunReport]:
    """Re-run the classifier over every submission (oldest first) and free-text answer.

    Yields the running report after each batch (for a progress bar); the caller commits. Similar
    inputs are counted from a sliding window kept in memory, in received order, so the whole
    run reads the table once instead of counting per row.
    """
    report, engine = RerunReport(), current()
    window = timedelta(days=engine.taxonomy.priority.similar_window_days)
    recent: dict[str, deque[datetime]] = defaultdict(deque)
    topics = await _consultation_topics(session)
    async for batch in _batches(session, batch_size):
        results: dict[uuid.UUID, PriorityResult] = {}
        for submission in batch:
            before = (submission.auto_topic, submission.auto_subtopic, submission.auto_priority)
            _set_classification(
                submission,
                engine.classify(
                    submission.body, consultation_topic=topics.get(submission.consultation_id)
                ),
            )
            similar = _slide(recent, submission.subtopic, submission.received_at, window)
            results[submission.id] = priority = engine.priority(
                submission.body, submission.kind, similar
            )
            _set_priority(submission, priority)
            after = (submission.auto_topic, submission.auto_subtopic, submission.auto_priority)
            report.changed += before != after
        await session.flush()
        await _replace_reasons(session, results)
        _forget(session, batch)
        report.submissions += len(batch)
        yield report
    async for answers in _answer_batches(session, batch_size):
        for answer in answers:
            classify_answer(answer)
        await session.flush()
        _forget(session, answers)
        report.answers += len(answers)
        yield report


def _forget(session: AsyncSession, rows: Sequence[object]) -> None:
    """Written rows leave the session, so a run over a million rows stays in bounded memory."""
    for row in rows:
        session.expunge(row)


def _slide(
    recent: dict[str, deque[datetime]], subtopic: str | None, at: datetime, window: timedelta
) -> int:
    """How many of this subtopic's earlier inputs are within the window; then remember this one."""
    if subtopic is None:
        return 0
    times = recent[subtopic]
    while times and times[0] <= at - window:
        times.popleft()
    count = len(times)
    times.append(at)
    return count


async def _consultation_topics(session: AsyncSession) -> dict[uuid.UUID | None, str]:
    rows = await session.execute(select(Consultation.id, Consultation.topic))
    return {row.id: row.topic for row in rows}


async def _batches(session: AsyncSession, size: int) -> AsyncIterator[Sequence[Submission]]:
    """Keyset batches in received order."""
    s, last = Submission, None
    while True:
        statement = select(s).order_by(s.received_at, s.id).limit(size)
        if last is not None:
            at, last_id = last
            statement = statement.where(
                or_(s.received_at > at, and_(s.received_at == at, s.id > last_id))
            )
        batch = (await session.scalars(statement)).all()
        if not batch:
            return
        yield batch
        last = (batch[-1].received_at, batch[-1].id)


async def _answer_batches(session: AsyncSession, size: int) -> AsyncIterator[Sequence[PollAnswer]]:
    last: uuid.UUID | None = None
    while True:
        statement = select(PollAnswer).where(PollAnswer.text.is_not(None)).order_by(PollAnswer.id)
        if last is not None:
            statement = statement.where(PollAnswer.id > last)
        batch = (await session.scalars(statement.limit(size))).all()
        if not batch:
            return
        yield batch
        last = batch[-1].id

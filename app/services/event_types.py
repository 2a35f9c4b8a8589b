"""The event catalogue: every type the outbox writes, and whose inbox each one reaches."""

from dataclasses import dataclass
from enum import StrEnum


class EventType(StrEnum):
    SUBMISSION_RECEIVED = "submission.received"
    SUBMISSION_DECIDED = "submission.decided"
    SUBMISSION_WITHDRAWN = "submission.withdrawn"
    SUBMISSION_DUE_SOON = "submission.due_soon"
    SUBMISSION_DUE_TODAY = "submission.due_today"
    SUBMISSION_OVERDUE = "submission.overdue"
    CONSULTATION_PUBLISHED = "consultation.published"
    CONSULTATION_CANCELLED = "consultation.cancelled"
    CONSULTATION_CLOSED = "consultation.closed"
    FEEDBACK_REPORT_PUBLISHED = "feedback_report.published"
    FEEDBACK_REPORT_DUE_SOON = "feedback_report.due_soon"
    FEEDBACK_REPORT_OVERDUE = "feedback_report.overdue"
    REQUEST_RECEIVED = "request.received"
    REQUEST_ASSIGNED = "request.assigned"
    REQUEST_CLARIFICATION_REQUESTED = "request.clarification_requested"
    REQUEST_CLARIFICATION_ANSWERED = "request.clarification_answered"
    REQUEST_ANSWERED = "request.answered"
    REQUEST_PARTIALLY_ANSWERED = "request.partially_answered"
    REQUEST_REFUSED = "request.refused"
    REQUEST_NOT_HELD = "request.not_held"
    REQUEST_WITHDRAWN = "request.withdrawn"
    REQUEST_DUE_SOON = "request.due_soon"
    REQUEST_DUE_TODAY = "request.due_today"
    REQUEST_OVERDUE = "request.overdue"
    REQUEST_ESCALATED = "request.escalated"
    APPEAL_FILED = "appeal.filed"
    APPEAL_DECIDED = "appeal.decided"
    APPEAL_WITHDRAWN = "appeal.withdrawn"
    APPEAL_DUE_SOON = "appeal.due_soon"
    APPEAL_DUE_TODAY = "appeal.due_today"
    APPEAL_OVERDUE = "appeal.overdue"
    APPEAL_ESCALATED = "appeal.escalated"
    DATASET_PUBLISHED = "dataset.published"
    DATASET_RELEASED = "dataset.released"
    DATASET_ARCHIVED = "dataset.archived"
    CALENDAR_CHANGED = "calendar.changed"


@dataclass(frozen=True)
class Reach:
    """Whose inbox an event lands in: the owner, the handling officer, the audience roles."""

    owner: bool = False
    handler: bool = False
    roles: bool = False


OWNER = Reach(owner=True)
HANDLER = Reach(handler=True)
STAFF = Reach(handler=True, roles=True)
EVERYONE = Reach(owner=True, handler=True, roles=True)
NOBODY = Reach()

# Types absent here reach the feed and webhooks only.
REACH: dict[EventType, Reach] = {
    EventType.SUBMISSION_RECEIVED: OWNER,
    EventType.SUBMISSION_DECIDED: OWNER,
    EventType.SUBMISSION_DUE_SOON: STAFF,
    EventType.SUBMISSION_DUE_TODAY: STAFF,
    EventType.SUBMISSION_OVERDUE: EVERYONE,
    EventType.FEEDBACK_REPORT_PUBLISHED: OWNER,
    EventType.FEEDBACK_REPORT_DUE_SOON: STAFF,
    EventType.FEEDBACK_REPORT_OVERDUE: STAFF,
    EventType.REQUEST_RECEIVED: OWNER,
    EventType.REQUEST_ASSIGNED: HANDLER,
    EventType.REQUEST_CLARIFICATION_REQUESTED: OWNER,
    EventType.REQUEST_CLARIFICATION_ANSWERED: STAFF,
    EventType.REQUEST_ANSWERED: OWNER,
    EventType.REQUEST_PARTIALLY_ANSWERED: OWNER,
    EventType.REQUEST_REFUSED: OWNER,
    EventType.REQUEST_NOT_HELD: OWNER,
    EventType.REQUEST_DUE_SOON: STAFF,
    EventType.REQUEST_DUE_TODAY: STAFF,
    EventType.REQUEST_OVERDUE: EVERYONE,
    EventType.REQUEST_ESCALATED: STAFF,
    EventType.APPEAL_FILED: OWNER,
    EventType.APPEAL_DECIDED: OWNER,
    EventType.APPEAL_DUE_SOON: STAFF,
    EventType.APPEAL_DUE_TODAY: STAFF,
    EventType.APPEAL_OVERDUE: EVERYONE,
    EventType.APPEAL_ESCALATED: STAFF,
}


def reach_of(event_type: str) -> Reach:
    return REACH.get(EventType(event_type), NOBODY)

"""Every table, imported here so Alembic and the metadata see them all."""

from app.models.audit_event import AuditEvent
from app.models.consultation import Consultation, PollAnswer, PollQuestion, PollResponse
from app.models.feedback_report import FeedbackReport
from app.models.holiday import CalendarState, Holiday
from app.models.idempotency_key import IdempotencyKey
from app.models.reference_counter import ReferenceCounter
from app.models.submission import Submission

__all__ = [
    "AuditEvent",
    "CalendarState",
    "Consultation",
    "FeedbackReport",
    "Holiday",
    "IdempotencyKey",
    "PollAnswer",
    "PollQuestion",
    "PollResponse",
    "ReferenceCounter",
    "Submission",
]

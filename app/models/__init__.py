"""Every table, imported here so Alembic and the metadata see them all."""

from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.consultation import Consultation, PollAnswer, PollQuestion, PollResponse
from app.models.dataset import Dataset, DatasetKeyword, Distribution, Release
from app.models.event import Event, Notification, NotificationRead
from app.models.feedback_report import FeedbackReport
from app.models.holiday import CalendarState, Holiday
from app.models.idempotency_key import IdempotencyKey
from app.models.information_request import Clarification, DisclosureEntry, InformationRequest
from app.models.reference_counter import ReferenceCounter
from app.models.submission import PriorityReason, Submission
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "Appeal",
    "AuditEvent",
    "CalendarState",
    "Clarification",
    "Consultation",
    "Dataset",
    "DatasetKeyword",
    "DisclosureEntry",
    "Distribution",
    "Event",
    "FeedbackReport",
    "Holiday",
    "IdempotencyKey",
    "InformationRequest",
    "Notification",
    "NotificationRead",
    "PollAnswer",
    "PollQuestion",
    "PollResponse",
    "PriorityReason",
    "ReferenceCounter",
    "Release",
    "Submission",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]

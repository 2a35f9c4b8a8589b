"""Every table, imported here so Alembic and the metadata see them all."""

from app.models.audit_event import AuditEvent
from app.models.holiday import CalendarState, Holiday
from app.models.idempotency_key import IdempotencyKey
from app.models.reference_counter import ReferenceCounter

__all__ = ["AuditEvent", "CalendarState", "Holiday", "IdempotencyKey", "ReferenceCounter"]

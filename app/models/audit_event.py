"""Audit events: who did what to which item, when; never personal data."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, JSONType, UUIDPrimaryKey


class AuditEvent(UUIDPrimaryKey, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id", "occurred_at"),
        Index("ix_audit_events_actor", "actor_sub", "occurred_at"),
        Index("ix_audit_events_occurred_at_id", "occurred_at", "id"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_sub: Mapped[str | None] = mapped_column(String(255))
    actor_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.entity_type}:{self.entity_id}>"

"""Appeals: filing, receipts, reads, lists, decisions and history."""

import datetime as dt
import uuid

from pydantic import Field

from app.models.appeal import AppealGround, AppealStatus
from app.schemas.common import LocalizedText, MultilineText, Schema
from app.services.appeal_decisions import AppealOutcome


class AppealCreate(Schema):
    ground: AppealGround = Field(
        description="delay: the request is overdue; refusal: it was refused (or not held); "
        "incomplete_answer: it was partially answered (or not held)."
    )
    statement: MultilineText = Field(description="Why the requester appeals (1-5,000 characters).")


class AppealReceipt(Schema):
    id: uuid.UUID
    reference: str = Field(examples=["AP-2026-000017"])
    status: AppealStatus
    ground: AppealGround
    request_id: uuid.UUID
    request_reference: str = Field(examples=["IR-2026-000381"])
    received_at: dt.datetime
    due_date: dt.date = Field(description="Decision due by the end of this Asia/Riyadh date.")
    due_date_hijri: str = Field(examples=["1447-10-14"])
    due_at: dt.datetime = Field(description="The deadline instant; overdue strictly after it.")
    overdue: bool = Field(description="Undecided after due_at.")


class AppealSummary(AppealReceipt):
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class AppealRead(AppealSummary):
    statement: str
    working_days: int = Field(description="The appeal's decision period in working days.")
    calendar_version: int = Field(description="The calendar version the due date follows.")
    reviewer: str | None = Field(description="The reviewing officer; shown to appeals officers.")
    reasoning: LocalizedText | None
    decided_by: str | None = Field(description="Shown to appeals officers only.")
    version: int


class AppealDecision(Schema):
    outcome: AppealOutcome = Field(
        description="upheld or partially_upheld reopen the request (in_progress, new deadline "
        "from the decision); rejected leaves it as it was."
    )
    reasoning: LocalizedText

"""E-participation: consultations, polls, submissions and feedback reports.

Revision ID: 78e8494072ca
Revises: d1b3ff7cc86b
Create Date: 2026-11-28 23:04:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "78e8494072ca"
down_revision: str | None = "d1b3ff7cc86b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = app.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("title", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("opens_at", UTC_DATETIME, nullable=False),
        sa.Column("closes_at", UTC_DATETIME, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("live_results", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("cancelled_at", UTC_DATETIME, nullable=True),
        sa.Column("feedback_published_at", UTC_DATETIME, nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        sa.UniqueConstraint("reference", name=op.f("uq_consultations_reference")),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.create_index("ix_consultations_closes_at", ["closes_at"], unique=False)
        batch_op.create_index("ix_consultations_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_consultations_published_opens", ["published_at", "opens_at", "id"], unique=False
        )
        batch_op.create_index("ix_consultations_topic", ["topic"], unique=False)

    op.create_table(
        "feedback_reports",
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("highlights", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("disposition_counts", JSON, nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=True),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("published_by", sa.String(length=255), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("drafted_by", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_feedback_reports_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_reports")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_feedback_reports_consultation_id")),
    )
    op.create_table(
        "poll_questions",
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("prompt", JSON, nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_poll_questions_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_questions")),
        sa.UniqueConstraint(
            "consultation_id", "position", name=op.f("uq_poll_questions_consultation_id_position")
        ),
    )
    with op.batch_alter_table("poll_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_questions_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "poll_responses",
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("respondent_sub", sa.String(length=255), nullable=False),
        sa.Column("submitted_at", UTC_DATETIME, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_poll_responses_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_responses")),
        sa.UniqueConstraint(
            "consultation_id",
            "respondent_sub",
            name=op.f("uq_poll_responses_consultation_id_respondent_sub"),
        ),
    )
    with op.batch_alter_table("poll_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_responses_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "submissions",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("consultation_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("submitter_sub", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("imported_by", sa.String(length=255), nullable=True),
        sa.Column("contact_encrypted", sa.Text(), nullable=True),
        sa.Column("source_handle_encrypted", sa.Text(), nullable=True),
        sa.Column("auto_topic", sa.String(length=40), nullable=True),
        sa.Column("auto_priority", sa.String(length=2), nullable=True),
        sa.Column("topic_override", sa.String(length=40), nullable=True),
        sa.Column("priority_override", sa.String(length=2), nullable=True),
        sa.Column("overridden_by", sa.String(length=255), nullable=True),
        sa.Column("overridden_at", UTC_DATETIME, nullable=True),
        sa.Column("topic", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.String(length=2), nullable=True),
        sa.Column("disposition", sa.String(length=20), nullable=True),
        sa.Column("decision_reason", JSON, nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.Column("withdrawn_at", UTC_DATETIME, nullable=True),
        sa.Column("response_working_days", sa.Integer(), nullable=True),
        sa.Column("response_due_date", sa.Date(), nullable=True),
        sa.Column("calendar_version", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_submissions_consultation_id_consultations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "channel", "external_id", name=op.f("uq_submissions_channel_external_id")
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_submissions_reference")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_channel", ["channel"], unique=False)
        batch_op.create_index(
            "ix_submissions_consultation_status", ["consultation_id", "status"], unique=False
        )
        batch_op.create_index("ix_submissions_kind", ["kind"], unique=False)
        batch_op.create_index("ix_submissions_priority", ["priority"], unique=False)
        batch_op.create_index("ix_submissions_received_at_id", ["received_at", "id"], unique=False)
        batch_op.create_index(
            "ix_submissions_response_due_date", ["response_due_date"], unique=False
        )
        batch_op.create_index("ix_submissions_status", ["status"], unique=False)
        batch_op.create_index(
            "ix_submissions_submitter", ["submitter_sub", "received_at"], unique=False
        )
        batch_op.create_index("ix_submissions_topic", ["topic"], unique=False)

    op.create_table(
        "poll_answers",
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("option_id", sa.String(length=40), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["poll_questions.id"],
            name=op.f("fk_poll_answers_question_id_poll_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["poll_responses.id"],
            name=op.f("fk_poll_answers_response_id_poll_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_answers")),
    )
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_poll_answers_question_option", ["question_id", "option_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_poll_answers_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_answers_response_id"))
        batch_op.drop_index("ix_poll_answers_question_option")

    op.drop_table("poll_answers")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_topic")
        batch_op.drop_index("ix_submissions_submitter")
        batch_op.drop_index("ix_submissions_status")
        batch_op.drop_index("ix_submissions_response_due_date")
        batch_op.drop_index("ix_submissions_received_at_id")
        batch_op.drop_index("ix_submissions_priority")
        batch_op.drop_index("ix_submissions_kind")
        batch_op.drop_index("ix_submissions_consultation_status")
        batch_op.drop_index("ix_submissions_channel")

    op.drop_table("submissions")
    with op.batch_alter_table("poll_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_responses_consultation_id"))

    op.drop_table("poll_responses")
    with op.batch_alter_table("poll_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_questions_consultation_id"))

    op.drop_table("poll_questions")
    op.drop_table("feedback_reports")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index("ix_consultations_topic")
        batch_op.drop_index("ix_consultations_published_opens")
        batch_op.drop_index("ix_consultations_created_at_id")
        batch_op.drop_index("ix_consultations_closes_at")

    op.drop_table("consultations")

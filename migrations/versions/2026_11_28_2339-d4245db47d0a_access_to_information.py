"""Access to information: requests, clarifications, disclosure log and appeals.

Revision ID: d4245db47d0a
Revises: 78e8494072ca
Create Date: 2026-11-28 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "d4245db47d0a"
down_revision: str | None = "78e8494072ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = app.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "information_requests",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("requester_sub", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("requester_category", sa.String(length=40), nullable=True),
        sa.Column("preferred_format", sa.String(length=40), nullable=True),
        sa.Column("contact_encrypted", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("assigned_to", sa.String(length=255), nullable=True),
        sa.Column("handlers", JSON, nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("clock_origin", sa.String(length=20), nullable=False),
        sa.Column("clock_started_at", UTC_DATETIME, nullable=False),
        sa.Column("clock_working_days", sa.Integer(), nullable=False),
        sa.Column("paused_at", UTC_DATETIME, nullable=True),
        sa.Column("remaining_working_days", sa.Integer(), nullable=True),
        sa.Column("pause_count", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("calendar_version", sa.Integer(), nullable=False),
        sa.Column("response", JSON, nullable=True),
        sa.Column("response_links", JSON, nullable=False),
        sa.Column("legal_grounds", JSON, nullable=False),
        sa.Column("explanation", JSON, nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.Column("withdrawn_at", UTC_DATETIME, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_information_requests_reference")),
    )
    with op.batch_alter_table("information_requests", schema=None) as batch_op:
        batch_op.create_index("ix_information_requests_assigned_to", ["assigned_to"], unique=False)
        batch_op.create_index("ix_information_requests_category", ["category"], unique=False)
        batch_op.create_index(
            "ix_information_requests_due_date_id", ["due_date", "id"], unique=False
        )
        batch_op.create_index(
            "ix_information_requests_requester", ["requester_sub", "received_at"], unique=False
        )
        batch_op.create_index("ix_information_requests_status", ["status"], unique=False)

    op.create_table(
        "appeals",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("appellant_sub", sa.String(length=255), nullable=False),
        sa.Column("ground", sa.String(length=30), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("calendar_version", sa.Integer(), nullable=False),
        sa.Column("reviewer_sub", sa.String(length=255), nullable=True),
        sa.Column("reasoning", JSON, nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.Column("withdrawn_at", UTC_DATETIME, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["information_requests.id"],
            name=op.f("fk_appeals_request_id_information_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("reference", name=op.f("uq_appeals_reference")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appeals_appellant", ["appellant_sub", "received_at"], unique=False
        )
        batch_op.create_index("ix_appeals_due_date_id", ["due_date", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_request_id"), ["request_id"], unique=False)
        batch_op.create_index("ix_appeals_status", ["status"], unique=False)
        batch_op.create_index(
            "uq_appeals_one_open_per_request",
            ["request_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('submitted', 'under_review')"),
            sqlite_where=sa.text("status IN ('submitted', 'under_review')"),
        )

    op.create_table(
        "disclosure_entries",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("question", JSON, nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("links", JSON, nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=False),
        sa.Column("published_by", sa.String(length=255), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["information_requests.id"],
            name=op.f("fk_disclosure_entries_request_id_information_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_entries")),
        sa.UniqueConstraint("request_id", name=op.f("uq_disclosure_entries_request_id")),
    )
    with op.batch_alter_table("disclosure_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_entries_category"), ["category"], unique=False
        )
        batch_op.create_index(
            "ix_disclosure_entries_published_at_id", ["published_at", "id"], unique=False
        )

    op.create_table(
        "request_clarifications",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("question", JSON, nullable=False),
        sa.Column("asked_by", sa.String(length=255), nullable=False),
        sa.Column("asked_at", UTC_DATETIME, nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UTC_DATETIME, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["information_requests.id"],
            name=op.f("fk_request_clarifications_request_id_information_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_clarifications")),
    )
    with op.batch_alter_table("request_clarifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_clarifications_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_clarifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_clarifications_request_id"))

    op.drop_table("request_clarifications")
    with op.batch_alter_table("disclosure_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_disclosure_entries_published_at_id")
        batch_op.drop_index(batch_op.f("ix_disclosure_entries_category"))

    op.drop_table("disclosure_entries")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_appeals_one_open_per_request",
            postgresql_where=sa.text("status IN ('submitted', 'under_review')"),
            sqlite_where=sa.text("status IN ('submitted', 'under_review')"),
        )
        batch_op.drop_index("ix_appeals_status")
        batch_op.drop_index(batch_op.f("ix_appeals_request_id"))
        batch_op.drop_index("ix_appeals_due_date_id")
        batch_op.drop_index("ix_appeals_appellant")

    op.drop_table("appeals")
    with op.batch_alter_table("information_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_information_requests_status")
        batch_op.drop_index("ix_information_requests_requester")
        batch_op.drop_index("ix_information_requests_due_date_id")
        batch_op.drop_index("ix_information_requests_category")
        batch_op.drop_index("ix_information_requests_assigned_to")

    op.drop_table("information_requests")

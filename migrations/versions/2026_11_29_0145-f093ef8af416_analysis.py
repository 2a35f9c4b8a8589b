"""Analysis: classification columns, priority reasons, decision facts, trigram search indexes.

Revision ID: f093ef8af416
Revises: 4f8b9963cbcd
Create Date: 2026-11-29 01:45:00

Rows stored before this revision have no classification until
``beneficiary-api classify --all`` runs. Decided information requests get ``decided_on_time``
from the decision instant and the due date (Asia/Riyadh, the service's default time zone);
their ``decision_working_days`` stays empty (the calendar engine is not available here).
"""

from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f093ef8af416"
down_revision: str | None = "4f8b9963cbcd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
SEARCHABLE = (
    "consultations",
    "datasets",
    "disclosure_entries",
    "information_requests",
    "submissions",
)


def upgrade() -> None:
    op.create_table(
        "submission_priority_reasons",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_priority_reasons_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "submission_id", "rule", name=op.f("pk_submission_priority_reasons")
        ),
    )
    with op.batch_alter_table("information_requests") as batch_op:
        batch_op.add_column(sa.Column("decision_working_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_on_time", sa.Boolean(), nullable=True))
    with op.batch_alter_table("poll_answers") as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("subtopic", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("classifier_version", sa.String(length=40), nullable=True))
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.add_column(sa.Column("auto_subtopic", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("classifier_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("subtopic_override", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("subtopic", sa.String(length=40), nullable=True))
        batch_op.create_index(
            "ix_submissions_subtopic_received_at", ["subtopic", "received_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        # Trusted extension since PostgreSQL 13: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in SEARCHABLE:
            op.create_index(
                f"ix_{table}_search_text_trgm",
                table,
                ["search_text"],
                postgresql_using="gin",
                postgresql_ops={"search_text": "gin_trgm_ops"},
            )
    _backfill_on_time()


def _backfill_on_time() -> None:
    requests = sa.table(
        "information_requests",
        sa.column("id", sa.Uuid()),
        sa.column("decided_at", sa.DateTime(timezone=True)),
        sa.column("due_date", sa.Date()),
        sa.column("decided_on_time", sa.Boolean()),
    )
    bind = op.get_bind()
    decided = bind.execute(
        sa.select(requests.c.id, requests.c.decided_at, requests.c.due_date).where(
            requests.c.decided_at.is_not(None), requests.c.due_date.is_not(None)
        )
    ).all()
    riyadh = ZoneInfo("Asia/Riyadh")
    for request_id, decided_at, due_date in decided:
        if decided_at.tzinfo is None:  # SQLite stores UTC without an offset
            decided_at = decided_at.replace(tzinfo=UTC)
        on_time = decided_at.astimezone(riyadh).date() <= due_date
        bind.execute(
            requests.update().where(requests.c.id == request_id).values(decided_on_time=on_time)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SEARCHABLE:
            op.drop_index(f"ix_{table}_search_text_trgm", table_name=table)
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.drop_index("ix_submissions_subtopic_received_at")
        for column in ("subtopic", "subtopic_override", "classifier_version", "confidence"):
            batch_op.drop_column(column)
        batch_op.drop_column("auto_subtopic")
    with op.batch_alter_table("poll_answers") as batch_op:
        for column in ("classifier_version", "confidence", "subtopic", "topic"):
            batch_op.drop_column(column)
    with op.batch_alter_table("information_requests") as batch_op:
        batch_op.drop_column("decided_on_time")
        batch_op.drop_column("decision_working_days")
    op.drop_table("submission_priority_reasons")

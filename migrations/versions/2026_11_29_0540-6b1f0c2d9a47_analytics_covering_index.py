"""Analytics answered from the submissions' keyset index alone (PostgreSQL).

Revision ID: 6b1f0c2d9a47
Revises: 22749cb12ad0
Create Date: 2026-11-29 05:40:00

Analytics groups the submissions of a window (up to a year) by topic and subtopic, with their
priority, kind, channel and status, and counted the priority reasons by joining their rows. Over
a million rows the window is most of the table, which carries the texts: each query read ~580 MB,
and the join hashed most of the table again.

- ``submissions.priority_rules``: which priority rules fired, as flags (kind 1, urgency_terms 2,
  safety_terms 4, similar_inputs 8), filled here from the stored reasons; analytics sums the
  flags instead of joining. The reason rows keep the evidence.
- The lists' ``(received_at, id)`` index also carries what analytics reads (``INCLUDE``, about
  130 MB at a million rows): index-only scans on PostgreSQL. SQLite has no INCLUDE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b1f0c2d9a47"
down_revision: str | None = "22749cb12ad0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANALYTICS_COLUMNS = ["status", "topic", "subtopic", "priority", "priority_rules"]
ANALYTICS_COLUMNS += ["kind", "channel", "consultation_id"]
BACKFILL = """
UPDATE submissions SET priority_rules = COALESCE((
    SELECT SUM(CASE rule WHEN 'kind' THEN 1 WHEN 'urgency_terms' THEN 2
                         WHEN 'safety_terms' THEN 4 WHEN 'similar_inputs' THEN 8 ELSE 0 END)
    FROM submission_priority_reasons AS reasons
    WHERE reasons.submission_id = submissions.id
), 0)
WHERE EXISTS (
    SELECT 1 FROM submission_priority_reasons AS reasons
    WHERE reasons.submission_id = submissions.id
)
"""


def _recreate_keyset_index(include: list[str]) -> None:
    op.drop_index("ix_submissions_received_at_id", table_name="submissions")
    op.create_index(
        "ix_submissions_received_at_id",
        "submissions",
        ["received_at", "id"],
        postgresql_include=include,
    )


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority_rules", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        _recreate_keyset_index(ANALYTICS_COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate_keyset_index([])
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("priority_rules")

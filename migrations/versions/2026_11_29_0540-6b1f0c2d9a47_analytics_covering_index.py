"""Analytics reads submissions from the keyset index alone (PostgreSQL).

Revision ID: 6b1f0c2d9a47
Revises: 22749cb12ad0
Create Date: 2026-11-29 05:40:00

Analytics groups the submissions of a window (up to a year) by topic and subtopic, with their
priority, kind, channel and status, and joins the priority reasons by id. Over a million rows the
window is most of the table, which carries the texts: a sequential scan read ~580 MB for each of
the three queries. The lists' ``(received_at, id)`` index now also carries those columns
(``INCLUDE``, ~125 MB at a million rows), so PostgreSQL answers analytics with index-only scans
and the lists keep their order from the same index. SQLite has no INCLUDE: unchanged there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6b1f0c2d9a47"
down_revision: str | None = "22749cb12ad0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANALYTICS_COLUMNS = [
    "status",
    "topic",
    "subtopic",
    "priority",
    "kind",
    "channel",
    "consultation_id",
]


def _recreate(include: list[str]) -> None:
    op.drop_index("ix_submissions_received_at_id", table_name="submissions")
    op.create_index(
        "ix_submissions_received_at_id",
        "submissions",
        ["received_at", "id"],
        postgresql_include=include,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate(ANALYTICS_COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate([])

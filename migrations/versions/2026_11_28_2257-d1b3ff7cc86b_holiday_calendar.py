"""Holiday calendar: one row per holiday date, and the calendar version.

Revision ID: d1b3ff7cc86b
Revises: 5a3a50ead53b
Create Date: 2026-11-28 22:57:57
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "d1b3ff7cc86b"
down_revision: str | None = "5a3a50ead53b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = app.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    calendar_state = op.create_table(
        "calendar_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_calendar_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_state")),
    )
    op.bulk_insert(calendar_state, [{"id": 1, "version": 0, "changed_at": datetime.now(UTC)}])
    op.create_table(
        "holidays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", JSON, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("source_reference", sa.String(length=500), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('baseline', 'official', 'manual')", name=op.f("ck_holidays_source_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
    )
    op.create_index("ix_holidays_day", "holidays", ["day"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_holidays_day", table_name="holidays")
    op.drop_table("holidays")
    op.drop_table("calendar_state")

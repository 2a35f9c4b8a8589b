"""Datasets: catalogue, keywords, distributions and releases.

Revision ID: 4f8b9963cbcd
Revises: d4245db47d0a
Create Date: 2026-11-29 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "4f8b9963cbcd"
down_revision: str | None = "d4245db47d0a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = app.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", JSON, nullable=False),
        sa.Column("description", JSON, nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("publisher", sa.String(length=100), nullable=False),
        sa.Column("publisher_name", JSON, nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("licence_id", sa.String(length=40), nullable=False),
        sa.Column("update_frequency", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("archived_at", UTC_DATETIME, nullable=True),
        sa.Column("last_release_on", sa.Date(), nullable=True),
        sa.Column("next_release_due", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("slug", name=op.f("uq_datasets_slug")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("ix_datasets_category", ["category"], unique=False)
        batch_op.create_index("ix_datasets_next_release_due", ["next_release_due"], unique=False)
        batch_op.create_index("ix_datasets_publisher", ["publisher"], unique=False)
        batch_op.create_index(
            "ix_datasets_status_modified", ["status", "updated_at", "id"], unique=False
        )

    op.create_table(
        "dataset_distributions",
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("title", JSON, nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("access_url", sa.String(length=2000), nullable=False),
        sa.Column("download_url", sa.String(length=2000), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_distributions_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_distributions")),
    )
    with op.batch_alter_table("dataset_distributions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_distributions_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            "ix_dataset_distributions_format", ["format", "dataset_id"], unique=False
        )

    op.create_table(
        "dataset_keywords",
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("keyword", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_keywords_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "keyword", name=op.f("pk_dataset_keywords")),
    )
    with op.batch_alter_table("dataset_keywords", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_keywords_keyword"), ["keyword"], unique=False)

    op.create_table(
        "dataset_releases",
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("notes", JSON, nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_releases_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_releases")),
        sa.UniqueConstraint(
            "dataset_id", "released_on", name=op.f("uq_dataset_releases_dataset_id_released_on")
        ),
    )
    with op.batch_alter_table("dataset_releases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_releases_dataset_id"), ["dataset_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dataset_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_releases_dataset_id"))

    op.drop_table("dataset_releases")
    with op.batch_alter_table("dataset_keywords", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_keywords_keyword"))

    op.drop_table("dataset_keywords")
    with op.batch_alter_table("dataset_distributions", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_distributions_format")
        batch_op.drop_index(batch_op.f("ix_dataset_distributions_dataset_id"))

    op.drop_table("dataset_distributions")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("ix_datasets_status_modified")
        batch_op.drop_index("ix_datasets_publisher")
        batch_op.drop_index("ix_datasets_next_release_due")
        batch_op.drop_index("ix_datasets_category")

    op.drop_table("datasets")

"""Events and notifications: the outbox, inboxes, webhook subscriptions, deliveries, attempts.

Revision ID: e0b9125be092
Revises: 6b1f0c2d9a47
Create Date: 2026-11-29 07:17:35

On PostgreSQL each event records the id of the transaction that wrote it (a server default):
the integrators' feed orders by it so that a transaction committing late never slips in behind
a reader's cursor. SQLite has one writer at a time: insertion order is commit order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "e0b9125be092"
down_revision: str | None = "6b1f0c2d9a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = app.core.db.UTCDateTime(timezone=True)
POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TRANSACTION_ID = "(pg_current_xact_id()::text::bigint)"
UNDECIDED_SUBMISSION = sa.text("status IN ('received', 'under_review')")


def _transaction_id_default() -> sa.TextClause | None:
    return sa.text(TRANSACTION_ID) if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", POSITION, autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "transaction_id",
            sa.BigInteger(),
            server_default=_transaction_id_default(),
            nullable=True,
        ),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("resource_version", sa.Integer(), nullable=True),
        sa.Column("owner_sub", sa.String(length=255), nullable=True),
        sa.Column("handler_sub", sa.String(length=255), nullable=True),
        sa.Column("audience_roles", JSON, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_events_dedupe_key")),
        sa.UniqueConstraint("id", name=op.f("uq_events_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index("ix_events_feed", ["transaction_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_owner_sub"), ["owner_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_handler_sub"), ["handler_sub"], unique=False)

    op.create_table(
        "webhook_subscriptions",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("cursor_transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("cursor_position", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_table(
        "notifications",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_sub", sa.String(length=255), nullable=True),
        sa.Column("recipient_role", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_notifications_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_recipient_role", ["recipient_role", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_notifications_recipient_sub", ["recipient_sub", "created_at", "id"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempts_before_replay", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_webhook_deliveries_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_id",
            name=op.f("uq_webhook_deliveries_subscription_id_event_id"),
        ),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            "ix_webhook_deliveries_subscription",
            ["subscription_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_webhook_deliveries_subscription_status",
            ["subscription_id", "status", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "notification_reads",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("reader_sub", sa.String(length=255), nullable=False),
        sa.Column("read_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_reads_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "notification_id", "reader_sub", name=op.f("pk_notification_reads")
        ),
    )
    op.create_index(
        op.f("ix_notification_reads_reader_sub"), "notification_reads", ["reader_sub"], unique=False
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
        sa.UniqueConstraint(
            "delivery_id", "number", name=op.f("uq_webhook_attempts_delivery_id_number")
        ),
    )
    # The worker's complaint reminders read the undecided complaints alone.
    op.create_index(
        "ix_submissions_undecided_response_due_date",
        "submissions",
        ["response_due_date"],
        unique=False,
        postgresql_where=UNDECIDED_SUBMISSION,
        sqlite_where=UNDECIDED_SUBMISSION,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_submissions_undecided_response_due_date",
        table_name="submissions",
        postgresql_where=UNDECIDED_SUBMISSION,
        sqlite_where=UNDECIDED_SUBMISSION,
    )
    op.drop_table("webhook_attempts")
    op.drop_table("notification_reads")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_subscription_status")
        batch_op.drop_index("ix_webhook_deliveries_subscription")
        batch_op.drop_index(
            "ix_webhook_deliveries_due",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient_sub")
        batch_op.drop_index("ix_notifications_recipient_role")
        batch_op.drop_index(batch_op.f("ix_notifications_event_id"))

    op.drop_table("notifications")
    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_handler_sub"))
        batch_op.drop_index(batch_op.f("ix_events_owner_sub"))
        batch_op.drop_index("ix_events_feed")
        batch_op.drop_index("ix_events_entity")

    op.drop_table("events")

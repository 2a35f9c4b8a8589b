"""List indexes: the keyset orders of the consultations and the publishers' dataset lists.

Revision ID: 22749cb12ad0
Revises: f093ef8af416
Create Date: 2026-11-29 04:55:00

Consultations are listed by ``(opens_at, id)``, newest first, but were indexed by
``(created_at, id)``, which no query reads: officers' list (every consultation) was a sequential
scan and a sort. Publishers list every dataset, whatever its status, by ``(updated_at, id)``; the
``(status, updated_at, id)`` index serves only lists with a fixed status (the public's).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "22749cb12ad0"
down_revision: str | None = "f093ef8af416"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index("ix_consultations_created_at_id")
        batch_op.create_index("ix_consultations_opens_at_id", ["opens_at", "id"], unique=False)
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("ix_datasets_updated_at_id", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("ix_datasets_updated_at_id")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index("ix_consultations_opens_at_id")
        batch_op.create_index("ix_consultations_created_at_id", ["created_at", "id"], unique=False)

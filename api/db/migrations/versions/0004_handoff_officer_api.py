"""handoff officer api: what the bot found, officer of a message, officer's handoffs index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:48:38.757358

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_MESSAGES_STAFF = "fk_messages_staff_id_staff_users"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retrieved", sa.JSON(), nullable=True))
        batch_op.create_index("ix_handoffs_officer_status", ["officer_id", "status"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK_MESSAGES_STAFF, "staff_users", ["staff_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(FK_MESSAGES_STAFF, type_="foreignkey")
        batch_op.drop_column("staff_id")

    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_officer_status")
        batch_op.drop_column("retrieved")

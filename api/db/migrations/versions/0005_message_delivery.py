"""message delivery: the client's message id (a retried send is stored once) and when a message was pushed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UQ_CLIENT_ID = "uq_messages_conversation_client_msg_id"


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_msg_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(UQ_CLIENT_ID, ["conversation_id", "client_msg_id"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(UQ_CLIENT_ID, type_="unique")
        batch_op.drop_column("pushed_at")
        batch_op.drop_column("client_msg_id")

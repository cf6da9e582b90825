"""citizen messages carry their bot turn's state (queued, deferred, running, done); bot answers given in the
reply to a request count as delivered, so a channel pusher only sends what was answered later

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turn_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("turn_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_messages_conversation_turn", ["conversation_id", "turn_state"])
        batch_op.create_index("ix_messages_turn_state", ["turn_state"])
    # Every earlier citizen message was answered in its request, and so were the bot's answers.
    op.execute("UPDATE messages SET turn_state = 'done' WHERE author = 'citizen'")
    op.execute("UPDATE messages SET pushed_at = created_at WHERE author = 'bot' AND pushed_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_turn_state")
        batch_op.drop_index("ix_messages_conversation_turn")
        batch_op.drop_column("turn_started_at")
        batch_op.drop_column("turn_state")

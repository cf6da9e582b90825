"""turn outcomes as data (turn_outcomes) and the dashboard's daily counters (analytics_daily, analytics_sources)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 23:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "turn_outcomes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversations.id", ondelete="CASCADE")),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE")),
        sa.Column("citizen_message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE")),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("procedure_id", sa.String(length=120)),
        sa.Column("aspect", sa.String(length=32)),
        sa.Column("score", sa.Float()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_turn_outcomes_conversation_pending", "turn_outcomes", ["conversation_id", "message_id"])
    op.create_index("ix_turn_outcomes_message_id", "turn_outcomes", ["message_id"])
    op.create_table(
        "analytics_daily",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("channel", sa.String(length=32), primary_key=True),
        sa.Column("metric", sa.String(length=24), primary_key=True),
        sa.Column("key", sa.String(length=160), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,  # SQLite: the rows live in the key's order, a period's scan reads no other page
    )
    op.create_table(
        "analytics_sources",
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("analytics_sources")
    op.drop_table("analytics_daily")
    op.drop_index("ix_turn_outcomes_message_id", table_name="turn_outcomes")
    op.drop_index("ix_turn_outcomes_conversation_pending", table_name="turn_outcomes")
    op.drop_table("turn_outcomes")

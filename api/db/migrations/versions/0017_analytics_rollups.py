"""analytics at province scale: monthly roll-ups of the daily counters, unanswered questions counted by day and by
month, one row of facts per handoff, an index for the daily series

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:00:00

The monthly counters are filled here from the daily ones; the unanswered questions and the handoffs are counted by
the next refresh of the counters (their sources start at id 0), or at once by `rebuild-analytics`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _unanswered(name: str, period: str) -> None:
    op.create_table(
        name,
        sa.Column(period, sa.Date(), primary_key=True),
        sa.Column("channel", sa.String(length=32), primary_key=True),
        sa.Column("key", sa.String(length=160), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.create_table(
        "analytics_monthly",
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("channel", sa.String(length=32), primary_key=True),
        sa.Column("metric", sa.String(length=24), primary_key=True),
        sa.Column("key", sa.String(length=160), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    _unanswered("analytics_unanswered", "day")
    _unanswered("analytics_unanswered_monthly", "month")
    op.create_table(
        "analytics_handoffs",
        sa.Column("handoff_id", sa.Integer(), sa.ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True,
                  autoincrement=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("procedure_id", sa.String(length=120)),
        sa.Column("officer_id", sa.Integer()),
        sa.Column("rating", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("first_reply_at", sa.DateTime(timezone=True)),
        sa.Column("wait_seconds", sa.Float()),
        sa.Column("first_reply_seconds", sa.Float()),
        sa.Column("ticket", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_analytics_handoffs_day", "analytics_handoffs", ["day"])
    op.create_index("ix_analytics_handoffs_officer_day", "analytics_handoffs", ["officer_id", "day"])
    op.create_index("ix_analytics_daily_series", "analytics_daily", ["metric", "day", "channel", "key", "count"])
    month = ("CAST(date_trunc('month', day) AS date)" if op.get_bind().dialect.name == "postgresql"
             else "date(day, 'start of month')")
    op.execute(f"INSERT INTO analytics_monthly (month, channel, metric, key, count) "
               f"SELECT {month}, channel, metric, key, SUM(count) FROM analytics_daily "
               f"GROUP BY {month}, channel, metric, key")


def downgrade() -> None:
    op.drop_index("ix_analytics_daily_series", table_name="analytics_daily")
    op.drop_index("ix_analytics_handoffs_officer_day", table_name="analytics_handoffs")
    op.drop_index("ix_analytics_handoffs_day", table_name="analytics_handoffs")
    op.drop_table("analytics_handoffs")
    op.drop_table("analytics_unanswered_monthly")
    op.drop_table("analytics_unanswered")
    op.drop_table("analytics_monthly")

"""security: REST conversations owned by a key (its SHA-256); retention (daily counts, a lock for the scheduled
purge); staff who must change their password

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("key_hash", sa.String(64), nullable=True))
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("conversations", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("citizen_messages", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("handoffs", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unanswered", sa.Integer(), nullable=False, server_default="0"),
    )
    runs = op.create_table(
        "maintenance_runs",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
    )
    op.bulk_insert(runs, [{"name": "retention"}])
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("must_change_password")
    op.drop_table("maintenance_runs")
    op.drop_table("daily_counts")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("key_hash")

"""zalo: the OA's token pair (encrypted) and each citizen's sending window

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06 23:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zalo_tokens",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed_hash", sa.String(64), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True)),
        sa.Column("failure", sa.String(300)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "zalo_users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("last_msg_id", sa.String(64)),
        sa.Column("last_citizen_at", sa.DateTime(timezone=True)),
        sa.Column("sent_since", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unfollowed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zalo_users")
    op.drop_table("zalo_tokens")

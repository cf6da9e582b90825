"""conversations: the mode "closed" was never assigned and is gone; any row holding it is with the bot

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE conversations SET mode = 'bot' WHERE mode = 'closed'")


def downgrade() -> None:
    """Nothing to restore: "closed" meant the same as "bot"."""

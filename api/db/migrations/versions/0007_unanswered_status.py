"""unanswered questions: what an admin did with each (an FAQ was made, or dismissed), by whom, when

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_HANDLED_BY = "fk_unanswered_questions_handled_by_staff_users"


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("faq_id", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(FK_HANDLED_BY, "staff_users", ["handled_by"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_constraint(FK_HANDLED_BY, type_="foreignkey")
        batch_op.drop_column("handled_at")
        batch_op.drop_column("handled_by")
        batch_op.drop_column("faq_id")
        batch_op.drop_column("outcome")

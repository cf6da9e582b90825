"""knowledge base content: the issue-13 shape (national_codes, provenance, unconfirmed) in stored JSON

Procedures (published and draft) and their revisions' snapshots: `national_code` becomes `national_codes` (a list),
the `unverified` notes are dropped (the answers no longer read them; facts are re-verified with provenance), the
portal guide `nop-ho-so-truc-tuyen` becomes `kind: guide`. So an existing deployment keeps loading, editing and
rolling back its records. Downgrade keeps the first code and drops the new fields (provenance is lost).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00

"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUIDES = {
    "nop-ho-so-truc-tuyen": "Đây là hướng dẫn dùng Cổng Dịch vụ công quốc gia, không phải một thủ tục hành chính.",
}
NEW_FIELDS = ("kind", "national_codes", "no_code_reason", "provenance", "unconfirmed")
NEW_FEE_FIELDS = ("successor", "provenance", "unconfirmed")

procedures = sa.table("procedures", sa.column("id", sa.String), sa.column("published", sa.JSON),
                      sa.column("draft", sa.JSON))
revisions = sa.table("kb_revisions", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("content", sa.JSON))


def to_new(content: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in content.items() if k not in ("national_code", "unverified")}
    if "national_codes" not in data:
        code = content.get("national_code")
        data["national_codes"] = [code] if code else []
    if data.get("id") in GUIDES and not data["national_codes"]:
        data.setdefault("kind", "guide")
        data.setdefault("no_code_reason", GUIDES[data["id"]])
    return data


def to_old(content: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in content.items() if k not in NEW_FIELDS}
    codes = content.get("national_codes") or []
    if codes:
        data["national_code"] = codes[0]
    data["fees"] = [{k: v for k, v in fee.items() if k not in NEW_FEE_FIELDS} for fee in content.get("fees") or []]
    return data


def _convert(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(procedures.c.id, procedures.c.published, procedures.c.draft)).all():
        values = {name: change(value) for name, value in (("published", row.published), ("draft", row.draft))
                  if value is not None}
        if values:
            bind.execute(procedures.update().where(procedures.c.id == row.id).values(**values))
    query = sa.select(revisions.c.id, revisions.c.content).where(revisions.c.kind == "procedure",
                                                                 revisions.c.content.is_not(None))
    for revision in bind.execute(query).all():
        if revision.content is not None:
            bind.execute(revisions.update().where(revisions.c.id == revision.id)
                         .values(content=change(revision.content)))


def upgrade() -> None:
    _convert(to_new)


def downgrade() -> None:
    _convert(to_old)

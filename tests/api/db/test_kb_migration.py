"""Migration 0009: procedures stored in an existing deployment take the new shape (and back)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from api.core.config import ROOT
from api.db.base import make_engine
from api.db.models import KbRevision, ProcedureRow, utcnow
from knowledge_base.loader import load_dir
from knowledge_base.records import Kind, Procedure


def migrate(url: str, target: str, down: bool = False) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    (command.downgrade if down else command.upgrade)(config, target)


def old_shape(procedure: Procedure, code: str | None) -> dict:
    data = procedure.model_dump(mode="json", exclude_none=True, exclude={"faqs"})
    for key in ("kind", "national_codes", "no_code_reason", "provenance", "unconfirmed"):
        data.pop(key, None)
    for fee in data["fees"]:
        for key in ("successor", "provenance", "unconfirmed"):
            fee.pop(key, None)
    if code:
        data["national_code"] = code
    return {**data, "unverified": ["fees: chưa đối chiếu văn bản gốc."]}


def test_stored_procedures_and_revisions_are_converted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0008")
    seed = {p.id: p for p in load_dir()}
    birth, guide = old_shape(seed["dang-ky-khai-sinh"], "1.001193"), old_shape(seed["nop-ho-so-truc-tuyen"], None)
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            for content in (birth, guide):
                db.execute(ProcedureRow.__table__.insert().values(
                    id=content["id"], published=content, draft=content, version=1, archived=False,
                    updated_at=utcnow(), updated_by="seed"))
            db.execute(KbRevision.__table__.insert().values(
                kind="procedure", entity_id=birth["id"], version=1, action="create", state="published",
                content=birth, diff=[], actor="seed", created_at=utcnow()))

        migrate(url, "head")
        with engine.connect() as db:
            rows = {r.id: r for r in db.execute(select(ProcedureRow.__table__))}
            revision = db.execute(select(KbRevision.__table__.c.content)).scalar_one()
        assert rows["dang-ky-khai-sinh"].published["national_codes"] == ["1.001193"]
        assert "unverified" not in rows["dang-ky-khai-sinh"].draft and "national_code" not in revision
        assert Procedure.model_validate(revision).national_codes == ["1.001193"]  # rollback still loads
        assert Procedure.model_validate(rows["nop-ho-so-truc-tuyen"].published).kind == Kind.guide

        migrate(url, "0008", down=True)
        with engine.connect() as db:
            back = db.execute(select(ProcedureRow.__table__.c.published)
                              .where(ProcedureRow.__table__.c.id == "dang-ky-khai-sinh")).scalar_one()
        assert back["national_code"] == "1.001193" and "national_codes" not in back
    finally:
        engine.dispose()

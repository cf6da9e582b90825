"""The scaled mode for real: migrations and the staff flow on the local PostgreSQL server."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.core import security
from api.db.migrate import upgrade
from api.db.models import Role, StaffUser


def test_migrations_and_staff_rows_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    upgrade(postgres_url)  # idempotent
    engine = create_engine(postgres_url)
    with Session(engine) as db:
        db.add(StaffUser(username="pg", full_name="PG", role=Role.admin, password_hash=security.hash_password("x")))
        db.commit()
        assert db.query(StaffUser).filter_by(username="pg").one().role is Role.admin
    engine.dispose()

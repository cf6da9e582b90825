"""The scaled mode for real: migrations and the staff flow on the local PostgreSQL server."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from api.core import security
from api.db.migrate import upgrade
from api.db.models import Role, StaffUser

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture()
def postgres_url() -> str:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {error.__class__.__name__}")
    yield f"{ADMIN_URL}?options=-csearch_path%3D{schema}"
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_migrations_and_staff_rows_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    upgrade(postgres_url)  # idempotent
    engine = create_engine(postgres_url)
    with Session(engine) as db:
        db.add(StaffUser(username="pg", full_name="PG", role=Role.admin, password_hash=security.hash_password("x")))
        db.commit()
        assert db.query(StaffUser).filter_by(username="pg").one().role is Role.admin
    engine.dispose()

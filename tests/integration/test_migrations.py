"""The one Alembic history builds the models' exact schema on SQLite and PostgreSQL, and unwinds."""

from __future__ import annotations

import importlib
import os
import pkgutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.engine import make_url

import comptoir.records
from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.migrate import downgrade, upgrade
from comptoir.records.base import Base


def _all_tables() -> MetaData:
    """Base's metadata with every module of the records package imported, whoever imported what."""
    for module in pkgutil.iter_modules(comptoir.records.__path__):
        importlib.import_module(f"comptoir.records.{module.name}")
    return Base.metadata


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    request.getfixturevalue("_pg_database")  # skips (or fails in CI) exactly as the shared fixtures do
    admin_url = os.environ["COMPTOIR_TEST_POSTGRES_URL"]
    name = f"comptoir_m_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), _all_tables()))
    finally:
        engine.dispose()


def test_migrations_build_the_models_schema_from_empty_and_unwind_to_nothing(empty_db_url: str) -> None:
    # given an empty database
    assert _tables(empty_db_url) == set()

    # when every migration is applied
    upgrade(empty_db_url)

    # then the schema is exactly the models' (autogenerate finds nothing to change)
    assert _tables(empty_db_url) == set(_all_tables().tables)
    assert _schema_differences(empty_db_url) == []

    # and going down to base removes every table, and up again rebuilds the same schema
    downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == set()
    upgrade(empty_db_url)
    assert _schema_differences(empty_db_url) == []

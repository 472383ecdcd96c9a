"""Fixtures for service tests on real databases: a unit-of-work factory per test database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory, sql_unit_of_work_factory


@pytest.fixture
def uows(engine: Engine) -> SqlUnitOfWorkFactory:
    """A new unit of work per call, on the test's database (SQLite and PostgreSQL)."""
    return sql_unit_of_work_factory(engine)

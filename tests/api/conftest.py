"""Fixtures: an API client on `create_app()` over a real, migrated database (see `support.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comptoir.app import create_app
from tests.api.support import FAST_HASHER, Api, TestClient, make_settings


@pytest.fixture
def fixed_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _api(database_url: str, tmp_path: Path, now: datetime) -> Iterator[Api]:
    settings = make_settings(database_url, tmp_path)
    app = create_app(settings, hasher=FAST_HASHER, clock=lambda: now)
    with TestClient(app) as client:
        yield Api(client=client, uow=app.state.uow_factory, settings=settings)


@pytest.fixture
def api(sqlite_url: str, tmp_path: Path, fixed_now: datetime) -> Iterator[Api]:
    """The API on SQLite: for behaviour that does not depend on the database engine."""
    yield from _api(sqlite_url, tmp_path, fixed_now)


@pytest.fixture
def api_both(db_url: str, tmp_path: Path, fixed_now: datetime) -> Iterator[Api]:
    """The API on SQLite and on PostgreSQL: for behaviour where the database matters."""
    yield from _api(db_url, tmp_path, fixed_now)

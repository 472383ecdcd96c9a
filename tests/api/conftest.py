"""Fixtures: an API client on `create_app()` over a real, migrated database (see `support.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from comptoir.app import create_app
from tests.api.support import FAST_HASHER, Api, TestClient, make_settings


@pytest.fixture
def fixed_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _api(database_url: str, tmp_path: Path, now: datetime, **overrides: Any) -> Iterator[Api]:
    settings = make_settings(database_url, tmp_path, **overrides)
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


@pytest.fixture
def api_with(sqlite_url: str, tmp_path: Path, fixed_now: datetime) -> Iterator[Callable[..., Api]]:
    """Builds the API on SQLite with some settings changed (e.g. login limits a test reaches in a few requests)."""
    with ExitStack() as stack:

        def build(**overrides: Any) -> Api:
            return stack.enter_context(contextmanager(_api)(sqlite_url, tmp_path, fixed_now, **overrides))

        yield build

"""Fixtures: the pages on `create_app()` over a real, migrated SQLite database, with a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.app import create_app
from tests.api.support import FAST_HASHER, Api, TestClient, make_settings
from tests.fakes import FakeGateway
from tests.web.support import MovableClock, Site


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[Site]:
    """The pages on SQLite: for behaviour that does not depend on the database engine."""
    yield from _site(sqlite_url, tmp_path)


@pytest.fixture
def site_both(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The pages on SQLite and on PostgreSQL: for what the database answers (whose orders, which day)."""
    yield from _site(db_url, tmp_path)


@pytest.fixture
def card_site(sqlite_url: str, tmp_path: Path) -> Iterator[Site]:
    """The pages on SQLite with an in-memory payment provider: for the dialogs that move money."""
    yield from _site(sqlite_url, tmp_path, FakeGateway())


def _site(database_url: str, tmp_path: Path, gateway: FakeGateway | None = None) -> Iterator[Site]:
    clock = MovableClock()
    settings = make_settings(database_url, tmp_path)
    app = create_app(settings, hasher=FAST_HASHER, clock=clock, gateway=gateway)
    with TestClient(app) as client:
        yield Site(Api(client=client, uow=app.state.uow_factory, settings=settings), clock)

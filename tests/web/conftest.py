"""Fixtures: the pages on `create_app()` over a real, migrated SQLite database, with a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from comptoir.app import create_app
from tests.api.support import FAST_HASHER, TestClient, make_settings
from tests.web.support import MovableClock


@dataclass
class Site:
    client: TestClient
    uow: Any
    clock: MovableClock
    app: Any


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, clock: MovableClock) -> Iterator[Site]:
    app = create_app(make_settings(sqlite_url, tmp_path), hasher=FAST_HASHER, clock=clock)
    with TestClient(app) as client:
        yield Site(client=client, uow=app.state.uow_factory, clock=clock, app=app)

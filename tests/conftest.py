"""Shared fixtures: real databases (SQLite and PostgreSQL), migrated by Alembic.

PostgreSQL tests run when COMPTOIR_TEST_POSTGRES_URL names a server (`.ci/run` sets it to the
machine's PostgreSQL). With CI=true a missing or unreachable server fails the run; otherwise
those tests are skipped and the summary says so loudly.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL", "")
_skipped_pg: list[str] = []


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but COMPTOIR_TEST_POSTGRES_URL is unset: PostgreSQL tests are mandatory in CI")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    pg_skips = [r for r in skipped if "PostgreSQL" in str(getattr(r, "longrepr", ""))]
    if pg_skips:
        terminalreporter.write_sep(
            "!", f"{len(pg_skips)} PostgreSQL tests SKIPPED: set COMPTOIR_TEST_POSTGRES_URL to run them", red=True
        )


def _require_postgres() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need COMPTOIR_TEST_POSTGRES_URL (mandatory in CI)")
    return PG_URL


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """A database of our own on the PostgreSQL server, migrated once per test worker."""
    admin_url = _require_postgres()
    name = f"comptoir_t_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at COMPTOIR_TEST_POSTGRES_URL is unreachable: {exc}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(url: str) -> None:
    from comptoir.records.metadata import metadata

    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL; tests that take it run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "comptoir.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_pg_database")
    _truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated, empty SQLite database, for tests that need not run on both databases."""
    path = tmp_path / "comptoir.sqlite3"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()

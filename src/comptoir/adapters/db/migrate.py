"""Run the Alembic history programmatically, so `comptoir db upgrade` needs no alembic.ini."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass(frozen=True, slots=True)
class Upgraded:
    """What `upgrade` did: the revision before (None: an empty database), the one after, and how many ran."""

    before: str | None
    after: str | None
    applied: int


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None when no migration ever ran on it."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> Upgraded:
    cfg = alembic_config(database_url)
    before = current_revision(database_url)
    command.upgrade(cfg, revision)
    after = current_revision(database_url)
    applied = 0
    if after != before:
        applied = sum(1 for _ in ScriptDirectory.from_config(cfg).iterate_revisions(after, before or "base"))
    return Upgraded(before, after, applied)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)

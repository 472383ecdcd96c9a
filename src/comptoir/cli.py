"""The `comptoir` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comptoir.config import Settings

app = typer.Typer(help="comptoir: orders and payments for small shops.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Data folder (SQLite file, generated secrets). Env: COMPTOIR_DATA_DIR.")
]


def _settings(data: Path | None = None, **overrides: object) -> Settings:
    settings = Settings()
    updates = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        updates["data_dir"] = data
    return settings.model_copy(update=updates) if updates else settings


@db_app.command("upgrade")
def db_upgrade(data: DataOption = None) -> None:
    """Apply every migration to the configured database (SQLite in the data folder by default)."""
    from comptoir.adapters.db.migrate import upgrade

    settings = _settings(data)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    typer.echo(f"database is up to date: {_safe_url(settings.effective_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()

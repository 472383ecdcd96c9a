"""Alembic migrations: `env.py` builds the schema from `comptoir.records.metadata`; `versions/` holds the history."""

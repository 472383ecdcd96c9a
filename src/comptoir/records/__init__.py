"""The SQLAlchemy tables, and nothing else: no SQL in methods, no imports from services or adapters.

One history of Alembic migrations builds them on SQLite and PostgreSQL. `records.base` holds the
declarative base; `records.metadata` imports every table module, for whoever needs the whole schema.
"""

"""Counted attempts (failed logins, registrations), when the shop's own database counts them.

One row per attempt, kept only while it is inside its limit's window: `adapters/db/attempts.py`
deletes a limit's expired rows whenever it counts a new one. `at` is seconds since the epoch, as
a float, so the window's arithmetic is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.records.base import Base


class CountedAttempt(Base):
    __tablename__ = "counted_attempts"
    __table_args__ = (Index("ix_counted_attempts_limit_key_at", "limit_name", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    limit_name: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[float] = mapped_column(Float)

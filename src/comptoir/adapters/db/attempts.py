"""Attempt counting in the shop's own database (SQLite or PostgreSQL): a moving window in SQL.

For several instances that share one PostgreSQL and have no Redis (`COMPTOIR_RATE_LIMIT_STORAGE=
database`). Each call is one short transaction of its own; none is open while a password is hashed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select

from comptoir.records.attempts import CountedAttempt
from comptoir.services.ports import AttemptLimit


class SqlAttemptCounter:
    """An AttemptCounter on the `counted_attempts` table."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def seconds_until_allowed(self, limit: AttemptLimit, key: str) -> int:
        now = self._clock()
        with self._engine.connect() as conn:
            recent = conn.scalars(
                select(CountedAttempt.at)
                .where(
                    CountedAttempt.limit_name == limit.name,
                    CountedAttempt.key == key,
                    CountedAttempt.at > now - limit.window_seconds,
                )
                .order_by(CountedAttempt.at.desc())
                .limit(limit.attempts)
            ).all()
        if len(recent) < limit.attempts:
            return 0
        # one more fits once the oldest of the last `attempts` leaves the window
        return max(1, math.ceil(recent[-1] + limit.window_seconds - now))

    def count(self, limit: AttemptLimit, key: str) -> None:
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(
                delete(CountedAttempt).where(
                    CountedAttempt.limit_name == limit.name, CountedAttempt.at <= now - limit.window_seconds
                )
            )
            conn.execute(insert(CountedAttempt).values(limit_name=limit.name, key=key, at=now))

    def forget(self, limit: AttemptLimit, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(CountedAttempt).where(CountedAttempt.limit_name == limit.name, CountedAttempt.key == key)
            )

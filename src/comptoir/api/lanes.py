"""Where an `async` route runs its blocking database work.

On PostgreSQL, transactions run side by side: the work goes to anyio's worker threads, like
any plain `def` route. On SQLite, every transaction of the process already waits for the
engine's writer lock (`adapters.db.engine`), so eight concurrent webhooks were eight threads,
seven of them blocked on that lock while still contending for the GIL with the one working
and with the event loop. Queuing them here instead, on the event loop, one at a time, costs
nothing and took ~10% of the server CPU per webhook off and a third off its p99
(`bench/webhook_ingest.py`, docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")


class DatabaseLane:
    """`await lane.run(fn, *args, **kwargs)`: `fn` in a worker thread, one at a time if `serialised`."""

    def __init__(self, *, serialised: bool) -> None:
        self.serialised = serialised
        # A limiter belongs to the event loop that first waits on it; tests run one app on several.
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self._limiter())

    def _limiter(self) -> CapacityLimiter | None:
        if not self.serialised:
            return None  # anyio's default: the same pool as plain `def` routes
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = CapacityLimiter(1)
        return limiter

"""Where an `async` route runs its blocking database work.

On PostgreSQL, transactions run side by side: the work goes to anyio's worker threads, like
any plain `def` route. On SQLite, every transaction of the process already waits for the
engine's writer lock (`adapters.db.engine`), so eight concurrent webhooks were eight threads,
seven of them blocked on that lock while still contending for the GIL with the one working
and with the event loop. Queuing them here instead, on the event loop, one at a time, costs
nothing and takes server CPU and tail latency off every webhook (figures: docs/benchmarks.md,
"Figures behind the fast paths").

Work that can be done for several requests at once (webhook events: one transaction for a
group, `services.payments.webhooks.ingest_many`) goes through `run_grouped`: on SQLite, what arrives
while the lane is busy waits and then goes as one job.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item of a group
R = TypeVar("R")

RunMany = Callable[[list[I]], Sequence["R | Exception"]]


@dataclass
class _Group(Generic[I, R]):
    waiting: list[tuple[I, RunMany[I, R], asyncio.Future[R]]] = field(default_factory=list)
    draining: bool = False


@dataclass
class _LoopState:
    """What a lane keeps per event loop (a limiter and asyncio futures belong to one loop)."""

    limiter: CapacityLimiter | None
    groups: dict[str, _Group[Any, Any]] = field(default_factory=dict)
    drains: set[asyncio.Task[None]] = field(default_factory=set)


class DatabaseLane:
    """`await lane.run(fn, *args, **kwargs)`: `fn` in a worker thread, one at a time if `serialised`."""

    def __init__(self, *, serialised: bool, max_group: int = 16) -> None:
        self.serialised = serialised
        self.max_group = max_group
        # Tests run one app on several event loops.
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        limiter = self._state(asyncio.get_running_loop()).limiter
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)

    async def run_grouped(self, key: str, run_many: RunMany[I, R], item: I) -> R:
        """`item`'s outcome from `run_many(items)`, which returns (or holds, as an exception) one
        outcome per item, in order.

        On a serialised lane, the items of `key` that arrive while a group of that key is being
        run wait and go together, at most `max_group` at a time, as one job; the `run_many` of the
        first one in each group runs it, so the callers of one key must pass interchangeable
        functions. On an open lane, each item is a group of its own, run at once.
        """
        if not self.serialised:
            (outcome,) = await self.run(run_many, [item])
            return _unwrap(outcome)
        loop = asyncio.get_running_loop()
        state = self._state(loop)
        group: _Group[I, R] = state.groups.setdefault(key, _Group())
        future: asyncio.Future[R] = loop.create_future()
        group.waiting.append((item, run_many, future))
        if not group.draining:
            group.draining = True
            drain = loop.create_task(self._drain(group))
            state.drains.add(drain)  # the loop keeps only a weak reference to a task
            drain.add_done_callback(state.drains.discard)
        return await future

    async def _drain(self, group: _Group[I, R]) -> None:
        """Run groups while items wait. A task of its own: a caller that goes away (the client
        hung up) must not stop the others' group."""
        batch: list[tuple[I, RunMany[I, R], asyncio.Future[R]]] = []
        try:
            while group.waiting:
                batch, group.waiting = group.waiting[: self.max_group], group.waiting[self.max_group :]
                items = [item for item, _, _ in batch]
                try:
                    outcomes: Sequence[R | Exception] = await self.run(batch[0][1], items)
                    if len(outcomes) != len(batch):
                        raise RuntimeError(f"run_many gave {len(outcomes)} outcomes for {len(batch)} items")
                except Exception as exc:
                    outcomes = [exc] * len(batch)
                for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            # Normally every future is settled here; if the loop is shutting down, nobody waits forever.
            group.draining = False
            for _, _, future in [*batch, *group.waiting]:
                if not future.done():
                    future.cancel()
            group.waiting = []

    def _state(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState(CapacityLimiter(1) if self.serialised else None)
        return state


def _unwrap(outcome: R | Exception) -> R:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome

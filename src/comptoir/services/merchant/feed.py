"""The merchant screen's live feed: the shop's order events, read from the order history.

Every status change of every order is an `order_history` row, whoever made it (a webhook, the
worker, a merchant, the customer), so reading new rows is enough for a screen to ring when an
order arrives, whichever process wrote them. The row id is the event id: a client that reconnects
with `Last-Event-ID` resumes after it.

On PostgreSQL, ids are handed out before commit, so a row with a lower id can become visible after
a higher one. A cursor therefore re-reads the ids of a window of `WINDOW` ids below the highest it
has seen, and loads only the rows it has not handled yet.

`FeedHub` shares one poller per event loop and per set of shops among all the streams of those
shops: it reads once for all of them, when a commit of this process wrote history (`wake`) and
every `poll_seconds` for the other processes' commits. A stream holds a queue, not a connection or
a thread, while it waits.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from comptoir.domain.actors import Actor
from comptoir.domain.catalog import PaymentMethod
from comptoir.records.shop import Order, OrderHistory
from comptoir.services import order_state
from comptoir.services.merchant import workflow
from comptoir.services.ports import UnitOfWork, UnitOfWorkFactory

WINDOW = 100
BATCH = 200
POLL_SECONDS = 1.0
"""How often a poller reads even when no commit of this process woke it (other processes' commits)."""

log = logging.getLogger(__name__)
T = TypeVar("T")
Scope = frozenset[int] | None
"""The shops a stream follows (None: every shop, for an admin)."""


@dataclass(frozen=True, slots=True)
class MerchantEvent:
    id: int
    type: str
    order_id: str
    data: dict[str, Any]


@dataclass(slots=True)
class EventCursor:
    """Where a reader is: everything at or below `floor` was handled; `seen` holds handled ids above it."""

    floor: int
    seen: set[int] = field(default_factory=set)
    top: int = 0

    def unseen(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if i > self.floor and i not in self.seen]

    def mark(self, ids: Iterable[int]) -> None:
        handled = set(ids)
        if handled:
            self.seen |= handled
            self.top = max(self.top, max(handled))
            floor = self.top - WINDOW  # WINDOW < BATCH, so a full batch still moves the floor on
            if floor > self.floor:
                self.floor = floor
                if len(self.seen) > 2 * BATCH:  # ids at or below the floor are dead weight: drop them now and then
                    self.seen = {i for i in self.seen if i > floor}

    def accept(self, event: MerchantEvent) -> bool:
        """True the first time this cursor meets the event (which it then marks), False after."""
        if event.id <= self.floor or event.id in self.seen:
            return False
        self.mark((event.id,))
        return True


def open_cursor(uow: UnitOfWork, actor: Actor, *, last_event_id: int | None) -> EventCursor:
    """Resume after `last_event_id`, or start with what happens from now on. Refuses non-merchants."""
    workflow.shops_of(actor)
    if last_event_id is not None:
        return EventCursor(floor=max(last_event_id, 0))
    with uow:
        return EventCursor(floor=uow.merchant.last_history_id())


def read_events(uow: UnitOfWork, actor: Actor, cursor: EventCursor) -> list[MerchantEvent]:
    """The events since the cursor (which moves past them), oldest first."""
    events, _ = _read(uow, workflow.shops_of(actor), cursor)
    return events


def _read(uow: UnitOfWork, scope: Scope, cursor: EventCursor) -> tuple[list[MerchantEvent], bool]:
    """One batch: the events the cursor had not handled, and whether the batch was full (read on)."""
    with uow:
        ids = uow.merchant.history_ids_after(scope, cursor.floor, limit=BATCH)
        fresh = cursor.unseen(ids)
        rows = uow.merchant.history_rows(fresh) if fresh else []
        events = [event for history, order in rows if (event := _event(history, order)) is not None]
    cursor.mark(ids)
    return events, len(ids) >= BATCH


def _catch_up(
    uows: UnitOfWorkFactory, scope: Scope, last_event_id: int | None
) -> tuple[EventCursor, list[MerchantEvent]]:
    """A cursor after `last_event_id` (after the last row, without one), and every event visible after it."""
    start = _last_history_id(uows) if last_event_id is None else max(last_event_id, 0)
    cursor = EventCursor(floor=start)
    events, full = _read(uows(), scope, cursor)
    while full:
        more, full = _read(uows(), scope, cursor)
        events.extend(more)
    return EventCursor(floor=start), events


def _last_history_id(uows: UnitOfWorkFactory) -> int:
    with uows() as uow:
        return uow.merchant.last_history_id()


class Subscription:
    """One stream's view of its poller: the events it has not sent yet, each once."""

    def __init__(
        self, cursor: EventCursor, queue: asyncio.Queue[list[MerchantEvent]], missed: list[MerchantEvent]
    ) -> None:
        self._cursor = cursor
        self._queue = queue
        self._pending = missed

    async def next(self, timeout: float) -> list[MerchantEvent]:
        """The next events not sent to this stream yet; [] when none came within `timeout` seconds."""
        batch, self._pending = self._pending, []
        if not batch and self._queue.empty():
            try:
                batch = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                return []
        while not self._queue.empty():
            batch = batch + self._queue.get_nowait()
        return [event for event in batch if self._cursor.accept(event)]


class _Poller:
    def __init__(self, hub: FeedHub, scope: Scope) -> None:
        self.hub = hub
        self.scope = scope
        self.queues: set[asyncio.Queue[list[MerchantEvent]]] = set()
        self.woken = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        cursor: EventCursor | None = None
        while True:
            self.woken.clear()
            full = False
            try:
                if cursor is None:
                    # The window below the start covers rows that become visible late (PostgreSQL).
                    start = await self.hub.in_thread(_last_history_id, self.hub.reads)
                    cursor = EventCursor(floor=max(start - WINDOW, 0))
                events, full = await self.hub.in_thread(_read, self.hub.reads(), self.scope, cursor)
            except Exception:
                log.exception("the merchant feed could not read the order history; retrying")
                events = []
            if events:
                for queue in self.queues:
                    queue.put_nowait(events)
            if not full:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.woken.wait(), self.hub.poll_seconds)


class FeedHub:
    """The pollers of one process, shared by its streams: `async with hub.subscribe(actor, ...)`.

    `reads` makes the units of work the pollers read through (read-only ones, so that on SQLite
    they do not queue with the writers). `wake()` may be called from any thread.
    """

    def __init__(self, reads: UnitOfWorkFactory, *, poll_seconds: float = POLL_SECONDS, threads: int = 4) -> None:
        self.reads = reads
        self.poll_seconds = poll_seconds
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._pollers: dict[tuple[asyncio.AbstractEventLoop, Scope], _Poller] = {}
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Have every poller read now: a commit of this process wrote order history."""
        with self._lock:
            pollers = list(self._pollers.items())
        for (loop, _), poller in pollers:
            with suppress(RuntimeError):  # its loop has closed
                loop.call_soon_threadsafe(poller.woken.set)

    def close(self) -> None:
        """Waits for a read under way (a stopped poller's thread finishes its read) before the engine goes.
        The hub stays usable: an app whose lifespan starts again (tests, a reload) gets fresh threads."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _threads_for_reads(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="merchant-feed")
            return self._executor

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads_for_reads(), fn, *args)

    @asynccontextmanager
    async def subscribe(self, actor: Actor, *, last_event_id: int | None) -> AsyncIterator[Subscription]:
        """A stream of the actor's shops' events after `last_event_id` (without it: from now on).

        The stream joins its poller before it reads what it missed, so nothing committed in between
        is lost; a row both read and polled is sent once.
        """
        scope = workflow.shops_of(actor)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[list[MerchantEvent]] = asyncio.Queue()
        poller = self._join(loop, scope, queue)
        try:
            cursor, missed = await self.in_thread(_catch_up, self.reads, scope, last_event_id)
            yield Subscription(cursor, queue, missed)
        finally:
            self._leave(loop, scope, poller, queue)

    def _join(self, loop: asyncio.AbstractEventLoop, scope: Scope, queue: asyncio.Queue[Any]) -> _Poller:
        with self._lock:
            poller = self._pollers.get((loop, scope))
            if poller is None:
                poller = self._pollers[(loop, scope)] = _Poller(self, scope)
            poller.queues.add(queue)
        if poller.task is None:
            poller.task = loop.create_task(poller.run(), name=f"merchant-feed-poller-{scope}")
        return poller

    def _leave(self, loop: asyncio.AbstractEventLoop, scope: Scope, poller: _Poller, queue: asyncio.Queue[Any]) -> None:
        with self._lock:
            poller.queues.discard(queue)
            if poller.queues:
                return
            self._pollers.pop((loop, scope), None)
        if poller.task is not None:
            poller.task.cancel()


def _event(history: OrderHistory, order: Order) -> MerchantEvent | None:
    kind = _kind(history, order)
    if kind is None:
        return None
    return MerchantEvent(
        id=history.id,
        type=kind,
        order_id=order.id,
        data={
            "order_id": order.id,
            "number": order.number,
            "shop_id": order.shop_id,
            "payment_method": order.payment_method,
            "total": order.total,
            "currency": order.currency,
            "axis": history.axis,
            "from": history.from_value,
            "to": history.to_value,
            "actor": history.actor,
            "reason": history.reason,
            "at": _iso(history.at),
        },
    )


def _kind(history: OrderHistory, order: Order) -> str | None:
    pickup = order.payment_method == PaymentMethod.ON_PICKUP.value
    if history.axis == order_state.COUNTER_AXIS:
        return "order.seen" if history.to_value == order_state.SEEN else None
    if history.axis == "status":
        if history.to_value == "confirmed" and pickup:
            return "order.pickup_placed"
        return {"cancelled": "order.cancelled", "ready": "order.ready", "completed": "order.completed"}.get(
            history.to_value
        )
    if history.from_value is None:
        return None
    if history.to_value == "paid" and history.from_value in {"unpaid", "processing", "failed"}:
        return "order.payment_collected" if pickup else "order.paid"
    if history.to_value in {"partially_refunded", "refunded"}:
        return "order.refunded"
    if history.to_value == "paid":
        return "order.refund_failed"
    return None


def _iso(at: datetime) -> str:
    return at.isoformat()

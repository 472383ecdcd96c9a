"""The webhook delivery worker: signed POSTs, retries with backoff, fault injection.

It runs as asyncio work on the server's event loop and never blocks the API: the event bus
calls ``_on_event`` after a commit (from whatever thread committed), which only hands the event
ids to the loop. Every delivery is a row in the store (``bus.record_attempt`` keeps
``pending_webhooks`` and ``delivery_success`` right), so a restarted sandbox picks up every
row still ``pending`` and goes on where it stopped.

Each target (a webhook endpoint, or the ``--forward-to`` URL) has its own lane that sends one
request at a time, in the order deliveries become due: a receiver sees events in emission order
unless a fault (reorder, delay, a retry) changes it, which keeps fault runs repeatable. Lanes of
different targets run concurrently, bounded by ``settings.concurrency``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from .delivery_config import DeliverySettings
from .faults import FaultPlan, Faults
from .signing import signature_header
from .webhook_payload import webhook_body
from .webhook_secrets import SecretBook

log = logging.getLogger(__name__)

FORWARD_TARGET = "forward_to"
"""``endpoint_id`` of delivery rows for the ``--forward-to`` URL (no webhook endpoint object)."""

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"

HISTORY_LIMIT = 10_000
"""Deliveries whose attempt log is kept in memory for ``GET /_sandbox/deliveries`` (oldest go
first); the rows themselves, with counts and the last outcome, are in the store."""


@dataclass(frozen=True)
class _Send:
    """One attempt to make. ``duplicate`` copies are logged but never recorded on the row or
    retried: the row follows the original delivery, as Stripe's own duplicate sends would."""

    event_id: str
    target: str
    attempt: int = 1
    duplicate: bool = False


@dataclass
class _Prepared:
    url: str | None
    body: str
    secrets: list[str]
    stop: str | None = None


class DeliveryWorker:
    """Delivers every event to its targets. ``wall`` stamps the signature's ``t`` (real time,
    never the sandbox clock; tests swap it to see a fresh ``t`` per attempt)."""

    def __init__(
        self,
        sandbox: Any,
        settings: DeliverySettings,
        secrets: SecretBook | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._sandbox = sandbox
        self.settings = settings
        self.secrets = secrets or SecretBook(sandbox)
        self.wall = wall
        self._plan = FaultPlan(settings.faults)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._lanes: dict[str, asyncio.Queue[_Send]] = {}
        self._lane_tasks: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._held: list[tuple[str, list[str]]] = []
        self._hold_timer: asyncio.TimerHandle | None = None
        self._timers: dict[int, tuple[asyncio.TimerHandle, _Send, bool]] = {}
        self._timer_ids = itertools.count()
        self._inflight: set[tuple[str, str]] = set()
        self._forward_rows: dict[str, asyncio.Future[Any]] = {}
        self._answered: asyncio.Event | None = None
        self.history: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()
        sandbox.bus.add_listener(self._on_event)

    # --- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start on the running loop and resume every delivery a previous run left pending."""
        self._loop = asyncio.get_running_loop()
        self._answered = asyncio.Event()
        self._semaphore = asyncio.Semaphore(max(1, self.settings.concurrency))
        self._client = httpx.AsyncClient(timeout=self.settings.timeout, follow_redirects=False)
        if self.settings.forward_to:
            await asyncio.to_thread(self.secrets.forward_secret)
        await self._resume()

    async def stop(self) -> None:
        """Stop sending; unfinished deliveries stay ``pending`` in the store for the next start."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        self._cancel_timers()
        tasks = self._lane_tasks + list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()
        self._lane_tasks.clear()
        self._tasks.clear()
        self._held.clear()
        self._inflight.clear()
        self._forward_rows.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    # --- control (call on the loop) ------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._plan.faults

    def set_faults(self, faults: Faults) -> None:
        """New faults and a freshly seeded plan, so the same seed replays the same decisions.

        A window held under the old settings is released first, under the old plan."""
        self._release_held()
        self.settings = replace(self.settings, faults=faults)
        self._plan = FaultPlan(faults)

    def flush(self) -> int:
        """Send now everything held in a reorder window or waiting on an injected delay."""
        released = len(self._held)
        self._release_held()
        delayed = sorted((key, entry) for key, entry in self._timers.items() if entry[2])
        for key, (handle, send, _) in delayed:
            handle.cancel()
            del self._timers[key]
            self._enqueue(send)
        return released + len(delayed)

    def forget(self) -> None:
        """Drop all queued work and history (after the store was reset) and reseed the faults."""
        self._cancel_timers()
        self._held.clear()
        for queue in self._lanes.values():
            while not queue.empty():
                queue.get_nowait()
        self._inflight.clear()
        self._forward_rows.clear()
        self.history.clear()
        self._plan = FaultPlan(self._plan.faults)

    def busy(self, event_id: str, target: str) -> bool:
        """Whether the worker still owns this delivery (queued, held, waiting for a retry)."""
        return (event_id, target) in self._inflight

    async def resend(self, event_id: str, target: str) -> dict[str, Any]:
        """A manual resend, like the dashboard's: a fresh pending row, delivered the usual way."""
        row = await asyncio.to_thread(self._sandbox.bus.add_delivery, event_id, target)
        self._admit(event_id, [target], False)
        return row

    def attempts_of(self, event_id: str, target: str) -> list[dict[str, Any]]:
        return list(self.history.get((event_id, target), ()))

    async def first_answers(self, event_id: str, timeout: float) -> bool:
        """Wait (without blocking the loop) until every target of ``event_id`` has had a first
        answer — a 2xx, an error status, a refused connection, a timeout, a drop — or ``timeout``
        seconds pass. True when all answered in time (or there is nothing to wait for).

        This is the hosted Checkout page's redirect coupling: Stripe holds the buyer until the
        shop has answered ``checkout.session.completed``, at most 10 seconds."""
        loop = self._loop
        if loop is None or asyncio.get_running_loop() is not loop:
            return True
        deadline = loop.time() + timeout
        while True:
            signal = self._answered
            assert signal is not None
            if await asyncio.to_thread(self._first_answered, event_id):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except TimeoutError:
                return False

    def _first_answered(self, event_id: str) -> bool:
        rows = {row["endpoint_id"]: row for row in self._sandbox.bus.list_deliveries(event_id=event_id)}
        if self.settings.forward_to and FORWARD_TARGET not in rows and self._sandbox.get(event_id) is not None:
            return False  # the forwarding row is being created
        return all(row["attempts"] > 0 or row["status"] != "pending" for row in rows.values())

    def _announce_answer(self) -> None:
        """Wake ``first_answers`` waiters: a delivery row just recorded an attempt."""
        signal, self._answered = self._answered, asyncio.Event()
        if signal is not None:
            signal.set()

    # --- intake --------------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any], deliveries: list[dict[str, Any]]) -> None:
        """Bus listener: runs in the committing thread, so it only schedules work on the loop."""
        loop = self._loop
        targets = [row["endpoint_id"] for row in deliveries if row["status"] == "pending"]
        if loop is None or not (targets or self.settings.forward_to):
            return
        try:
            loop.call_soon_threadsafe(self._admit, event["id"], targets, True)
        except RuntimeError:
            log.debug("event loop closed; %s stays pending for the next start", event["id"])

    def _admit(self, event_id: str, targets: list[str], new: bool) -> None:
        if new and self.settings.forward_to:
            targets = [*targets, FORWARD_TARGET]
            self._forward_rows[event_id] = self._loop.run_in_executor(  # type: ignore[union-attr]
                None, self._sandbox.bus.add_delivery, event_id, FORWARD_TARGET
            )
        targets = [t for t in targets if (event_id, t) not in self._inflight]
        if not targets:
            return
        self._inflight.update((event_id, t) for t in targets)
        window = self._plan.faults.reorder_window
        if window > 1:
            self._held.append((event_id, targets))
            if len(self._held) >= window:
                self._release_held()
            elif self._hold_timer is None:
                self._hold_timer = self._loop.call_later(  # type: ignore[union-attr]
                    self._plan.faults.reorder_hold, self._release_held
                )
            return
        self._dispatch(event_id, targets)

    def _release_held(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        held, self._held = self._held, []
        self._plan.shuffle(held)
        for event_id, targets in held:
            self._dispatch(event_id, targets)

    def _dispatch(self, event_id: str, targets: list[str]) -> None:
        for target in targets:
            decision = self._plan.decide()
            send = _Send(event_id, target)
            if decision.drop:
                self._spawn(self._drop(send))
                continue
            copies = [send, replace(send, duplicate=True)] if decision.duplicate else [send]
            for copy in copies:
                if decision.delay > 0:
                    self._later(decision.delay, copy, injected=True)
                else:
                    self._enqueue(copy)

    async def _resume(self) -> None:
        rows = await asyncio.to_thread(self._sandbox.bus.list_deliveries, None, None, "pending")
        rows.sort(key=lambda row: (row.get("created") or 0, row["event_id"]))
        now = self._sandbox.clock.now()
        fresh: dict[str, list[str]] = {}
        for row in rows:
            target = row["endpoint_id"]
            if target == FORWARD_TARGET and not self.settings.forward_to:
                continue
            if row["attempts"] == 0:
                fresh.setdefault(row["event_id"], []).append(target)
                continue
            self._inflight.add((row["event_id"], target))
            wait = self._resume_wait(row, now)
            self._later(wait, _Send(row["event_id"], target, attempt=row["attempts"] + 1))
        for event_id, targets in fresh.items():
            self._admit(event_id, targets, False)

    def _resume_wait(self, row: dict[str, Any], now: int) -> float:
        """What is left of the retry wait, never more than the configured one: rows carry whole
        sandbox seconds, and a restart with a shorter schedule should use the shorter wait."""
        schedule = self.settings.retry_schedule
        left = max(0, (row.get("next_attempt_at") or now) - now)
        if not schedule:
            return 0.0
        return min(float(left), schedule[min(row["attempts"], len(schedule)) - 1])

    # --- scheduling ----------------------------------------------------------------------

    def _enqueue(self, send: _Send) -> None:
        queue = self._lanes.get(send.target)
        if queue is None:
            queue = self._lanes[send.target] = asyncio.Queue()
            self._lane_tasks.append(asyncio.ensure_future(self._run_lane(queue)))
        queue.put_nowait(send)

    def _later(self, delay: float, send: _Send, injected: bool = False) -> None:
        key = next(self._timer_ids)

        def fire() -> None:
            self._timers.pop(key, None)
            self._enqueue(send)

        handle = self._loop.call_later(delay, fire)  # type: ignore[union-attr]
        self._timers[key] = (handle, send, injected)

    def _cancel_timers(self) -> None:
        for handle, _, _ in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_lane(self, queue: asyncio.Queue[_Send]) -> None:
        while True:
            send = await queue.get()
            try:
                await self._attempt(send)
            except Exception:
                log.exception("webhook delivery of %s to %s failed unexpectedly", send.event_id, send.target)
                self._inflight.discard((send.event_id, send.target))

    # --- one attempt ---------------------------------------------------------------------

    async def _attempt(self, send: _Send) -> None:
        await self._forward_row(send)
        prepared = await asyncio.to_thread(self._prepare, send)
        if prepared is None:
            self._inflight.discard((send.event_id, send.target))
            return
        if prepared.stop is not None:
            if not send.duplicate:
                await self._record(send, False, None, prepared.stop, final=True)
            return
        status, error, timestamp, elapsed = await self._post(prepared)
        succeeded = status is not None and 200 <= status < 300
        if error is None and not succeeded:
            error = f"HTTP {status}"
        self._log(
            send,
            {
                "attempt": send.attempt,
                "duplicate": send.duplicate,
                "signed_at": timestamp,
                "http_status": status,
                "error": error,
                "succeeded": succeeded,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        if send.duplicate:
            return
        schedule = self.settings.retry_schedule
        if succeeded or send.attempt > len(schedule):
            await self._record(send, succeeded, status, error, final=not succeeded)
            return
        wait = schedule[send.attempt - 1]
        next_at = self._sandbox.clock.now() + math.ceil(wait)
        if await self._record(send, False, status, error, next_attempt_at=next_at):
            self._later(wait, replace(send, attempt=send.attempt + 1))

    def _prepare(self, send: _Send) -> _Prepared | None:
        """Read the event, URL and secrets (in a thread: the engine lock may be busy)."""
        event = self._sandbox.get(send.event_id)
        if event is None:
            return None
        body = webhook_body(event)
        if send.target == FORWARD_TARGET:
            return _Prepared(self.settings.forward_to, body, [self.secrets.forward_secret()])
        endpoint = self._sandbox.get(send.target)
        if endpoint is None:
            return _Prepared(None, body, [], stop="webhook endpoint was deleted")
        if endpoint.get("status") != "enabled":
            return _Prepared(None, body, [], stop="webhook endpoint is disabled")
        return _Prepared(endpoint["url"], body, self.secrets.endpoint_secrets(send.target))

    async def _post(self, prepared: _Prepared) -> tuple[int | None, str | None, int, float]:
        assert self._semaphore is not None and self._client is not None
        async with self._semaphore:
            timestamp = int(self.wall())
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "Stripe-Signature": signature_header(prepared.body, prepared.secrets, timestamp),
            }
            started = time.monotonic()
            try:
                response = await self._client.post(
                    prepared.url or "", content=prepared.body.encode("utf-8"), headers=headers
                )
                return response.status_code, None, timestamp, time.monotonic() - started
            except httpx.TimeoutException:
                error = f"timed out after {self.settings.timeout:g}s"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            return None, error, timestamp, time.monotonic() - started

    async def _drop(self, send: _Send) -> None:
        """An injected drop: never sent, never retried, visible as a failed delivery."""
        await self._forward_row(send)
        self._log(
            send,
            {
                "attempt": 0,
                "duplicate": False,
                "signed_at": None,
                "http_status": None,
                "error": "dropped by fault injection",
                "succeeded": False,
                "duration_ms": 0.0,
            },
        )
        await self._record(send, False, None, "dropped by fault injection", final=True)

    def _log(self, send: _Send, attempt: dict[str, Any]) -> None:
        key = (send.event_id, send.target)
        log_of = self.history.get(key)
        if log_of is None:
            log_of = self.history[key] = []
            while len(self.history) > HISTORY_LIMIT:
                self.history.popitem(last=False)
        log_of.append(attempt)

    async def _forward_row(self, send: _Send) -> None:
        pending = self._forward_rows.pop(send.event_id, None) if send.target == FORWARD_TARGET else None
        if pending is not None:
            try:
                await pending
            except KeyError:
                log.debug("event %s vanished before its forwarding row was made", send.event_id)

    async def _record(
        self,
        send: _Send,
        succeeded: bool,
        status: int | None,
        error: str | None,
        next_attempt_at: int | None = None,
        final: bool = False,
    ) -> bool:
        """Write the outcome on the delivery row; False when the row is gone (a reset)."""
        if succeeded or final:
            self._inflight.discard((send.event_id, send.target))
        try:
            await asyncio.to_thread(
                self._sandbox.bus.record_attempt,
                send.event_id,
                send.target,
                succeeded,
                status,
                error,
                next_attempt_at,
                final,
            )
        except KeyError:
            self._inflight.discard((send.event_id, send.target))
            return False
        finally:
            self._announce_answer()
        return True

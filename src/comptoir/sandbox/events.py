"""The one place events are born, and the seam for webhook delivery.

``EventBus.emit`` snapshots the object, stores the Event, and creates one delivery row per
enabled webhook endpoint that listens to the type. Listeners (the delivery worker) are told
about new events only after the transaction that produced them has been committed, so they
never send an event whose state could still be rolled back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .clock import SandboxClock
from .ids import new_id
from .store import Store

log = logging.getLogger(__name__)

_dumps = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True)
class RequestContext:
    """The API request being served; stamped on events as ``request{id, idempotency_key}``."""

    id: str
    idempotency_key: str | None = None


current_request: ContextVar[RequestContext | None] = ContextVar("sandbox_request", default=None)

Listener = Callable[[dict[str, Any], list[dict[str, Any]]], None]


def endpoint_wants(endpoint: dict[str, Any], event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    enabled = endpoint.get("enabled_events") or []
    return "*" in enabled or event_type in enabled


class EventBus:
    def __init__(
        self,
        store: Store,
        clock: SandboxClock,
        api_version: str,
        transaction: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._api_version = api_version
        self._transaction = transaction
        self._listeners: list[Listener] = []
        self._unannounced: list[str] = []

    # --- emission ----------------------------------------------------------------------

    def emit(
        self, event_type: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record that ``obj`` changed; call inside an engine transaction."""
        request = current_request.get()
        data: dict[str, Any] = {"object": json.loads(_dumps(obj))}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        now = self._clock.now()
        event: dict[str, Any] = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self._api_version,
            "created": now,
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {
                "id": request.id if request else None,
                "idempotency_key": request.idempotency_key if request else None,
            },
            "type": event_type,
        }
        endpoint_ids = []
        for endpoint in self._store.newest_first("webhook_endpoint"):
            if endpoint_wants(endpoint, event_type):
                endpoint_ids.append(endpoint["id"])
                self._store.put_delivery(_pending_delivery(event["id"], endpoint["id"], now))
        event["pending_webhooks"] = len(endpoint_ids)
        self._store.add("event", event, {"endpoints": endpoint_ids})
        self._unannounced.append(event["id"])
        return event

    # --- listeners (delivery) ------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """``listener(event, deliveries)`` runs after commit, outside the lock; keep it quick."""
        self._listeners.append(listener)

    def take_unannounced(self) -> list[str]:
        ids, self._unannounced = self._unannounced, []
        return ids

    def announce(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            event = self._store.get(event_id)
            if event is None:
                continue
            deliveries = self.list_deliveries(event_id=event_id)
            for listener in self._listeners:
                try:
                    listener(event, deliveries)
                except Exception:
                    log.exception("event listener failed for %s", event_id)

    # --- delivery bookkeeping --------------------------------------------------------------

    def list_deliveries(
        self, event_id: str | None = None, endpoint_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of delivery rows; safe to call from any thread (takes the engine lock)."""
        with self._transaction():
            return self._deliveries(event_id, endpoint_id, status)

    def _deliveries(self, event_id: str | None, endpoint_id: str | None, status: str | None) -> list[dict[str, Any]]:
        if event_id is not None:
            private = self._store.private.get(event_id) or {}
            rows = [
                self._store.deliveries[(event_id, w)]
                for w in private.get("endpoints", [])
                if (event_id, w) in self._store.deliveries
            ]
        else:
            rows = list(self._store.deliveries.values())
        return [
            dict(r)
            for r in rows
            if (endpoint_id is None or r["endpoint_id"] == endpoint_id) and (status is None or r["status"] == status)
        ]

    def record_attempt(
        self,
        event_id: str,
        endpoint_id: str,
        succeeded: bool,
        http_status: int | None = None,
        error: str | None = None,
        next_attempt_at: int | None = None,
        final: bool = False,
    ) -> dict[str, Any]:
        """Record one delivery attempt; ``final=True`` marks a failure as given up."""
        with self._transaction():
            row = dict(self._store.deliveries[(event_id, endpoint_id)])
            row["attempts"] += 1
            row["last_attempt_at"] = self._clock.now()
            row["last_http_status"] = http_status
            row["last_error"] = error
            row["next_attempt_at"] = None if succeeded or final else next_attempt_at
            row["status"] = "succeeded" if succeeded else ("failed" if final else "pending")
            self._store.put_delivery(row)
            self._refresh_pending(event_id)
            return dict(row)

    def add_delivery(self, event_id: str, endpoint_id: str) -> dict[str, Any]:
        """Create a fresh pending row (e.g. a manual resend to an endpoint)."""
        with self._transaction():
            row = _pending_delivery(event_id, endpoint_id, self._clock.now())
            self._store.put_delivery(row)
            private = self._store.private[event_id]
            if endpoint_id not in private.setdefault("endpoints", []):
                private["endpoints"].append(endpoint_id)
            self._refresh_pending(event_id)
            return dict(row)

    def _refresh_pending(self, event_id: str) -> None:
        event = self._store.get(event_id)
        pending = sum(1 for row in self._deliveries(event_id, None, None) if row["status"] != "succeeded")
        if event is not None and event["pending_webhooks"] != pending:
            event["pending_webhooks"] = pending
        self._store.save(event_id)

    def delivery_succeeded(self, event_id: str) -> bool:
        """``delivery_success`` as Stripe filters it: every endpoint got the event."""
        return all(row["status"] == "succeeded" for row in self._deliveries(event_id, None, None))


def _pending_delivery(event_id: str, endpoint_id: str, now: int) -> dict[str, Any]:
    """A delivery row not attempted yet, due now."""
    return {
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "status": "pending",
        "attempts": 0,
        "created": now,
        "last_attempt_at": None,
        "next_attempt_at": now,
        "last_http_status": None,
        "last_error": None,
    }

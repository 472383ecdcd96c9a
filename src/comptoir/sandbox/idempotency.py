"""Stripe's idempotency layer (facts §8).

The first response for a key (status and body, errors and 5xx included) is saved and replayed
for every later request with the same key, endpoint and parameters. A different endpoint or
different parameters is a 400 ``idempotency_error``. Validation failures are not saved, and
a duplicate that arrives while the first is still executing gets a 409 the SDK retries.
Keys older than 24 hours (sandbox clock) are pruned and then behave as new.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from .clock import SandboxClock
from .errors import StripeError, idempotency_error
from .store import Store

KEY_TTL_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class SavedResponse:
    status: int
    body: bytes
    original_request_id: str


def canonical_params(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


class IdempotencyLayer:
    def __init__(self, store: Store, clock: SandboxClock) -> None:
        self._store = store
        self._clock = clock
        self._in_flight: set[str] = set()
        self._guard = threading.Lock()
        self._last_prune = 0

    def check(self, key: str, method: str, path: str, params: str) -> SavedResponse | None:
        """Return the saved response to replay, ``None`` to execute, or raise a 400/409."""
        if len(key) > MAX_KEY_LENGTH:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Invalid idempotency key: must be at most {MAX_KEY_LENGTH} characters.",
                stored=False,
            )
        record = self._store.idempotency.get(key)
        if record is not None and record["created"] <= self._clock.now() - KEY_TTL_SECONDS:
            self._store.drop_idempotency(key)
            record = None
        if record is not None:
            if record["endpoint"] != f"{method} {path}":
                raise idempotency_error(
                    "Keys for idempotent requests can only be used for the same endpoint they were first "
                    f"used for ('{record['endpoint']}'). Try using a key other than '{key}' if you meant "
                    "to execute a different request."
                )
            if record["params"] != params:
                raise idempotency_error(
                    "Keys for idempotent requests can only be used with the same parameters they were "
                    f"first used with. Try using a key other than '{key}' if you meant to execute a "
                    "different request."
                )
            return SavedResponse(record["status"], record["body"].encode("utf-8"), record["request_id"])
        with self._guard:
            if key in self._in_flight:
                raise idempotency_error(
                    "There is currently another in-progress request using this idempotent key (that "
                    "probably means you submitted twice, and the other request is still going through): "
                    f"'{key}'. Please try again later.",
                    status=409,
                )
            self._in_flight.add(key)
        return None

    def save(self, key: str, method: str, path: str, params: str, status: int, body: bytes, request_id: str) -> None:
        self._store.put_idempotency(
            key,
            {
                "created": self._clock.now(),
                "endpoint": f"{method} {path}",
                "params": params,
                "status": status,
                "body": body.decode("utf-8"),
                "request_id": request_id,
            },
        )

    def release(self, key: str) -> None:
        with self._guard:
            self._in_flight.discard(key)

    def prune(self, *, every: int = 60) -> int:
        """Drop keys older than 24 h; scans at most once per ``every`` sandbox seconds."""
        now = self._clock.now()
        if now - self._last_prune < every:
            return 0
        self._last_prune = now
        cutoff = now - KEY_TTL_SECONDS
        stale = [k for k, r in self._store.idempotency.items() if r["created"] <= cutoff]
        for key in stale:
            self._store.drop_idempotency(key)
        return len(stale)

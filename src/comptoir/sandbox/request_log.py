"""The sandbox's request log: the last requests to ``/v1`` with their status and idempotency key.

Like the Dashboard's request log (and ``stripe logs tail``): ``comptoir sandbox logs`` reads it
through ``GET /_sandbox/logs``, and ``--follow`` asks again with ``after=<last seq>``. It lives in
memory (the last ``capacity`` requests): it is for watching an integration, not for audits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    created: float
    method: str
    path: str
    status: int
    request_id: str | None
    idempotency_key: str | None
    replayed: bool
    fault: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, capacity: int = 1000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def record(
        self,
        method: str,
        path: str,
        status: int,
        *,
        request_id: str | None,
        idempotency_key: str | None,
        replayed: bool = False,
        fault: str | None = None,
    ) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(
                self._seq, time.time(), method, path, status, request_id, idempotency_key, replayed, fault
            )
            self._entries.append(entry)
            return entry

    def after(self, seq: int = 0, limit: int = 100) -> list[LoggedRequest]:
        """Requests logged after ``seq``, oldest first, at most the ``limit`` newest of them."""
        with self._lock:
            newer = [entry for entry in self._entries if entry.seq > seq]
        return newer[-limit:] if limit else newer

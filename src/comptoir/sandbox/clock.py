"""The sandbox clock: wall time plus an offset that tests and the control API can advance.

Everything time-dependent (``created``, ``expires_at``, idempotency pruning, delayed settlement)
reads ``clock.now()`` so advancing the clock is equivalent to waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

OFFSET_META = "clock_offset"
"""Meta key under which the engine persists the offset (so a restart keeps the time it reached)."""


class SandboxClock:
    def __init__(self, offset: int = 0, wall: Callable[[], float] = time.time) -> None:
        self._offset = int(offset)
        self._wall = wall
        self._lock = threading.Lock()

    @property
    def offset(self) -> int:
        return self._offset

    def now(self) -> int:
        return int(self._wall()) + self._offset

    def advance(self, seconds: int) -> int:
        """Move the clock forward (never backwards) and return the new ``now()``."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += int(seconds)
        return self.now()

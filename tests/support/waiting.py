"""Polling with a deadline: the one way tests wait for something asynchronous (never a bare sleep)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

DEADLINE = 20.0
"""Seconds any asynchronous outcome may take; generous so a loaded CI machine never flakes."""

T = TypeVar("T")


def wait_until(probe: Callable[[], T | None], what: str, timeout: float = DEADLINE) -> T:
    """Poll ``probe`` until it returns something truthy and return that; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        pause.wait(0.05)  # servers in tests share this process (and its GIL): poll gently

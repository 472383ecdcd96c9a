"""Threads released at the same instant, so the transactions or requests they start genuinely overlap."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from tests.support.waiting import DEADLINE

T = TypeVar("T")


def race(calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Run every call in its own thread, all released by one barrier; return each result, or the
    exception it raised, in the order of ``calls`` (the caller judges them)."""
    barrier = threading.Barrier(len(calls), timeout=DEADLINE)

    def run(call: Callable[[], T]) -> T | Exception:
        barrier.wait()
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))

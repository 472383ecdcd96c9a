"""Helpers every kind of test shares, kept once so they cannot drift apart: rows read back from the
database (`count`, `order_row`), threads released together (`race`) and polling with a deadline
(`wait_until`)."""

from tests.support.concurrency import race
from tests.support.rows import count, order_row
from tests.support.waiting import DEADLINE, wait_until

__all__ = ["DEADLINE", "count", "order_row", "race", "wait_until"]

"""Attempt counting with the `limits` library: moving windows, in memory or in a shared store.

`memory://` (the default) counts in this process: right for one instance. Several instances behind
one address must share their counts, or each would allow the full number: point them all at the
same store with a `limits` storage URI, e.g. `redis://host:6379` (needs the `redis` package).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItemPerSecond
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from comptoir.domain.errors import UpstreamUnavailable
from comptoir.services.ports import AttemptLimit


class RateLimitStorageInvalid(ValueError):
    """The storage URI names no storage `limits` can use (or its client package is missing)."""


class LimitsAttemptCounter:
    """An AttemptCounter on `limits`' moving-window strategy."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(open_storage(storage_uri))

    def seconds_until_allowed(self, limit: AttemptLimit, key: str) -> int:
        item = _item(limit)
        with _translated():
            if self._limiter.test(item, limit.name, key):
                return 0
            reset_at = self._limiter.get_window_stats(item, limit.name, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def count(self, limit: AttemptLimit, key: str) -> None:
        with _translated():
            self._limiter.hit(_item(limit), limit.name, key)

    def forget(self, limit: AttemptLimit, key: str) -> None:
        with _translated():
            self._limiter.clear(_item(limit), limit.name, key)


def open_storage(storage_uri: str) -> Storage:
    """The `limits` storage the URI names, or `RateLimitStorageInvalid`: an unknown or asynchronous
    scheme, a malformed URI (a bad port or address), a client package not installed. Nothing is
    connected yet, so settings can call it to refuse a bad URI before anything starts."""
    try:
        storage = storage_from_string(storage_uri, wrap_exceptions=True)
    except (ConfigurationError, ValueError):
        storage = None
    # the async+ schemes give storages this counter cannot use; the library's own errors are not
    # chained in: they repeat the URI, password included
    if not isinstance(storage, Storage):
        raise RateLimitStorageInvalid(
            f"rate limit storage {_shown(storage_uri)!r} is not one `limits` can use "
            "(memory://, database, or redis://host:6379 with the `redis` package installed)"
        )
    return storage


def _item(limit: AttemptLimit) -> RateLimitItemPerSecond:
    return RateLimitItemPerSecond(limit.attempts, limit.window_seconds, namespace="comptoir")


@contextmanager
def _translated() -> Iterator[None]:
    """A store that cannot be reached refuses the attempt (503) rather than letting it through uncounted."""
    try:
        yield
    except StorageError as exc:
        raise UpstreamUnavailable(
            "The store that counts login attempts is unreachable; try again shortly", code="rate_limit_unavailable"
        ) from exc


def _shown(uri: str) -> str:
    """The URI without its password, for an error message."""
    scheme, sep, rest = uri.partition("://")
    if "@" not in rest:
        return uri
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"

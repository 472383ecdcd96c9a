"""Fault injection on the API side: 500s, 429s, slow answers and responses lost after the work.

Real Stripe answers ``500 api_error`` now and then, ``429 rate_limit`` under load, ``429
lock_timeout`` when two requests touch one object (with ``Stripe-Should-Retry: true``), is slow,
and sometimes drops the connection after it has created the object: the case idempotency keys
exist for. ``ApiFaults`` is the setting (``comptoir sandbox --api-…`` flags or ``PUT
/_sandbox/api_faults``); ``ApiFaultPlan`` draws every decision from one ``random.Random(seed)`` in
request order, so a seed and a sequence of requests give the same faults on every run.

The 500 and 429 faults answer before the request is executed and are not saved under its
idempotency key (Stripe saves only results of requests whose execution began), so a retry with
the same key runs the request. A lost response is the opposite: the request ran and its result
is saved, so a retry with the same key gets the saved answer and creates nothing new.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from .faults import FaultError, parse_delay

KINDS = ("error", "rate_limit", "lock_timeout", "lost")


@dataclass(frozen=True)
class ApiFaults:
    """``error``, ``rate_limit``, ``lock_timeout``, ``lost`` and ``slow`` are probabilities per
    request; ``delay`` is the ``(min, max)`` seconds a slow request waits. ``paths`` limits the
    faults to requests matching one of its patterns (``"/v1/payment_intents*"``, or with a method:
    ``"POST /v1/refunds"``; empty: every ``/v1`` request). ``limit`` stops injecting after that
    many faults (``None``: no end), for a test that wants exactly one."""

    error: float = 0.0
    rate_limit: float = 0.0
    lock_timeout: float = 0.0
    lost: float = 0.0
    slow: float = 0.0
    delay: tuple[float, float] = (1.0, 1.0)
    paths: tuple[str, ...] = ()
    limit: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in (*KINDS, "slow"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FaultError(f"{name} must be a probability between 0 and 1, got {value}")
        if sum(getattr(self, name) for name in KINDS) > 1.0:
            raise FaultError("error + rate_limit + lock_timeout + lost cannot exceed 1")
        low, high = self.delay
        if low < 0 or high < low:
            raise FaultError(f"delay must be 0 <= min <= max seconds, got {low}..{high}")
        if self.limit is not None and self.limit < 0:
            raise FaultError("limit must be a number of faults >= 0")
        for pattern in self.paths:
            if not pattern.strip():
                raise FaultError("a path pattern cannot be empty")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiFaults:
        """Build from JSON; unknown keys are refused so a typo never silently disables a fault."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FaultError(f"unknown API fault setting(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        try:
            for name in (*KINDS, "slow"):
                if name in values:
                    values[name] = float(values[name])
            if "delay" in values:
                values["delay"] = parse_delay(values["delay"])
            if "paths" in values:
                paths = values["paths"]
                values["paths"] = (paths,) if isinstance(paths, str) else tuple(str(p) for p in paths)
            for name in ("limit", "seed"):
                if values.get(name) is not None:
                    values[name] = int(values[name])
        except (TypeError, ValueError) as exc:
            raise FaultError(str(exc)) from exc
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["delay"] = list(self.delay)
        data["paths"] = list(self.paths)
        return data

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in (*KINDS, "slow")) and self.limit != 0

    def applies_to(self, method: str, path: str) -> bool:
        if not path.startswith("/v1/"):
            return False
        if not self.paths:
            return True
        for pattern in self.paths:
            wanted_method, _, wanted_path = pattern.strip().rpartition(" ")
            if wanted_method and wanted_method.upper() != method:
                continue
            if fnmatch.fnmatchcase(path, wanted_path):
                return True
        return False


@dataclass(frozen=True)
class ApiFaultDecision:
    """What happens to one request: ``kind`` is one of ``KINDS`` or ``None``; ``delay`` seconds first."""

    kind: str | None = None
    delay: float = 0.0


class ApiFaultPlan:
    """The seeded draws. Thread-safe: requests are decided on the event loop, settings are
    replaced from the control API."""

    def __init__(self, faults: ApiFaults | None = None) -> None:
        self._lock = threading.Lock()
        self.replace(faults or ApiFaults())

    def replace(self, faults: ApiFaults) -> None:
        """New settings, a fresh random stream from their seed, and a fresh count for ``limit``."""
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self.injected = 0
            self.by_kind: Counter[str] = Counter()

    def decide(self, method: str, path: str) -> ApiFaultDecision:
        """Draw only when faults are on and the request matches, so requests outside the paths
        do not move the random stream."""
        with self._lock:
            faults = self.faults
            if not faults.active or not faults.applies_to(method, path):
                return ApiFaultDecision()
            if faults.limit is not None and self.injected >= faults.limit:
                return ApiFaultDecision()
            delay = 0.0
            if faults.slow and self._rng.random() < faults.slow:
                low, high = faults.delay
                delay = low if low == high else self._rng.uniform(low, high)
            kind = None
            draw = self._rng.random()
            for name in KINDS:
                chance = getattr(faults, name)
                if draw < chance:
                    kind = name
                    break
                draw -= chance
            if kind or delay:
                self.injected += 1
                self.by_kind.update([kind] if kind else [])
                self.by_kind.update(["slow"] if delay else [])
            return ApiFaultDecision(kind, delay)

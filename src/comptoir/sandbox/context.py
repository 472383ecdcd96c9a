"""``ObjectContext``: what the object modules (checkout, payments, refunds, payment methods) need.

They change stored objects and emit events, so they need the store, the clock, the event bus,
the configuration and the task scheduler, never the whole engine: the engine imports them, and
typing them against this Protocol keeps the arrows pointing one way. A module that must react to
another one's change (a Checkout Session following its PaymentIntent) registers a listener with
the engine instead of importing the other module back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .clock import SandboxClock
from .config import SandboxConfig
from .events import EventBus
from .store import Store

PaymentIntentListener = Callable[["ObjectContext", dict[str, Any]], None]


class ObjectContext(Protocol):
    store: Store
    clock: SandboxClock
    bus: EventBus
    config: SandboxConfig
    payment_intent_listeners: list[PaymentIntentListener]

    def schedule(self, delay: int, kind: str, payload: dict[str, Any]) -> None:
        """Run the task handler ``kind`` once the sandbox clock reaches now + ``delay``."""

"""How the sandbox delivers webhooks: retry schedule, timeouts, forwarding and faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import Faults

DEFAULT_RETRY_SCHEDULE = (1.0, 5.0, 25.0)
"""Real seconds between attempts. Stripe's test mode retries three times over a few hours;
the sandbox keeps the count and compresses the waits so a receiver bug shows up in a minute."""

DEFAULT_CHECKOUT_REDIRECT_WAIT = 10.0
"""Stripe: "Checkout waits up to 10 seconds for your server to respond to the webhook event
delivery before redirecting your customer" (docs.stripe.com/checkout/fulfillment)."""


@dataclass(frozen=True)
class DeliverySettings:
    """``retry_schedule[i]`` is the wait after failed attempt ``i + 1``; after the last one the
    delivery is given up (``status="failed"``). ``forward_to`` (like ``stripe listen
    --forward-to``) receives every event, signed with the sandbox's own forwarding secret.
    ``concurrency`` bounds requests in flight across all targets. ``checkout_redirect_wait`` is
    how long the hosted Checkout page holds the buyer back after a successful payment until the
    ``checkout.session.completed`` delivery has had a first answer (Stripe waits up to 10 s)."""

    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    timeout: float = 10.0
    concurrency: int = 16
    forward_to: str | None = None
    faults: Faults = field(default_factory=Faults)
    checkout_redirect_wait: float = DEFAULT_CHECKOUT_REDIRECT_WAIT

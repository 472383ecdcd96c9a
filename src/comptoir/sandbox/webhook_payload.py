"""The body of a webhook delivery, formatted as Stripe formats it.

Stripe sends events pretty-printed (two-space indentation, ``": "`` after keys) with the event's
keys in a fixed order. An integration that parses the body and re-serialises it before checking
the signature fails against Stripe; a compact one-line body would let that mistake pass here,
since ``json.dumps(json.loads(body), separators=(",", ":"))`` gives the compact text back.
"""

from __future__ import annotations

import json
from typing import Any

EVENT_KEY_ORDER = ("id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type")
"""The order of an event's keys in Stripe's webhook bodies."""

_pretty = json.JSONEncoder(indent=2, ensure_ascii=False).encode


def webhook_body(event: dict[str, Any]) -> str:
    """The text Stripe would POST for ``event``: its keys in Stripe's order (any others after)."""
    ordered = {key: event[key] for key in EVENT_KEY_ORDER if key in event}
    ordered.update((key, value) for key, value in event.items() if key not in ordered)
    return _pretty(ordered)

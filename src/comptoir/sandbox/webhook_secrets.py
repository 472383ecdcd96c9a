"""Which ``whsec_`` secrets sign a delivery: endpoint secrets (with rolls) and the forwarding secret.

Stripe lets a merchant roll an endpoint's secret and keep the old one valid for up to 24 hours;
meanwhile every delivery carries one ``v1`` per active secret. The engine owns each endpoint's
original secret (``sandbox.webhook_secret``); a roll is kept here, in the store's meta table, as
the new current secret plus the previous ones with their expiry on the sandbox clock (so
advancing the clock ends a roll, as waiting would).

The forwarding secret (``--forward-to``, like ``stripe listen``) is created once per data folder
and then reused, so a receiver configured with it keeps working across sandbox restarts.
"""

from __future__ import annotations

import json
from typing import Any

from .meta import meta_get, meta_set
from .signing import new_secret

FORWARD_SECRET_KEY = "webhooks.forward_secret"
ROLLS_KEY = "webhooks.rolls"
MAX_ROLL_EXPIRY = 24 * 3600


class SecretBook:
    def __init__(self, sandbox: Any) -> None:
        self._sandbox = sandbox

    def forward_secret(self) -> str:
        """The forwarding secret, created and persisted on first use (and again after a reset)."""
        secret = meta_get(self._sandbox, FORWARD_SECRET_KEY)
        if secret is None:
            secret = new_secret()
            meta_set(self._sandbox, FORWARD_SECRET_KEY, secret)
        return secret

    def endpoint_secrets(self, endpoint_id: str) -> list[str]:
        """Current secret first, then every rolled-out secret that has not expired yet."""
        roll = self._rolls().get(endpoint_id)
        if roll is None:
            return [self._sandbox.webhook_secret(endpoint_id)]
        now = self._sandbox.clock.now()
        return [roll["current"]] + [secret for secret, expires_at in roll["previous"] if expires_at > now]

    def roll(self, endpoint_id: str, expires_in: int = MAX_ROLL_EXPIRY) -> dict[str, Any]:
        """Make a new current secret; the old one keeps signing for ``expires_in`` sandbox seconds."""
        if not 0 <= expires_in <= MAX_ROLL_EXPIRY:
            raise ValueError(f"expires_in must be between 0 and {MAX_ROLL_EXPIRY} seconds")
        active = self.endpoint_secrets(endpoint_id)
        now = self._sandbox.clock.now()
        rolls = self._rolls()
        previous = [
            [secret, expires_at]
            for secret, expires_at in rolls.get(endpoint_id, {}).get("previous", [])
            if expires_at > now
        ]
        if expires_in:
            previous.insert(0, [active[0], now + expires_in])
        rolls[endpoint_id] = {"current": new_secret(), "previous": previous}
        meta_set(self._sandbox, ROLLS_KEY, json.dumps(rolls))
        return {
            "endpoint_id": endpoint_id,
            "secret": rolls[endpoint_id]["current"],
            "previous_expires_at": now + expires_in if expires_in else None,
        }

    def _rolls(self) -> dict[str, Any]:
        raw = meta_get(self._sandbox, ROLLS_KEY)
        return json.loads(raw) if raw else {}

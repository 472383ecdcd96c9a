"""Stripe's webhook signature: ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]``.

``v1`` is HMAC-SHA256 of ``f"{t}.{body}"`` keyed by the ``whsec_`` secret used as literal UTF-8
(what stripe-python's ``WebhookSignature`` does). ``t`` is the real wall-clock send time, never
the sandbox clock: receivers reject timestamps older than their tolerance (5 minutes in the
official libraries), and an advanced sandbox clock must not make deliveries look forged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from .ids import random_token

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh endpoint secret that looks like Stripe's (``whsec_`` + 32 base62 characters)."""
    return SECRET_PREFIX + random_token(32)


def compute_signature(timestamp: int, payload: str, secret: str) -> str:
    message = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(payload: str, secrets: Iterable[str], timestamp: int) -> str:
    """One ``v1`` per active secret, as Stripe sends during a secret roll."""
    parts = [f"t={timestamp}"]
    parts.extend(f"v1={compute_signature(timestamp, payload, secret)}" for secret in secrets)
    return ",".join(parts)

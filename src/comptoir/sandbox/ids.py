"""Stripe-looking object ids: a prefix and random base62 characters."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 24) -> str:
    """``new_id("pi")`` → ``pi_3Q…``; Checkout sessions use ``new_id("cs_test", 58)``."""
    return f"{prefix}_{random_token(length)}"

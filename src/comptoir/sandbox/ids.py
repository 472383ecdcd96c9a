"""Stripe-looking object ids: a prefix and random base62 characters.

Built from ``os.urandom`` in one call per id: ids are minted several times per request, and
drawing each character with ``secrets.choice`` was the largest single cost of the request path.
"""

from __future__ import annotations

import os
import string

_ALPHABET = string.ascii_letters + string.digits
# Each byte value maps to a character; 256 = 4 * 62 + 8, so eight characters are slightly more
# likely than the others, which does not matter for ids that only need to be unique.
_TRANSLATION = bytes.maketrans(bytes(range(256)), (_ALPHABET * 5)[:256].encode())


def random_token(length: int) -> str:
    return os.urandom(length).translate(_TRANSLATION).decode()


def new_id(prefix: str, length: int = 24) -> str:
    """``new_id("pi")`` → ``pi_3Q…``; Checkout sessions use ``new_id("cs_test", 58)``."""
    return f"{prefix}_{random_token(length)}"

"""The pickup code: four digits a customer gives at the counter to collect a pickup order.

It is drawn at random when the order is placed, shown to the customer (their order and e-mails),
and never on the merchant's card: the merchant types what the customer says, and comptoir checks
it. Four digits are enough to stop handing a bag to the wrong person in a queue; they are not a
secret against someone who can try at leisure, which a counter does not allow.
"""

from __future__ import annotations

import hmac
import secrets

DIGITS = 4


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def matches(expected: str, typed: str) -> bool:
    """Whether what was typed is the code: spaces are ignored, digits compared in constant time."""
    given = "".join(typed.split())
    return len(given) == len(expected) and hmac.compare_digest(given.encode(), expected.encode())

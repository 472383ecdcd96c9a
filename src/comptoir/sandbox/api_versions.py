"""The Stripe API versions the sandbox answers for, and Stripe's refusal of the others.

The sandbox serves one set of shapes: those of ``2026-10-28.endive``, the version stripe-python
16.1.0 pins (``allowed_payment_method_types``, ``ui_mode=hosted_page``, the Checkout Session
deferring its PaymentIntent, releasing an authorisation without a Refund). A request or a webhook
endpoint asking for any other version is refused rather than answered in shapes it did not ask
for: an integration pinned to an older version would otherwise pass here and read fields that
do not exist at Stripe under its version. Stripe answers a version it does not know with
``400 invalid_request_error`` "Invalid Stripe API version: …"; the sandbox uses that message for
every version it does not serve, adding why when the version is well formed.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import StripeError

SERVED_API_VERSIONS: tuple[str, ...] = ("2026-10-28.endive",)
"""Versions whose response and event shapes the sandbox serves (newest first)."""

_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:\.([a-z]+))?")


def _well_formed(version: str) -> bool:
    match = _VERSION.fullmatch(version)
    if match is None:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def refusal(version: str, param: str | None = None) -> StripeError | None:
    """Stripe's 400 for a version the sandbox does not serve, or None when it serves it."""
    if version in SERVED_API_VERSIONS:
        return None
    message = f"Invalid Stripe API version: {version}"
    if _well_formed(version):
        message += f" (the comptoir sandbox serves the shapes of {', '.join(SERVED_API_VERSIONS)} only)"
    return StripeError(400, "invalid_request_error", message, param=param, stored=False)

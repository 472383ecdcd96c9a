"""The bounds Stripe puts on an amount, in minor units.

Stripe refuses any amount above 99,999,999 minor units (eight digits: 999,999.99 in a
two-decimal currency) with ``amount_too_large``. The minimum is 50 in every currency here (Stripe's
per-currency minimums are not modelled yet; see NOTES.md).
"""

from __future__ import annotations

from .errors import StripeError

MINIMUM_AMOUNT = 50
MAXIMUM_AMOUNT = 99_999_999


def check_maximum(amount: int, currency: str, param: str = "amount") -> None:
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(
            400,
            "invalid_request_error",
            f"Amount must be no more than {MAXIMUM_AMOUNT} {currency} minor units.",
            code="amount_too_large",
            param=param,
            stored=False,
        )


def check_amount(amount: int, currency: str) -> None:
    """A PaymentIntent's amount: between the minimum and the maximum."""
    if amount < MINIMUM_AMOUNT:
        raise StripeError(
            400,
            "invalid_request_error",
            f"Amount must be at least {MINIMUM_AMOUNT} {currency} minor units.",
            code="amount_too_small",
            param="amount",
            stored=False,
        )
    check_maximum(amount, currency)

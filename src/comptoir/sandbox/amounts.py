"""The bounds Stripe puts on an amount, in minor units.

Stripe refuses any amount above 99,999,999 minor units (eight digits: 999,999.99 in a
two-decimal currency) with ``amount_too_large``, and a charge below the currency's minimum
(``currencies.minimum_charge``: 50 cents, 30 pence, 10 pesos, ¥50…) with ``amount_too_small``.
Messages show the amount as Stripe does, in the currency's own units (¥50, not ¥0.50).
"""

from __future__ import annotations

from .currencies import format_amount, minimum_charge
from .errors import StripeError

MAXIMUM_AMOUNT = 99_999_999


def check_maximum(amount: int, currency: str, param: str = "amount") -> None:
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(
            400,
            "invalid_request_error",
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)} {currency}",
            code="amount_too_large",
            param=param,
            stored=False,
        )


def check_minimum(amount: int, currency: str, message: str = "Amount must be at least", param: str = "amount") -> None:
    minimum = minimum_charge(currency)
    if amount < minimum:
        raise StripeError(
            400,
            "invalid_request_error",
            f"{message} {format_amount(minimum, currency)} {currency}",
            code="amount_too_small",
            param=param,
            stored=False,
        )


def check_amount(amount: int, currency: str) -> None:
    """A PaymentIntent's amount: between the currency's minimum and the maximum."""
    check_minimum(amount, currency)
    check_maximum(amount, currency)

"""What a customer reads when a card payment does not go through.

Stripe writes the `message` of a card error (`type: card_error`: declines, wrong CVC, expired
card) for the card holder, so it is shown as is. A few other errors end a payment attempt too,
and their `message` is written for developers: a failed 3-D Secure comes back as "The provided
PaymentMethod has failed authentication. You can provide payment_method_data or a new
PaymentMethod to attempt to fulfill this PaymentIntent again." Those codes are translated here,
in one table, for every answer and page that shows a decline.
"""

from __future__ import annotations

DECLINED = "Your card was declined. Nothing was charged; try another card."

FOR_CUSTOMERS = {
    "payment_intent_authentication_failure": (
        "Your bank could not confirm this payment (3-D Secure was failed or cancelled). "
        "Nothing was charged; try again or use another card."
    ),
    "authentication_required": (
        "Your bank asks you to confirm this payment. Try again and follow your bank's instructions."
    ),
}
"""Stripe error `code` -> the customer's words, for errors whose Stripe message is not for them."""


def customer_message(code: str | None, stripe_message: str | None) -> str:
    """The words for the card holder: ours for the codes above, else Stripe's card message."""
    if code in FOR_CUSTOMERS:
        return FOR_CUSTOMERS[code]
    return stripe_message or DECLINED

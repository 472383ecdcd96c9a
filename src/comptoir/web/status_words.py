"""What the customer pages call each order status and payment status: the values are the API's and
the merchant's words ("unpaid", "confirmed", "partially_refunded"), not a customer's.

One table for every status of both axes, so no page shows a raw value; the pages keep the value
itself in a `data-status` attribute for machines. The labels are the English source texts of the
gettext catalogs: the pages translate them as they render (`_(words.label)`).

The counter screen has its own words for the order's progress (`COUNTER_STATUS_WORDS`): what the shop
has to do, not what the customer waits for.
"""

from __future__ import annotations

from dataclasses import dataclass

from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.web.i18n import N_


@dataclass(frozen=True, slots=True)
class StatusWords:
    """A badge: its text, and its tone (`ok`, `wait`, `bad` or `plain`, a class of pages.css)."""

    label: str
    tone: str


ORDER_STATUS_WORDS: dict[OrderStatus, StatusWords] = {
    OrderStatus.PENDING: StatusWords(N_("Order received"), "plain"),
    OrderStatus.CONFIRMED: StatusWords(N_("Accepted by the shop"), "plain"),
    OrderStatus.READY: StatusWords(N_("Ready for you"), "ok"),
    OrderStatus.COMPLETED: StatusWords(N_("Completed"), "plain"),
    OrderStatus.CANCELLED: StatusWords(N_("Cancelled"), "plain"),
}

PAYMENT_STATUS_WORDS: dict[PaymentStatus, StatusWords] = {
    PaymentStatus.UNPAID: StatusWords(N_("Not paid"), "wait"),
    PaymentStatus.PROCESSING: StatusWords(N_("Payment being confirmed"), "wait"),
    PaymentStatus.PAID: StatusWords(N_("Paid"), "ok"),
    PaymentStatus.FAILED: StatusWords(N_("Payment failed"), "bad"),
    PaymentStatus.PARTIALLY_REFUNDED: StatusWords(N_("Partly refunded"), "wait"),
    PaymentStatus.REFUNDED: StatusWords(N_("Refunded"), "plain"),
}

COUNTER_STATUS_WORDS: dict[OrderStatus, StatusWords] = {
    OrderStatus.PENDING: StatusWords(N_("Waiting for payment"), "wait"),
    OrderStatus.CONFIRMED: StatusWords(N_("To prepare"), "wait"),
    OrderStatus.READY: StatusWords(N_("Ready"), "ok"),
    OrderStatus.COMPLETED: StatusWords(N_("Collected"), "plain"),
    OrderStatus.CANCELLED: StatusWords(N_("Cancelled"), "plain"),
}

BOARD_PAYMENT_WORDS: dict[str, StatusWords] = {
    "paid_online": StatusWords(N_("Paid online"), "ok"),
    "authorised": StatusWords(N_("Card authorised"), "wait"),
    "to_pay_at_pickup": StatusWords(N_("To pay at pickup"), "wait"),
    "paid_at_counter": StatusWords(N_("Paid at the counter"), "ok"),
    "being_confirmed": StatusWords(N_("Payment being confirmed"), "wait"),
    "partly_refunded": StatusWords(N_("Partly refunded"), "wait"),
    "refunded": StatusWords(N_("Refunded"), "plain"),
    "not_paid": StatusWords(N_("Not paid"), "bad"),
}
"""The counter board's words for the money of an order (`services.merchant.board.PaymentWords` values)."""

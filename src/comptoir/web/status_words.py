"""What the customer pages call each order status and payment status: the values are the API's and
the merchant's words ("unpaid", "confirmed", "partially_refunded"), not a customer's.

One table for every status of both axes, so no page shows a raw value; the pages keep the value
itself in a `data-status` attribute for machines. English only for now.
"""

from __future__ import annotations

from dataclasses import dataclass

from comptoir.domain.orders import OrderStatus, PaymentStatus


@dataclass(frozen=True, slots=True)
class StatusWords:
    """A badge: its text, and its tone (`ok`, `wait`, `bad` or `plain`, a class of pages.css)."""

    label: str
    tone: str


ORDER_STATUS_WORDS: dict[OrderStatus, StatusWords] = {
    OrderStatus.PENDING: StatusWords("Order received", "plain"),
    OrderStatus.CONFIRMED: StatusWords("Accepted by the shop", "plain"),
    OrderStatus.READY: StatusWords("Ready for you", "ok"),
    OrderStatus.COMPLETED: StatusWords("Completed", "plain"),
    OrderStatus.CANCELLED: StatusWords("Cancelled", "plain"),
}

PAYMENT_STATUS_WORDS: dict[PaymentStatus, StatusWords] = {
    PaymentStatus.UNPAID: StatusWords("Not paid", "wait"),
    PaymentStatus.PROCESSING: StatusWords("Payment being confirmed", "wait"),
    PaymentStatus.PAID: StatusWords("Paid", "ok"),
    PaymentStatus.FAILED: StatusWords("Payment failed", "bad"),
    PaymentStatus.PARTIALLY_REFUNDED: StatusWords("Partly refunded", "wait"),
    PaymentStatus.REFUNDED: StatusWords("Refunded", "plain"),
}

"""The two status axes of an order and the transitions each allows.

Order status is the merchant's workflow; payment status is derived from the payment ledger.
They are separate fields because they move independently (a confirmed pay-at-pickup order is
still unpaid; a cancelled order may be refunded). Any move not listed here is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from comptoir.domain.errors import IllegalTransition


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.READY, OrderStatus.CANCELLED}),
    OrderStatus.READY: frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.UNPAID: frozenset({PaymentStatus.PROCESSING, PaymentStatus.PAID, PaymentStatus.FAILED}),
    # PROCESSING -> UNPAID: a card authorisation (manual capture) was released without capture.
    PaymentStatus.PROCESSING: frozenset({PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNPAID}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.UNPAID, PaymentStatus.PROCESSING, PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    # A refund can fail after it counted (Stripe's refund.failed): the money is back with the shop.
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.PAID}
    ),
    PaymentStatus.REFUNDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.PAID}),
}


def check_order_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in ORDER_TRANSITIONS[current]:
        raise IllegalTransition(
            f"an order that is {current.value} cannot become {target.value}",
            code="illegal_order_transition",
            current=current.value,
            requested=target.value,
        )


def check_payment_transition(current: PaymentStatus, target: PaymentStatus) -> None:
    if target not in PAYMENT_TRANSITIONS[current]:
        raise IllegalTransition(
            f"a payment that is {current.value} cannot become {target.value}",
            code="illegal_payment_transition",
            current=current.value,
            requested=target.value,
        )


def is_cancellable_by_customer(status: OrderStatus, payment: PaymentStatus) -> bool:
    """Customers may cancel only before any money moved (the merchant refuses paid orders instead)."""
    return status is OrderStatus.PENDING and payment in {PaymentStatus.UNPAID, PaymentStatus.FAILED}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change: who moved which axis from what to what, when and why."""

    axis: str  # "status" or "payment_status"
    from_value: str | None
    to_value: str
    actor: str  # e.g. "customer:12", "merchant:3", "system:webhook", "system:expiry"
    at: datetime
    reason: str = ""

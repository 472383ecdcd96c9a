"""The two status axes of an order and the transitions each allows.

Order status is the merchant's workflow; payment status is derived from the payment ledger.
They are separate fields because they move independently (a confirmed pay-at-pickup order is
still unpaid; a cancelled order may be refunded). Any move not listed here is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from comptoir.domain.catalog import PaymentMethod
from comptoir.domain.errors import Conflict, IllegalTransition, InvalidInput
from comptoir.domain.money import MAX_AMOUNT, Money, minimum_charge


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


PAID_STATUSES = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
"""Payment statuses in which the order's money was received (some of it may have gone back since)."""


class PayableOrder(Protocol):
    """What the payable check reads of an order (the stored order satisfies it as it is)."""

    @property
    def payment_method(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def payment_status(self) -> str: ...
    @property
    def hold_expires_at(self) -> datetime | None: ...


def check_payable(order: PayableOrder, now: datetime) -> None:
    """An order may be paid online only while pending, unpaid (or failed), its stock still held, and
    paid online; each refusal says why, by the first reason that applies."""
    status, payment = order.status, order.payment_status
    if order.payment_method == PaymentMethod.ON_PICKUP:
        raise Conflict("this order is paid at pickup, not online", code="order_pays_on_pickup")
    if status == OrderStatus.CANCELLED:
        raise Conflict("this order is cancelled", code="order_cancelled")
    if PaymentStatus(payment) in PAID_STATUSES:
        raise Conflict("this order is already paid", code="order_already_paid")
    if payment == PaymentStatus.PROCESSING:
        raise Conflict("a payment for this order is being processed by the bank", code="payment_processing")
    if status != OrderStatus.PENDING:
        raise Conflict(f"an order that is {status} cannot be paid online", code="order_not_payable")
    if order.hold_expires_at is not None and order.hold_expires_at <= now:
        raise Conflict("the reservation for this order has expired; place the order again", code="hold_expired")


def check_line_total(name: str, unit_price: int, line_total: int) -> None:
    """A priced product's line must be worth something: 1 g of a 1-cent-per-kg good rounds to nothing."""
    if unit_price > 0 and line_total == 0:
        raise InvalidInput(
            f"the quantity of {name} is too small: its price rounds to 0", code="line_rounds_to_zero", name=name
        )


def check_total(total: Money, *, online: bool) -> None:
    """An order's total must be chargeable: at most Stripe's largest charge, and, to be paid online,
    at least Stripe's smallest one in its currency (below it the order could be placed but never
    paid; paying at pickup has no minimum)."""
    if total.amount > MAX_AMOUNT:
        raise InvalidInput(
            f"an order's total is at most {MAX_AMOUNT} minor units",
            code="order_total_too_large",
            total=total.amount,
            maximum=MAX_AMOUNT,
        )
    minimum = minimum_charge(total.currency)
    if online and total.amount < minimum:
        raise InvalidInput(
            f"an order paid online must come to at least {Money(minimum, total.currency).format()}",
            code="amount_below_minimum",
            total=total.amount,
            minimum=minimum,
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change: who moved which axis from what to what, when and why."""

    axis: str  # "status" or "payment_status"
    from_value: str | None
    to_value: str
    actor: str  # e.g. "customer:12", "merchant:3", "system:webhook", "system:expiry"
    at: datetime
    reason: str = ""


REFUSED_BY_THE_SHOP = "refused by the shop: "
"""How the history entry of a shop's refusal starts; the merchant's own words follow (the customer's
landing page reads them back from there)."""

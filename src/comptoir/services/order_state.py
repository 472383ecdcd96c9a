"""The only way an order's status axes move: check with the domain, change, write history.

Every service that moves an order (ordering now; checkout, fulfilment, refunds and the
reconciler later) calls these helpers on an order loaded with `uow.orders.get_for_update`, so
two concurrent changes serialise and each one leaves exactly one history row.
"""

from __future__ import annotations

from datetime import datetime

from comptoir.domain.actors import Actor
from comptoir.domain.orders import (
    OrderStatus,
    PaymentStatus,
    check_order_transition,
    check_payment_transition,
)
from comptoir.records.shop import Order
from comptoir.services.ports import HistoryChange, UnitOfWork

STATUS_AXIS = "status"
PAYMENT_AXIS = "payment_status"
COUNTER_AXIS = "counter"
"""What the shop's counter did with the order that moves neither axis (someone saw it arrive)."""
SEEN = "seen"


def record_creation(uow: UnitOfWork, order: Order, actor: Actor, at: datetime, reason: str = "order placed") -> None:
    """History for a new order: both axes move from nothing to their initial values."""
    _record(uow, order, STATUS_AXIS, None, order.status, actor, at, reason)
    _record(uow, order, PAYMENT_AXIS, None, order.payment_status, actor, at, reason)


def change_status(
    uow: UnitOfWork, order: Order, target: OrderStatus, *, actor: Actor, at: datetime, reason: str = ""
) -> None:
    current = OrderStatus(order.status)
    check_order_transition(current, target)
    order.status = target.value
    order.updated_at = at
    _record(uow, order, STATUS_AXIS, current.value, target.value, actor, at, reason)


def change_payment_status(
    uow: UnitOfWork, order: Order, target: PaymentStatus, *, actor: Actor, at: datetime, reason: str = ""
) -> None:
    current = PaymentStatus(order.payment_status)
    check_payment_transition(current, target)
    order.payment_status = target.value
    order.updated_at = at
    _record(uow, order, PAYMENT_AXIS, current.value, target.value, actor, at, reason)


def mark_seen(uow: UnitOfWork, order: Order, *, actor: Actor, at: datetime) -> None:
    """Someone at the counter saw the new order (a history row only: neither axis moves)."""
    _record(uow, order, COUNTER_AXIS, None, SEEN, actor, at, "seen at the counter")


def release_stock(uow: UnitOfWork, order: Order, at: datetime) -> bool:
    """Put the order's held stock back, at most once in the order's life.

    The conditional update on `stock_released_at` is the guard: only the transaction that
    flips it from NULL returns the quantities, however many cancel paths race.
    """
    if not uow.orders.mark_stock_released(order.id, at):
        return False
    for line in sorted(order.lines, key=lambda item: item.product_id):
        uow.products.return_stock(line.product_id, line.quantity_milli)
    return True


def cancel(uow: UnitOfWork, order: Order, *, actor: Actor, at: datetime, reason: str) -> None:
    """Cancel and release the hold, in the caller's transaction."""
    change_status(uow, order, OrderStatus.CANCELLED, actor=actor, at=at, reason=reason)
    release_stock(uow, order, at)


def _record(
    uow: UnitOfWork,
    order: Order,
    axis: str,
    from_value: str | None,
    to_value: str,
    actor: Actor,
    at: datetime,
    reason: str,
) -> None:
    uow.orders.add_history(order, HistoryChange(axis, from_value, to_value, actor.label, at, reason))

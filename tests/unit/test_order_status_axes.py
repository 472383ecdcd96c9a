"""The two status axes: every legal move allowed, every other one refused by the domain."""

from __future__ import annotations

import itertools

import pytest

from comptoir.domain.errors import IllegalTransition
from comptoir.domain.orders import (
    OrderStatus,
    PaymentStatus,
    check_order_transition,
    check_payment_transition,
    is_cancellable_by_customer,
)

OS, P = OrderStatus, PaymentStatus

LEGAL_ORDER_MOVES = {
    (OS.PENDING, OS.CONFIRMED),
    (OS.PENDING, OS.CANCELLED),
    (OS.CONFIRMED, OS.READY),
    (OS.CONFIRMED, OS.CANCELLED),
    (OS.READY, OS.COMPLETED),
    (OS.READY, OS.CANCELLED),
}
LEGAL_PAYMENT_MOVES = {
    (P.UNPAID, P.PROCESSING),
    (P.UNPAID, P.PAID),
    (P.UNPAID, P.FAILED),
    (P.PROCESSING, P.PAID),
    (P.PROCESSING, P.FAILED),
    # a card authorisation (manual capture) released without capture
    (P.PROCESSING, P.UNPAID),
    (P.FAILED, P.UNPAID),
    (P.FAILED, P.PROCESSING),
    (P.FAILED, P.PAID),
    (P.PAID, P.PARTIALLY_REFUNDED),
    (P.PAID, P.REFUNDED),
    (P.PARTIALLY_REFUNDED, P.PARTIALLY_REFUNDED),
    (P.PARTIALLY_REFUNDED, P.REFUNDED),
    # a refund that counted can still fail, giving the money back to the shop
    (P.PARTIALLY_REFUNDED, P.PAID),
    (P.REFUNDED, P.PARTIALLY_REFUNDED),
    (P.REFUNDED, P.PAID),
}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL_ORDER_MOVES))
def test_legal_order_moves_are_allowed(current: OrderStatus, target: OrderStatus) -> None:
    check_order_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"), sorted(set(itertools.product(OrderStatus, repeat=2)) - LEGAL_ORDER_MOVES)
)
def test_every_other_order_move_is_refused(current: OrderStatus, target: OrderStatus) -> None:
    # when the move is not in the workflow, then the domain refuses it and says what was asked
    with pytest.raises(IllegalTransition) as refused:
        check_order_transition(current, target)
    assert refused.value.code == "illegal_order_transition"
    assert refused.value.extra == {"current": current.value, "requested": target.value}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL_PAYMENT_MOVES))
def test_legal_payment_moves_are_allowed(current: PaymentStatus, target: PaymentStatus) -> None:
    check_payment_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"), sorted(set(itertools.product(PaymentStatus, repeat=2)) - LEGAL_PAYMENT_MOVES)
)
def test_every_other_payment_move_is_refused(current: PaymentStatus, target: PaymentStatus) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_payment_transition(current, target)
    assert refused.value.code == "illegal_payment_transition"


def test_terminal_states_go_nowhere() -> None:
    for terminal in (OS.COMPLETED, OS.CANCELLED):
        for target in OrderStatus:
            with pytest.raises(IllegalTransition):
                check_order_transition(terminal, target)


@pytest.mark.parametrize(
    ("status", "payment", "cancellable"),
    [
        (OS.PENDING, P.UNPAID, True),
        (OS.PENDING, P.FAILED, True),
        (OS.PENDING, P.PROCESSING, False),
        (OS.PENDING, P.PAID, False),
        (OS.CONFIRMED, P.UNPAID, False),
        (OS.CANCELLED, P.UNPAID, False),
        (OS.READY, P.PAID, False),
    ],
)
def test_customers_cancel_only_before_money_moved(
    status: OrderStatus, payment: PaymentStatus, cancellable: bool
) -> None:
    assert is_cancellable_by_customer(status, payment) is cancellable

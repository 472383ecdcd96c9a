"""The payable check, once in the domain: an order is paid online only while it can be, and each
refusal names its reason by a stable code (the first that applies)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from comptoir.domain.errors import Conflict
from comptoir.domain.orders import check_payable

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Order:
    payment_method: str = "online"
    status: str = "pending"
    payment_status: str = "unpaid"
    hold_expires_at: datetime | None = NOW + timedelta(minutes=30)


@pytest.mark.parametrize(
    "order",
    [_Order(), _Order(payment_status="failed"), _Order(hold_expires_at=None)],
)
def test_a_pending_unpaid_online_order_whose_hold_runs_is_payable(order: _Order) -> None:
    # given an order that can still be paid / when checked / then nothing is raised
    check_payable(order, NOW)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"payment_method": "on_pickup"}, "order_pays_on_pickup"),
        ({"status": "cancelled", "payment_status": "paid"}, "order_cancelled"),
        ({"payment_status": "paid"}, "order_already_paid"),
        ({"payment_status": "partially_refunded"}, "order_already_paid"),
        ({"payment_status": "refunded"}, "order_already_paid"),
        ({"payment_status": "processing"}, "payment_processing"),
        ({"status": "confirmed"}, "order_not_payable"),
        ({"hold_expires_at": NOW}, "hold_expired"),
        ({"payment_method": "on_pickup", "status": "cancelled"}, "order_pays_on_pickup"),
    ],
)
def test_an_order_that_cannot_be_paid_is_refused_with_its_first_reason(changes: dict[str, object], code: str) -> None:
    # given an order changed so that it cannot be paid online
    order = replace(_Order(), **changes)
    # when checked / then it is refused with the first reason that applies
    with pytest.raises(Conflict) as refused:
        check_payable(order, NOW)
    assert refused.value.code == code

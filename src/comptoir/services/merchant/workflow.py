"""The merchant's workflow: see the shop's orders, mark them ready, hand them over, take payment at
the counter.

Only merchants of the order's shop (and admins) reach an order; anyone else gets NotFound, so
order ids cannot be probed. Every change locks the order (`uow.orders.get_for_update`), goes through
`order_state` (history rows) and `payments.ledger` (ledger, derived payment status), and queues its
messages in the same transaction. A repeated request (a double click) finds the work done and
answers the order as it is.

Refusals and refunds call the payment provider and live in `services.merchant.refunds`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from comptoir.domain import pickup_code as pickup_codes
from comptoir.domain.actors import Actor, Role
from comptoir.domain.catalog import PaymentMethod
from comptoir.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from comptoir.domain.ledger import EntryKind, balance
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.records.shop import Order
from comptoir.services import order_state
from comptoir.services.messages import notifications
from comptoir.services.payments import capture, ledger
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import UnitOfWork
from comptoir.services.views import OrderView

MAX_PAGE = 100
COUNTER_SOURCE = "merchant"


class CounterMethod(StrEnum):
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"


def counter_payment_id(order_id: str) -> str:
    """The ledger's external id for the payment taken at the counter: one per order, so a double
    click records it once."""
    return f"counter:{order_id}"


@dataclass(frozen=True, slots=True)
class ReviewView:
    code: str
    detail: str
    reference: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RefundView:
    number: int
    amount: int
    reason: str
    state: str  # creating (sent, answer not stored yet) | created | failed (refused by the provider)
    counted: bool  # in the ledger as money back to the customer
    reversed: bool  # it failed after it counted (refund.failed): the money stayed with the shop
    provider_id: str | None
    actor: str
    created_at: datetime
    error: str | None


@dataclass(frozen=True, slots=True)
class MerchantOrderView:
    order: OrderView
    paid: int
    refunded: int
    refundable: int
    reviews: tuple[ReviewView, ...]
    refunds: tuple[RefundView, ...]


def list_orders(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: OrderStatus | None = None,
    limit: int = 20,
    before: str | None = None,
) -> list[OrderView]:
    """The orders of the actor's shops (every shop for an admin), newest first."""
    shop_ids = shops_of(actor)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", code="invalid_limit")
    with uow:
        orders = uow.merchant.list_orders(shop_ids, status=status.value if status else None, limit=limit, before=before)
        slugs = {shop_id: _slug(uow, shop_id) for shop_id in {o.shop_id for o in orders}}
        return [OrderView.of(order, slugs[order.shop_id]) for order in orders]


def get_order(uow: UnitOfWork, actor: Actor, order_id: str) -> MerchantOrderView:
    with uow:
        return order_view(uow, merchant_order(uow, actor, order_id, lock=False))


def mark_ready(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    *,
    now: datetime,
    gateway: PaymentGateway | None = None,
    final_lines: Sequence[capture.FinalLine | Mapping[str, object]] | None = None,
) -> MerchantOrderView:
    """Confirmed → ready, and the customer is told to come. Already ready: unchanged.

    A card authorisation (weighed goods) is captured first, for the weighed `final_lines`
    (`capture.capture_weighed`; 409 `capture_exceeds_authorisation` above what was authorised)."""
    if gateway is not None:
        capture.capture_weighed(uow, gateway, actor, order_id, final_lines, now)
    with uow:
        order = merchant_order(uow, actor, order_id, lock=True)
        if order.status != OrderStatus.READY.value:
            order_state.change_status(uow, order, OrderStatus.READY, actor=actor, at=now, reason="ready for pickup")
            notifications.queue_ready_for_pickup(uow, order, at=now)
        view = order_view(uow, order)
        uow.commit()
        return view


def complete(
    uow: UnitOfWork, actor: Actor, order_id: str, *, now: datetime, pickup_code: str | None = None
) -> MerchantOrderView:
    """Ready (or confirmed) → completed: collected or delivered. Refused while nothing was paid: a
    pay-at-pickup order is completed by recording its payment (`collect_payment`). With
    `pickup_code`, the code the customer gave must be the order's (409 `pickup_code_mismatch`)."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=True)
        if order.status != OrderStatus.COMPLETED.value:
            _check_pickup_code(order, pickup_code)
            if PaymentStatus(order.payment_status) in _NOT_PAID:
                hint = " (record it with …/collect)" if order.payment_method == PaymentMethod.ON_PICKUP.value else ""
                raise Conflict(
                    f"order {order.number} is {order.payment_status}: take the payment before handing it over{hint}",
                    code="payment_not_collected",
                    payment_status=order.payment_status,
                )
            _hand_over(uow, order, actor, now, reason="handed over to the customer")
        view = order_view(uow, order)
        uow.commit()
        return view


def collect_payment(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    *,
    method: CounterMethod | str,
    amount: int,
    now: datetime,
    pickup_code: str | None = None,
) -> MerchantOrderView:
    """A pay-at-pickup order is paid at the counter and handed over: one ledger payment
    (`counter:{order_id}`, source merchant), paid, completed, and the customer's receipt.

    The amount taken must equal the order total (409 `collect_amount_mismatch` otherwise, nothing
    recorded): a different amount means the order itself is wrong, which a person must sort out
    rather than the ledger silently disagreeing with the order. Collecting again (a double click)
    answers the completed order unchanged. With `pickup_code`, checked as in `complete`.
    """
    try:
        counter = CounterMethod(method)
    except ValueError as exc:
        raise InvalidInput("method must be cash or card_terminal", code="invalid_collect_method") from exc
    with uow:
        order = merchant_order(uow, actor, order_id, lock=True)
        if order.payment_method != PaymentMethod.ON_PICKUP.value:
            raise Conflict(f"order {order.number} is paid online, not at the counter", code="not_pay_at_pickup")
        existing = uow.payments.entry(EntryKind.PAYMENT.value, counter_payment_id(order.id))
        if existing is not None:
            if existing.amount != amount:
                raise Conflict(
                    f"order {order.number} was already collected ({existing.amount})",
                    code="already_collected",
                    collected=existing.amount,
                )
            view = order_view(uow, order)
            return view
        if order.status == OrderStatus.CANCELLED.value:
            raise Conflict(f"order {order.number} is cancelled", code="order_cancelled")
        _check_pickup_code(order, pickup_code)
        if amount != order.total:
            raise Conflict(
                f"the amount taken ({amount}) differs from the order total ({order.total}); nothing was recorded",
                code="collect_amount_mismatch",
                expected=order.total,
                received=amount,
            )
        ledger.record_entry(
            uow,
            order,
            EntryKind.PAYMENT,
            amount=amount,
            external_id=counter_payment_id(order.id),
            source=COUNTER_SOURCE,
            at=now,
            reason=f"paid at pickup ({counter.value}), taken by {actor.label}",
        )
        ledger.sync_payment_status(uow, order, actor=actor, at=now, reason=f"paid at pickup ({counter.value})")
        _hand_over(uow, order, actor, now, reason=f"collected, paid at the counter ({counter.value})")
        notifications.queue_counter_receipt(uow, order, method=counter.value, at=now)
        view = order_view(uow, order)
        uow.commit()
        return view


# --- shared with merchant_refunds and merchant_events ----------------------------------------------

_NOT_PAID = frozenset({PaymentStatus.UNPAID, PaymentStatus.PROCESSING, PaymentStatus.FAILED})


def shops_of(actor: Actor) -> frozenset[int] | None:
    """The shops whose orders the actor manages (None: all of them, for an admin)."""
    if actor.role is Role.ADMIN:
        return None
    if actor.role is not Role.MERCHANT:
        raise Forbidden("only a shop's merchants see its orders", code="merchant_only")
    return actor.shop_ids


def merchant_order(uow: UnitOfWork, actor: Actor, order_id: str, *, lock: bool) -> Order:
    """The order if the actor is a merchant of its shop (or an admin); NotFound for anyone else."""
    order = uow.orders.get_for_update(order_id) if lock else uow.orders.get(order_id)
    if order is None or not actor.is_merchant_of(order.shop_id):
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order


def order_view(uow: UnitOfWork, order: Order) -> MerchantOrderView:
    entries = uow.payments.ledger(order.id)
    bal = balance(ledger.ledger_entries(uow, order.id))
    counted = {e.external_id for e in entries if e.kind == EntryKind.REFUND.value}
    reversed_ = {e.external_id for e in entries if e.kind == EntryKind.REFUND_REVERSAL.value}
    refunds = tuple(
        RefundView(
            number=r.number,
            amount=r.amount,
            reason=r.reason,
            state=r.state,
            counted=(r.provider_id or r.idempotency_key) in counted,
            reversed=(r.provider_id or r.idempotency_key) in reversed_,
            provider_id=r.provider_id,
            actor=r.actor,
            created_at=r.created_at,
            error=r.error,
        )
        for r in uow.merchant.refund_requests(order.id)
    )
    reviews = tuple(
        ReviewView(code=r.code, detail=r.detail, reference=r.reference, created_at=r.created_at)
        for r in uow.payments.open_reviews(order.id)
    )
    return MerchantOrderView(
        order=OrderView.of(order, _slug(uow, order.shop_id)),
        paid=bal.paid,
        refunded=bal.refunded,
        refundable=bal.refundable,
        reviews=reviews,
        refunds=refunds,
    )


def _check_pickup_code(order: Order, typed: str | None) -> None:
    if typed is not None and order.pickup_code is not None and not pickup_codes.matches(order.pickup_code, typed):
        raise Conflict(f"the pickup code does not match order {order.number}", code="pickup_code_mismatch")


def _hand_over(uow: UnitOfWork, order: Order, actor: Actor, now: datetime, *, reason: str) -> None:
    """To completed along the legal path (a pay-at-pickup order may be collected before it was
    marked ready; the history then shows both steps)."""
    ledger.confirm_if_pending(uow, order, actor=actor, at=now, reason=reason)
    if order.status == OrderStatus.CONFIRMED.value:
        order_state.change_status(uow, order, OrderStatus.READY, actor=actor, at=now, reason=reason)
    order_state.change_status(uow, order, OrderStatus.COMPLETED, actor=actor, at=now, reason=reason)


def _slug(uow: UnitOfWork, shop_id: int) -> str:
    shop = uow.shops.get(shop_id)
    assert shop is not None, "orders reference existing shops"
    return shop.slug

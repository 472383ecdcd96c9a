"""Ordering use cases: place an order priced by the server with a stock hold, read, cancel, expire.

Each function is one transaction. Prices always come from the database: a client-sent
`unit_price` is only compared (a difference is a 409 `price_changed`), never used. Stock is held
with one conditional UPDATE per line, in product-id order so concurrent orders cannot deadlock.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from comptoir.domain import pickup_code
from comptoir.domain.actors import SYSTEM_EXPIRY, Actor
from comptoir.domain.catalog import PaymentMethod, Unit, check_quantity
from comptoir.domain.errors import Conflict, InvalidInput, NotFound
from comptoir.domain.money import Money, line_total, milli_to_quantity, quantity_to_milli
from comptoir.domain.orders import (
    OrderStatus,
    PaymentStatus,
    check_line_total,
    check_total,
    is_cancellable_by_customer,
)
from comptoir.domain.payments import AttemptState
from comptoir.records.shop import Order, OrderLine, Product, Shop
from comptoir.services import order_state
from comptoir.services.messages import notifications
from comptoir.services.payments import paths
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import UnitOfWork
from comptoir.services.views import OrderView

DEFAULT_HOLD_MINUTES = 30
MAX_LINES = 100
MAX_PAGE = 100
ORDER_KEY_TAKEN = "order_key_taken"
"""The Conflict code of `uow.orders.add` when another transaction placed an order under the same key."""
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at the counter


@dataclass(frozen=True, slots=True)
class LineRequest:
    """One line as the client sent it. `unit_price` (minor units) is optional and only compared."""

    product_id: int
    quantity: Decimal | int | str
    unit_price: int | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    shop: str
    lines: Sequence[LineRequest]
    payment_method: PaymentMethod | str
    delivery_address: Mapping[str, Any] | None = None
    pickup: Mapping[str, Any] | None = None


@dataclass(slots=True)
class _PricedLine:
    product: Product
    quantity_milli: int
    unit_price: int
    line_total: int = field(init=False)

    def __post_init__(self) -> None:
        self.line_total = line_total(self.unit_price, self.quantity_milli)


def place_order(
    uow: UnitOfWork,
    actor: Actor,
    command: PlaceOrder,
    now: datetime,
    *,
    hold_minutes: int = DEFAULT_HOLD_MINUTES,
    idempotency_key: str | None = None,
) -> OrderView:
    """Create a pending, unpaid order with its stock held until `now + hold_minutes` (online payment;
    a pay-at-pickup order's hold has no expiry, see `_hold_expiry`, and it is confirmed at once with
    its merchants alerted, see `_confirm_pickup_order`).

    Refusals, all before anything is written: unknown shop or product (422), inactive product
    (409 `product_unavailable`), bad quantity (422), a client price that differs (409
    `price_changed`, every differing line named), a payment method or fulfilment the shop does
    not offer (422), a line whose price rounds to 0 (422 `line_rounds_to_zero`), a total above Stripe's
    largest charge (422 `order_total_too_large`) or, paid online, under its currency's minimum
    (422 `amount_below_minimum`); then, while holding, 409 `out_of_stock` naming the first product short.

    With `idempotency_key` (the customer's `Idempotency-Key`), the order is placed once per key and
    customer: a retry of the same request (a double tap, an answer lost on the way) gets the order
    the first one placed, as it is now, and holds no more stock; the same key with another request
    is refused (409 `idempotency_key_reused`). Two racing requests with one key meet at the unique
    index, and the loser answers the winner's order.
    """
    _require_aware(now)
    if idempotency_key is None:
        return _place_new(uow, actor, command, now, hold_minutes, None)
    key = IdempotentRequest(idempotency_key, _fingerprint(command))
    earlier = _placed_with(uow, actor, key)
    if earlier is not None:
        return earlier
    try:
        return _place_new(uow, actor, command, now, hold_minutes, key)
    except Conflict as taken:
        if taken.code != ORDER_KEY_TAKEN:
            raise
        earlier = _placed_with(uow, actor, key)
        if earlier is None:
            raise
        return earlier


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    fingerprint: str


def _fingerprint(command: PlaceOrder) -> str:
    """What the customer asked for, as a hash: the same request retried hashes the same."""
    lines = [(str(line.product_id), str(line.quantity), line.unit_price) for line in command.lines]
    asked = [command.shop, lines, str(command.payment_method), command.delivery_address, command.pickup]
    return hashlib.sha256(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()


def _placed_with(uow: UnitOfWork, actor: Actor, request: IdempotentRequest) -> OrderView | None:
    with uow:
        order = uow.orders.by_idempotency_key(actor.user_id, request.key)
        if order is None:
            return None
        if order.request_fingerprint != request.fingerprint:
            raise Conflict(
                "this Idempotency-Key was already used for another order: use a new key for a new order",
                code="idempotency_key_reused",
            )
        return OrderView.of(order, _shop_slugs(uow, {order.shop_id})[order.shop_id], for_customer=True)


def _place_new(
    uow: UnitOfWork,
    actor: Actor,
    command: PlaceOrder,
    now: datetime,
    hold_minutes: int,
    request: IdempotentRequest | None,
) -> OrderView:
    method = _payment_method(command.payment_method)
    with uow:
        shop = uow.shops.get_by_slug(command.shop)
        if shop is None:
            raise InvalidInput(f"no shop {command.shop!r}", code="unknown_shop", shop=command.shop)
        _check_payment_method(shop, method)
        delivery_address, pickup = _fulfilment(shop, method, command.delivery_address, command.pickup)
        priced = _price_lines(uow, shop, command.lines)
        total = sum(line.line_total for line in priced)
        check_total(Money(total, shop.currency), online=method is PaymentMethod.ONLINE)
        _hold_stock(uow, priced)
        order = Order(
            id=_new_order_id(),
            number=_new_order_number(uow, now),
            shop_id=shop.id,
            customer_id=actor.user_id,
            status=OrderStatus.PENDING.value,
            payment_status=PaymentStatus.UNPAID.value,
            payment_method=method.value,
            currency=shop.currency,
            total=total,
            delivery_address=delivery_address,
            pickup=pickup,
            pickup_code=pickup_code.new_code() if pickup is not None else None,
            hold_expires_at=_hold_expiry(method, now, hold_minutes),
            idempotency_key=request.key if request is not None else None,
            request_fingerprint=request.fingerprint if request is not None else None,
            created_at=now,
            updated_at=now,
        )
        order.lines = [
            OrderLine(
                position=position,
                product_id=line.product.id,
                name=line.product.name,
                unit=line.product.unit,
                quantity_milli=line.quantity_milli,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for position, line in enumerate(priced, start=1)
        ]
        uow.orders.add(order)
        order_state.record_creation(uow, order, actor, now)
        if method is PaymentMethod.ON_PICKUP:
            _confirm_pickup_order(uow, order, actor, now)
        view = OrderView.of(order, shop.slug, for_customer=True)
        uow.commit()
        return view


def _confirm_pickup_order(uow: UnitOfWork, order: Order, actor: Actor, now: datetime) -> None:
    """Pay at pickup: nothing to wait for online, so the order is confirmed at once (by the customer
    who placed it) and the shop's merchants are alerted in the same transaction (seed 002: "le
    boucher reçoit l'alerte commande immédiatement"). The merchant refuses it or prepares it."""
    order_state.change_status(
        uow, order, OrderStatus.CONFIRMED, actor=actor, at=now, reason="pay at pickup: confirmed without online payment"
    )
    notifications.queue_pickup_order(uow, order, at=now)


def list_my_orders(uow: UnitOfWork, actor: Actor, limit: int = 20, before: str | None = None) -> list[OrderView]:
    """The actor's own orders, newest first. Page on with `before` = the last id of the previous page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", code="invalid_limit")
    with uow:
        orders = uow.orders.list_for_customer(actor.user_id, limit=limit, before=before)
        slugs = _shop_slugs(uow, {order.shop_id for order in orders})
        return [OrderView.of(order, slugs[order.shop_id], for_customer=True) for order in orders]


def get_my_order(uow: UnitOfWork, actor: Actor, order_id: str) -> OrderView:
    """One of the actor's own orders; anyone else's is NotFound, so ids cannot be probed."""
    with uow:
        order = _own_order(uow, actor, order_id, lock=False)
        return OrderView.of(order, _shop_slugs(uow, {order.shop_id})[order.shop_id], for_customer=True)


def cancel_order(
    uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, now: datetime, reason: str = ""
) -> OrderView:
    """Cancel an own order while no money moved, releasing its stock.

    Its payment paths are closed first (`payments.paths`): open Checkout Sessions expired, its
    PaymentIntents that could still be confirmed canceled, so the hosted page or a card cannot
    take money afterwards. If one of them turns out to have been paid meanwhile, the payment won
    the race: the order stays paid and the cancel is a 409 `not_cancellable` (the shop refunds a
    paid order, by refusing it). Money that still lands after the cancel is refunded
    automatically (`services.payments.duplicates`).

    Cancelling an order that is already cancelled returns it unchanged (a retried request
    must not fail); any other state is a 409 `not_cancellable`.
    """
    _require_aware(now)
    with uow:
        order = _own_order(uow, actor, order_id, lock=True)
        to_close = [] if order.status == OrderStatus.CANCELLED.value else _cancellable_paths(uow, order)
    paths.close_payment_paths(uow, gateway, to_close, actor=actor, now=now)
    with uow:
        order = _own_order(uow, actor, order_id, lock=True)
        if order.status != OrderStatus.CANCELLED.value:
            _check_cancellable(order)
            order_state.cancel(uow, order, actor=actor, at=now, reason=reason or "cancelled by customer")
        view = OrderView.of(order, _shop_slugs(uow, {order.shop_id})[order.shop_id], for_customer=True)
        uow.commit()
        return view


def _cancellable_paths(uow: UnitOfWork, order: Order) -> list[paths.PaymentPath]:
    _check_cancellable(order)
    return paths.open_paths(uow, order)


def _check_cancellable(order: Order) -> None:
    status, payment = OrderStatus(order.status), PaymentStatus(order.payment_status)
    if not is_cancellable_by_customer(status, payment):
        raise Conflict(
            f"an order that is {status.value} and {payment.value} cannot be cancelled by the customer",
            code="not_cancellable",
            order_status=status.value,
            payment_status=payment.value,
        )


def release_expired_holds(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    now: datetime,
    *,
    limit: int = 500,
    actor: Actor = SYSTEM_EXPIRY,
) -> list[str]:
    """Cancel pending, unpaid orders whose hold expired and give their stock back.

    Each order's payment paths are closed first, as a customer's cancel does (a session or an
    intent paid meanwhile makes the order paid, and it is spared). An order with a payment on its
    way is spared too: one being processed by the bank, or an attempt whose provider object is
    being created right now (its id not stored yet). One short transaction per order to read, one
    to cancel: each candidate is re-read under lock and re-checked, so a payment that landed
    meanwhile, or a customer cancelling at the same moment, wins cleanly; and the sweep never
    holds one order's product locks while waiting for another order's lock (which could deadlock
    against a cancel). Returns the ids of the expired orders that ended cancelled.
    """
    _require_aware(now)
    with uow:
        candidates = uow.orders.expired_hold_ids(now, limit=limit)
    cancelled: list[str] = []
    for order_id in candidates:
        with uow:
            order = uow.orders.get_for_update(order_id)
            if order is None or not _hold_expired(order, now) or _payment_on_its_way(uow, order):
                continue
            to_close = paths.open_paths(uow, order)
        paths.close_payment_paths(uow, gateway, to_close, actor=actor, now=now)
        with uow:
            order = uow.orders.get_for_update(order_id)
            if order is not None and order.status == OrderStatus.CANCELLED.value:
                cancelled.append(order_id)  # by its session's expiry just applied (or by its customer meanwhile)
                continue
            if order is None or not _hold_expired(order, now) or _payment_on_its_way(uow, order):
                continue
            order_state.cancel(uow, order, actor=actor, at=now, reason="stock hold expired before payment")
            uow.commit()
        cancelled.append(order_id)
    return cancelled


def _payment_on_its_way(uow: UnitOfWork, order: Order) -> bool:
    return any(
        a.state == AttemptState.PROCESSING or (a.state == AttemptState.CREATING and a.provider_id is None)
        for a in uow.payments.attempts(order.id)
    )


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("services take timezone-aware times (UTC); got a naive datetime")


def _hold_expiry(method: PaymentMethod, now: datetime, hold_minutes: int) -> datetime | None:
    """Online orders hold stock while the customer pays; pay-at-pickup ones until the merchant acts.

    A pay-at-pickup order has nothing to wait for online, so it must not expire on the clock:
    the merchant confirms or refuses it.
    """
    if method is PaymentMethod.ON_PICKUP:
        return None
    if hold_minutes <= 0:
        raise ValueError("hold_minutes must be positive")
    return now + timedelta(minutes=hold_minutes)


def _hold_expired(order: Order, now: datetime) -> bool:
    return (
        is_cancellable_by_customer(OrderStatus(order.status), PaymentStatus(order.payment_status))
        and order.hold_expires_at is not None
        and order.hold_expires_at <= now
        and order.stock_released_at is None
    )


def _own_order(uow: UnitOfWork, actor: Actor, order_id: str, *, lock: bool) -> Order:
    order = uow.orders.get_for_update(order_id) if lock else uow.orders.get(order_id)
    if order is None or order.customer_id != actor.user_id:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order


def _shop_slugs(uow: UnitOfWork, shop_ids: set[int]) -> dict[int, str]:
    slugs: dict[int, str] = {}
    for shop_id in shop_ids:
        shop = uow.shops.get(shop_id)
        assert shop is not None, "orders reference existing shops"
        slugs[shop_id] = shop.slug
    return slugs


def _payment_method(value: PaymentMethod | str) -> PaymentMethod:
    try:
        return PaymentMethod(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in PaymentMethod)
        raise InvalidInput(f"payment_method must be one of {allowed}", code="invalid_payment_method") from exc


def _check_payment_method(shop: Shop, method: PaymentMethod) -> None:
    offered = shop.accepts_online if method is PaymentMethod.ONLINE else shop.accepts_on_pickup
    if not offered:
        raise InvalidInput(
            f"{shop.name} does not accept payment_method {method.value}",
            code="payment_method_not_offered",
            payment_method=method.value,
        )


def _fulfilment(
    shop: Shop, method: PaymentMethod, delivery_address: Mapping[str, Any] | None, pickup: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Which of delivery or pickup this order is, as (delivery_address, pickup); exactly one is set.

    A pickup-only shop needs no `pickup` details (an empty one means "when it is ready").
    Paying at pickup only makes sense for a pickup order.
    """
    if delivery_address is not None and pickup is not None:
        raise InvalidInput("send either delivery_address or pickup, not both", code="invalid_fulfilment")
    if pickup is None and delivery_address is None and shop.offers_pickup and not shop.offers_delivery:
        pickup = {}
    if pickup is not None:
        if not shop.offers_pickup:
            raise InvalidInput(f"{shop.name} does not offer pickup", code="pickup_not_offered")
        return None, dict(pickup)
    if method is PaymentMethod.ON_PICKUP:
        raise InvalidInput("payment at pickup needs a pickup order", code="invalid_fulfilment")
    if not shop.offers_delivery:
        raise InvalidInput(f"{shop.name} does not deliver", code="delivery_not_offered")
    if not delivery_address:
        raise InvalidInput("delivery_address is required for a delivered order", code="delivery_address_required")
    return dict(delivery_address), None


def _price_lines(uow: UnitOfWork, shop: Shop, lines: Sequence[LineRequest]) -> list[_PricedLine]:
    if not lines:
        raise InvalidInput("an order needs at least one line", code="empty_order")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"an order has at most {MAX_LINES} lines", code="too_many_lines")
    ids = [line.product_id for line in lines]
    if len(set(ids)) != len(ids):
        raise InvalidInput("each product appears once per order; add up its quantity", code="duplicate_product")
    products = uow.products.get_many(ids)
    priced: list[_PricedLine] = []
    price_changes: list[dict[str, int]] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None or product.shop_id != shop.id:
            raise InvalidInput(
                f"product {line.product_id} is not sold by {shop.name}",
                code="unknown_product",
                product_id=line.product_id,
            )
        if not product.active:
            raise Conflict(
                f"{product.name} is no longer sold",
                code="product_unavailable",
                product_id=product.id,
                name=product.name,
            )
        quantity_milli = quantity_to_milli(line.quantity)
        check_quantity(Unit(product.unit), quantity_milli, product_name=product.name)
        if line.unit_price is not None and line.unit_price != product.unit_price:
            price_changes.append({"product_id": product.id, "sent": line.unit_price, "current": product.unit_price})
        priced.append(_PricedLine(product, quantity_milli, product.unit_price))
        check_line_total(product.name, product.unit_price, priced[-1].line_total)
    if price_changes:
        raise Conflict(
            "prices changed since you saw them; review the current prices and order again",
            code="price_changed",
            lines=price_changes,
        )
    return priced


def _hold_stock(uow: UnitOfWork, priced: list[_PricedLine]) -> None:
    for line in sorted(priced, key=lambda item: item.product.id):
        if not uow.products.take_stock(line.product.id, line.quantity_milli):
            raise Conflict(
                f"not enough {line.product.name} left for {milli_to_quantity(line.quantity_milli)} {line.product.unit}",
                code="out_of_stock",
                product_id=line.product.id,
                name=line.product.name,
            )


def _new_order_id() -> str:
    return "ord_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def _new_order_number(uow: UnitOfWork, now: datetime) -> str:
    """Short, readable, unique: date plus 6 random characters, re-drawn on the rare clash."""
    while True:
        number = f"{now:%y%m%d}-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(6))
        if not uow.orders.number_exists(number):
            return number

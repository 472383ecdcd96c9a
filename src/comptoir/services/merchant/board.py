"""The counter board: the shop's orders by what is left to do, one card per order.

Columns:
- **new**: confirmed (paid online, authorised, or to pay at pickup) and nobody at the counter has
  said "seen" yet. The screen rings while this column is not empty.
- **to prepare**: seen, not ready yet.
- **ready**: waiting for the customer.
- **collected**: handed over today (in the shop's time zone).

Open orders (new, to prepare, ready) stay on the board whatever day they were placed: an order
placed last night for this morning's pickup is this morning's work. Orders waiting for their online
payment are not the shop's yet; refused and cancelled ones leave the board.

"Seen" is a history row (axis `counter`), so it is kept with who and when, and it reaches every
other screen of the shop through the live feed (`order.seen`), which stops them ringing too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from comptoir.domain.actors import Actor
from comptoir.domain.catalog import PaymentMethod
from comptoir.domain.errors import Conflict, InvalidInput
from comptoir.domain.money import Money
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.records.shop import Order, Shop
from comptoir.services import order_state
from comptoir.services.merchant import deadlines, refunds, workflow
from comptoir.services.merchant.workflow import MAX_PAGE, merchant_order, shops_of
from comptoir.services.messages import notifications
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import UnitOfWork
from comptoir.services.views import OrderView

MAX_OPEN = 300
"""Open orders shown per state: more than a small shop has waiting at once."""
MAX_COLLECTED = 200
"""Orders collected today shown (the newest): the day's summary counts them all."""


class Column(StrEnum):
    NEW = "new"
    TO_PREPARE = "to_prepare"
    READY = "ready"
    COLLECTED = "collected"


class PaymentWords(StrEnum):
    """What the card says about the money, in the shop's terms (the template words each)."""

    PAID_ONLINE = "paid_online"
    AUTHORISED = "authorised"  # a card holds the money until the order is weighed and captured
    TO_PAY_AT_PICKUP = "to_pay_at_pickup"
    PAID_AT_COUNTER = "paid_at_counter"
    BEING_CONFIRMED = "being_confirmed"  # a bank debit on its way
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"
    NOT_PAID = "not_paid"


@dataclass(frozen=True, slots=True)
class Card:
    order: OrderView
    column: Column
    customer_name: str
    customer_email: str
    customer_phone: str
    payment: PaymentWords
    authorised: int | None
    """What the customer's card holds, for an order to weigh before capture."""
    capture_before: datetime | None
    days_left: int | None
    """Whole days, in the shop's time zone, from today to the capture deadline's day (0: today)."""
    due_soon: bool
    """The capture deadline is less than a day away: capture now, or ask the customer to pay again."""
    has_pickup_code: bool
    seen_by: str
    placed_today: bool

    @property
    def rings(self) -> bool:
        return self.column is Column.NEW

    @property
    def total_major(self) -> Decimal:
        """The total in major units (29.00), to prefill the amount taken at the counter."""
        return Money(self.order.total, self.order.currency).to_decimal()


@dataclass(frozen=True, slots=True)
class Board:
    day: date
    zone: tzinfo
    """The shops' own time zone (of "today" and of the times shown)."""
    shop_names: tuple[str, ...]
    columns: dict[Column, tuple[Card, ...]]
    last_event_id: int
    """The live feed's position when the board was read: its stream resumes after it, so nothing
    that changes while the page loads is missed."""
    due_soon: tuple[Card, ...]

    @property
    def ringing(self) -> bool:
        return bool(self.columns[Column.NEW])


def board(uow: UnitOfWork, actor: Actor, *, now: datetime, zone: tzinfo) -> Board:
    """The board of the actor's shops (every shop for an admin)."""
    shop_ids = shops_of(actor)
    with uow:
        last_event_id = uow.merchant.last_history_id()  # first: whatever happens after is replayed
        shops = _shops(uow, shop_ids)
        zone = _zone(shops, zone)
        today = now.astimezone(zone).date()
        start = datetime.combine(today, time(), tzinfo=zone).astimezone(UTC)
        orders = [
            *_orders(uow, shop_ids, OrderStatus.CONFIRMED, MAX_OPEN),
            *_orders(uow, shop_ids, OrderStatus.READY, MAX_OPEN),
            *(o for o in _orders(uow, shop_ids, OrderStatus.COMPLETED, MAX_COLLECTED, since=start)),
        ]
        slugs = {shop.id: shop.slug for shop in shops}
        cards = _cards(uow, orders, slugs, shop_ids, now=now, zone=zone, start=start)
        columns = {column: tuple(c for c in cards if c.column is column) for column in Column}
        due = tuple(c for c in cards if c.due_soon)
        return Board(today, zone, tuple(shop.name for shop in shops), columns, last_event_id, due)


def shops_zone(uow: UnitOfWork, actor: Actor, *, fallback: tzinfo) -> tzinfo:
    """The time zone of the actor's shops when they share one, else `fallback`: what "today" is and how
    times read on every counter screen (the board, the desk, the end of the day), as on the board."""
    with uow:
        return _zone(_shops(uow, shops_of(actor)), fallback)


def card(uow: UnitOfWork, actor: Actor, order_id: str, *, now: datetime, zone: tzinfo) -> Card | None:
    """One order's card, or None when the order is not on the board (waiting for payment, cancelled,
    collected another day). NotFound for an order that is not the actor's shop's."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=False)
        return _card_of(uow, order, now=now, zone=zone)


def mark_seen(uow: UnitOfWork, actor: Actor, order_id: str, *, now: datetime, zone: tzinfo) -> Card | None:
    """Someone at the counter saw the new order: it moves to "to prepare" and the screens stop
    ringing for it. Seeing it again changes nothing."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=True)
        if _seen_by(order) is None:
            order_state.mark_seen(uow, order, actor=actor, at=now)
        found = _card_of(uow, order, now=now, zone=zone)
        uow.commit()
        return found


def send_ready_again(uow: UnitOfWork, actor: Actor, order_id: str, *, now: datetime, zone: tzinfo) -> Card | None:
    """Tell the customer again that a ready order waits for them (a second tap in the same minute
    sends one message)."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=True)
        if order.status != OrderStatus.READY.value:
            raise Conflict(f"order {order.number} is not ready", code="order_not_ready")
        notifications.queue_ready_for_pickup(uow, order, at=now, again=True)
        found = _card_of(uow, order, now=now, zone=zone)
        uow.commit()
        return found


def ready(
    uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, *, now: datetime, zone: tzinfo
) -> Card | None:
    """The order is prepared: ready, and the customer is told (`workflow.mark_ready`)."""
    workflow.mark_ready(uow, actor, order_id, now=now, gateway=gateway)
    return card(uow, actor, order_id, now=now, zone=zone)


def refuse(
    uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, *, reason: str, now: datetime, zone: tzinfo
) -> Card | None:
    """The shop cannot fulfil the order: cancelled, whatever was paid refunded (`refunds.refuse`)."""
    refunds.refuse(uow, gateway, actor, order_id, reason=reason, now=now)
    return card(uow, actor, order_id, now=now, zone=zone)


@dataclass(frozen=True, slots=True)
class Taken:
    """The money taken at the counter for a pay-at-pickup order."""

    method: workflow.CounterMethod
    amount: int


def hand_over(
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    *,
    pickup_code: str,
    taken: Taken | None,
    now: datetime,
    zone: tzinfo,
) -> Card | None:
    """The customer collects the order: their pickup code is checked (when the order has one), and a
    pay-at-pickup order's payment is recorded (`workflow.collect_payment`), else it is handed over
    (`workflow.complete`)."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=False)
        needs_code = order.pickup_code is not None and order.status != OrderStatus.COMPLETED.value
        to_pay = order.payment_method == PaymentMethod.ON_PICKUP.value
    if needs_code and not pickup_code.strip():
        raise InvalidInput("ask the customer for their pickup code", code="pickup_code_required")
    code = pickup_code if needs_code else None
    if to_pay:
        if taken is None:
            raise InvalidInput("say how much was taken, in cash or by card", code="collect_amount_required")
        workflow.collect_payment(
            uow, actor, order_id, method=taken.method, amount=taken.amount, now=now, pickup_code=code
        )
    else:
        workflow.complete(uow, actor, order_id, now=now, pickup_code=code)
    return card(uow, actor, order_id, now=now, zone=zone)


def column_of(order: Order, *, start: datetime) -> Column | None:
    """Where the order sits on a board whose day starts at `start` (None: not on the board)."""
    if order.status == OrderStatus.CONFIRMED.value:
        return Column.NEW if _seen_by(order) is None else Column.TO_PREPARE
    if order.status == OrderStatus.READY.value:
        return Column.READY
    if order.status == OrderStatus.COMPLETED.value and _completed_at(order) >= start:
        return Column.COLLECTED
    return None


def _shops(uow: UnitOfWork, shop_ids: frozenset[int] | None) -> list[Shop]:
    if shop_ids is None:
        return uow.shops.list()
    return [shop for shop_id in sorted(shop_ids) if (shop := uow.shops.get(shop_id)) is not None]


def _zone(shops: Sequence[Shop], fallback: tzinfo) -> tzinfo:
    zones = {shop.time_zone for shop in shops}
    return ZoneInfo(zones.pop()) if len(zones) == 1 else fallback


def _orders(
    uow: UnitOfWork, shop_ids: frozenset[int] | None, status: OrderStatus, most: int, since: datetime | None = None
) -> list[Order]:
    """The newest `most` orders in `status`, newest first. With `since` (the collected column), reading
    stops at orders placed a week before it: what is collected today was placed within the week a
    card authorisation lasts, or is a pay-at-pickup order of the last days."""
    found: list[Order] = []
    before: str | None = None
    while len(found) < most:
        page = uow.merchant.list_orders(shop_ids, status=status.value, limit=MAX_PAGE, before=before)
        found.extend(page)
        if len(page) < MAX_PAGE:
            break
        before = page[-1].id
        if since is not None and page[-1].created_at < since - timedelta(days=deadlines.CARD_AUTHORISATION_DAYS):
            break  # collected today but placed more than a week before: not worth reading further
    return found[:most]


def _cards(
    uow: UnitOfWork,
    orders: Iterable[Order],
    slugs: dict[int, str],
    shop_ids: frozenset[int] | None,
    *,
    now: datetime,
    zone: tzinfo,
    start: datetime,
) -> list[Card]:
    holds = {a.order_id: a for a in deadlines.open_authorisations(uow, shop_ids)}
    cards = []
    for order in orders:
        column = column_of(order, start=start)
        if column is not None:
            cards.append(_build(uow, order, column, slugs[order.shop_id], holds.get(order.id), now=now, zone=zone))
    return cards


def _card_of(uow: UnitOfWork, order: Order, *, now: datetime, zone: tzinfo) -> Card | None:
    shop = uow.shops.get(order.shop_id)
    assert shop is not None, "orders reference existing shops"
    zone = ZoneInfo(shop.time_zone) if shop.time_zone else zone
    start = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone).astimezone(UTC)
    column = column_of(order, start=start)
    if column is None:
        return None
    return _build(uow, order, column, shop.slug, deadlines.open_authorisation(uow, order), now=now, zone=zone)


def _build(
    uow: UnitOfWork,
    order: Order,
    column: Column,
    slug: str,
    hold: deadlines.OpenAuthorisation | None,
    *,
    now: datetime,
    zone: tzinfo,
) -> Card:
    customer = uow.users.get(order.customer_id)
    days_left = None
    if hold is not None:
        days_left = (hold.capture_before.astimezone(zone).date() - now.astimezone(zone).date()).days
    return Card(
        order=OrderView.of(order, slug),
        column=column,
        customer_name=customer.name if customer is not None else "",
        customer_email=customer.email if customer is not None else "",
        customer_phone=(customer.phone or "") if customer is not None else "",
        payment=_payment(order, hold),
        authorised=hold.amount if hold is not None else None,
        capture_before=hold.capture_before if hold is not None else None,
        days_left=days_left,
        due_soon=hold is not None and hold.is_due_soon(now),
        has_pickup_code=order.pickup_code is not None,
        seen_by=_seen_by(order) or "",
        placed_today=_aware(order.created_at).astimezone(zone).date() == now.astimezone(zone).date(),
    )


def _payment(order: Order, hold: deadlines.OpenAuthorisation | None) -> PaymentWords:
    status = PaymentStatus(order.payment_status)
    at_pickup = order.payment_method == PaymentMethod.ON_PICKUP.value
    if hold is not None:
        return PaymentWords.AUTHORISED
    if status is PaymentStatus.PAID:
        return PaymentWords.PAID_AT_COUNTER if at_pickup else PaymentWords.PAID_ONLINE
    if status is PaymentStatus.UNPAID:
        return PaymentWords.TO_PAY_AT_PICKUP if at_pickup else PaymentWords.NOT_PAID
    return {
        PaymentStatus.PROCESSING: PaymentWords.BEING_CONFIRMED,
        PaymentStatus.PARTIALLY_REFUNDED: PaymentWords.PARTLY_REFUNDED,
        PaymentStatus.REFUNDED: PaymentWords.REFUNDED,
    }.get(status, PaymentWords.NOT_PAID)


def _seen_by(order: Order) -> str | None:
    return next(
        (h.actor for h in order.history if h.axis == order_state.COUNTER_AXIS and h.to_value == order_state.SEEN),
        None,
    )


def _completed_at(order: Order) -> datetime:
    moves = [h.at for h in order.history if h.axis == order_state.STATUS_AXIS and h.to_value == "completed"]
    return _aware(moves[-1] if moves else order.updated_at)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)

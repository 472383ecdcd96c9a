"""The merchant's desk: the order list (filters, search, pages), an order's detail with its history in
words, and the figures the weigh and refund dialogs show before the merchant confirms.

Read-only. The money moves themselves stay where the API calls them (`workflow.mark_ready` with the
weighed lines, `refunds.refund`); the previews here check what those would check, so a dialog can
say "too much" before anything is sent. Only the merchant's own shops are reached (NotFound for any
other order, as everywhere on the merchant side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from comptoir.domain.actors import Actor
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import InvalidInput
from comptoir.domain.money import milli_to_quantity
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.records.shop import Order, User
from comptoir.services.merchant.deadlines import (
    OpenAuthorisation,
    open_authorisation,
    open_authorisations,
)
from comptoir.services.merchant.workflow import MerchantOrderView, merchant_order, order_view, shops_of
from comptoir.services.payments import capture
from comptoir.services.ports import OrderSearch, UnitOfWork
from comptoir.services.views import LineView

PAGE_SIZE = 25
"""Orders on one page of the list: a phone screen scrolls through them, a tablet shows most at once."""
MAX_PAGE_NUMBER = 400
"""Ten thousand orders back is further than anyone pages; a later one is refused rather than scanned."""
MAX_SEARCH_TEXT = 100


class Fulfilment(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """The list's filters as the merchant chose them (dates are days in the shop's time zone)."""

    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    fulfilment: Fulfilment | None = None
    text: str = ""
    page: int = 1


@dataclass(frozen=True, slots=True)
class ListedOrder:
    id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: str
    pickup: bool
    total: int
    currency: str
    created_at: datetime
    customer_name: str
    customer_email: str
    lines: tuple[LineView, ...]


@dataclass(frozen=True, slots=True)
class OrderPage:
    query: OrderQuery
    orders: tuple[ListedOrder, ...]
    matching: int
    pages: int
    due_soon: tuple[OpenAuthorisation, ...]  # card payments to weigh within a day, whatever the filters


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One change in an order's life: when, who (`kind` customer / merchant / admin / system, and
    their name), which axis moved from what to what, and why."""

    at: datetime
    who_kind: str
    who_name: str
    axis: str
    from_value: str | None
    to_value: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeskOrder:
    view: MerchantOrderView
    shop_name: str
    customer_name: str
    customer_email: str
    timeline: tuple[TimelineEntry, ...]
    authorised: int | None  # a card authorisation awaiting capture (weighed goods), what it holds
    capture_before: datetime | None
    customer_phone: str | None = None  # the `+` and digits the customer gave, for the shop to call
    weighable_at_pickup: bool = False  # to pay at the counter, with a line sold by weight: weigh, then take it


@dataclass(frozen=True, slots=True)
class WeighedLine:
    line: LineView
    quantity: Decimal
    total: int


@dataclass(frozen=True, slots=True)
class WeighPreview:
    shop_name: str
    number: str
    lines: tuple[WeighedLine, ...]
    total: int
    authorised: int | None  # None: paid at the counter, no card ceiling
    currency: str
    too_much: bool


def find_orders(uow: UnitOfWork, actor: Actor, query: OrderQuery, *, zone: tzinfo, now: datetime) -> OrderPage:
    """One page of the actor's shops' orders matching `query`, newest first, and above it the card
    payments whose capture deadline is less than a day away."""
    shop_ids = shops_of(actor)
    if not 1 <= query.page <= MAX_PAGE_NUMBER:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE_NUMBER}", code="invalid_page")
    if len(query.text) > MAX_SEARCH_TEXT:
        raise InvalidInput(f"search at most {MAX_SEARCH_TEXT} characters", code="search_too_long")
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise InvalidInput("the end date is before the start date", code="invalid_date_range")
    search = OrderSearch(
        status=query.status.value if query.status else None,
        payment_status=query.payment_status.value if query.payment_status else None,
        created_from=start_of(query.date_from, zone) if query.date_from else None,
        created_to=start_of(query.date_to + timedelta(days=1), zone) if query.date_to else None,
        pickup=None if query.fulfilment is None else query.fulfilment is Fulfilment.PICKUP,
        text=query.text.strip() or None,
    )
    with uow:
        found, matching = uow.merchant.search_orders(
            shop_ids, search, offset=(query.page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        orders = tuple(_listed(order, customer) for order, customer in found)
        due = tuple(item for item in open_authorisations(uow, shop_ids) if item.is_due_soon(now))
    return OrderPage(query, orders, matching, pages=max(1, -(-matching // PAGE_SIZE)), due_soon=due)


def order_detail(uow: UnitOfWork, actor: Actor, order_id: str) -> DeskOrder:
    """The order with its customer, its history in words and what a card authorisation holds."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=False)
        shop = uow.shops.get(order.shop_id)
        customer = uow.users.get(order.customer_id)
        hold = open_authorisation(uow, order)
        names: dict[int, str] = {}
        timeline = tuple(
            TimelineEntry(
                at=entry.at,
                who_kind=_who(entry.actor)[0],
                who_name=_name_of(uow, _who(entry.actor)[1], names),
                axis=entry.axis,
                from_value=entry.from_value,
                to_value=entry.to_value,
                reason=entry.reason,
            )
            for entry in sorted(order.history, key=lambda entry: (entry.at, entry.id))
        )
        return DeskOrder(
            view=order_view(uow, order),
            shop_name=shop.name if shop is not None else "",
            customer_name=customer.name if customer is not None else "",
            customer_email=customer.email if customer is not None else "",
            timeline=timeline,
            authorised=hold.amount if hold is not None else None,
            capture_before=hold.capture_before if hold is not None else None,
            customer_phone=customer.phone if customer is not None else None,
            weighable_at_pickup=capture.weighable_at_pickup(order) and _sold_by_weight(order),
        )


def weigh_preview(uow: UnitOfWork, actor: Actor, order_id: str, finals: Sequence[capture.FinalLine]) -> WeighPreview:
    """The weighed lines and the new total, priced as the capture will price them, against what the
    customer's card holds (`too_much`: the capture would be refused); for a pay-at-pickup order, the
    total the counter will take."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=False)
        hold = open_authorisation(uow, order)
        if hold is None and not (capture.weighable_at_pickup(order) and _sold_by_weight(order)):
            raise InvalidInput("this order has no card payment waiting to be weighed", code="nothing_to_capture")
        quantities, totals = capture.price_final_lines(order, finals)
        authorised = hold.amount if hold is not None else None
        total = sum(totals.values())
        lines = tuple(
            WeighedLine(LineView.of(line), milli_to_quantity(quantities[line.id]), totals[line.id])
            for line in order.lines
        )
        shop = uow.shops.get(order.shop_id)
        return WeighPreview(
            shop.name if shop is not None else "",
            order.number,
            lines,
            total,
            authorised,
            order.currency,
            too_much=authorised is not None and total > authorised,
        )


def _sold_by_weight(order: Order) -> bool:
    return any(line.unit == Unit.KG.value for line in order.lines)


def _listed(order: Order, customer: User) -> ListedOrder:
    return ListedOrder(
        id=order.id,
        number=order.number,
        status=OrderStatus(order.status),
        payment_status=PaymentStatus(order.payment_status),
        payment_method=order.payment_method,
        pickup=order.pickup is not None,
        total=order.total,
        currency=order.currency,
        created_at=order.created_at,
        customer_name=customer.name,
        customer_email=customer.email,
        lines=tuple(LineView.of(line) for line in order.lines),
    )


def start_of(day: date, zone: tzinfo) -> datetime:
    """Midnight of `day` in the shop's zone, in UTC: where the shop's day begins in the database."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _who(label: str) -> tuple[str, int | None]:
    """A history label ("merchant:3", "system:webhook") as a kind and, for a person, their id."""
    kind, _, rest = label.partition(":")
    if kind == "system" or not rest.isdigit():
        return "system", None
    return kind, int(rest)


def _name_of(uow: UnitOfWork, user_id: int | None, known: dict[int, str]) -> str:
    if user_id is None:
        return ""
    if user_id not in known:
        user = uow.users.get(user_id)
        known[user_id] = (user.name or user.email) if user is not None else ""
    return known[user_id]

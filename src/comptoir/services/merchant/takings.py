"""The end of the merchant's day, and the accountant's export: orders, money taken by payment method,
refunds, and card authorisations still waiting for capture.

Days are the shop's days (its time zone). Money is what the ledger recorded on that day, whichever
day the order was placed: a Friday order collected on Saturday counts in Saturday's takings. Each
currency is summed apart. Read-only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from comptoir.domain.actors import Actor
from comptoir.domain.errors import InvalidInput
from comptoir.domain.ledger import EntryKind
from comptoir.domain.orders import OrderStatus
from comptoir.records.payments import LedgerEntry
from comptoir.records.shop import Order
from comptoir.services.merchant import deadlines
from comptoir.services.merchant.desk import start_of
from comptoir.services.merchant.workflow import CounterMethod, counter_payment_id, shops_of
from comptoir.services.ports import OrderSearch, UnitOfWork

MAX_EXPORT_DAYS = 92
"""A quarter: what an accountant asks for at once; longer ranges are exported in several files."""
MAX_EXPORT_ROWS = 50_000

MAX_ORDERS_A_DAY = 1000
"""More than a small shop takes in a day; the day's summary reads at most this many."""


class Takings(StrEnum):
    """How the money came in: online by card, or at the counter in cash or on the card terminal."""

    ONLINE = "online"
    CASH = CounterMethod.CASH.value
    CARD_TERMINAL = CounterMethod.CARD_TERMINAL.value


@dataclass(frozen=True, slots=True)
class Sum:
    method: str  # a Takings value, or "refund"
    currency: str
    amount: int
    count: int


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: date
    shop_names: tuple[str, ...]
    orders: int
    by_status: tuple[tuple[OrderStatus, int], ...]
    takings: tuple[Sum, ...]
    refunds: tuple[Sum, ...]
    open_authorisations: tuple[deadlines.OpenAuthorisation, ...]


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One line for the accountant: an order placed, a payment taken or a refund given."""

    record: str  # order | payment | refund | refund_reversal
    at: datetime
    order_number: str
    customer: str
    what: str  # the order's status, or how a payment came in
    amount: int
    currency: str
    note: str


def day_summary(uow: UnitOfWork, actor: Actor, day: date, *, zone: tzinfo) -> DaySummary:
    """Orders placed on `day` (those still waiting for online payment left out), money in and out
    that day, and every authorisation still waiting for capture."""
    shop_ids = shops_of(actor)
    start, end = _bounds(day, day, zone)
    with uow:
        found, _ = uow.merchant.search_orders(
            shop_ids, OrderSearch(created_from=start, created_to=end), offset=0, limit=MAX_ORDERS_A_DAY
        )
        statuses = Counter(OrderStatus(order.status) for order, _ in found if order.status != OrderStatus.PENDING)
        money = uow.merchant.ledger_between(shop_ids, start, end, limit=MAX_EXPORT_ROWS)
        shops = [uow.shops.get(shop_id) for shop_id in sorted(shop_ids)] if shop_ids is not None else uow.shops.list()
        return DaySummary(
            day=day,
            shop_names=tuple(shop.name for shop in shops if shop is not None),
            orders=sum(statuses.values()),
            by_status=tuple((status, statuses[status]) for status in OrderStatus if statuses[status]),
            takings=_sums((_method_of(entry), entry) for entry, _ in money if entry.kind == EntryKind.PAYMENT),
            refunds=_sums(("refund", entry) for entry, _ in money if entry.kind == EntryKind.REFUND),
            open_authorisations=deadlines.open_authorisations(uow, shop_ids),
        )


def export_rows(uow: UnitOfWork, actor: Actor, first: date, last: date, *, zone: tzinfo) -> list[ExportRow]:
    """Orders placed and money moved from `first` to `last` (whole days, both included), in time order."""
    shop_ids = shops_of(actor)
    if last < first:
        raise InvalidInput("the end date is before the start date", code="invalid_date_range")
    if (last - first).days + 1 > MAX_EXPORT_DAYS:
        raise InvalidInput(f"export at most {MAX_EXPORT_DAYS} days at once", code="export_range_too_long")
    start, end = _bounds(first, last, zone)
    with uow:
        found, matching = uow.merchant.search_orders(
            shop_ids, OrderSearch(created_from=start, created_to=end), offset=0, limit=MAX_EXPORT_ROWS
        )
        money = uow.merchant.ledger_between(shop_ids, start, end, limit=MAX_EXPORT_ROWS + 1)
        if matching > MAX_EXPORT_ROWS or len(money) > MAX_EXPORT_ROWS:
            raise InvalidInput("too many rows: export a shorter range", code="export_too_large")
        customers = {user.id: user.email for _, user in found}
        rows = [
            ExportRow(
                "order", order.created_at, order.number, user.email, order.status, order.total, order.currency, ""
            )
            for order, user in found
        ]
        for entry, order in money:
            if order.customer_id not in customers:
                customer = uow.users.get(order.customer_id)
                customers[order.customer_id] = customer.email if customer is not None else ""
            rows.append(_money_row(entry, order, customers[order.customer_id]))
    return sorted(rows, key=lambda row: (row.at, row.order_number, row.record))


def _money_row(entry: LedgerEntry, order: Order, customer: str) -> ExportRow:
    what = _method_of(entry) if entry.kind == EntryKind.PAYMENT else entry.kind
    return ExportRow(
        entry.kind, entry.recorded_at, order.number, customer, what, entry.amount, entry.currency, entry.reason
    )


def _method_of(entry: LedgerEntry) -> str:
    """Money taken at the counter is recorded under the order's counter id, its method in the reason
    (`workflow.collect_payment`); anything else came through the payment provider."""
    if entry.external_id != counter_payment_id(entry.order_id):
        return Takings.ONLINE.value
    if f"({CounterMethod.CARD_TERMINAL.value})" in entry.reason:
        return Takings.CARD_TERMINAL.value
    return Takings.CASH.value


def _sums(entries: Iterable[tuple[str, LedgerEntry]]) -> tuple[Sum, ...]:
    amounts: Counter[tuple[str, str]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    for method, entry in entries:
        amounts[(method, entry.currency)] += entry.amount
        counts[(method, entry.currency)] += 1
    return tuple(
        Sum(method, currency, amounts[key], counts[key]) for key in sorted(amounts) for method, currency in [key]
    )


def _bounds(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    return start_of(first, zone), start_of(last + timedelta(days=1), zone)

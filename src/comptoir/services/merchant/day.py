"""The merchant's day: the orders of their shops placed today, in the shops' time zone, with who ordered.

Read-only, for the counter screen. Orders still waiting for the customer's online payment are left
out: they are not the shop's to prepare yet (they appear once paid). Pay-at-pickup orders are
confirmed when placed, so they are in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from comptoir.domain.actors import Actor
from comptoir.domain.orders import OrderStatus
from comptoir.services.merchant.workflow import MAX_PAGE, shops_of
from comptoir.services.ports import UnitOfWork
from comptoir.services.views import OrderView

MAX_ORDERS_A_DAY = 1000
"""More than a small shop takes in a day; the counter screen shows at most this many."""


@dataclass(frozen=True, slots=True)
class DayOrder:
    order: OrderView
    customer_name: str
    customer_email: str


@dataclass(frozen=True, slots=True)
class MerchantDay:
    day: date
    shop_names: tuple[str, ...]
    orders: tuple[DayOrder, ...]
    zone: tzinfo
    """The time zone of "today" and of the times shown: the shops' own."""


def orders_of_the_day(uow: UnitOfWork, actor: Actor, *, now: datetime, zone: tzinfo) -> MerchantDay:
    """Today's orders of the actor's shops (every shop for an admin), newest first.

    "Today" is in the shops' time zone when they share one; `zone` when they do not (an admin's
    view of shops across zones) or when the actor has none."""
    shop_ids = shops_of(actor)
    with uow:
        shops = [uow.shops.get(shop_id) for shop_id in sorted(shop_ids)] if shop_ids is not None else uow.shops.list()
        slugs = {shop.id: shop.slug for shop in shops if shop is not None}
        names = tuple(shop.name for shop in shops if shop is not None)
        zones = {shop.time_zone for shop in shops if shop is not None}
        zone = ZoneInfo(zones.pop()) if len(zones) == 1 else zone
        today = now.astimezone(zone).date()
        start = datetime.combine(today, time(), tzinfo=zone).astimezone(UTC)
        end = start + timedelta(days=1)
        found: list[DayOrder] = []
        before: str | None = None
        while len(found) < MAX_ORDERS_A_DAY:
            page = uow.merchant.list_orders(shop_ids, status=None, limit=MAX_PAGE, before=before)
            for order in page:
                if order.created_at < start:
                    return MerchantDay(today, names, tuple(found), zone)
                if order.created_at < end and order.status != OrderStatus.PENDING.value:
                    customer = uow.users.get(order.customer_id)
                    found.append(
                        DayOrder(
                            OrderView.of(order, slugs[order.shop_id]),
                            customer_name=customer.name if customer is not None else "",
                            customer_email=customer.email if customer is not None else "",
                        )
                    )
            if len(page) < MAX_PAGE:
                break
            before = page[-1].id
        return MerchantDay(today, names, tuple(found[:MAX_ORDERS_A_DAY]), zone)

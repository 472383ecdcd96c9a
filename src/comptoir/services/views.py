"""What services return: frozen values built inside the transaction, never table records.

Amounts are integer minor units of `currency`; quantities and stock are exact Decimals with three
decimals (a piece count reads 2.000, a weight 1.250 kg). Status fields are the domain's StrEnums,
so they serialise as their plain string values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from comptoir.domain.actors import Role
from comptoir.domain.catalog import PaymentMethod, Unit
from comptoir.domain.money import milli_to_quantity
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.records.shop import Order, OrderHistory, OrderLine, Product, Shop, User


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    email: str
    name: str
    role: Role
    shop_ids: frozenset[int]
    phone: str | None = None
    locale: str | None = None

    @classmethod
    def of(cls, user: User, shop_ids: frozenset[int]) -> UserView:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=Role(user.role),
            shop_ids=shop_ids,
            phone=user.phone,
            locale=user.locale,
        )


@dataclass(frozen=True, slots=True)
class ShopView:
    id: int
    slug: str
    name: str
    currency: str
    payment_methods: tuple[PaymentMethod, ...]
    offers_delivery: bool
    offers_pickup: bool

    @classmethod
    def of(cls, shop: Shop) -> ShopView:
        offers = ((PaymentMethod.ONLINE, shop.accepts_online), (PaymentMethod.ON_PICKUP, shop.accepts_on_pickup))
        methods = tuple(method for method, offered in offers if offered)
        return cls(
            id=shop.id,
            slug=shop.slug,
            name=shop.name,
            currency=shop.currency,
            payment_methods=methods,
            offers_delivery=shop.offers_delivery,
            offers_pickup=shop.offers_pickup,
        )


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    shop_id: int
    name: str
    description: str
    unit: Unit
    unit_price: int
    currency: str
    stock: Decimal
    active: bool
    image_url: str | None

    @classmethod
    def of(cls, product: Product, currency: str) -> ProductView:
        return cls(
            id=product.id,
            shop_id=product.shop_id,
            name=product.name,
            description=product.description,
            unit=Unit(product.unit),
            unit_price=product.unit_price,
            currency=currency,
            stock=milli_to_quantity(product.stock_milli),
            active=product.active,
            image_url=product.image_url,
        )


@dataclass(frozen=True, slots=True)
class LineView:
    id: int
    position: int
    product_id: int
    name: str
    unit: Unit
    quantity: Decimal
    unit_price: int
    line_total: int

    @classmethod
    def of(cls, line: OrderLine) -> LineView:
        return cls(
            id=line.id,
            position=line.position,
            product_id=line.product_id,
            name=line.name,
            unit=Unit(line.unit),
            quantity=milli_to_quantity(line.quantity_milli),
            unit_price=line.unit_price,
            line_total=line.line_total,
        )


@dataclass(frozen=True, slots=True)
class HistoryView:
    axis: str
    from_value: str | None
    to_value: str
    actor: str
    at: datetime
    reason: str

    @classmethod
    def of(cls, entry: OrderHistory) -> HistoryView:
        return cls(
            axis=entry.axis,
            from_value=entry.from_value,
            to_value=entry.to_value,
            actor=entry.actor,
            at=entry.at,
            reason=entry.reason,
        )


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    number: str
    shop_id: int
    shop_slug: str
    customer_id: int
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethod
    currency: str
    lines: tuple[LineView, ...]
    total: int
    delivery_address: Mapping[str, Any] | None
    pickup: Mapping[str, Any] | None
    hold_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    history: tuple[HistoryView, ...]
    pickup_code: str | None = None
    """Only in the views its customer is shown (`for_customer`): the code they give at the counter."""

    @classmethod
    def of(cls, order: Order, shop_slug: str, *, for_customer: bool = False) -> OrderView:
        """The order as `shop_slug`'s order; `for_customer` adds what only its customer may see."""
        return cls(
            id=order.id,
            number=order.number,
            shop_id=order.shop_id,
            shop_slug=shop_slug,
            customer_id=order.customer_id,
            status=OrderStatus(order.status),
            payment_status=PaymentStatus(order.payment_status),
            payment_method=PaymentMethod(order.payment_method),
            currency=order.currency,
            lines=tuple(LineView.of(line) for line in order.lines),
            total=order.total,
            delivery_address=dict(order.delivery_address) if order.delivery_address is not None else None,
            pickup=dict(order.pickup) if order.pickup is not None else None,
            hold_expires_at=order.hold_expires_at,
            created_at=order.created_at,
            updated_at=order.updated_at,
            history=tuple(HistoryView.of(entry) for entry in order.history),
            pickup_code=order.pickup_code if for_customer else None,
        )

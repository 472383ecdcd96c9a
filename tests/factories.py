"""Test data builders: each writes through a real unit of work and returns views or actors.

Defaults describe the common case (a EUR shop that delivers and takes online payment, a piece
product with stock); tests name only what matters to them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Actor, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.money import milli_to_quantity, quantity_to_milli
from comptoir.records.shop import Order, Product, Shop, User
from comptoir.services.orders.ordering import LineRequest, PlaceOrder
from comptoir.services.ports import UnitOfWorkFactory
from comptoir.services.views import HistoryView, ProductView, ShopView

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ADDRESS = {"rue": "123 Avenue des Champs", "ville": "Paris", "code_postal": "75008", "pays": "France"}
_sequence = itertools.count(1)


class FakeHasher:
    """A PasswordHasher that is instant and obviously not for production."""

    def hash(self, password: str) -> str:
        return f"fake${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"fake${password}"


def add_shop(
    uows: UnitOfWorkFactory,
    *,
    slug: str | None = None,
    currency: str = "EUR",
    online: bool = True,
    on_pickup: bool = False,
    delivery: bool = True,
    pickup: bool = False,
    capture_manually: bool = False,
    capture_margin_percent: int = 0,
) -> ShopView:
    slug = slug or f"shop-{next(_sequence)}"
    with uows() as uow:
        shop = uow.shops.add(
            Shop(
                slug=slug,
                name=slug.replace("-", " ").title(),
                currency=currency,
                accepts_online=online,
                accepts_on_pickup=on_pickup,
                offers_delivery=delivery,
                offers_pickup=pickup,
                capture_manually=capture_manually,
                capture_margin_percent=capture_margin_percent,
            )
        )
        view = ShopView.of(shop)
        uow.commit()
    return view


def add_product(
    uows: UnitOfWorkFactory,
    shop: ShopView,
    *,
    name: str | None = None,
    unit: Unit = Unit.PIECE,
    unit_price: int = 25000,
    stock: str | int = 10,
    active: bool = True,
) -> ProductView:
    with uows() as uow:
        product = uow.products.add(
            Product(
                shop_id=shop.id,
                name=name or f"Product {next(_sequence)}",
                description="",
                unit=unit.value,
                unit_price=unit_price,
                stock_milli=quantity_to_milli(stock),
                active=active,
            )
        )
        view = ProductView.of(product, shop.currency)
        uow.commit()
    return view


def add_user(
    uows: UnitOfWorkFactory,
    *,
    role: Role = Role.CUSTOMER,
    shops: Iterable[ShopView] = (),
    locale: str | None = None,
    phone: str | None = None,
) -> Actor:
    email = f"{role.value}{next(_sequence)}@example.com"
    with uows() as uow:
        user = uow.users.add(
            User(
                email=email,
                password_hash=FakeHasher().hash("pw"),
                name="",
                role=role.value,
                locale=locale,
                phone=phone,
            )
        )
        for shop in shops:
            uow.shops.add_merchant(shop.id, user.id)
        actor = Actor(user.id, user.email, role, uow.users.shop_ids(user.id))
        uow.commit()
    return actor


def order_of(
    shop: ShopView,
    *lines: tuple[ProductView, Any] | tuple[ProductView, Any, int | None],
    payment_method: str = "online",
    delivery_address: dict[str, str] | None = ADDRESS,
    pickup: dict[str, str] | None = None,
) -> PlaceOrder:
    """A PlaceOrder for (product, quantity[, client unit_price]) lines."""
    return PlaceOrder(
        shop=shop.slug,
        lines=[LineRequest(line[0].id, line[1], line[2] if len(line) > 2 else None) for line in lines],
        payment_method=payment_method,
        delivery_address=delivery_address,
        pickup=pickup,
    )


def stock_of(uows: UnitOfWorkFactory, product: ProductView) -> Decimal:
    with uows() as uow:
        found = uow.products.get(product.id)
        assert found is not None
        return milli_to_quantity(found.stock_milli)


def count_orders(uows: SqlUnitOfWorkFactory) -> int:
    with uows() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Order)) or 0)


def history_of(uows: UnitOfWorkFactory, order_id: str) -> list[HistoryView]:
    with uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return [HistoryView.of(entry) for entry in order.history]

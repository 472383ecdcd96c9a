"""Catalog use cases: browse shops and products; merchants manage their own shop's products.

Permissions: a merchant acts only on the shops they are bound to, an admin on any. Another
shop's product answers NotFound (its existence is none of this merchant's business); a customer
trying to manage products gets Forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from enum import Enum
from typing import Final

from comptoir.domain.actors import Actor, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Forbidden, InvalidInput, NotFound
from comptoir.domain.money import MILLI, check_amount, quantity_to_milli
from comptoir.records.shop import Product, Shop
from comptoir.services.ports import UnitOfWork
from comptoir.services.views import ProductView, ShopView

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_IMAGE_URL = 500


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


UNCHANGED: Final = _Unchanged.UNCHANGED
"""Marks a field of `ProductChanges` the caller did not send (None is a value: it clears image_url)."""


@dataclass(frozen=True, slots=True)
class NewProduct:
    name: str
    unit: Unit | str
    unit_price: int
    stock: Decimal | int | str = 0
    description: str = ""
    active: bool = True
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class ProductChanges:
    name: str | _Unchanged = UNCHANGED
    description: str | _Unchanged = UNCHANGED
    unit: Unit | str | _Unchanged = UNCHANGED
    unit_price: int | _Unchanged = UNCHANGED
    stock: Decimal | int | str | _Unchanged = UNCHANGED
    active: bool | _Unchanged = UNCHANGED
    image_url: str | _Unchanged | None = UNCHANGED


def list_shops(uow: UnitOfWork) -> list[ShopView]:
    with uow:
        return [ShopView.of(shop) for shop in uow.shops.list()]


def shop_of_product(uow: UnitOfWork, product_id: int) -> ShopView:
    """The shop that sells a product, for clients that name only products (the seeds' APIs).

    An unknown id is the same 422 `unknown_product` that placing an order with it gives.
    """
    with uow:
        product = uow.products.get(product_id)
        shop = uow.shops.get(product.shop_id) if product is not None else None
        if shop is None:
            raise InvalidInput(f"no product {product_id}", code="unknown_product", product_id=product_id)
        return ShopView.of(shop)


def list_products(
    uow: UnitOfWork, slug: str, include_inactive: bool = False, *, actor: Actor | None = None
) -> list[ProductView]:
    """Active products of a shop; inactive ones too only for that shop's merchants and admins."""
    with uow:
        shop = _shop_by_slug(uow, slug)
        if include_inactive and (actor is None or not actor.is_merchant_of(shop.id)):
            raise Forbidden("only this shop's merchants see its inactive products", code="not_shop_merchant")
        products = uow.products.list_for_shop(shop.id, include_inactive=include_inactive)
        return [ProductView.of(product, shop.currency) for product in products]


def create_product(uow: UnitOfWork, actor: Actor, slug: str, data: NewProduct) -> ProductView:
    _require_staff(actor)
    with uow:
        shop = _shop_by_slug(uow, slug)
        if not actor.is_merchant_of(shop.id):
            raise Forbidden(f"you are not a merchant of {slug}", code="not_shop_merchant")
        unit = _unit(data.unit)
        product = Product(
            shop_id=shop.id,
            name=_name(data.name),
            description=_description(data.description),
            unit=unit.value,
            unit_price=_unit_price(data.unit_price),
            stock_milli=_stock_milli(unit, data.stock),
            active=_flag(data.active, "active"),
            image_url=_image_url(data.image_url),
        )
        uow.products.add(product)
        view = ProductView.of(product, shop.currency)
        uow.commit()
        return view


def update_product(uow: UnitOfWork, actor: Actor, product_id: int, changes: ProductChanges) -> ProductView:
    """Apply only the fields given; stock is the quantity available now (held stock excluded)."""
    _require_staff(actor)
    with uow:
        product = uow.products.get(product_id)
        if product is None or not actor.is_merchant_of(product.shop_id):
            raise NotFound(f"no product {product_id} in your shops", code="product_not_found")
        shop = uow.shops.get(product.shop_id)
        assert shop is not None
        _apply(product, changes)
        view = ProductView.of(product, shop.currency)
        uow.commit()
        return view


def _apply(product: Product, changes: ProductChanges) -> None:
    given = {f.name: getattr(changes, f.name) for f in fields(changes) if getattr(changes, f.name) is not UNCHANGED}
    unit = _unit(given["unit"]) if "unit" in given else Unit(product.unit)
    if "name" in given:
        product.name = _name(given["name"])
    if "description" in given:
        product.description = _description(given["description"])
    if "unit_price" in given:
        product.unit_price = _unit_price(given["unit_price"])
    if "active" in given:
        product.active = _flag(given["active"], "active")
    if "image_url" in given:
        product.image_url = _image_url(given["image_url"])
    if "stock" in given:
        product.stock_milli = _stock_milli(unit, given["stock"])
    elif unit.value != product.unit:
        _stock_milli(unit, Decimal(product.stock_milli) / MILLI)
    product.unit = unit.value


def _require_staff(actor: Actor) -> None:
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        raise Forbidden("only merchants and admins manage products", code="merchants_only")


def _shop_by_slug(uow: UnitOfWork, slug: str) -> Shop:
    shop = uow.shops.get_by_slug(slug)
    if shop is None:
        raise NotFound(f"no shop {slug!r}", code="shop_not_found")
    return shop


def _unit(value: object) -> Unit:
    if isinstance(value, str) and value in {u.value for u in Unit}:
        return Unit(value)
    raise InvalidInput(f"unit must be one of {', '.join(u.value for u in Unit)}", code="invalid_unit")


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        raise InvalidInput(f"name must be 1 to {MAX_NAME} characters", code="invalid_name")
    return value.strip()


def _description(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be text of at most {MAX_DESCRIPTION} characters")
    return value


def _unit_price(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput("unit_price must be a non-negative integer of minor units", code="invalid_amount")
    return check_amount(value, what="unit_price", code="price_out_of_range")


def _stock_milli(unit: Unit, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidInput("stock must be a number", code="invalid_quantity")
    milli = quantity_to_milli(value, too_large="stock_out_of_range")
    if milli < 0:
        raise InvalidInput("stock cannot be negative", code="invalid_quantity")
    if unit is Unit.PIECE and milli % MILLI:
        raise InvalidInput("stock of a product sold by the piece must be whole", code="invalid_quantity")
    return milli


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false")
    return value


def _image_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_IMAGE_URL or not value.startswith(("https://", "http://", "/")):
        raise InvalidInput(f"image_url must be an http(s) URL or a path, at most {MAX_IMAGE_URL} characters")
    return value

"""The merchant's product desk: their shop's products (inactive ones too), stock adjustments with a
reason, and product pictures. Creating and editing a product's fields is `services.catalog`'s.

Another shop's product answers NotFound, as in the catalog: its existence is not this merchant's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from comptoir.domain.actors import Actor, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from comptoir.domain.images import image_kind
from comptoir.domain.money import MILLI, milli_to_quantity, quantity_to_milli
from comptoir.records.shop import Product, StockAdjustment
from comptoir.services.ports import ImageStore, UnitOfWork
from comptoir.services.views import ProductView, ShopView

IMAGE_PATH = "/product-images/"
"""Where the pages serve stored pictures from; an `image_url` under it names a file of the ImageStore."""
MAX_REASON = 500
ADJUSTMENTS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class ShopProducts:
    shop: ShopView
    products: tuple[ProductView, ...]


@dataclass(frozen=True, slots=True)
class AdjustmentView:
    delta: Decimal
    stock_after: Decimal
    reason: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, row: StockAdjustment) -> AdjustmentView:
        return cls(
            milli_to_quantity(row.delta_milli), milli_to_quantity(row.stock_after_milli), row.reason, row.actor, row.at
        )


@dataclass(frozen=True, slots=True)
class ProductDetail:
    shop: ShopView
    product: ProductView
    adjustments: tuple[AdjustmentView, ...]


def shop_products(uow: UnitOfWork, actor: Actor, shop_id: int) -> ShopProducts:
    """Every product of a shop the actor manages, active or not, by name."""
    _require_staff(actor)
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is None or not actor.is_merchant_of(shop_id):
            raise NotFound(f"no shop {shop_id}", code="shop_not_found")
        products = uow.products.list_for_shop(shop_id, include_inactive=True)
        return ShopProducts(ShopView.of(shop), tuple(ProductView.of(p, shop.currency) for p in products))


def product_detail(uow: UnitOfWork, actor: Actor, product_id: int) -> ProductDetail:
    """One product of the actor's shops, with its latest stock adjustments."""
    _require_staff(actor)
    with uow:
        product = _product(uow, actor, product_id)
        shop = uow.shops.get(product.shop_id)
        assert shop is not None
        rows = uow.products.adjustments(product_id, limit=ADJUSTMENTS_SHOWN)
        return ProductDetail(
            ShopView.of(shop), ProductView.of(product, shop.currency), tuple(AdjustmentView.of(r) for r in rows)
        )


def adjust_stock(
    uow: UnitOfWork, actor: Actor, product_id: int, delta: Decimal | str, reason: str, *, now: datetime
) -> ProductView:
    """Add (or, negative, remove) stock, and record who, when, how much and why.

    One conditional UPDATE, like taking stock for an order: a removal that would go below zero
    (an order took the units meanwhile) is refused, never clamped."""
    _require_staff(actor)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"say why, in 1 to {MAX_REASON} characters", code="reason_required", field="reason")
    milli = _delta_milli(delta)
    with uow:
        product = _product(uow, actor, product_id)
        if Unit(product.unit) is Unit.PIECE and milli % MILLI:
            raise InvalidInput("pieces are counted whole", code="invalid_quantity", field="delta")
        after = uow.products.adjust_stock(product_id, milli)
        if after is None:
            raise Conflict("there is not that much in stock to remove", code="stock_too_low", field="delta")
        uow.products.add_adjustment(
            StockAdjustment(
                product_id=product_id,
                delta_milli=milli,
                stock_after_milli=after,
                reason=reason,
                actor=actor.label,
                at=now,
            )
        )
        shop = uow.shops.get(product.shop_id)
        assert shop is not None
        view = ProductView.of(product, shop.currency)
        uow.commit()
        return view


def set_image(uow: UnitOfWork, images: ImageStore, actor: Actor, product_id: int, data: bytes) -> ProductView:
    """Store an uploaded picture (PNG, JPEG or WebP, bounded size) as the product's, replacing its own."""
    _require_staff(actor)
    extension = image_kind(data)
    with uow:
        product = _product(uow, actor, product_id)
        name = images.save(data, extension)
        old = product.image_url
        product.image_url = IMAGE_PATH + name
        shop = uow.shops.get(product.shop_id)
        assert shop is not None
        view = ProductView.of(product, shop.currency)
        try:
            uow.commit()
        except BaseException:
            images.delete(name)
            raise
    if old and old.startswith(IMAGE_PATH):
        images.delete(old.removeprefix(IMAGE_PATH))
    return view


def _delta_milli(delta: Decimal | str) -> int:
    try:
        milli = quantity_to_milli(delta, too_large="stock_out_of_range")
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, code=exc.code, field="delta") from exc
    if milli == 0:
        raise InvalidInput("the change cannot be zero", code="invalid_quantity", field="delta")
    return milli


def _product(uow: UnitOfWork, actor: Actor, product_id: int) -> Product:
    product = uow.products.get(product_id)
    if product is None or not actor.is_merchant_of(product.shop_id):
        raise NotFound(f"no product {product_id} in your shops", code="product_not_found")
    return product


def _require_staff(actor: Actor) -> None:
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        raise Forbidden("only merchants and admins manage products", code="merchants_only")

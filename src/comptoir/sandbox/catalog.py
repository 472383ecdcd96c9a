"""Customers, Products and Prices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import invalid_param, resource_missing
from .objects.catalog import build_price, build_product
from .objects.customer import build_customer
from .params import Params, merge_metadata

if TYPE_CHECKING:
    from .engine import Sandbox


def get(sb: Sandbox, kind: str, object_id: str) -> dict[str, Any]:
    obj = sb.store.get(object_id, kind)
    if obj is None:
        raise resource_missing(kind, object_id)
    return obj


def create_customer(sb: Sandbox, p: Params) -> dict[str, Any]:
    customer = build_customer(
        sb.clock.now(),
        email=p.str("email"),
        name=p.str("name"),
        phone=p.str("phone"),
        description=p.str("description"),
        metadata=p.metadata(),
        address=p.raw("address"),
    )
    sb.store.add("customer", customer)
    sb.bus.emit("customer.created", customer)
    return customer


def update_customer(sb: Sandbox, customer: dict[str, Any], p: Params) -> dict[str, Any]:
    previous = {}
    for key in ("email", "name", "phone", "description"):
        if p.has(key):
            previous[key] = customer[key]
            customer[key] = p.str(key)
    if p.has("metadata"):
        previous["metadata"] = dict(customer["metadata"])
        customer["metadata"] = merge_metadata(customer["metadata"], p.metadata())
    sb.store.save(customer["id"])
    sb.bus.emit("customer.updated", customer, previous_attributes=previous)
    return customer


def create_product(sb: Sandbox, p: Params) -> dict[str, Any]:
    product = build_product(
        sb.clock.now(),
        name=p.str("name", required=True),
        description=p.str("description"),
        active=p.bool("active", True),
        metadata=p.metadata(),
        images=[str(i) for i in p.list("images")],
        url=p.str("url"),
        unit_label=p.str("unit_label"),
        tax_code=p.str("tax_code"),
        statement_descriptor=p.str("statement_descriptor"),
        shippable=p.bool("shippable") if p.has("shippable") else None,
    )
    if product_id := p.str("id"):
        if sb.store.get(product_id) is not None:
            raise invalid_param("Product already exists.", "id", code="resource_already_exists")
        product["id"] = product_id
    sb.store.add("product", product)
    sb.bus.emit("product.created", product)
    default_price = p.sub("default_price_data")
    if default_price.data:
        price = _new_price(sb, default_price, product["id"])
        product["default_price"] = price["id"]
        sb.store.save(product["id"])
    return product


def update_product(sb: Sandbox, product: dict[str, Any], p: Params) -> dict[str, Any]:
    previous: dict[str, Any] = {}
    for key in ("name", "description", "url", "unit_label", "statement_descriptor", "tax_code"):
        if p.has(key):
            previous[key] = product[key]
            product[key] = p.str(key)
    if p.has("active"):
        previous["active"] = product["active"]
        product["active"] = p.bool("active")
    if p.has("images"):
        previous["images"] = product["images"]
        product["images"] = [str(i) for i in p.list("images")]
    if p.has("default_price"):
        price_id = p.str("default_price")
        if price_id and sb.store.get(price_id, "price") is None:
            raise resource_missing("price", price_id, param="default_price", status=400)
        previous["default_price"] = product["default_price"]
        product["default_price"] = price_id
    if p.has("metadata"):
        previous["metadata"] = dict(product["metadata"])
        product["metadata"] = merge_metadata(product["metadata"], p.metadata())
    product["updated"] = sb.clock.now()
    sb.store.save(product["id"])
    sb.bus.emit("product.updated", product, previous_attributes=previous)
    return product


def _new_price(sb: Sandbox, p: Params, product_id: str) -> dict[str, Any]:
    amount = p.int("unit_amount", minimum=0)
    if amount is None:
        decimal = p.str("unit_amount_decimal")
        if decimal is None:
            raise invalid_param("Missing required param: unit_amount.", "unit_amount", code="parameter_missing")
        amount = int(float(decimal))
    recurring = p.sub("recurring")
    price = build_price(
        sb.clock.now(),
        product=product_id,
        currency=p.currency(),
        unit_amount=amount,
        active=p.bool("active", True),
        nickname=p.str("nickname"),
        lookup_key=p.str("lookup_key"),
        metadata=p.metadata(),
        tax_behavior=p.str("tax_behavior", "unspecified", choices=("exclusive", "inclusive", "unspecified")),
        recurring={
            "interval": recurring.str("interval", required=True, choices=("day", "week", "month", "year")),
            "interval_count": recurring.int("interval_count", 1),
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
        if recurring.data
        else None,
    )
    sb.store.add("price", price)
    sb.bus.emit("price.created", price)
    return price


def create_price(sb: Sandbox, p: Params) -> dict[str, Any]:
    product_id = p.str("product")
    if product_id:
        if sb.store.get(product_id, "product") is None:
            raise resource_missing("product", product_id, param="product", status=400)
    else:
        product_data = p.sub("product_data")
        if not product_data.data:
            raise invalid_param("Missing required param: product.", "product", code="parameter_missing")
        product = create_product(
            sb, Params({"name": product_data.str("name", required=True), "metadata": product_data.raw("metadata", {})})
        )
        product_id = product["id"]
    return _new_price(sb, p, product_id)


def update_price(sb: Sandbox, price: dict[str, Any], p: Params) -> dict[str, Any]:
    previous: dict[str, Any] = {}
    for key in ("nickname", "lookup_key"):
        if p.has(key):
            previous[key] = price[key]
            price[key] = p.str(key)
    if p.has("active"):
        previous["active"] = price["active"]
        price["active"] = p.bool("active")
    if p.has("metadata"):
        previous["metadata"] = dict(price["metadata"])
        price["metadata"] = merge_metadata(price["metadata"], p.metadata())
    sb.store.save(price["id"])
    sb.bus.emit("price.updated", price, previous_attributes=previous)
    return price

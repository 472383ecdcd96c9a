from __future__ import annotations

from typing import Any

from ..ids import new_id


def build_product(
    now: int,
    *,
    name: str,
    description: str | None = None,
    active: bool = True,
    metadata: dict[str, str] | None = None,
    images: list[str] | None = None,
    url: str | None = None,
    unit_label: str | None = None,
    tax_code: str | None = None,
    statement_descriptor: str | None = None,
    shippable: bool | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id("prod", 14),
        "object": "product",
        "active": active,
        "created": now,
        "default_price": None,
        "description": description,
        "images": images or [],
        "livemode": False,
        "marketing_features": [],
        "metadata": metadata or {},
        "name": name,
        "package_dimensions": None,
        "shippable": shippable,
        "statement_descriptor": statement_descriptor,
        "tax_code": tax_code,
        "type": "service",
        "unit_label": unit_label,
        "updated": now,
        "url": url,
    }


def build_price(
    now: int,
    *,
    product: str,
    currency: str,
    unit_amount: int,
    active: bool = True,
    nickname: str | None = None,
    lookup_key: str | None = None,
    metadata: dict[str, str] | None = None,
    tax_behavior: str = "unspecified",
    recurring: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id("price", 24),
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": now,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": metadata or {},
        "nickname": nickname,
        "product": product,
        "recurring": recurring,
        "tax_behavior": tax_behavior,
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }

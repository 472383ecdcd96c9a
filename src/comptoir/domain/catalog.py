"""Catalog rules: units, and which quantities make sense for them."""

from __future__ import annotations

from enum import StrEnum

from comptoir.domain.errors import InvalidInput
from comptoir.domain.money import MAX_QUANTITY, MILLI


class Unit(StrEnum):
    PIECE = "piece"
    KG = "kg"


class PaymentMethod(StrEnum):
    ONLINE = "online"
    ON_PICKUP = "on_pickup"


def check_quantity(unit: Unit, quantity_milli: int, *, product_name: str = "") -> None:
    """Positive and at most MAX_QUANTITY; whole for pieces (kg allow 3 decimals, enforced when parsing to milli)."""
    label = f" for {product_name}" if product_name else ""
    if quantity_milli <= 0:
        raise InvalidInput(f"quantity{label} must be positive", code="invalid_quantity")
    if quantity_milli > MAX_QUANTITY * MILLI:
        raise InvalidInput(f"quantity{label} must be at most {MAX_QUANTITY}", code="quantity_out_of_range")
    if unit is Unit.PIECE and quantity_milli % MILLI:
        raise InvalidInput(f"quantity{label} must be a whole number of pieces", code="invalid_quantity")

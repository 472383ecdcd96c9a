"""The product forms: prices and quantities as a merchant types them (`12,50`, `1.5`), and each
refusal of the catalog in a merchant's words, beside the field it is about."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from comptoir.domain.catalog import Unit
from comptoir.domain.money import MAX_AMOUNT, exponent
from comptoir.services.catalog import NewProduct, ProductChanges
from comptoir.services.views import ProductView
from comptoir.web.i18n import N_

MAX_FIELD = 6000

FIELD_OF_CODE = {
    "invalid_name": "name",
    "invalid_input": "description",
    "invalid_unit": "unit",
    "invalid_amount": "unit_price",
    "price_out_of_range": "unit_price",
    "invalid_quantity": "stock",
    "stock_out_of_range": "stock",
}
"""Which field a refusal of `services.catalog` is about, by its code."""

REASONS = {
    "invalid_name": N_("Give the product a name (up to 200 characters)."),
    "invalid_input": N_("This is too long."),
    "invalid_unit": N_("Choose how it is sold."),
    "invalid_amount": N_("Write a price such as 12.50."),
    "price_out_of_range": N_("This price is too high."),
    "invalid_quantity": N_("Write a quantity: whole for pieces, up to 3 decimals for kg."),
    "stock_out_of_range": N_("This quantity is too large."),
    "stock_too_low": N_("There is not that much in stock to remove."),
    "reason_required": N_("Say why the stock changes (a delivery, breakage, a count…)."),
    "image_empty": N_("Choose a picture."),
    "image_too_large": N_("The picture is too large: 2 MB at most."),
    "image_type": N_("Only PNG, JPEG and WebP pictures."),
}


@dataclass(frozen=True, slots=True)
class ProductForm:
    values: Mapping[str, object]
    problems: Mapping[str, str] = field(default_factory=dict)

    def refused(self, field_name: str, code: str) -> ProductForm:
        return ProductForm(self.values, {**self.problems, field_name: code})


def blank(product: ProductView | None = None, *, decimal_comma: bool = False) -> ProductForm:
    """The form for a new product, or filled with `product` (its price written as the language writes it)."""
    if product is None:
        return ProductForm(
            {"name": "", "description": "", "unit": "piece", "unit_price": "", "stock": "0", "active": True}
        )
    return ProductForm(
        {
            "name": product.name,
            "description": product.description,
            "unit": product.unit.value,
            "unit_price": price_text(product.unit_price, product.currency, decimal_comma=decimal_comma),
            "active": product.active,
        }
    )


def values_of(form: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {
        name: str(form.get(name, ""))[:MAX_FIELD] for name in ("name", "description", "unit", "unit_price", "stock")
    }
    values["active"] = "active" in form
    return values


def new_product(values: Mapping[str, object], currency: str) -> NewProduct | str:
    """The product to create, or the code of the first field that cannot be read."""
    price = parse_price(str(values["unit_price"]), currency)
    if price is None:
        return "invalid_amount"
    return NewProduct(
        name=str(values["name"]),
        unit=str(values["unit"]),
        unit_price=price,
        stock=quantity_text(str(values["stock"]) or "0"),
        description=str(values["description"]),
        active=bool(values["active"]),
    )


def product_changes(values: Mapping[str, object], currency: str) -> ProductChanges | str:
    price = parse_price(str(values["unit_price"]), currency)
    if price is None:
        return "invalid_amount"
    return ProductChanges(
        name=str(values["name"]),
        description=str(values["description"]),
        unit=str(values["unit"]),
        unit_price=price,
        active=bool(values["active"]),
    )


def parse_price(text: str, currency: str) -> int | None:
    """Minor units of a price typed in major units (`12,50` or `12.50` euros is 1250); None if unreadable."""
    try:
        amount = Decimal(text.strip().replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        return None
    minor = amount.scaleb(exponent(currency))
    return int(minor) if minor == minor.to_integral_value() else None


def price_text(amount: int, currency: str, *, decimal_comma: bool = False) -> str:
    """A price as the form shows it for editing (`12.50`, `12,50`), without symbol or grouping."""
    text = str(Decimal(amount).scaleb(-exponent(currency)))
    return text.replace(".", ",") if decimal_comma else text


def quantity_text(text: str) -> str:
    """A typed quantity with a decimal comma read as a point (`1,5` kg)."""
    return text.strip().replace(",", ".")


def units() -> tuple[tuple[str, str], ...]:
    return ((Unit.PIECE.value, N_("By the piece")), (Unit.KG.value, N_("By weight (kg)")))

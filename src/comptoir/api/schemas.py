"""Request and response bodies of the JSON API, with examples for /docs.

Money is always an integer amount in the currency's minor unit next to its ISO `currency`
(125000 EUR = 1250.00 €; 1200 JPY = ¥1200). Quantities are exact decimals: requests may send a
JSON number (`2`, `1.25`) or a string (`"1.250"`); responses send strings with three
decimals (`"2.000"`) so no client ever sees a binary float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from comptoir.domain.actors import Role
from comptoir.domain.catalog import PaymentMethod, Unit
from comptoir.domain.money import MAX_AMOUNT, MAX_QUANTITY, MAX_STOCK
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.domain.phone import MAX_DIGITS, MIN_DIGITS
from comptoir.domain.phone import MAX_LENGTH as MAX_PHONE_LENGTH
from comptoir.services.accounts import AuthSession
from comptoir.services.views import LineView, OrderView, ProductView, ShopView, UserView

Quantity = Decimal
MinorUnits = int

MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in the database (PostgreSQL's `integer`)."""
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
QuantityIn = Annotated[
    Decimal,
    Field(
        le=MAX_QUANTITY,
        description=f"Whole for pieces; up to 3 decimals for kg; at most {MAX_QUANTITY} "
        "(422 `quantity_out_of_range` above). Number or string.",
    ),
]
"""A quantity a client asks for. Zero and negatives are refused by the domain (`invalid_quantity`)."""
StockIn = Annotated[Decimal, Field(ge=0, le=MAX_STOCK, description="Three decimals at most; 422 `stock_out_of_range`.")]
PriceIn = Annotated[
    int,
    Field(ge=0, le=MAX_AMOUNT, description="Minor units, at most Stripe's largest charge (422 `price_out_of_range`)."),
]
PaymentMethodId = Annotated[
    str,
    Field(
        pattern=r"^pm_[A-Za-z0-9_]+$",
        max_length=255,
        description="A Stripe PaymentMethod id, `pm_…` (422 `invalid_payment_method_id` otherwise).",
    ),
]
"""Checked by its Stripe shape: the id travels in the URL and idempotency headers of a Stripe call, where
text outside Latin-1 cannot go (it failed there as a misleading 503)."""
PaymentIntentId = Annotated[
    str,
    Field(
        pattern=r"^pi_[A-Za-z0-9_]+$",
        max_length=255,
        description="A Stripe PaymentIntent id, `pi_…` (422 `invalid_payment_intent_id` otherwise).",
    ),
]
AmountIn = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="Minor units (422 `amount_out_of_range`).")]
DetailKey = Annotated[str, Field(min_length=1, max_length=40)]
DetailValue = Annotated[str, Field(max_length=300)]
Details = Annotated[
    dict[DetailKey, DetailValue],
    Field(
        max_length=12,
        description="Short texts by name (at most 12, each at most 300 characters), shown as written to the shop.",
    ),
]
"""A delivery address or pickup details: what the customer writes for the shop to read, bounded so a
card on the counter's board stays a card."""
PhoneIn = Annotated[
    str,
    Field(
        max_length=MAX_PHONE_LENGTH,
        description=f"{MIN_DIGITS} to {MAX_DIGITS} digits, an optional leading `+`, and spaces, dots, dashes or "
        "parentheses between them; kept as the `+` and the digits (`+33 6 12 34 56 78` → `+33612345678`). "
        "Empty means none. 422 `invalid_phone` otherwise.",
        examples=["+33 6 12 34 56 78"],
    ),
]
LocaleIn = Annotated[
    Literal["fr", "en"],
    Field(description="The language of your pages and e-mails. 422 `invalid_locale` for any other."),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- accounts -------------------------------------------------------------------------------


class RegisterIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "alice@example.com", "password": "correct horse 42", "name": "Alice"},
                {
                    "email": "camille@example.com",
                    "password": "motdepasse123",
                    "name": "Camille",
                    "phone": "06 12 34 56 78",
                    "locale": "fr",
                },
            ]
        }
    )

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024, description="At least 8 characters.")
    name: str = Field(default="", max_length=200)
    phone: PhoneIn | None = Field(default=None, description="Optional: the shop may call about an order.")
    locale: LocaleIn | None = Field(
        default=None,
        description="Optional: the language of your pages and e-mails, `fr` or `en`. When omitted, the request's "
        "`Accept-Language` sets it if it names French or English; else none is kept (e-mails then use the service's "
        "default language, pages the browser's).",
    )


class MePatch(_In):
    """Only the fields sent change; `null` (or an empty `phone`) removes the setting."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "+33 6 12 34 56 78"}, {"locale": "en"}, {"phone": None}]}
    )

    phone: PhoneIn | None = Field(default=None, description="The number the shop may call about your orders.")
    locale: LocaleIn | None = Field(
        default=None, description="`fr` or `en`; `null`: the shop's default language (pages: your browser's)."
    )


class LoginIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "client@example.com", "password": "motdepasse123"}]}
    )

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class UserOut(_Out):
    id: int
    email: str
    name: str
    role: Role
    shop_ids: list[int] = Field(description="Shops a merchant manages; empty for customers.")
    phone: str | None = Field(
        default=None, description="The `+` and the digits of your phone number, or null when you gave none."
    )
    locale: Literal["fr", "en"] | None = Field(
        default=None,
        description="The language of your pages and e-mails; null: the shop's default (pages: your browser's).",
    )

    @classmethod
    def of(cls, view: UserView) -> Self:
        return cls(
            id=view.id,
            email=view.email,
            name=view.name,
            role=view.role,
            shop_ids=sorted(view.shop_ids),
            phone=view.phone,
            locale="fr" if view.locale == "fr" else "en" if view.locale == "en" else None,
        )


class AuthOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "user": {
                        "id": 1,
                        "email": "client@example.com",
                        "name": "Camille",
                        "role": "customer",
                        "shop_ids": [],
                        "phone": "+33612345678",
                        "locale": "fr",
                    },
                }
            ]
        }
    )

    access_token: str = Field(description="Send it as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    user: UserOut

    @classmethod
    def of(cls, session: AuthSession) -> Self:
        return cls(access_token=session.token.token, expires_in=session.token.expires_in, user=UserOut.of(session.user))


# --- catalog --------------------------------------------------------------------------------


class ShopOut(_Out):
    id: int
    slug: str
    name: str
    currency: str
    payment_methods: list[PaymentMethod]
    offers_delivery: bool
    offers_pickup: bool

    @classmethod
    def of(cls, view: ShopView) -> Self:
        return cls.model_validate(view)


class ProductOut(_Out):
    id: int
    shop_id: int
    name: str
    description: str
    unit: Unit
    unit_price: MinorUnits = Field(description="Per piece or per kg, in minor units of `currency`.")
    currency: str
    stock: Quantity = Field(description="Available now (held stock excluded), three decimals.")
    active: bool
    image_url: str | None

    @classmethod
    def of(cls, view: ProductView) -> Self:
        return cls.model_validate(view)


class ProductIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Jantes 21 pouces",
                    "unit": "piece",
                    "unit_price": 25000,
                    "stock": 8,
                    "description": "La paire",
                },
                {"name": "Entrecôte", "unit": "kg", "unit_price": 3490, "stock": "12.500"},
            ]
        }
    )

    name: str = Field(max_length=200)
    unit: Unit
    unit_price: PriceIn
    stock: StockIn = Decimal(0)
    description: str = ""
    active: bool = True
    image_url: str | None = Field(default=None, max_length=500)


class ProductPatch(_In):
    """Only the fields sent change; `image_url: null` removes the image."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"unit_price": 27000, "stock": 5}, {"active": False}]})

    name: str | None = Field(default=None, max_length=200)
    unit: Unit | None = None
    unit_price: PriceIn | None = None
    stock: StockIn | None = None
    description: str | None = None
    active: bool | None = None
    image_url: str | None = Field(default=None, max_length=500)


# --- orders ---------------------------------------------------------------------------------


class OrderLineIn(_In):
    product_id: Id
    quantity: QuantityIn
    unit_price: PriceIn | None = Field(
        default=None,
        description="Optional: the price the client displayed. Never used; if it differs from the "
        "server's price the order is refused with 409 price_changed.",
    )


class OrderIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "shop": "porsche-accessories",
                    "lines": [{"product_id": 1, "quantity": 2, "unit_price": 25000}, {"product_id": 2, "quantity": 1}],
                    "payment_method": "online",
                    "delivery_address": {
                        "line1": "123 Avenue des Champs",
                        "city": "Paris",
                        "postal_code": "75008",
                        "country": "FR",
                    },
                },
                {
                    "shop": "klikandgo",
                    "lines": [{"product_id": 3, "quantity": "1.250"}],
                    "payment_method": "on_pickup",
                    "pickup": {"note": "Samedi matin"},
                },
            ]
        }
    )

    shop: str = Field(description="The shop's slug.", max_length=64)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)
    payment_method: PaymentMethod
    delivery_address: Details | None = Field(
        default=None, examples=[{"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}]
    )
    pickup: Details | None = Field(default=None, examples=[{"slot": "samedi 10h", "note": "sans gras"}])


class OrderLineOut(_Out):
    id: int = Field(description="The line's id (`line_id` in a merchant's refund `lines` or weighed `final_lines`).")
    product_id: int
    name: str
    unit: Unit
    quantity: Quantity
    unit_price: MinorUnits
    line_total: MinorUnits = Field(description="unit_price × quantity, rounded half-up to the minor unit once.")

    @classmethod
    def of(cls, view: LineView) -> Self:
        return cls.model_validate(view)


class HistoryOut(_Out):
    axis: str
    from_value: str | None
    to_value: str
    actor: str
    at: datetime
    reason: str


class OrderOut(_Out):
    id: str
    number: str
    shop: str = Field(description="The shop's slug.")
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethod
    currency: str
    lines: list[OrderLineOut]
    total: MinorUnits
    delivery_address: dict[str, Any] | None
    pickup: dict[str, Any] | None
    hold_expires_at: datetime | None = Field(description="Held stock is released if the order is still unpaid then.")
    created_at: datetime
    history: list[HistoryOut]

    @classmethod
    def of(cls, view: OrderView) -> Self:
        return cls(
            id=view.id,
            number=view.number,
            shop=view.shop_slug,
            status=view.status,
            payment_status=view.payment_status,
            payment_method=view.payment_method,
            currency=view.currency,
            lines=[OrderLineOut.of(line) for line in view.lines],
            total=view.total,
            delivery_address=dict(view.delivery_address) if view.delivery_address is not None else None,
            pickup=dict(view.pickup) if view.pickup is not None else None,
            hold_expires_at=view.hold_expires_at,
            created_at=view.created_at,
            history=[HistoryOut.model_validate(entry) for entry in view.history],
        )


class CustomerOrderOut(OrderOut):
    """An order as its customer sees it: with the code they give at the counter."""

    pickup_code: str | None = Field(
        default=None,
        description="Pickup orders: the four digits to give at the shop's counter when collecting the order "
        "(the shop checks them). Null for delivery orders. Only ever shown to the order's customer.",
        examples=["0427"],
    )

    @classmethod
    def of_customer(cls, view: OrderView) -> Self:
        base = OrderOut.of(view)
        return cls(**{name: getattr(base, name) for name in OrderOut.model_fields}, pickup_code=view.pickup_code)


class CancelIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "ordered the wrong size"}]})

    reason: str = Field(default="", max_length=500)

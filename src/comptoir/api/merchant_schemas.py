"""Request and response bodies of the merchant routes (`api.routers.merchant`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field

from comptoir.api.schemas import AmountIn, Id, MinorUnits, OrderOut, QuantityIn, _In, _Out
from comptoir.services.merchant.workflow import MerchantOrderView

PickupCodeIn = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}$",
        description="Optional: the four digits the customer gives at the counter. A wrong code is refused with 409 "
        "`pickup_code_mismatch` and nothing is recorded; anything but four digits is 422 `invalid_pickup_code`. "
        "Without it the order is handed over unchecked.",
        examples=["0427"],
    ),
]


class CollectIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"method": "cash", "amount": 4113},
                {"method": "card_terminal", "amount": 4113, "pickup_code": "0427"},
            ]
        }
    )

    method: Literal["cash", "card_terminal"]
    amount: AmountIn = Field(
        description="What was taken, in minor units. Must equal the order total; any other amount is refused with "
        "409 `collect_amount_mismatch` and nothing is recorded.",
    )
    pickup_code: PickupCodeIn | None = None


class CompleteIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"pickup_code": "0427"}]})

    pickup_code: PickupCodeIn | None = None


class RefuseIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "plus d'entrecôte aujourd'hui"}]})

    reason: str = Field(min_length=1, max_length=500, description="Told to the customer.")


class RefundLineIn(_In):
    line_id: Id = Field(description="An order line's `id`.")
    quantity: QuantityIn | None = Field(
        default=None, description="Part of the line (its price × this, rounded half-up); the whole line when omitted."
    )


class RefundIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": 1500, "reason": "geste commercial"},
                {"lines": [{"line_id": 12}, {"line_id": 13, "quantity": "0.250"}], "reason": "produit manquant"},
            ]
        }
    )

    amount: AmountIn | None = Field(default=None, gt=0, description="Send `amount` or `lines`, not both.")
    lines: list[RefundLineIn] | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=500)


class ReviewOut(_Out):
    code: str
    detail: str
    reference: str
    created_at: datetime


class RefundOut(_Out):
    number: int
    amount: MinorUnits
    reason: str
    state: str = Field(description="creating (sent, answer pending) | created | failed (refused by the provider)")
    counted: bool = Field(description="In the ledger as money returned to the customer.")
    reversed: bool = Field(description="Failed after it counted (refund.failed): the money stayed with the shop.")
    provider_id: str | None
    actor: str
    created_at: datetime
    error: str | None


class MerchantOrderOut(OrderOut):
    paid: MinorUnits = Field(description="Sum of the payments in the ledger.")
    refunded: MinorUnits = Field(description="Sum of the refunds that count (failed ones reversed).")
    refundable: MinorUnits = Field(description="paid − refunded: the most a refund may still be.")
    reviews: list[ReviewOut] = Field(
        description="Open flags a person must look at (amount mismatch, paid after cancel)."
    )
    refunds: list[RefundOut]

    @classmethod
    def of_merchant(cls, view: MerchantOrderView) -> Self:
        base = OrderOut.of(view.order)
        return cls(
            **{name: getattr(base, name) for name in OrderOut.model_fields},
            paid=view.paid,
            refunded=view.refunded,
            refundable=view.refundable,
            reviews=[ReviewOut.model_validate(r) for r in view.reviews],
            refunds=[RefundOut.model_validate(r) for r in view.refunds],
        )

"""Seed 003, Stripe's "Accepter les paiements par carte sans webhooks", on `cards.pay_order`.

One route, `POST /pay`, as the guide's page calls it: `{payment_method_id, order_id}` after
Stripe.js `createPaymentMethod`, then `{payment_intent_id}` after `stripe.handleCardAction`. The
answer is the guide's: `{success: true}`, `{requires_action: true, payment_intent_client_secret}`,
or `{error}` (with our problem+json fields and the HTTP status beside it).

The guide's sample has no order: it charges whatever the page says. Here the amount is the
order's, on the server, so the first call names the order (`order_id`; without it, 422), and the
caller must be the order's customer (Bearer token). The guide's "risque de double paiement" is
handled by the service: one PaymentIntent per order attempt, so a repeated `/pay` converges.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from comptoir.api.compat.common import as_problem, tag, translated_errors
from comptoir.api.deps import CurrentActor, Gateway, Now, PaymentUow
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import PaymentIntentId, PaymentMethodId
from comptoir.domain.errors import ComptoirError, InvalidInput
from comptoir.services.orders.payment_facts import order_of_payment_intent
from comptoir.services.payments import cards

TAG = tag("003")


def seed_error(exc: ComptoirError) -> Response:
    """`{error: "<message to show on the payment form>"}`: a decline's card message, else our detail."""
    return as_problem(exc, exc.detail, extra={"error": str(exc.extra.get("message") or exc.detail)})


router = APIRouter(tags=[TAG], route_class=translated_errors(seed_error))


class PayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"payment_method_id": "pm_…", "order_id": "ord_…"}, {"payment_intent_id": "pi_…"}]
        },
    )

    payment_method_id: PaymentMethodId | None = Field(default=None, description="From `createPaymentMethod`.")
    order_id: str | None = Field(default=None, max_length=40, description="Required with payment_method_id.")
    payment_intent_id: PaymentIntentId | None = Field(default=None, description="After `handleCardAction`.")


class PayOut(BaseModel):
    success: bool | None = None
    requires_action: bool | None = None
    payment_intent_client_secret: str | None = None


@router.post(
    "/pay",
    summary="Pay an order with a card confirmed on the server (seed 003)",
    description="`{success}` | `{requires_action, payment_intent_client_secret}` | `{error}` (402 on a decline).",
    responses=responses(401, 402, 404, 409, 422),
    response_model_exclude_none=True,
)
def pay(body: PayIn, actor: CurrentActor, uow: PaymentUow, gateway: Gateway, now: Now) -> PayOut:
    order_id = body.order_id
    if order_id is None and body.payment_intent_id:
        order_id = order_of_payment_intent(uow, actor, body.payment_intent_id)
    if order_id is None:
        raise InvalidInput(
            "order_id is required with payment_method_id: the amount is the order's, computed on the server",
            code="order_id_required",
        )
    result = cards.pay_order(
        uow,
        gateway,
        actor,
        order_id,
        payment_method_id=body.payment_method_id,
        payment_intent_id=body.payment_intent_id,
        now=now(),
    )
    return PayOut(**ANSWERS[result.status](result))


ANSWERS: dict[str, Any] = {
    "succeeded": lambda _: {"success": True},
    "authorized": lambda _: {"success": True},  # weighed goods: captured at the weighed price when ready
    "processing": lambda _: {"success": True},  # the bank confirms later; the order says processing
    "requires_action": lambda result: {"requires_action": True, "payment_intent_client_secret": result.client_secret},
}
"""`payments.cards` outcome -> the guide's answer."""

"""Paying online: a Checkout Session for an order, and Stripe's webhook deliveries."""

from __future__ import annotations

import functools
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field

from comptoir.api.deps import CurrentActor, DbLane, Gateway, Now, PaymentUow, Settings_
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import OrderOut, PaymentIntentId, PaymentMethodId, _In, _Out
from comptoir.services.payments import cards, checkout, webhooks

router = APIRouter(tags=["payments"])


class CheckoutSessionOut(_Out):
    id: str = Field(description="The Stripe Checkout Session id (cs_…).")
    url: str = Field(description="Send the customer's browser here to pay.")
    expires_at: datetime = Field(description="The session, and the order's stock hold, end then.")


class WebhookAck(_Out):
    received: bool = True
    status: str = Field(
        description="processed | ignored (type not handled, or nothing to apply: see `reason`) | "
        "duplicate (already applied)"
    )
    reason: str | None = Field(
        default=None,
        exclude_if=lambda reason: reason is None,  # acknowledgements stay `{received, status}`: clients compare them
        description="Why an event of a handled type was ignored.",
    )


def checkout_urls(public_url: str) -> checkout.CheckoutUrls:
    base = public_url.rstrip("/")
    return checkout.CheckoutUrls(
        success_url=f"{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}/checkout/cancel",
    )


@router.post(
    "/api/orders/{order_id}/checkout-session",
    summary="Pay an order on Stripe's hosted Checkout page",
    description=(
        "Returns the order's open session, or creates one priced from the order, expiring with its stock "
        "hold. Redirect the customer to `url`. 409 `order_already_paid`, `order_cancelled`, "
        "`order_pays_on_pickup`, `payment_processing` or `hold_expired` when it cannot be paid online."
    ),
    responses=responses(401, 404, 409, 422),
)
def create_checkout_session(
    order_id: str, actor: CurrentActor, uow: PaymentUow, gateway: Gateway, now: Now, settings: Settings_
) -> CheckoutSessionOut:
    urls = checkout_urls(settings.public_url)
    urls = checkout.CheckoutUrls(urls.success_url, f"{urls.cancel_url}?order_id={order_id}")
    link = checkout.start_checkout(uow, gateway, actor, order_id, urls=urls, now=now())
    return CheckoutSessionOut(id=link.id, url=link.url, expires_at=link.expires_at)


class PayIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"payment_method_id": "pm_card_visa"}, {"payment_intent_id": "pi_123"}]}
    )

    payment_method_id: PaymentMethodId | None = Field(
        default=None, description="The card to pay with (Stripe.js `createPaymentMethod`)."
    )
    payment_intent_id: PaymentIntentId | None = Field(
        default=None, description="After 3-D Secure in the browser: the intent to finish."
    )


class PayOut(_Out):
    status: str = Field(
        description="succeeded | authorized (weighed goods: captured when the order is ready) | "
        "requires_action (run 3-D Secure with client_secret, then POST again with payment_intent_id) | processing"
    )
    order: OrderOut
    payment_intent_id: str | None = None
    client_secret: str | None = Field(default=None, description="Only with requires_action, for Stripe.js.")
    next_action_type: str | None = None


@router.post(
    "/api/orders/{order_id}/pay",
    summary="Pay an order with a card confirmed on the server (3-D Secure aware)",
    description=(
        "Send `{payment_method_id}`: one PaymentIntent per order attempt is created for the order's server-side "
        "amount and confirmed with that card. Answers `succeeded`, `authorized` (shops that weigh goods), or "
        "`requires_action` with a `client_secret` for 3-D Secure; after it, send `{payment_intent_id}` to finish. "
        "A decline is 402 with `code`, `decline_code` and `message`, and the same intent takes the next card. "
        "409 `order_already_paid`, `payment_intent_other_order`, `payment_intent_amount_mismatch`, ..."
    ),
    responses=responses(401, 402, 404, 409, 422),
)
def pay(order_id: str, body: PayIn, actor: CurrentActor, uow: PaymentUow, gateway: Gateway, now: Now) -> PayOut:
    result = cards.pay_order(
        uow,
        gateway,
        actor,
        order_id,
        payment_method_id=body.payment_method_id,
        payment_intent_id=body.payment_intent_id,
        now=now(),
    )
    return PayOut(
        status=result.status,
        order=OrderOut.of(result.order),
        payment_intent_id=result.payment_intent_id,
        client_secret=result.client_secret,
        next_action_type=result.next_action_type,
    )


@router.post(
    "/webhooks/stripe",
    summary="Stripe webhook endpoint",
    description=(
        "Verifies `Stripe-Signature` over the raw body with the configured secret(s), records the event "
        "and applies it exactly once. 400 when the signature does not verify or the body is not a Stripe event "
        "(the problem names the likely "
        "cause); 503 when processing failed, so Stripe retries."
    ),
    responses=responses(400, 503),
)
async def stripe_webhook(request: Request, uow: PaymentUow, gateway: Gateway, now: Now, lane: DbLane) -> WebhookAck:
    payload = await request.body()
    event = gateway.verify_webhook(payload, request.headers.get("stripe-signature"))
    ingest = functools.partial(webhooks.ingest_many, uow, gateway)
    result = await lane.run_grouped("stripe-webhooks", ingest, (event, now()))
    reason = result.outcome if result.outcome == webhooks.MALFORMED_OBJECT else None
    return WebhookAck(status=result.status, reason=reason)

"""Seed 002, the Klik&Go click-and-collect butcher (Next.js + Prisma), on comptoir's services.

Routes as the seed's skill describes them, but its `POST /api/orders` (with `paymentMethod: "ON_PICKUP"
| "ONLINE"`) lives at `POST /api/klikandgo/orders`: `/api/orders` is the native route, and each route
has one owner. Then `POST /api/checkout {orderId}` -> `{url}`, `POST /api/webhooks/stripe`, and the pages
Stripe sends the browser back to, `/commande/{id}/confirmation?session_id=…` and `/panier`. Orders
are shown in the seed's Prisma shape (`status`, `paymentMethod`, `paidAt`, `refundedAt`,
`stripeSessionId`, `stripePaymentIntentId`, items with `priceCents`, `quantity`, `unit`) by
`GET /api/klikandgo/orders/{id}` (the seed names no read route). Errors keep our problem+json and
add the seed's `{error: "…"}` in French.

The seed's own rules hold because they are ours: the client sends product ids and quantities
only (an item carrying `priceCents` is refused: "JAMAIS envoyer le montant depuis le client"),
the webhook signature is always verified, and a paid order refused by the butcher is refunded by
the merchant workflow (`POST /api/merchant/orders/{id}/refuse`), which sets `refundedAt`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from comptoir.api.compat.common import as_problem, js_iso, tag, translated_errors
from comptoir.api.deps import CurrentActor, Gateway, Now, PaymentUow, Settings_, Uow
from comptoir.api.problems_doc import responses
from comptoir.api.routers import payments
from comptoir.api.schemas import Id
from comptoir.domain.errors import ComptoirError
from comptoir.services import catalog
from comptoir.services.orders import ordering
from comptoir.services.orders.payment_facts import OrderWithPayments, my_order_with_payments, payment_facts
from comptoir.services.payments import checkout

TAG = tag("002")

METHOD = {"ON_PICKUP": "on_pickup", "ONLINE": "online"}
"""The seed's `paymentMethod` -> ours."""

STATUS = {
    "pending": "PENDING",
    "confirmed": "CONFIRMED",
    "ready": "READY",
    "completed": "PICKED_UP",
    "cancelled": "CANCELLED",
}
"""Our order status -> the seed's `status` (a pay-at-pickup order is CONFIRMED at once: the butcher is alerted)."""

ERREURS = {
    "token_missing": "Non authentifié",
    "bearer_missing": "Non authentifié",
    "token_expired": "Non authentifié",
    "token_invalid": "Non authentifié",
    "user_not_found": "Non authentifié",
    "order_not_found": "Commande non trouvée",
    "webhook_signature_missing": "Signature invalide",
    "webhook_signature_invalid": "Signature invalide",
    "webhook_secret_unset": "Signature invalide",
    "webhook_payload_invalid": "Signature invalide",
    "price_changed": "Prix modifié : les prix sont recalculés par le serveur",
    "out_of_stock": "Stock insuffisant",
    "product_unavailable": "Produit indisponible",
    "unknown_product": "Produit inconnu",
    "invalid_quantity": "Quantité invalide",
    "order_pays_on_pickup": "Cette commande se paie au retrait, pas en ligne",
    "order_already_paid": "Commande déjà payée",
    "order_cancelled": "Commande annulée",
    "invalid_request": "Requête invalide : envoyer productId et quantity, jamais de montant",
}
"""Our error codes -> the seed's `{error}` messages (the first three are the seed's own)."""


def seed_error(exc: ComptoirError) -> Response:
    return as_problem(exc, exc.detail, extra={"error": ERREURS.get(exc.code, exc.detail)})


router = APIRouter(tags=[TAG], route_class=translated_errors(seed_error))


# --- shapes ------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class ItemIn(_In):
    productId: Id
    quantity: Decimal = Field(description='Pieces, or kg with up to 3 decimals (`"1.250"`).')


class CommandeIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"productId": 5, "quantity": "1.250"}], "paymentMethod": "ON_PICKUP"},
                {"items": [{"productId": 8, "quantity": 2}], "paymentMethod": "ONLINE"},
            ]
        }
    )

    items: list[ItemIn] = Field(min_length=1, max_length=100)
    paymentMethod: Literal["ON_PICKUP", "ONLINE"]
    pickup: dict[str, Any] | None = Field(default=None, description="Free-form pickup details (slot, note).")


class ItemOut(BaseModel):
    id: int
    productId: int
    name: str
    quantity: Decimal
    unit: str = Field(description="kg | piece")
    unitPriceCents: int
    priceCents: int = Field(description="This item's price: unit price × quantity, rounded once, by the server.")


class CommandeOut(BaseModel):
    id: str
    number: str
    shop: str
    status: str = Field(description="PENDING | CONFIRMED | READY | PICKED_UP | CANCELLED")
    paymentStatus: str = Field(description="unpaid | processing | paid | failed | partially_refunded | refunded")
    paymentMethod: str = Field(description="ON_PICKUP | ONLINE")
    totalCents: int
    currency: str
    items: list[ItemOut]
    paidAt: str | None
    refundedAt: str | None
    stripeSessionId: str | None
    stripePaymentIntentId: str | None
    createdAt: str | None


class CheckoutIn(_In):
    orderId: str = Field(max_length=40)


class CheckoutOut(BaseModel):
    url: str


# --- routes ------------------------------------------------------------------------------------


@router.post(
    "/api/klikandgo/orders",
    status_code=status.HTTP_201_CREATED,
    summary="Place an order in the seed's shape (seed 002): items and paymentMethod ON_PICKUP | ONLINE",
    description=(
        "The seed's `POST /api/orders`, under its own prefix: `/api/orders` is the native route. Prices come "
        "from the database; an item carrying `priceCents` is refused."
    ),
    responses=responses(401, 409, 422),
)
def place_order(
    body: CommandeIn, actor: CurrentActor, uow: Uow, payment_uow: PaymentUow, now: Now, settings: Settings_
) -> CommandeOut:
    shop = catalog.shop_of_product(uow, body.items[0].productId)
    command = ordering.PlaceOrder(
        shop=shop.slug,
        lines=[ordering.LineRequest(item.productId, item.quantity) for item in body.items],
        payment_method=METHOD[body.paymentMethod],
        pickup=body.pickup,
    )
    view = ordering.place_order(uow, actor, command, now(), hold_minutes=settings.hold_minutes)
    return _commande(OrderWithPayments(view, payment_facts(payment_uow, view.id)))


@router.get(
    "/api/klikandgo/orders/{order_id}",
    summary="One of your orders in the seed's Prisma shape (seed 002)",
    responses=responses(401, 404, 422),
)
def get_order(order_id: str, actor: CurrentActor, uow: PaymentUow) -> CommandeOut:
    return _commande(my_order_with_payments(uow, actor, order_id))


@router.post(
    "/api/checkout",
    summary="Pay an ONLINE order on Stripe Checkout (seed 002): `{orderId}` -> `{url}`",
    description="Prices come from the order (the server's). ON_PICKUP orders answer 409 `order_pays_on_pickup`.",
    responses=responses(401, 404, 409, 422),
)
def create_checkout(
    body: CheckoutIn, actor: CurrentActor, uow: PaymentUow, gateway: Gateway, now: Now, settings: Settings_
) -> CheckoutOut:
    base = settings.public_url.rstrip("/")
    urls = checkout.CheckoutUrls(
        success_url=f"{base}/commande/{body.orderId}/confirmation?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}/panier?order_id={body.orderId}",
    )
    return CheckoutOut(url=checkout.start_checkout(uow, gateway, actor, body.orderId, urls=urls, now=now()).url)


router.add_api_route(
    "/api/webhooks/stripe",
    payments.stripe_webhook,
    methods=["POST"],
    summary="Webhook Stripe (seed 002): same handler as /webhooks/stripe, signature always verified",
    responses=responses(400, 503),
)


# --- mapping -----------------------------------------------------------------------------------


def _commande(found: OrderWithPayments) -> CommandeOut:
    order, facts = found.order, found.payments
    return CommandeOut(
        id=order.id,
        number=order.number,
        shop=order.shop_slug,
        status=STATUS[order.status.value],
        paymentStatus=order.payment_status.value,
        paymentMethod=next(theirs for theirs, ours in METHOD.items() if ours == order.payment_method.value),
        totalCents=order.total,
        currency=order.currency,
        items=[
            ItemOut(
                id=line.id,
                productId=line.product_id,
                name=line.name,
                quantity=line.quantity,
                unit=line.unit.value,
                unitPriceCents=line.unit_price,
                priceCents=line.line_total,
            )
            for line in order.lines
        ],
        paidAt=js_iso(facts.paid_at),
        refundedAt=js_iso(facts.refunded_at),
        stripeSessionId=facts.checkout_session_id,
        stripePaymentIntentId=facts.payment_intent_id,
        createdAt=js_iso(order.created_at),
    )

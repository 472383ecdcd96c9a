"""Seed 001, the Stripe Checkout course (Express): one authenticated call buys one resource.

`POST /create-checkout-session/{id}` places an order for one of product `{id}` and starts its
Checkout Session, answering `{status: "success", session}` as the course's backend does; the
browser goes to `session.url`.

The course books on its success URL (`/?tour=…&user=…&price=…`) and says itself that "everyone
can make booking without paying". Here the booking is the order, and only fulfilment (the
verified webhook, or the success page re-reading the session from Stripe) marks it paid. The
course's booking URL is answered with an explanation instead of a booking.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from comptoir.api.compat.common import tag
from comptoir.api.deps import CurrentActor, Gateway, Now, PaymentUow, Settings_, Uow
from comptoir.api.problems import problem
from comptoir.api.problems_doc import responses
from comptoir.api.routers.payments import checkout_urls
from comptoir.api.schemas import MAX_ID
from comptoir.services import catalog
from comptoir.services.orders import ordering
from comptoir.services.payments import checkout

TAG = tag("001")

router = APIRouter(tags=[TAG])


class RessourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_address: dict[str, Any] | None = Field(
        default=None, description="Only for a shop that delivers (the course's resources need none)."
    )


class SessionOut(BaseModel):
    id: str = Field(description="The Checkout Session id (cs_…), what `stripe.redirectToCheckout` takes.")
    object: str = "checkout.session"
    url: str = Field(description="Stripe's hosted payment page.")
    expires_at: datetime
    metadata: dict[str, str] = Field(description="`order_id`: the booking, marked paid only by fulfilment.")


class CheckoutOut(BaseModel):
    status: str = "success"
    session: SessionOut


@router.post(
    "/create-checkout-session/{product_id}",
    summary="Buy one of a product on Stripe Checkout (seed 001)",
    description=(
        "Places an order for one of the product (priced by the server) and starts its Checkout Session. "
        "The order is marked paid by the verified webhook or the success page, never by a URL."
    ),
    responses=responses(401, 409, 422),
)
def create_checkout_session(
    product_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    actor: CurrentActor,
    uow: Uow,
    payment_uow: PaymentUow,
    gateway: Gateway,
    now: Now,
    settings: Settings_,
    body: Annotated[RessourceIn | None, Body()] = None,
) -> CheckoutOut:
    shop = catalog.shop_of_product(uow, product_id)
    command = ordering.PlaceOrder(
        shop=shop.slug,
        lines=[ordering.LineRequest(product_id, 1)],
        payment_method="online",
        delivery_address=body.delivery_address if body is not None else None,
    )
    order = ordering.place_order(uow, actor, command, now(), hold_minutes=settings.hold_minutes)
    urls = checkout_urls(settings.public_url)
    urls = checkout.CheckoutUrls(urls.success_url, f"{urls.cancel_url}?order_id={order.id}")
    link = checkout.start_checkout(payment_uow, gateway, actor, order.id, urls=urls, now=now())
    return CheckoutOut(
        session=SessionOut(id=link.id, url=link.url, expires_at=link.expires_at, metadata={"order_id": order.id})
    )


@router.get(
    "/",
    summary="Home; the course's booking URL (`/?tour=…&user=…&price=…`) books nothing",
    responses={400: {"description": "The course's query-string booking, refused with an explanation."}},
)
def home(
    tour: Annotated[str | None, Query(max_length=200)] = None,
    user: Annotated[str | None, Query(max_length=200)] = None,
    price: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if tour is None and user is None and price is None:
        return RedirectResponse("/docs", status_code=307)
    answer: JSONResponse = problem(
        400,
        "booking_needs_payment",
        "Nothing was booked: a URL is no proof of payment. An order is marked paid only when Stripe "
        "confirms it (the verified webhook, or the success page re-reading the Checkout Session).",
        title="Bookings are not made from a URL",
    )
    return answer

"""Orders over HTTP: a customer places, lists, reads and cancels their own orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, status

from comptoir.api.deps import CurrentActor, Gateway, Now, PaymentUow, Settings_, Uow
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import CancelIn, CustomerOrderOut, OrderIn
from comptoir.services.orders import ordering

router = APIRouter(tags=["orders"])


@router.post(
    "/api/orders",
    status_code=status.HTTP_201_CREATED,
    summary="Place an order: the server prices it and holds the stock",
    description=(
        "Send product ids and quantities. Prices come from the database; a `unit_price` you send is only "
        "compared, and a difference is refused with 409 `price_changed` naming the lines. Too little stock "
        "is 409 `out_of_stock`. Send an `Idempotency-Key` (your own unique value per order, e.g. a UUID) to "
        "retry safely: the same request again with the same key answers the order the first one placed, "
        "without holding stock twice; the same key with another request is 409 `idempotency_key_reused`."
    ),
    responses=responses(401, 409, 422),
)
def place_order(
    body: OrderIn,
    actor: CurrentActor,
    uow: PaymentUow,
    now: Now,
    settings: Settings_,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Your unique value for this order (letters, digits, `_ . : -`, at most 64).",
        ),
    ] = None,
) -> CustomerOrderOut:
    command = ordering.PlaceOrder(
        shop=body.shop,
        lines=[ordering.LineRequest(line.product_id, line.quantity, line.unit_price) for line in body.lines],
        payment_method=body.payment_method,
        delivery_address=body.delivery_address,
        pickup=body.pickup,
    )
    return CustomerOrderOut.of_customer(
        ordering.place_order(
            uow, actor, command, now(), hold_minutes=settings.hold_minutes, idempotency_key=idempotency_key
        )
    )


@router.get("/api/orders", summary="Your orders, newest first", responses=responses(401, 422))
def list_orders(
    actor: CurrentActor,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=ordering.MAX_PAGE)] = 20,
    before: Annotated[
        str | None, Query(description="Id of the last order of the previous page.", max_length=40)
    ] = None,
) -> list[CustomerOrderOut]:
    return [CustomerOrderOut.of_customer(order) for order in ordering.list_my_orders(uow, actor, limit, before)]


@router.get("/api/orders/{order_id}", summary="One of your orders", responses=responses(401, 404, 422))
def get_order(order_id: str, actor: CurrentActor, uow: Uow) -> CustomerOrderOut:
    return CustomerOrderOut.of_customer(ordering.get_my_order(uow, actor, order_id))


@router.post(
    "/api/orders/{order_id}/cancel",
    summary="Cancel one of your orders while it is unpaid; its stock is released",
    description=(
        "The order's open payment pages and card payments are closed at Stripe first, so nothing can be paid "
        "after the cancel. If a payment completed meanwhile, it won: the order stays paid and the answer is "
        "409 `not_cancellable`. Money that still lands on a cancelled order is refunded automatically."
    ),
    responses=responses(401, 404, 409, 422, 503),
)
def cancel_order(
    order_id: str,
    actor: CurrentActor,
    uow: PaymentUow,
    gateway: Gateway,
    now: Now,
    body: Annotated[CancelIn | None, Body()] = None,
) -> CustomerOrderOut:
    reason = body.reason if body is not None else ""
    return CustomerOrderOut.of_customer(ordering.cancel_order(uow, gateway, actor, order_id, now(), reason))

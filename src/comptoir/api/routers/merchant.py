"""The merchant's side over HTTP: the shop's orders, the workflow (ready, collect, complete,
refuse), refunds, and a Server-Sent Events feed for the shop screen.

Every route answers 404 for an order of a shop the caller does not manage (customers included), so
order ids cannot be probed. The routes that name no order (the list and the event feed) answer a
customer 403 `merchant_only`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field

from comptoir.api import event_stream
from comptoir.api.deps import CurrentActor, Gateway, Now, Tokens, bearer_token, get_payment_uow
from comptoir.api.merchant_schemas import CollectIn, CompleteIn, MerchantOrderOut, RefundIn, RefuseIn
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import Id, OrderOut, QuantityIn, _In
from comptoir.domain.actors import Actor
from comptoir.domain.errors import ComptoirError, InvalidInput
from comptoir.domain.orders import OrderStatus
from comptoir.services import accounts
from comptoir.services.merchant import feed, refunds, workflow
from comptoir.services.ports import UnitOfWork

router = APIRouter(tags=["merchant"])


def get_merchant_uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = get_payment_uow(request)
    return uow


MerchantUow = Annotated[UnitOfWork, Depends(get_merchant_uow)]


ORDER_LIST_FILTERS = frozenset({"status", "limit", "before"})


def _known_filters_only(request: Request, _authenticated_first: CurrentActor) -> None:
    """A filter the list does not know is refused rather than ignored: `?payment_status=paid` would
    otherwise answer every order, and look like an answer to the question asked."""
    unknown = sorted(set(request.query_params) - ORDER_LIST_FILTERS)
    if unknown:
        raise InvalidInput(
            f"unknown filter(s): {', '.join(unknown)}; this list filters by {', '.join(sorted(ORDER_LIST_FILTERS))}",
            code="unknown_filter",
            filters=unknown,
        )


@router.get(
    "/api/merchant/orders",
    summary="Your shops' orders, newest first",
    description="Page on with `before` = the last id of the previous page. Customers get 403 `merchant_only`. "
    "Any other query parameter is refused with 422 `unknown_filter` naming it.",
    responses=responses(401, 403, 422),
    dependencies=[Depends(_known_filters_only)],
)
def list_orders(
    actor: CurrentActor,
    uow: MerchantUow,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=workflow.MAX_PAGE)] = 20,
    before: Annotated[
        str | None, Query(max_length=40, description="Id of the last order of the previous page.")
    ] = None,
) -> list[OrderOut]:
    return [OrderOut.of(view) for view in workflow.list_orders(uow, actor, status=status, limit=limit, before=before)]


@router.get(
    "/api/merchant/orders/{order_id}",
    summary="One order of your shops, with its history, money (paid, refunded, refundable), refunds and open reviews",
    responses=responses(401, 404, 422),
)
def get_order(order_id: str, actor: CurrentActor, uow: MerchantUow) -> MerchantOrderOut:
    return MerchantOrderOut.of_merchant(workflow.get_order(uow, actor, order_id))


class FinalLineIn(_In):
    line_id: Id
    quantity: QuantityIn = Field(description="The weighed quantity (up to 3 decimals for kg).")


class ReadyIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"final_lines": [{"line_id": 1, "quantity": "1.333"}]}]})

    final_lines: list[FinalLineIn] | None = Field(
        default=None,
        max_length=100,
        description="Weighed goods: the weighed quantity of each line (lines not named keep theirs). The card "
        "authorisation is captured for the server-priced total; 409 `capture_exceeds_authorisation` above it.",
    )


@router.post(
    "/api/merchant/orders/{order_id}/ready",
    summary="Mark an order ready for pickup (the customer is told); weighed goods are captured here",
    responses=responses(401, 404, 409, 422),
)
def mark_ready(
    order_id: str,
    actor: CurrentActor,
    uow: MerchantUow,
    gateway: Gateway,
    now: Now,
    body: Annotated[ReadyIn | None, Body()] = None,
) -> MerchantOrderOut:
    finals = [{"line_id": line.line_id, "quantity": line.quantity} for line in (body.final_lines or [])] if body else []
    view = workflow.mark_ready(uow, actor, order_id, now=now(), gateway=gateway, final_lines=finals)
    return MerchantOrderOut.of_merchant(view)


@router.post(
    "/api/merchant/orders/{order_id}/complete",
    summary="Hand an order over (collected or delivered)",
    description=(
        "409 `payment_not_collected` while nothing was paid: record a pay-at-pickup payment with `…/collect`. "
        "With `pickup_code`, the code the customer gives must be the order's (409 `pickup_code_mismatch`, "
        "nothing recorded). The body is optional."
    ),
    responses=responses(401, 404, 409, 422),
)
def complete(
    order_id: str,
    actor: CurrentActor,
    uow: MerchantUow,
    now: Now,
    body: Annotated[CompleteIn | None, Body()] = None,
) -> MerchantOrderOut:
    code = body.pickup_code if body is not None else None
    return MerchantOrderOut.of_merchant(workflow.complete(uow, actor, order_id, now=now(), pickup_code=code))


@router.post(
    "/api/merchant/orders/{order_id}/collect",
    summary="Record the payment of a pay-at-pickup order at the counter, which completes it",
    description=(
        "`amount` must equal the order total (409 `collect_amount_mismatch` otherwise, nothing recorded). "
        "With `pickup_code`, the code the customer gives must be the order's (409 `pickup_code_mismatch`, "
        "nothing recorded). Collecting again answers the completed order unchanged."
    ),
    responses=responses(401, 404, 409, 422),
)
def collect(order_id: str, body: CollectIn, actor: CurrentActor, uow: MerchantUow, now: Now) -> MerchantOrderOut:
    view = workflow.collect_payment(
        uow, actor, order_id, method=body.method, amount=body.amount, now=now(), pickup_code=body.pickup_code
    )
    return MerchantOrderOut.of_merchant(view)


@router.post(
    "/api/merchant/orders/{order_id}/refuse",
    summary="Refuse an order: cancelled, stock released, everything paid refunded (or the authorisation released)",
    responses=responses(401, 404, 409, 422, 503),
)
def refuse(
    order_id: str, body: RefuseIn, actor: CurrentActor, uow: MerchantUow, gateway: Gateway, now: Now
) -> MerchantOrderOut:
    view = refunds.refuse(uow, gateway, actor, order_id, reason=body.reason, now=now())
    return MerchantOrderOut.of_merchant(view)


@router.post(
    "/api/merchant/orders/{order_id}/refunds",
    summary="Refund part or all of what was paid: an amount, or order lines",
    description=(
        "Never more than `refundable` (409 `refund_exceeds_refundable`), nor a line beyond its quantity "
        "(409 `refund_exceeds_line`). 409 `refund_refused` when the provider refuses it."
    ),
    responses=responses(401, 404, 409, 422, 503),
)
def refund(
    order_id: str, body: RefundIn, actor: CurrentActor, uow: MerchantUow, gateway: Gateway, now: Now
) -> MerchantOrderOut:
    command = refunds.RefundCommand(
        reason=body.reason,
        amount=body.amount,
        lines=tuple(refunds.RefundLine(line.line_id, line.quantity) for line in body.lines or ()),
    )
    return MerchantOrderOut.of_merchant(refunds.refund(uow, gateway, actor, order_id, command, now=now()))


@router.get(
    "/api/merchant/events",
    summary="Server-Sent Events: your shops' order events, live",
    description=(
        "`text/event-stream`. Events: `order.paid`, `order.authorised` (weighed goods: the card holds the money "
        "until the capture), `order.pickup_placed`, `order.payment_collected`, "
        "`order.ready`, `order.completed`, `order.cancelled`, `order.refunded`, `order.refund_failed`, "
        "`order.seen` (someone at the counter saw a new order: stop ringing for it); `data` is "
        "JSON naming the order. Each event has an `id:`; reconnect with `Last-Event-ID` to resume after it (without "
        "it, the stream starts with what happens next). A `: keep-alive` comment is sent when idle. Authenticate "
        "with the Authorization header, or — since a browser's EventSource cannot set headers — with an "
        "`access_token` query parameter. Customers get 403 `merchant_only`."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **responses(401, 403, 422)},
)
async def events(
    request: Request,
    uow: MerchantUow,
    tokens: Tokens,
    access_token: Annotated[str | None, Query(description="The bearer token, for EventSource.")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    token = _stream_token(request.headers.get("authorization"), access_token)
    actor = await run_in_threadpool(_actor, uow, tokens, token)
    workflow.shops_of(actor)  # a customer's 403 before the stream starts
    resume_after = _last_event_id(last_event_id)
    return StreamingResponse(
        _stream(request, tokens, token, actor, resume_after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _stream_token(authorization: str | None, access_token: str | None) -> str:
    if authorization is None and access_token:
        return access_token
    return bearer_token(authorization)


def _actor(uow: UnitOfWork, tokens: Tokens, token: str) -> Actor:
    return accounts.actor_for(uow, tokens.verify(token))


def _last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(
            "Last-Event-ID is the id of an event this stream sent", code="invalid_last_event_id"
        ) from exc


def _stream(
    request: Request, tokens: Tokens, token: str, actor: Actor, last_event_id: int | None
) -> AsyncIterator[str]:
    def frame(event: feed.MerchantEvent) -> str:
        return f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(event.data)}\n\n"

    def token_expired() -> str | None:
        try:
            tokens.verify(token)
        except ComptoirError:
            return "event: token_expired\ndata: {}\n\n"
        return None

    return event_stream.order_events(request, actor, last_event_id, frame=frame, ending=token_expired)

"""The counter board (`/merchant`): today's work by column, live, ringing for new orders.

The page reads the board once and remembers the live feed's position; `static/board.js` then
follows `/merchant/board/events` (Server-Sent Events from the shop's `FeedHub`, resumed with
`Last-Event-ID`, or `?after=` when the script reconnects by itself) and, for each event, asks for
that order's card again (`/merchant/board/cards/{id}`) and puts it in its column. After a drop it
reloads the columns (`/merchant/board`), so whatever happened meanwhile is shown.

Card actions are forms. The script sends them with `X-Board: 1` and places the card that comes
back (204: the order left the board); without the script they post and come back to `/merchant`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from comptoir.api import event_stream
from comptoir.api.deps import Gateway, Now
from comptoir.api.routers.merchant import MerchantUow
from comptoir.domain.actors import Actor
from comptoir.domain.errors import ComptoirError, Conflict, InvalidInput, NotFound
from comptoir.domain.money import Money
from comptoir.services.merchant import board as counter
from comptoir.services.merchant import feed
from comptoir.services.merchant.workflow import CounterMethod
from comptoir.web.day_pages import is_staff
from comptoir.web.guards import SignedIn, csrf_protected
from comptoir.web.i18n import N_, translations
from comptoir.web.keypad import keypad_number
from comptoir.web.rendering import language_of, redirect, render
from comptoir.web.status_words import BOARD_PAYMENT_WORDS

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

STREAM_SECONDS = event_stream.STREAM_SECONDS
"""How long one board stream lasts before the browser reconnects (a module setting, so tests can shorten it)."""

ORDER_ID = re.compile(r"^ord_[A-Za-z0-9]{1,36}$")
BOARD_HEADER = "x-board"
REASON_MAX = 500

REFUSAL_REASONS: dict[str, str] = {
    "out_of_stock": N_("Sorry, we are out of one of the products you ordered."),
    "closed": N_("Sorry, the shop is closed at the time you chose."),
    "too_many": N_("Sorry, we cannot prepare this many orders today."),
    "delivery_area": N_("Sorry, we do not deliver to this address."),
}
"""The refusals a shop makes most, in the words the customer reads (the merchant may write their own)."""

TROUBLE: dict[str, str] = {
    "pickup_code_required": N_("Ask the customer for their pickup code."),
    "pickup_code_mismatch": N_("This is not the pickup code of this order. Ask the customer again."),
    "collect_amount_required": N_("Type the amount taken and say how it was paid."),
    "collect_amount_mismatch": N_("The amount taken is not the order's total. Check the order before handing it over."),
    "invalid_collect_method": N_("Say whether the customer paid cash or by card."),
    "invalid_amount": N_("Type an amount like 12.50."),
    "payment_not_collected": N_("This order is not paid yet: take the payment first."),
    "already_collected": N_("This order was already paid at the counter."),
    "reason_required": N_("Say why: the customer reads it."),
    "order_not_ready": N_("This order is not ready yet."),
    "order_cancelled": N_("This order was cancelled."),
    "upstream_unavailable": N_("The payment service does not answer right now. Try again in a minute."),
}
UNKNOWN_TROUBLE = N_("This could not be done. The card shows the order as it is now.")


@router.get("/merchant", response_class=HTMLResponse)
async def board_page(request: Request, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    found = await run_in_threadpool(counter.board, uow, actor, now=now(), zone=_zone(request))
    return render(request, "merchant/board.html", _board_words(found), zone=found.zone)


@router.get("/merchant/board", response_class=HTMLResponse)
async def columns(request: Request, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    """The columns alone, for the script to catch up after the connection came back."""
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    found = await run_in_threadpool(counter.board, uow, actor, now=now(), zone=_zone(request))
    return render(request, "merchant/_board.html", _board_words(found), zone=found.zone)


@router.get("/merchant/board/cards/{order_id}", response_class=HTMLResponse)
async def card(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    return await _card_answer(request, actor, order_id, _reader(uow, actor, order_id, now, _zone(request)))


@router.get("/merchant/board/events")
async def events(
    request: Request,
    actor: SignedIn,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    """The shop's order events for the board: `event: order`, `data: {"order_id", "type"}`."""
    if not is_staff(actor):
        return Response(status_code=403)
    resume = _event_id(last_event_id) if last_event_id is not None else _event_id(request.query_params.get("after"))
    return StreamingResponse(
        _stream(request, actor, resume),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


@router.post("/merchant/board/cards/{order_id}/seen", response_class=HTMLResponse)
async def seen(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    zone = _zone(request)
    return await _card_answer(
        request,
        actor,
        order_id,
        lambda: counter.mark_seen(uow, actor, order_id, now=now(), zone=zone),
        _reader(uow, actor, order_id, now, zone),
    )


@router.post("/merchant/board/cards/{order_id}/ready", response_class=HTMLResponse)
async def ready(
    request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, gateway: Gateway, now: Now
) -> Response:
    zone = _zone(request)
    return await _card_answer(
        request,
        actor,
        order_id,
        lambda: counter.ready(uow, gateway, actor, order_id, now=now(), zone=zone),
        _reader(uow, actor, order_id, now, zone),
    )


@router.post("/merchant/board/cards/{order_id}/ready-again", response_class=HTMLResponse)
async def ready_again(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    zone = _zone(request)
    return await _card_answer(
        request,
        actor,
        order_id,
        lambda: counter.send_ready_again(uow, actor, order_id, now=now(), zone=zone),
        _reader(uow, actor, order_id, now, zone),
        sent_again=True,
    )


@router.post("/merchant/board/cards/{order_id}/refuse", response_class=HTMLResponse)
async def refuse(
    request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, gateway: Gateway, now: Now
) -> Response:
    zone = _zone(request)
    form = await request.form()
    reason = _refusal_reason(form, language_of(request))
    return await _card_answer(
        request,
        actor,
        order_id,
        lambda: counter.refuse(uow, gateway, actor, order_id, reason=reason, now=now(), zone=zone),
        _reader(uow, actor, order_id, now, zone),
    )


@router.post("/merchant/board/cards/{order_id}/collect", response_class=HTMLResponse)
async def collect(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    zone = _zone(request)
    form = await request.form()

    def hand_over() -> counter.Card | None:
        return counter.hand_over(
            uow, actor, order_id, pickup_code=_text(form, "code", 8), taken=_taken(form), now=now(), zone=zone
        )

    return await _card_answer(request, actor, order_id, hand_over, _reader(uow, actor, order_id, now, zone))


async def _card_answer(
    request: Request,
    actor: Actor,
    order_id: str,
    work: Callable[[], counter.Card | None],
    current: Callable[[], counter.Card | None] | None = None,
    *,
    sent_again: bool = False,
) -> Response:
    """Run one service call and answer the order's card: to the script, the card (204 when the order
    left the board, 404 when it is not this shop's); to a plain form, the board again."""
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    scripted = request.method == "GET" or request.headers.get(BOARD_HEADER) == "1"
    trouble: dict[str, Any] = {}
    status_code = 200
    try:
        if not ORDER_ID.match(order_id):
            raise NotFound("no such order", code="order_not_found")
        found = await run_in_threadpool(work)
    except NotFound:
        return Response(status_code=404) if scripted else redirect(request, "/merchant")
    except ComptoirError as refused:
        status_code = _status(refused)
        trouble = {"trouble": TROUBLE.get(refused.code, UNKNOWN_TROUBLE), "trouble_code": refused.code}
        if not scripted:
            return redirect(request, "/merchant")
        try:
            found = await run_in_threadpool(current or work)
        except NotFound:
            return Response(status_code=404)
    if not scripted:
        return redirect(request, "/merchant")
    if found is None:
        return Response(status_code=204)
    context = {"card": found, "sent_again": sent_again, **_card_words(), **trouble}
    return render(request, "merchant/_card.html", context, status_code=status_code)


def _stream(request: Request, actor: Actor, resume_after: int | None) -> AsyncIterator[str]:
    def frame(event: feed.MerchantEvent) -> str:
        data = json.dumps({"order_id": event.order_id, "type": event.type})
        return f"id: {event.id}\nevent: order\ndata: {data}\n\n"

    return event_stream.order_events(request, actor, resume_after, frame=frame, seconds=STREAM_SECONDS)


def _reader(
    uow: MerchantUow, actor: Actor, order_id: str, now: Callable[[], datetime], zone: tzinfo
) -> Callable[[], counter.Card | None]:
    """The card as it is now, for after a refusal (what did happen is shown, not what was asked)."""
    return lambda: counter.card(uow, actor, order_id, now=now(), zone=zone)


def _zone(request: Request) -> tzinfo:
    return request.app.state.settings.time_zone_info


def _event_id(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _text(form: FormData, name: str, most: int) -> str:
    value = form.get(name)
    return value.strip()[:most] if isinstance(value, str) else ""


def _refusal_reason(form: FormData, language: str) -> str:
    """The merchant's own words, else the canned reason chosen, in the merchant's language."""
    own = _text(form, "reason", REASON_MAX)
    if own:
        return own
    canned = REFUSAL_REASONS.get(_text(form, "canned", 32))
    return translations(language).gettext(canned) if canned else ""


def _taken(form: FormData) -> counter.Taken | None:
    amount, currency, method = _text(form, "amount", 16), _text(form, "currency", 3), _text(form, "method", 16)
    if not amount and not method:
        return None
    try:
        counter_method = CounterMethod(method)
    except ValueError:
        raise InvalidInput("cash or card_terminal", code="invalid_collect_method") from None
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInput("the order's currency is missing", code="invalid_amount")
    return counter.Taken(counter_method, Money.from_major(keypad_number(amount, "invalid_amount"), currency).amount)


def _status(refused: ComptoirError) -> int:
    if isinstance(refused, Conflict):
        return 409
    return 400 if isinstance(refused, InvalidInput) else 502


def _board_words(found: counter.Board) -> dict[str, Any]:
    return {"board": found, "Column": counter.Column, **_card_words()}


def _card_words() -> dict[str, Any]:
    return {"board_payment_words": BOARD_PAYMENT_WORDS, "refusal_reasons": REFUSAL_REASONS}

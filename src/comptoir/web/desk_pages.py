"""The merchant's desk, reached from the counter board: the order list with its filters, an order's
detail and history, the weigh and refund dialogs (each with a confirmation step showing the money),
and the printable ticket; its router also carries the end of day (`day_pages`).

Routes parse the form or query, call one service function and render. Numbers typed on a keypad are
parsed here, once (a French comma is a decimal point); what the services refuse is shown on the
dialog in the merchant's words, with the status the API would answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from comptoir.api.deps import Gateway, Now
from comptoir.api.routers.merchant import MerchantUow
from comptoir.domain.actors import Actor
from comptoir.domain.errors import ComptoirError, Conflict, InvalidInput, NotFound
from comptoir.domain.money import Money
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.services.merchant import desk, refunds, workflow
from comptoir.services.payments.capture import FinalLine
from comptoir.web import day_pages, flashes
from comptoir.web.day_pages import is_staff, parse_day
from comptoir.web.guards import SignedIn, csrf_protected
from comptoir.web.i18n import N_
from comptoir.web.keypad import keypad_number
from comptoir.web.rendering import redirect, render, session_slot
from comptoir.web.status_words import COUNTER_STATUS_WORDS

_Choice = TypeVar("_Choice", OrderStatus, PaymentStatus, desk.Fulfilment)
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])
router.include_router(day_pages.router)

CURRENCY = re.compile(r"^[A-Za-z]{3}$")
TICKET_WIDTHS = ("58", "80")

TROUBLE: dict[str, str] = {
    "capture_exceeds_authorisation": N_(
        "This is more than the customer's card holds. Weigh less, or ask the customer to pay the difference."
    ),
    "refund_exceeds_refundable": N_("This is more than is left to refund on this order."),
    "refund_exceeds_line": N_("This line was already refunded."),
    "refund_amount_or_lines": N_("Choose the lines to refund, or type an amount — not both."),
    "invalid_refund_amount": N_("Type an amount above zero."),
    "reason_required": N_("Say why: the customer reads it."),
    "invalid_quantity": N_("Type a weight like 0.750 (at most three decimals)."),
    "invalid_amount": N_("Type an amount like 12.50."),
    "nothing_to_capture": N_("This order has no card payment waiting to be weighed."),
    "capture_failed": N_("The card payment could not be taken. Ask the customer to pay at the counter."),
    "upstream_unavailable": N_("The payment service does not answer right now. Try again in a minute."),
}
UNKNOWN_TROUBLE = N_("This could not be done. Reload the order and try again.")
NOT_YOURS = N_("There is no such order in your shop.")
BAD_FILTER = N_("These filters cannot be used. Change them and try again.")


@router.get("/merchant/orders", response_class=HTMLResponse)
async def order_list(request: Request, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    params = request.query_params
    try:
        query = desk.OrderQuery(
            status=_choice(params.get("status"), OrderStatus),
            payment_status=_choice(params.get("payment"), PaymentStatus),
            date_from=parse_day(params.get("from")),
            date_to=parse_day(params.get("to")),
            fulfilment=_choice(params.get("fulfilment"), desk.Fulfilment),
            text=params.get("q", ""),
            page=_page(params.get("page")),
        )
        page = await run_in_threadpool(
            desk.find_orders, uow, actor, query, zone=request.app.state.settings.time_zone_info, now=now()
        )
    except InvalidInput:
        return render(request, "merchant/orders.html", {**_list_words(), "bad_filter": BAD_FILTER}, status_code=400)
    return render(request, "merchant/orders.html", {**_list_words(), "page": page, "params": _kept(params)})


@router.get("/merchant/orders/{order_id}", response_class=HTMLResponse)
async def order_page(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow) -> Response:
    return await _order_template(request, actor, uow, order_id, "merchant/order.html")


@router.get("/merchant/orders/{order_id}/ticket", response_class=HTMLResponse)
async def ticket(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow) -> Response:
    width = request.query_params.get("width", TICKET_WIDTHS[-1])
    extra = {"width": width if width in TICKET_WIDTHS else TICKET_WIDTHS[-1], "widths": TICKET_WIDTHS}
    return await _order_template(request, actor, uow, order_id, "merchant/ticket.html", extra)


@router.get("/merchant/orders/{order_id}/weigh", response_class=HTMLResponse)
async def weigh_form(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow) -> Response:
    """`?after=board`: the weighing started from the counter board, and goes back there once done."""
    after = _after(request.query_params.get("after"))
    return await _order_template(request, actor, uow, order_id, "merchant/weigh.html", {"after": after})


@router.post("/merchant/orders/{order_id}/weigh", response_class=HTMLResponse)
async def weigh(
    request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, gateway: Gateway, now: Now
) -> Response:
    """First post: the new total against what the card holds. Second (`confirm`): capture and mark ready."""
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    form = await request.form()
    after = _after(form.get("after"))
    try:
        finals = _weights(form)
        if form.get("confirm") != "yes":
            preview = await run_in_threadpool(desk.weigh_preview, uow, actor, order_id, finals)
            context = {"order_id": order_id, "preview": preview, "after": after}
            return render(request, "merchant/weigh_confirm.html", context)
        await run_in_threadpool(
            workflow.mark_ready, uow, actor, order_id, now=now(), gateway=gateway, final_lines=finals
        )
    except NotFound:
        return _not_yours(request)
    except ComptoirError as refused:
        context = {**_trouble(refused), "after": after}
        return await _order_template(
            request, actor, uow, order_id, "merchant/weigh.html", context, status_code=_status(refused)
        )
    _flash(request, flashes.WEIGHED)
    return redirect(request, "/merchant" if after == "board" else f"/merchant/orders/{order_id}")


@router.get("/merchant/orders/{order_id}/refund", response_class=HTMLResponse)
async def refund_form(request: Request, order_id: str, actor: SignedIn, uow: MerchantUow) -> Response:
    return await _order_template(request, actor, uow, order_id, "merchant/refund.html")


@router.post("/merchant/orders/{order_id}/refund", response_class=HTMLResponse)
async def refund(
    request: Request, order_id: str, actor: SignedIn, uow: MerchantUow, gateway: Gateway, now: Now
) -> Response:
    """First post: the amount that would go back. Second (`confirm`): the refund itself."""
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    form = await request.form()
    try:
        command = _refund_command(form)
        if form.get("confirm") != "yes":
            amount = await run_in_threadpool(refunds.refund_amount, uow, actor, order_id, command)
            context = {"order_id": order_id, "amount": amount, "form": _echo(form), "reason": command.reason}
            return await _order_template(request, actor, uow, order_id, "merchant/refund_confirm.html", context)
        await run_in_threadpool(refunds.refund, uow, gateway, actor, order_id, command, now=now())
    except NotFound:
        return _not_yours(request)
    except ComptoirError as refused:
        return await _order_template(
            request, actor, uow, order_id, "merchant/refund.html", _trouble(refused), status_code=_status(refused)
        )
    _flash(request, flashes.REFUNDED)
    return redirect(request, f"/merchant/orders/{order_id}")


async def _order_template(
    request: Request,
    actor: Actor,
    uow: MerchantUow,
    order_id: str,
    template: str,
    extra: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    try:
        order = await run_in_threadpool(desk.order_detail, uow, actor, order_id)
    except NotFound:
        return _not_yours(request)
    context = {"desk": order, "counter_words": COUNTER_STATUS_WORDS, **(extra or {})}
    return render(request, template, context, status_code=status_code)


def _after(value: object) -> str:
    """Where a dialog goes back to once done: "board" (the counter board), else the order's page."""
    return "board" if value == "board" else ""


def _flash(request: Request, message_id: str) -> None:
    slot = session_slot(request)
    slot.replace(slot.session.with_flash(message_id))


def _not_yours(request: Request) -> Response:
    return render(request, "merchant/not_found.html", {"message": NOT_YOURS}, status_code=404)


def _trouble(refused: ComptoirError) -> dict[str, Any]:
    return {"trouble": TROUBLE.get(refused.code, UNKNOWN_TROUBLE), "trouble_code": refused.code}


def _status(refused: ComptoirError) -> int:
    if isinstance(refused, Conflict):
        return 409
    return 400 if isinstance(refused, InvalidInput) else 502


def _choice(value: str | None, kind: type[_Choice]) -> _Choice | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"unknown {kind.__name__}: {value[:40]}", code="invalid_filter") from None


def _page(value: str | None) -> int:
    if not value:
        return 1
    if not value.isdigit() or len(value) > 6:
        raise InvalidInput("a page is a number", code="invalid_page")
    return int(value)


def _kept(params: Mapping[str, str]) -> dict[str, str]:
    """The filters as chosen, to keep them on the page links (the page number is set per link)."""
    return {key: params[key] for key in ("status", "payment", "from", "to", "fulfilment", "q") if params.get(key)}


def _list_words() -> dict[str, Any]:
    return {
        "statuses": list(OrderStatus),
        "payment_statuses": list(PaymentStatus),
        "counter_words": COUNTER_STATUS_WORDS,
    }


def _weights(form: FormData) -> list[FinalLine]:
    """`weight-<line id>` fields; an empty one keeps what was ordered."""
    finals = []
    for key, value in form.multi_items():
        if key.startswith("weight-") and key[7:].isdigit() and isinstance(value, str) and value.strip():
            finals.append(FinalLine(int(key[7:]), keypad_number(value, "invalid_quantity")))
    return finals


def _refund_command(form: FormData) -> refunds.RefundCommand:
    """Whole lines (`line` checkboxes) or an amount in major units, with the reason."""
    reason = form.get("reason")
    amount = form.get("amount")
    currency = form.get("currency")
    lines = tuple(
        refunds.RefundLine(int(value)) for value in form.getlist("line") if isinstance(value, str) and value.isdigit()
    )
    minor = None
    if isinstance(amount, str) and amount.strip():
        if not isinstance(currency, str) or not CURRENCY.match(currency):
            raise InvalidInput("the order's currency is missing", code="invalid_amount")
        minor = Money.from_major(keypad_number(amount, "invalid_amount"), currency)
    return refunds.RefundCommand(
        reason=reason if isinstance(reason, str) else "", amount=minor.amount if minor else None, lines=lines
    )


def _echo(form: FormData) -> list[tuple[str, str]]:
    """The dialog's fields, carried as hidden inputs to the confirmation step."""
    return [
        (key, value)
        for key, value in form.multi_items()
        if key in ("line", "amount", "currency", "reason") and isinstance(value, str)
    ]

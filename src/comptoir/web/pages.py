"""Checkout landing pages. Each parses, calls one service function, and renders."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from comptoir.api.deps import Gateway, Now, PaymentUow
from comptoir.domain.errors import ComptoirError
from comptoir.domain.payments import AttemptKind, provider_kind
from comptoir.services.payments import checkout
from comptoir.web.i18n import N_
from comptoir.web.rendering import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("comptoir.pages")

REFRESH_SECONDS = 2

# What the problem page tells a customer. The developer's detail (ids, codes, the provider's
# message) goes to the log, not to the page.
INCOMPLETE_LINK = N_("This link is incomplete: it does not say which payment it is about. Open it again from the shop.")
UNKNOWN_PAYMENT = N_("We do not know this payment. Check that the link is complete, or open it again from the shop.")
UNKNOWN_ORDER = N_("We could not find this order. Check that the link is complete, or open it again from the shop.")
PAYMENT_SERVICE_DOWN = N_("We cannot reach the payment service right now. Please reload this page in a minute.")


@router.get("/checkout/success", response_class=HTMLResponse)
async def checkout_success(
    request: Request,
    uow: PaymentUow,
    gateway: Gateway,
    now: Now,
    session_id: Annotated[str, Query(max_length=255)] = "",
) -> HTMLResponse:
    if provider_kind(session_id) is not AttemptKind.CHECKOUT_SESSION:
        return _problem_page(request, 400, INCOMPLETE_LINK)
    try:
        landing = await run_in_threadpool(checkout.success_landing, uow, gateway, session_id, now=now())
    except ComptoirError as exc:
        if exc.code in {"provider_object_missing", "session_not_ours"}:
            return _problem_page(request, 404, UNKNOWN_PAYMENT)
        log.warning("success page for %s: %s (%s)", session_id, exc.detail, exc.code)
        return _problem_page(request, 503, PAYMENT_SERVICE_DOWN)
    return render(
        request, "checkout_success.html", {"landing": landing, "refresh": None if landing.final else REFRESH_SECONDS}
    )


@router.get("/checkout/cancel", response_class=HTMLResponse)
async def checkout_cancel(
    request: Request, uow: PaymentUow, now: Now, order_id: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    try:
        landing = await run_in_threadpool(checkout.cancel_landing, uow, order_id, now=now())
    except ComptoirError:
        return _problem_page(request, 404, UNKNOWN_ORDER)
    return render(request, "checkout_cancel.html", {"landing": landing})


def _problem_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "problem.html", {"message": message}, status_code=status)

"""Checkout landing pages. Each parses, calls one service function, and renders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from comptoir.api.deps import Gateway, Now, PaymentUow
from comptoir.domain.errors import ComptoirError
from comptoir.domain.money import Money
from comptoir.services import checkout

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["money"] = lambda amount, currency: Money(int(amount), currency).format()

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 2
STATIC = Path(__file__).parent / "static"


def install_static(app: FastAPI) -> None:
    """The pages' stylesheet and scripts, at /static (their CSP loads nothing inline)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


@router.get("/checkout/success", response_class=HTMLResponse)
async def checkout_success(
    request: Request,
    uow: PaymentUow,
    gateway: Gateway,
    now: Now,
    session_id: Annotated[str, Query(max_length=255)] = "",
) -> HTMLResponse:
    if not session_id.startswith("cs_"):
        return _problem_page(request, 400, "This link is missing its checkout session id (session_id=cs_…).")
    try:
        landing = await run_in_threadpool(checkout.success_landing, uow, gateway, session_id, now=now())
    except ComptoirError as exc:
        return _problem_page(
            request, 404 if exc.code in {"provider_object_missing", "session_not_ours"} else 503, exc.detail
        )
    return templates.TemplateResponse(
        request, "checkout_success.html", {"landing": landing, "refresh": None if landing.final else REFRESH_SECONDS}
    )


@router.get("/checkout/cancel", response_class=HTMLResponse)
async def checkout_cancel(
    request: Request, uow: PaymentUow, now: Now, order_id: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    try:
        landing = await run_in_threadpool(checkout.cancel_landing, uow, order_id, now=now())
    except ComptoirError as exc:
        return _problem_page(request, 404, exc.detail)
    return templates.TemplateResponse(request, "checkout_cancel.html", {"landing": landing})


def _problem_page(request: Request, status: int, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "problem.html", {"message": message}, status_code=status)

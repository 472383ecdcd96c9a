"""The counter screen's pages. For now `/merchant`: today's orders, read-only (the live board comes next)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from comptoir.api.deps import Now
from comptoir.api.routers.merchant import MerchantUow
from comptoir.domain.actors import Role
from comptoir.services.merchant import day as merchant_day
from comptoir.web.guards import SignedIn, csrf_protected
from comptoir.web.rendering import render
from comptoir.web.status_words import COUNTER_STATUS_WORDS

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])


@router.get("/merchant", response_class=HTMLResponse)
async def todays_orders(request: Request, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        return render(request, "staff_only.html", status_code=403)
    day = await run_in_threadpool(
        merchant_day.orders_of_the_day,
        uow,
        actor,
        now=now(),
        zone=request.app.state.settings.time_zone_info,
    )
    return render(request, "merchant/today.html", {"day": day, "counter_words": COUNTER_STATUS_WORDS}, zone=day.zone)

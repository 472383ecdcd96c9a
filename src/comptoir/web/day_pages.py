"""The end of the merchant's day: `/merchant/day` sums up a day (orders, takings by payment method,
refunds, authorisations waiting for capture) and `/merchant/export.csv` hands the accountant the
orders, payments and refunds of a date range as a spreadsheet file.

The CSV is UTF-8 with a byte-order mark (so spreadsheet programs read the accents), comma-separated
with a header; amounts in major units with their currency in the next column, times in the shop's
zone. A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is quoted with `'`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta, tzinfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from comptoir.api.deps import Now
from comptoir.api.routers.merchant import MerchantUow
from comptoir.domain.actors import Actor, Role
from comptoir.domain.errors import InvalidInput
from comptoir.domain.money import Money
from comptoir.services.merchant import board, takings
from comptoir.services.ports import UnitOfWork
from comptoir.web.guards import SignedIn, csrf_protected
from comptoir.web.i18n import N_
from comptoir.web.rendering import render
from comptoir.web.status_words import COUNTER_STATUS_WORDS

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

CSV_HEADER = ("record", "time", "order", "customer", "what", "amount", "currency", "note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
METHOD_WORDS = {
    takings.Takings.ONLINE.value: N_("Online, by card"),
    takings.Takings.CASH.value: N_("Cash at the counter"),
    takings.Takings.CARD_TERMINAL.value: N_("Card terminal at the counter"),
}
BAD_DATES = N_("These dates cannot be used: a range of at most 92 days, the end after the start.")


@router.get("/merchant/day", response_class=HTMLResponse)
async def day_page(request: Request, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    zone = await shop_zone(request, uow, actor)
    today = now().astimezone(zone).date()
    try:
        day = parse_day(request.query_params.get("date")) or today
        summary = await run_in_threadpool(takings.day_summary, uow, actor, day, zone=zone)
    except InvalidInput:
        return render(
            request, "merchant/day.html", {"bad_dates": BAD_DATES, "today": today}, status_code=400, zone=zone
        )
    context = {
        "summary": summary,
        "today": today,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1) if day < today else None,
        "method_words": METHOD_WORDS,
        "counter_words": COUNTER_STATUS_WORDS,
        "now": now(),
    }
    return render(request, "merchant/day.html", context, zone=zone)


@router.get("/merchant/export.csv")
async def export(request: Request, actor: SignedIn, uow: MerchantUow, now: Now) -> Response:
    if not is_staff(actor):
        return render(request, "staff_only.html", status_code=403)
    zone = await shop_zone(request, uow, actor)
    today = now().astimezone(zone).date()
    try:
        first = parse_day(request.query_params.get("from")) or today
        last = parse_day(request.query_params.get("to")) or first
        rows = await run_in_threadpool(takings.export_rows, uow, actor, first, last, zone=zone)
    except InvalidInput:
        return render(request, "merchant/day.html", {"bad_dates": BAD_DATES, "today": today}, status_code=400)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            (
                row.record,
                row.at.astimezone(zone).isoformat(sep=" ", timespec="seconds"),
                row.order_number,
                _cell(row.customer),
                row.what,
                str(Money(row.amount, row.currency).to_decimal()),
                row.currency,
                _cell(row.note),
            )
        )
    name = f"comptoir-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )


def parse_day(value: str | None) -> date | None:
    """A `YYYY-MM-DD` query parameter (None when empty); anything else is refused."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput("dates are YYYY-MM-DD", code="invalid_date") from None


async def shop_zone(request: Request, uow: UnitOfWork, actor: Actor) -> tzinfo:
    """The merchant's shops' own time zone (COMPTOIR_TIME_ZONE when their shops do not share one)."""
    fallback = request.app.state.settings.time_zone_info
    return await run_in_threadpool(board.shops_zone, uow, actor, fallback=fallback)


def is_staff(actor: Actor) -> bool:
    return actor.role in (Role.MERCHANT, Role.ADMIN)


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text

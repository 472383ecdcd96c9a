"""Setting up shops: `/merchant/shop`, where merchants edit their own shop, and `/admin/shops`, where an
admin creates shops and binds merchants to them. Each route parses, calls one service, maps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from comptoir.api.deps import Uow
from comptoir.domain.actors import Actor, Role
from comptoir.domain.errors import ComptoirError, InvalidInput, NotFound
from comptoir.domain.shop_settings import ShopSettings
from comptoir.services import shops
from comptoir.web import flashes, shop_forms
from comptoir.web.guards import SignedIn, csrf_protected
from comptoir.web.rendering import redirect, render, session_slot

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

MAX_EMAIL = 254
MAX_SLUG = 64


@router.get("/merchant/shop", response_class=HTMLResponse)
async def shop_settings_page(
    request: Request, actor: SignedIn, uow: Uow, shop: Annotated[int | None, Query(ge=1, le=2**31)] = None
) -> Response:
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        return render(request, "staff_only.html", status_code=403)
    if shop is None:
        mine = await run_in_threadpool(shops.shops_of_actor, uow, actor)
        if len(mine) != 1:
            return render(request, "merchant/shop_choice.html", {"shops": mine})
        return _settings_page(request, mine[0], shop_forms.blank(mine[0].settings))
    try:
        found = await run_in_threadpool(shops.shop_for_editing, uow, actor, shop)
    except NotFound:
        return render(request, "merchant/shop_missing.html", status_code=404)
    return _settings_page(request, found, shop_forms.blank(found.settings))


@router.post("/merchant/shop/{shop_id}", response_class=HTMLResponse)
async def save_shop_settings(request: Request, shop_id: int, actor: SignedIn, uow: Uow) -> Response:
    if actor.role not in (Role.MERCHANT, Role.ADMIN):
        return render(request, "staff_only.html", status_code=403)
    try:
        current = await run_in_threadpool(shops.shop_for_editing, uow, actor, shop_id)
    except NotFound:
        return render(request, "merchant/shop_missing.html", status_code=404)
    form = shop_forms.read(await _fields(request), currency=current.settings.currency)
    if form.settings is None:
        return _settings_page(request, current, form, status_code=422)
    try:
        await run_in_threadpool(shops.update_shop_settings, uow, actor, shop_id, form.settings)
    except InvalidInput as exc:
        return _settings_page(request, current, form.refused(exc.extra.get("fields", {})), status_code=422)
    _flash(request, flashes.SHOP_SAVED)
    return redirect(request, f"/merchant/shop?shop={shop_id}")


@router.get("/admin/shops", response_class=HTMLResponse)
async def admin_shops_page(request: Request, actor: SignedIn, uow: Uow) -> Response:
    if actor.role is not Role.ADMIN:
        return render(request, "staff_only.html", status_code=403)
    default = shop_forms.blank(_new_shop_defaults(request))
    return await _admin_page(request, actor, uow, default)


@router.post("/admin/shops", response_class=HTMLResponse)
async def create_shop(request: Request, actor: SignedIn, uow: Uow) -> Response:
    if actor.role is not Role.ADMIN:
        return render(request, "staff_only.html", status_code=403)
    fields = await _fields(request)
    slug = fields.get("slug", "")[: MAX_SLUG + 1].strip()
    currency = fields.get("currency", "")[:8].strip()
    form = shop_forms.read(fields, currency=currency)
    extra = {"slug": slug, "currency": currency}
    if form.settings is None:
        return await _admin_page(request, actor, uow, form, extra, status_code=422)
    try:
        await run_in_threadpool(shops.create_shop, uow, slug, form.settings)
    except ComptoirError as exc:
        refused = form.refused(exc.extra.get("fields", {"slug": "taken"}))
        return await _admin_page(request, actor, uow, refused, extra, status_code=422)
    _flash(request, flashes.SHOP_CREATED)
    return redirect(request, "/admin/shops")


@router.post("/admin/shops/{shop_id}/merchants", response_class=HTMLResponse)
async def bind_merchant(request: Request, shop_id: int, actor: SignedIn, uow: Uow) -> Response:
    if actor.role is not Role.ADMIN:
        return render(request, "staff_only.html", status_code=403)
    email = (await _fields(request)).get("email", "")[: MAX_EMAIL + 1]
    try:
        await run_in_threadpool(shops.bind_merchant, uow, actor, shop_id, email)
    except (NotFound, InvalidInput) as exc:
        if exc.code == "shop_not_found":
            return render(request, "merchant/shop_missing.html", status_code=404)
        default = shop_forms.blank(_new_shop_defaults(request))
        bind = {"shop_id": shop_id, "email": email, "reason": "unknown"}
        return await _admin_page(request, actor, uow, default, {"bind": bind}, status_code=422)
    _flash(request, flashes.MERCHANT_BOUND)
    return redirect(request, "/admin/shops")


async def _fields(request: Request) -> dict[str, str]:
    """The posted text fields (files and repeated names are not part of these forms)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _flash(request: Request, flash: str) -> None:
    slot = session_slot(request)
    slot.replace(slot.session.with_flash(flash))


def _new_shop_defaults(request: Request) -> ShopSettings:
    """A new shop starts in the configured time zone (COMPTOIR_TIME_ZONE)."""
    return ShopSettings(name="", currency="EUR", time_zone=request.app.state.settings.time_zone)


def _settings_page(
    request: Request, shop: shops.ShopSetup, form: shop_forms.ShopForm, *, status_code: int = 200
) -> Response:
    context = {"shop": shop, "form": form, "shop_name": shop.settings.name, **_form_helpers()}
    return render(request, "merchant/shop.html", context, status_code=status_code)


async def _admin_page(
    request: Request,
    actor: Actor,
    uow: Uow,
    form: shop_forms.ShopForm,
    extra: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    all_shops = await run_in_threadpool(shops.shops_of_actor, uow, actor)
    context = {"shops": all_shops, "form": form, "slug": "", "currency": "EUR", **_form_helpers(), **(extra or {})}
    return render(request, "admin/shops.html", context, status_code=status_code)


def _form_helpers() -> dict[str, Any]:
    return {"reason_words": shop_forms.reason_words, "time_zones": shop_forms.time_zones(), "ranges": shop_forms.RANGES}

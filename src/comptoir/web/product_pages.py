"""The merchant's products: `/merchant/products` lists a shop's products, creates and edits them,
adjusts stock with a reason, takes a picture; `/product-images/…` serves pictures back.
Each route parses, calls one service, maps."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.datastructures import UploadFile

from comptoir.adapters.images import FileImageStore
from comptoir.api.deps import Now, Uow
from comptoir.domain.actors import Actor, Role
from comptoir.domain.errors import ComptoirError, Forbidden, InvalidInput, NotFound
from comptoir.domain.images import MAX_IMAGE_BYTES, MEDIA_TYPES
from comptoir.services import catalog, products, shops
from comptoir.web import flashes, product_forms
from comptoir.web.guards import SignedIn, csrf_protected
from comptoir.web.rendering import language_of, redirect, render, session_slot

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

IMAGE_UPLOAD = re.compile(r"/merchant/products/[0-9]{1,10}/image")
UPLOAD_LIMIT = MAX_IMAGE_BYTES + 64 * 1024
"""The picture plus the form around it (CSRF token, multipart boundaries)."""
DECIMAL_COMMA = frozenset({"fr"})
"""The page languages that write 12,50 rather than 12.50 (the form reads both)."""
ShopId = Annotated[int | None, Query(ge=1, le=2**31)]


@router.get("/merchant/products", response_class=HTMLResponse)
async def products_page(request: Request, actor: SignedIn, uow: Uow, shop: ShopId = None) -> Response:
    if not _staff(actor):
        return render(request, "staff_only.html", status_code=403)
    if shop is None:
        mine = await run_in_threadpool(shops.shops_of_actor, uow, actor)
        if len(mine) == 1:
            return redirect(request, f"/merchant/products?shop={mine[0].id}")
        return render(request, "merchant/shop_choice.html", {"shops": mine, "target": "/merchant/products"})
    try:
        found = await run_in_threadpool(products.shop_products, uow, actor, shop)
    except NotFound:
        return render(request, "merchant/shop_missing.html", status_code=404)
    return _list_page(request, found, product_forms.blank())


@router.post("/merchant/products", response_class=HTMLResponse)
async def create_product(request: Request, actor: SignedIn, uow: Uow, shop: ShopId = None) -> Response:
    if not _staff(actor) or shop is None:
        return render(request, "staff_only.html", status_code=403)
    try:
        found = await run_in_threadpool(products.shop_products, uow, actor, shop)
    except NotFound:
        return render(request, "merchant/shop_missing.html", status_code=404)
    form = product_forms.ProductForm(product_forms.values_of(await _fields(request)))
    data = product_forms.new_product(form.values, found.shop.currency)
    if isinstance(data, str):
        return _list_page(request, found, form.refused("unit_price", data), status_code=422)
    try:
        created = await run_in_threadpool(catalog.create_product, uow, actor, found.shop.slug, data)
    except InvalidInput as exc:
        field = product_forms.FIELD_OF_CODE.get(exc.code, "name")
        return _list_page(request, found, form.refused(field, exc.code), status_code=422)
    _flash(request, flashes.PRODUCT_CREATED)
    return redirect(request, f"/merchant/products/{created.id}")


@router.get("/merchant/products/{product_id}", response_class=HTMLResponse)
async def product_page(request: Request, product_id: int, actor: SignedIn, uow: Uow) -> Response:
    if not _staff(actor):
        return render(request, "staff_only.html", status_code=403)
    try:
        detail = await run_in_threadpool(products.product_detail, uow, actor, product_id)
    except NotFound:
        return render(request, "merchant/product_missing.html", status_code=404)
    return _product_page(request, detail)


@router.post("/merchant/products/{product_id}", response_class=HTMLResponse)
async def save_product(request: Request, product_id: int, actor: SignedIn, uow: Uow) -> Response:
    if not _staff(actor):
        return render(request, "staff_only.html", status_code=403)
    detail = await _detail_or_none(uow, actor, product_id)
    if detail is None:
        return render(request, "merchant/product_missing.html", status_code=404)
    form = product_forms.ProductForm(product_forms.values_of(await _fields(request)))
    changes = product_forms.product_changes(form.values, detail.shop.currency)
    if isinstance(changes, str):
        return _product_page(request, detail, form=form.refused("unit_price", changes), status_code=422)
    try:
        await run_in_threadpool(catalog.update_product, uow, actor, product_id, changes)
    except InvalidInput as exc:
        field = product_forms.FIELD_OF_CODE.get(exc.code, "name")
        return _product_page(request, detail, form=form.refused(field, exc.code), status_code=422)
    _flash(request, flashes.PRODUCT_SAVED)
    return redirect(request, f"/merchant/products/{product_id}")


@router.post("/merchant/products/{product_id}/stock", response_class=HTMLResponse)
async def adjust_stock(request: Request, product_id: int, actor: SignedIn, uow: Uow, now: Now) -> Response:
    if not _staff(actor):
        return render(request, "staff_only.html", status_code=403)
    fields = await _fields(request)
    delta = product_forms.quantity_text(fields.get("delta", "")[:40])
    reason = fields.get("reason", "")[: products.MAX_REASON + 1]
    try:
        await run_in_threadpool(products.adjust_stock, uow, actor, product_id, delta, reason, now=now())
    except NotFound:
        return render(request, "merchant/product_missing.html", status_code=404)
    except ComptoirError as exc:
        detail = await _detail_or_none(uow, actor, product_id)
        assert detail is not None
        adjust = {"delta": fields.get("delta", "")[:40], "reason": reason, "field": exc.extra.get("field", "delta")}
        return _product_page(request, detail, adjust=adjust | {"code": exc.code}, status_code=422)
    _flash(request, flashes.STOCK_ADJUSTED)
    return redirect(request, f"/merchant/products/{product_id}")


@router.post("/merchant/products/{product_id}/image", response_class=HTMLResponse)
async def upload_image(request: Request, product_id: int, actor: SignedIn, uow: Uow) -> Response:
    if not _staff(actor):
        return render(request, "staff_only.html", status_code=403)
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("image")
        data = await upload.read(MAX_IMAGE_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        await run_in_threadpool(products.set_image, uow, _images(request), actor, product_id, data)
    except NotFound:
        return render(request, "merchant/product_missing.html", status_code=404)
    except InvalidInput as exc:
        detail = await _detail_or_none(uow, actor, product_id)
        assert detail is not None
        return _product_page(request, detail, image_problem=exc.code, status_code=422)
    _flash(request, flashes.IMAGE_SAVED)
    return redirect(request, f"/merchant/products/{product_id}")


@router.get("/product-images/{name}")
async def product_image(request: Request, name: str) -> Response:
    """A stored picture, with the type its bytes were checked to be; public, like the catalog."""
    path = _images(request).path(name)
    if path is None:
        return Response(status_code=404)
    media_type = MEDIA_TYPES[path.suffix.removeprefix(".")]
    headers = {"cache-control": "public, max-age=86400, immutable", "x-content-type-options": "nosniff"}
    return FileResponse(path, media_type=media_type, headers=headers)


def _staff(actor: Actor) -> bool:
    return actor.role in (Role.MERCHANT, Role.ADMIN)


def _images(request: Request) -> FileImageStore:
    store: FileImageStore = request.app.state.product_images
    return store


async def _detail_or_none(uow: Uow, actor: Actor, product_id: int) -> products.ProductDetail | None:
    try:
        return await run_in_threadpool(products.product_detail, uow, actor, product_id)
    except (NotFound, Forbidden):
        return None


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _flash(request: Request, flash: str) -> None:
    slot = session_slot(request)
    slot.replace(slot.session.with_flash(flash))


def _list_page(
    request: Request, found: products.ShopProducts, form: product_forms.ProductForm, *, status_code: int = 200
) -> Response:
    context = {"found": found, "form": form, "shop_name": found.shop.name, **_helpers()}
    return render(request, "merchant/products.html", context, status_code=status_code)


def _product_page(
    request: Request,
    detail: products.ProductDetail,
    *,
    form: product_forms.ProductForm | None = None,
    adjust: dict[str, Any] | None = None,
    image_problem: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "detail": detail,
        "form": form or product_forms.blank(detail.product, decimal_comma=language_of(request) in DECIMAL_COMMA),
        "adjust": adjust or {"delta": "", "reason": ""},
        "image_problem": image_problem,
        "shop_name": detail.shop.name,
        "accept": ",".join(f"image/{kind}" for kind in ("png", "jpeg", "webp")),
        **_helpers(),
    }
    return render(request, "merchant/product.html", context, status_code=status_code)


def _helpers() -> dict[str, Any]:
    return {"product_reasons": product_forms.REASONS, "units": product_forms.units()}

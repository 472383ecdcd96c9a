"""The catalog over HTTP: anyone browses; a shop's merchants add and edit its products."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from comptoir.api.deps import CurrentActor, Uow
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import MAX_ID, ProductIn, ProductOut, ProductPatch, ShopOut
from comptoir.services import catalog

router = APIRouter(tags=["catalog"])


@router.get("/api/shops", summary="Every shop, with its currency and what it offers")
def list_shops(uow: Uow) -> list[ShopOut]:
    return [ShopOut.of(shop) for shop in catalog.list_shops(uow)]


@router.get("/api/shops/{slug}/products", summary="A shop's active products", responses=responses(404, 422))
def list_products(slug: str, uow: Uow) -> list[ProductOut]:
    return [ProductOut.of(product) for product in catalog.list_products(uow, slug)]


@router.post(
    "/api/shops/{slug}/products",
    status_code=status.HTTP_201_CREATED,
    summary="Add a product to a shop you manage (merchants)",
    responses=responses(401, 403, 404, 422),
)
def create_product(slug: str, body: ProductIn, actor: CurrentActor, uow: Uow) -> ProductOut:
    data = catalog.NewProduct(**body.model_dump())
    return ProductOut.of(catalog.create_product(uow, actor, slug, data))


@router.patch(
    "/api/products/{product_id}",
    summary="Change some fields of a product in a shop you manage (merchants)",
    responses=responses(401, 403, 404, 422),
)
def update_product(
    product_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: ProductPatch, actor: CurrentActor, uow: Uow
) -> ProductOut:
    changes = catalog.ProductChanges(**body.model_dump(exclude_unset=True))
    return ProductOut.of(catalog.update_product(uow, actor, product_id, changes))

"""`/merchant/products`: a merchant lists, creates and edits their shop's products, adjusts stock with a
reason and uploads a picture; other shops' products are out of reach; every form needs the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD, TestClient
from tests.web.support import BAKER, BUTCHER, Site, csrf_of, sign_in

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NBSP, NNBSP = "\u00a0", "\u202f"


def _merchant_of(site: Site, slug: str, email: str = "chef@example.com") -> int:
    shop_id = site.api.add_shop(slug)
    accounts.create_user(site.api.uow(), FAST_HASHER, email, PASSWORD, Role.MERCHANT, [slug])
    sign_in(site.client, email)
    return shop_id


def _post(client: TestClient, page: str, action: str, form: dict[str, Any], **headers: str) -> Any:
    token = csrf_of(client.get(page, headers=headers).text)
    return client.post(action, data={**form, "csrf_token": token}, headers=headers, follow_redirects=False)


def _new(**changes: str) -> dict[str, str]:
    return {"name": "Entrecôte", "description": "Maturée 21 jours", "unit": "kg", "unit_price": "32,90",
            "stock": "12,5", "active": "1"} | changes  # fmt: skip


def test_a_merchant_adds_a_product_priced_and_stocked_as_typed(site: Site) -> None:
    # given the butcher, signed in, whose list is empty
    shop_id = _merchant_of(site, BUTCHER)
    listing = f"/merchant/products?shop={shop_id}"
    assert site.client.get("/merchant/products", follow_redirects=False).headers["location"] == listing
    assert 'data-testid="no-products"' in site.client.get(listing).text
    # when they add an entrecôte at 32,90 € per kg with 12,5 kg in stock
    created = _post(site.client, listing, listing, _new())
    # then they land on its page, and the list shows it in French money and units
    assert created.status_code == 303
    product_page = created.headers["location"]
    assert re.fullmatch(r"/merchant/products/\d+", product_page)
    assert "Le produit est créé." in site.client.get(product_page, headers=FR).text
    page = site.client.get(listing, headers=FR).text
    assert "Entrecôte" in page and f"32,90{NBSP}€ le kg" in page and f"12,500{NNBSP}kg en stock" in page


def test_refusals_are_shown_beside_their_field(site: Site) -> None:
    shop_id = _merchant_of(site, BUTCHER)
    listing = f"/merchant/products?shop={shop_id}"

    no_price = _post(site.client, listing, listing, _new(unit_price="beaucoup"), **EN)
    half_piece = _post(site.client, listing, listing, _new(unit="piece", stock="1.5"), **EN)
    no_name = _post(site.client, listing, listing, _new(name="  "), **FR)

    assert no_price.status_code == 422 and 'id="unit_price-error">Write a price such as 12.50.' in no_price.text
    assert half_piece.status_code == 422 and 'id="stock-error">Write a quantity' in half_piece.text
    assert no_name.status_code == 422 and 'id="name-error">Donnez un nom au produit' in no_name.text
    assert 'value="beaucoup"' in no_price.text  # what was typed stays
    assert 'data-testid="no-products"' in site.client.get(listing).text


def test_editing_deactivating_and_adjusting_stock(site: Site) -> None:
    # given a product of the butcher's
    shop_id = _merchant_of(site, BUTCHER)
    product_id = site.api.add_product(shop_id, "Merguez", 1690, unit="kg", stock_milli=2_000)
    page = f"/merchant/products/{product_id}"
    # when the merchant renames it, takes it off sale, and records a delivery then a loss too large
    saved = _post(site.client, page, page, {"name": "Merguez maison", "unit": "kg", "unit_price": "17.50"}, **EN)
    added = _post(site.client, page, f"{page}/stock", {"delta": "3,250", "reason": "Livraison"}, **EN)
    too_much = _post(site.client, page, f"{page}/stock", {"delta": "-9", "reason": "Casse"}, **EN)
    no_reason = _post(site.client, page, f"{page}/stock", {"delta": "1", "reason": " "}, **EN)
    # then the page shows the new name, price, stock and the delivery, and the refusals beside their field
    assert saved.status_code == added.status_code == 303
    assert (
        too_much.status_code == 422 and 'id="delta-error">There is not that much in stock to remove.' in too_much.text
    )
    assert no_reason.status_code == 422 and 'id="reason-error">Say why the stock changes' in no_reason.text
    text = site.client.get(page, headers=EN).text
    assert "<h1>Merguez maison</h1>" in text and 'value="17.50"' in text and "Not on sale" in text
    assert "In stock: 5.250 kg" in text and "+3.250 kg" in text and "Livraison" in text


def test_a_picture_is_stored_and_served_with_its_type_and_a_fake_is_refused(site: Site) -> None:
    shop_id = _merchant_of(site, BUTCHER)
    product_id = site.api.add_product(shop_id, "Merguez", 1690)
    page = f"/merchant/products/{product_id}"
    token = csrf_of(site.client.get(page).text)

    def upload(data: bytes, name: str) -> Any:
        files = {"image": (name, data, "image/png")}
        return site.client.post(f"{page}/image", data={"csrf_token": token}, files=files, follow_redirects=False)

    # when a PNG is uploaded
    assert upload(PNG, "merguez.png").status_code == 303
    # then the product shows it, and it is served back as a PNG
    src = re.search(r'src="(/product-images/[^"]+)"', site.client.get(page).text)
    assert src is not None
    served = site.client.get(src.group(1))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png" and served.content == PNG
    # and an HTML file named like a picture is refused, beside the field
    refused = upload(b"<html><script>alert(1)</script>", "evil.png")
    assert refused.status_code == 422 and 'id="image-error"' in refused.text
    assert site.client.get("/product-images/..%2Fcomptoir.sqlite3").status_code == 404


def test_a_picture_larger_than_the_limit_never_reaches_the_page(site: Site) -> None:
    shop_id = _merchant_of(site, BUTCHER)
    product_id = site.api.add_product(shop_id, "Merguez", 1690)
    page = f"/merchant/products/{product_id}"
    token = csrf_of(site.client.get(page).text)

    files = {"image": ("big.png", PNG + b"\x00" * (3 * 1024 * 1024), "image/png")}
    refused = site.client.post(f"{page}/image", data={"csrf_token": token}, files=files, follow_redirects=False)

    assert refused.status_code == 413


def test_another_shops_products_are_out_of_reach(site: Site) -> None:
    butcher = site.api.add_shop(BUTCHER)
    product_id = site.api.add_product(butcher, "Merguez", 1690)
    _merchant_of(site, BAKER, "mie@example.com")
    page = f"/merchant/products/{product_id}"

    assert site.client.get(page).status_code == 404
    assert site.client.get(f"/merchant/products?shop={butcher}").status_code == 404
    token = csrf_of(site.client.get("/merchant/products?shop=2").text)
    stolen = site.client.post(f"{page}/stock", data={"delta": "-1", "reason": "x", "csrf_token": token})
    renamed = site.client.post(page, data={"name": "Pris", "unit": "piece", "unit_price": "1", "csrf_token": token})
    assert stolen.status_code == renamed.status_code == 404


def test_a_form_without_the_token_is_refused(site: Site) -> None:
    shop_id = _merchant_of(site, BUTCHER)
    product_id = site.api.add_product(shop_id, "Merguez", 1690)

    refused = site.client.post(f"/merchant/products/{product_id}/stock", data={"delta": "5", "reason": "x"})

    assert refused.status_code == 403
    assert "In stock: 10 pieces" in site.client.get(f"/merchant/products/{product_id}", headers=EN).text

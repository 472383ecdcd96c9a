"""The catalog over HTTP: anyone browses; merchants manage their own shop's products only."""

from __future__ import annotations

from tests.api.support import Api


def test_anyone_lists_shops_with_what_they_offer(api: Api) -> None:
    # given
    api.add_shop("porsche-accessories")
    api.add_shop("klikandgo", accepts_on_pickup=True, offers_delivery=False, offers_pickup=True)
    # when
    response = api.client.get("/api/shops")
    # then
    assert response.status_code == 200
    by_slug = {shop["slug"]: shop for shop in response.json()}
    assert by_slug["klikandgo"]["payment_methods"] == ["online", "on_pickup"]
    assert (by_slug["klikandgo"]["offers_delivery"], by_slug["klikandgo"]["offers_pickup"]) == (False, True)
    assert by_slug["porsche-accessories"]["payment_methods"] == ["online"]
    assert by_slug["porsche-accessories"]["currency"] == "EUR"


def test_a_shops_listing_shows_active_products_in_minor_units_and_exact_stock(api: Api) -> None:
    # given
    shop_id = api.add_shop("klikandgo")
    api.add_product(shop_id, "Entrecôte", 3490, unit="kg", stock_milli=12_500)
    api.add_product(shop_id, "Boudin (retiré)", 990, active=False)
    # when
    response = api.client.get("/api/shops/klikandgo/products")
    # then
    assert response.status_code == 200
    [product] = response.json()
    assert product | {"id": 0, "shop_id": 0} == {
        "id": 0,
        "shop_id": 0,
        "name": "Entrecôte",
        "description": "",
        "unit": "kg",
        "unit_price": 3490,
        "currency": "EUR",
        "stock": "12.500",
        "active": True,
        "image_url": None,
    }


def test_an_unknown_shop_is_a_404_problem(api: Api) -> None:
    response = api.client.get("/api/shops/nowhere/products")
    assert response.status_code == 404
    assert response.json()["code"] == "shop_not_found"


def test_a_merchant_adds_and_edits_products_of_their_own_shop(api_both: Api) -> None:
    # given
    api_both.add_shop("klikandgo")
    headers = api_both.add_merchant("boucher@example.com", "klikandgo")
    # when
    created = api_both.client.post(
        "/api/shops/klikandgo/products",
        headers=headers,
        json={"name": "Côte de boeuf", "unit": "kg", "unit_price": 4290, "stock": "8.250"},
    )
    # then
    assert created.status_code == 201, created.text
    product = created.json()
    assert (product["name"], product["unit_price"], product["stock"]) == ("Côte de boeuf", 4290, "8.250")
    # when
    edited = api_both.client.patch(
        f"/api/products/{product['id']}", headers=headers, json={"unit_price": 4490, "stock": 3}
    )
    # then
    assert edited.status_code == 200, edited.text
    assert (edited.json()["unit_price"], edited.json()["stock"], edited.json()["name"]) == (
        4490,
        "3.000",
        "Côte de boeuf",
    )
    listed = api_both.client.get("/api/shops/klikandgo/products").json()
    assert [(p["name"], p["unit_price"]) for p in listed] == [("Côte de boeuf", 4490)]


def test_a_merchant_cannot_touch_another_shops_products(api: Api) -> None:
    # given two shops, and a merchant of only the first
    api.add_shop("klikandgo")
    other_id = api.add_shop("porsche-accessories")
    wheels = api.add_product(other_id, "Jantes 21 pouces", 25000)
    headers = api.add_merchant("boucher@example.com", "klikandgo")
    # when
    created = api.client.post(
        "/api/shops/porsche-accessories/products",
        headers=headers,
        json={"name": "Spoiler", "unit": "piece", "unit_price": 1},
    )
    edited = api.client.patch(f"/api/products/{wheels}", headers=headers, json={"unit_price": 1})
    # then
    assert created.status_code == 403
    assert created.json()["code"] == "not_shop_merchant"
    assert edited.status_code == 404
    assert edited.json()["code"] == "product_not_found"
    assert api.client.get("/api/shops/porsche-accessories/products").json()[0]["unit_price"] == 25000


def test_a_customer_cannot_manage_products(api: Api) -> None:
    # given
    shop_id = api.add_shop("klikandgo")
    product_id = api.add_product(shop_id, "Merguez", 1590, unit="kg")
    headers = api.customer_headers()
    # when
    created = api.client.post(
        "/api/shops/klikandgo/products", headers=headers, json={"name": "Chipolata", "unit": "kg", "unit_price": 1}
    )
    edited = api.client.patch(f"/api/products/{product_id}", headers=headers, json={"unit_price": 1})
    # then
    assert (created.status_code, created.json()["code"]) == (403, "merchants_only")
    assert (edited.status_code, edited.json()["code"]) == (403, "merchants_only")


def test_managing_products_needs_a_token(api: Api) -> None:
    api.add_shop("klikandgo")
    response = api.client.post("/api/shops/klikandgo/products", json={"name": "X", "unit": "kg", "unit_price": 1})
    assert (response.status_code, response.json()["code"]) == (401, "token_missing")


def test_a_product_with_an_unknown_unit_or_a_float_price_is_refused_field_by_field(api: Api) -> None:
    # given
    api.add_shop("klikandgo")
    headers = api.add_merchant("boucher@example.com", "klikandgo")
    # when
    response = api.client.post(
        "/api/shops/klikandgo/products", headers=headers, json={"name": "Lait", "unit": "litre", "unit_price": 1.5}
    )
    # then
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_request"
    assert {tuple(error["loc"]) for error in body["errors"]} == {("body", "unit"), ("body", "unit_price")}

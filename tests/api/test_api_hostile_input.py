"""Input anyone can send is refused with a 4xx problem and a stable code, never a 500.

Each case here answered 500 (or a misleading status) before: huge quantities overflowed Decimal or
the database, an error's extra named `status` broke the problem mapper, orders under Stripe's
minimum could be placed online but never paid.
"""

from __future__ import annotations

import pytest

from tests.api.support import Api

PICKUP_SHOP = {"offers_delivery": False, "offers_pickup": True, "accepts_on_pickup": True}


def _order(product_id: int, quantity: object, payment_method: str = "online") -> dict[str, object]:
    return {
        "shop": "boutique",
        "lines": [{"product_id": product_id, "quantity": quantity}],
        "payment_method": payment_method,
    }


def _place(api: Api, body: dict[str, object]) -> tuple[int, str]:
    response = api.client.post("/api/orders", headers=api.customer_headers(), json=body)
    assert response.headers["content-type"].startswith("application/"), response.text
    return response.status_code, response.json().get("code", "")


def test_cancelling_a_confirmed_order_is_a_409_that_keeps_its_http_status(api: Api) -> None:
    # given a pay-at-pickup order, confirmed at once, which its customer can no longer cancel
    product = api.add_product(api.add_shop("boutique", **PICKUP_SHOP), "Terrine", 900)
    headers = api.customer_headers()
    placed = api.client.post("/api/orders", headers=headers, json=_order(product, 1, "on_pickup"))
    assert placed.status_code == 201, placed.text
    # when
    response = api.client.post(f"/api/orders/{placed.json()['id']}/cancel", headers=headers)
    # then the refusal's own status member is the HTTP one, and the order's status is still told
    body = response.json()
    assert (response.status_code, body["status"], body["code"]) == (409, 409, "not_cancellable")
    assert (body["order_status"], body["payment_status"]) == ("confirmed", "unpaid")


@pytest.mark.parametrize("quantity", [1e20, 1e25, 1.18e308, "1e400", 100_001])
def test_a_quantity_beyond_any_stock_is_refused_as_out_of_range(api: Api, quantity: object) -> None:
    # given
    product = api.add_product(api.add_shop("boutique", **PICKUP_SHOP), "Jantes", 25000)
    # when / then
    assert _place(api, _order(product, quantity)) == (422, "quantity_out_of_range")


def test_an_order_whose_total_exceeds_stripes_largest_charge_is_refused(api: Api) -> None:
    # given a price written behind the API's back, as an old row or an import could hold it
    product = api.add_product(api.add_shop("boutique", **PICKUP_SHOP), "Yacht", 2**62)
    # when / then: 3 x 2**62 no longer reaches the database as an integer overflow
    assert _place(api, _order(product, 3)) == (422, "order_total_too_large")


def test_an_order_at_stripes_largest_charge_is_placed(api: Api) -> None:
    product = api.add_product(api.add_shop("boutique", **PICKUP_SHOP), "Voiture", 99_999_999)
    assert _place(api, _order(product, 1)) == (201, "")


@pytest.mark.parametrize(("method", "expected"), [("online", (422, "amount_below_minimum")), ("on_pickup", (201, ""))])
def test_an_order_under_the_currencys_minimum_cannot_be_paid_online_but_can_at_pickup(
    api: Api, method: str, expected: tuple[int, str]
) -> None:
    # given a 49-cent item in a shop that takes both payments (EUR's minimum is 50 cents)
    product = api.add_product(api.add_shop("boutique", **PICKUP_SHOP), "Bonbon", 49)
    # when / then
    assert _place(api, _order(product, 1, method)) == expected


def test_a_line_whose_price_rounds_to_nothing_is_refused(api: Api) -> None:
    # given one cent per kg: one gram costs 0.001 cent, which rounds to 0
    product = api.add_product(api.add_shop("boutique", **PICKUP_SHOP), "Sel", 1, unit="kg")
    # when / then
    assert _place(api, _order(product, "0.001", "on_pickup")) == (422, "line_rounds_to_zero")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"stock": 1.18e308}, "stock_out_of_range"),
        ({"stock": "1e400"}, "stock_out_of_range"),
        ({"unit_price": 2**64}, "price_out_of_range"),
        ({"unit_price": 100_000_000}, "price_out_of_range"),
    ],
)
def test_a_merchant_cannot_write_a_stock_or_price_no_payment_could_carry(
    api: Api, fields: dict[str, object], code: str
) -> None:
    # given
    shop_id = api.add_shop("boutique")
    product = api.add_product(shop_id, "Jantes", 25000)
    headers = api.add_merchant("chef@example.com", "boutique")
    # when
    created = api.client.post(
        "/api/shops/boutique/products", headers=headers, json={"name": "x", "unit": "piece", "unit_price": 1} | fields
    )
    patched = api.client.patch(f"/api/products/{product}", headers=headers, json=fields)
    # then
    assert (created.status_code, created.json()["code"]) == (422, code)
    assert (patched.status_code, patched.json()["code"]) == (422, code)
    assert created.json()["errors"][0]["code"] == code


def test_a_product_id_beyond_the_databases_integers_is_a_422(api: Api) -> None:
    api.add_shop("boutique")
    headers = api.add_merchant("chef@example.com", "boutique")
    order = _place(api, _order(2**63, 1))
    patched = api.client.patch(f"/api/products/{2**63}", headers=headers, json={"unit_price": 1})
    assert order == (422, "invalid_request")
    assert (patched.status_code, patched.json()["code"]) == (422, "invalid_request")


def test_a_wrong_method_is_a_405_problem_that_names_the_allowed_ones(api: Api) -> None:
    response = api.client.delete("/api/shops")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize("accessoire", ["9" * 5000, "²", str(2**31)])
def test_the_seed_000_order_route_refuses_an_accessory_id_no_product_could_have(api: Api, accessoire: str) -> None:
    # given a number too long to parse, a digit that is not ASCII, an id beyond the database's integers
    body = {"lignes_commande": [{"accessoire": accessoire, "quantite": 1}]}
    # when
    response = api.client.post("/commande/new", headers=api.customer_headers(), json=body)
    # then
    assert (response.status_code, response.json()["code"]) == (422, "unknown_product")


def test_the_compat_routes_refuse_a_product_id_beyond_the_databases_integers(api: Api) -> None:
    # given a customer of the seed 002 and seed 001 routes
    headers = api.customer_headers()
    # when the id is 2**64 (SQLite cannot even bind it)
    klikandgo = api.client.post(
        "/api/orders", headers=headers, json={"paymentMethod": "ONLINE", "items": [{"productId": 2**64, "quantity": 1}]}
    )
    course = api.client.post(f"/create-checkout-session/{2**64}", headers=headers)
    # then both are refused as invalid, not a 500
    assert (klikandgo.status_code, klikandgo.json()["code"]) == (422, "invalid_request")
    assert (course.status_code, course.json()["code"]) == (422, "invalid_request")


@pytest.mark.parametrize(
    "pickup",
    [
        {f"k{n}": "x" for n in range(13)},  # more details than a shop reads
        {"note": "x" * 301},  # a note longer than a card holds
        {"note": {"nested": "object"}},  # not a text
        {"": "no name"},
        {"k" * 41: "a name too long"},
    ],
)
def test_pickup_details_the_counter_could_not_show_are_refused(api: Api, pickup: dict[str, object]) -> None:
    # given a pickup shop
    shop_id = api.add_shop("boutique", **PICKUP_SHOP)
    product = api.add_product(shop_id, "Merguez", 250)
    customer = api.customer_headers()
    # when an order brings details no card on the counter's board could show
    answer = api.client.post(
        "/api/orders", headers=customer, json={**_order(product, 1, "on_pickup"), "pickup": pickup}
    )
    # then it is a 422, and no order is placed
    assert answer.status_code == 422, answer.text
    assert api.client.get("/api/orders", headers=customer).json() == []

"""Orders over HTTP: priced by the server, stock held and released, visible to their owner only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tests.api.support import Api

ADDRESS = {"line1": "123 Avenue des Champs", "city": "Paris", "postal_code": "75008", "country": "FR"}


@dataclass
class Porsche:
    wheels: int
    spoiler: int


@pytest.fixture
def porsche(api_both: Api) -> Porsche:
    shop_id = api_both.add_shop("porsche-accessories")
    return Porsche(
        wheels=api_both.add_product(shop_id, "Jantes 21 pouces", 25000, stock_milli=4_000),
        spoiler=api_both.add_product(shop_id, "Spoiler carbone", 75000, stock_milli=2_000),
    )


def _seed_000_order(porsche: Porsche, **line_overrides: int) -> dict[str, object]:
    return {
        "shop": "porsche-accessories",
        "lines": [
            {"product_id": porsche.wheels, "quantity": 2, "unit_price": line_overrides.get("wheels", 25000)},
            {"product_id": porsche.spoiler, "quantity": 1},
        ],
        "payment_method": "online",
        "delivery_address": ADDRESS,
    }


def test_a_customer_places_the_seed_walkthrough_order_priced_by_the_server(
    api_both: Api, porsche: Porsche, fixed_now: datetime
) -> None:
    # given
    headers = api_both.customer_headers()
    # when
    response = api_both.client.post("/api/orders", headers=headers, json=_seed_000_order(porsche))
    # then
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["id"].startswith("ord_")
    assert (order["status"], order["payment_status"], order["payment_method"]) == ("pending", "unpaid", "online")
    assert (order["currency"], order["total"], order["shop"]) == ("EUR", 125000, "porsche-accessories")
    assert [
        (line["name"], line["unit"], line["quantity"], line["unit_price"], line["line_total"])
        for line in order["lines"]
    ] == [
        ("Jantes 21 pouces", "piece", "2.000", 25000, 50000),
        ("Spoiler carbone", "piece", "1.000", 75000, 75000),
    ]
    assert datetime.fromisoformat(order["hold_expires_at"]) == fixed_now + timedelta(minutes=30)
    assert order["delivery_address"] == ADDRESS
    assert order["history"][0]["to_value"] == "pending"
    assert (api_both.stock_milli(porsche.wheels), api_both.stock_milli(porsche.spoiler)) == (2_000, 1_000)


def test_a_customer_lists_reads_and_cancels_their_order_and_the_stock_comes_back(
    api_both: Api, porsche: Porsche
) -> None:
    # given
    headers = api_both.customer_headers()
    first = api_both.client.post("/api/orders", headers=headers, json=_seed_000_order(porsche)).json()
    second = api_both.client.post(
        "/api/orders",
        headers=headers,
        json={
            "shop": "porsche-accessories",
            "lines": [{"product_id": porsche.wheels, "quantity": "1"}],
            "payment_method": "online",
            "delivery_address": ADDRESS,
        },
    ).json()
    # when
    listed = api_both.client.get("/api/orders", headers=headers)
    read = api_both.client.get(f"/api/orders/{first['id']}", headers=headers)
    cancelled = api_both.client.post(
        f"/api/orders/{first['id']}/cancel", headers=headers, json={"reason": "wrong colour"}
    )
    # then
    assert listed.status_code == 200
    assert {order["id"] for order in listed.json()} == {first["id"], second["id"]}
    assert read.status_code == 200
    assert read.json() == first
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["history"][-1]["reason"] == "wrong colour"
    assert (api_both.stock_milli(porsche.wheels), api_both.stock_milli(porsche.spoiler)) == (3_000, 2_000)


def test_cancelling_twice_answers_the_same_cancelled_order(api: Api) -> None:
    # given
    shop_id = api.add_shop("porsche-accessories")
    wheels = api.add_product(shop_id, "Jantes", 25000, stock_milli=1_000)
    headers = api.customer_headers()
    order = api.client.post(
        "/api/orders",
        headers=headers,
        json={
            "shop": "porsche-accessories",
            "lines": [{"product_id": wheels, "quantity": 1}],
            "payment_method": "online",
            "delivery_address": ADDRESS,
        },
    ).json()
    # when
    first = api.client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    again = api.client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    # then
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert api.stock_milli(wheels) == 1_000


def test_another_customers_order_does_not_exist_for_you(api_both: Api, porsche: Porsche) -> None:
    # given Alice's order
    alice = api_both.customer_headers("alice@example.com")
    order = api_both.client.post("/api/orders", headers=alice, json=_seed_000_order(porsche)).json()
    mallory = api_both.customer_headers("mallory@example.com")
    # when Mallory guesses its id
    read = api_both.client.get(f"/api/orders/{order['id']}", headers=mallory)
    cancel = api_both.client.post(f"/api/orders/{order['id']}/cancel", headers=mallory)
    listed = api_both.client.get("/api/orders", headers=mallory)
    # then it is "not found", exactly like an id that never existed
    never = api_both.client.get("/api/orders/ord_doesnotexist", headers=mallory)
    assert (read.status_code, cancel.status_code, never.status_code) == (404, 404, 404)
    assert read.json()["code"] == never.json()["code"] == "order_not_found"
    assert listed.json() == []
    assert api_both.client.get(f"/api/orders/{order['id']}", headers=alice).json()["status"] == "pending"


def test_a_tampered_price_is_refused_naming_the_line_and_never_used(api_both: Api, porsche: Porsche) -> None:
    # given a client that sends the wheels at 1.00 EUR instead of 250.00
    headers = api_both.customer_headers()
    # when
    response = api_both.client.post("/api/orders", headers=headers, json=_seed_000_order(porsche, wheels=100))
    # then
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "price_changed"
    assert body["lines"] == [{"product_id": porsche.wheels, "sent": 100, "current": 25000}]
    assert api_both.client.get("/api/orders", headers=headers).json() == []
    assert api_both.stock_milli(porsche.wheels) == 4_000


def test_the_last_units_cannot_be_oversold(api: Api) -> None:
    # given
    shop_id = api.add_shop("porsche-accessories")
    spoiler = api.add_product(shop_id, "Spoiler", 75000, stock_milli=1_000)
    headers = api.customer_headers()
    order = {
        "shop": "porsche-accessories",
        "lines": [{"product_id": spoiler, "quantity": 2}],
        "payment_method": "online",
        "delivery_address": ADDRESS,
    }
    # when
    response = api.client.post("/api/orders", headers=headers, json=order)
    # then
    assert (response.status_code, response.json()["code"]) == (409, "out_of_stock")
    assert api.stock_milli(spoiler) == 1_000


@pytest.mark.parametrize(
    ("currency", "unit_price", "quantity", "expected_total"),
    [
        pytest.param("EUR", 3490, "1.255", 4380, id="eur-kg-as-string"),  # 43.7995 -> 43.80
        pytest.param("EUR", 3490, 1.255, 4380, id="eur-kg-as-json-number"),  # no binary-float artefact
        pytest.param("JPY", 999, "0.125", 125, id="jpy-zero-decimal"),  # 124.875 -> 125 yen
    ],
)
def test_weighted_lines_are_rounded_half_up_once(
    api: Api, currency: str, unit_price: int, quantity: str | float, expected_total: int
) -> None:
    # given
    shop_id = api.add_shop(
        "boucherie", currency=currency, offers_delivery=False, offers_pickup=True, accepts_on_pickup=True
    )
    beef = api.add_product(shop_id, "Entrecôte", unit_price, unit="kg", stock_milli=5_000)
    headers = api.customer_headers()
    # when
    response = api.client.post(
        "/api/orders",
        headers=headers,
        json={
            "shop": "boucherie",
            "lines": [{"product_id": beef, "quantity": quantity}],
            "payment_method": "on_pickup",
        },
    )
    # then
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["currency"], order["total"], order["lines"][0]["line_total"]) == (
        currency,
        expected_total,
        expected_total,
    )
    assert order["hold_expires_at"] is None
    assert order["pickup"] == {}


@pytest.mark.parametrize(
    ("quantity", "code"),
    [("1.5", "invalid_quantity"), (0, "invalid_quantity"), ("-1", "invalid_quantity"), ("lots", "invalid_request")],
)
def test_impossible_quantities_are_refused(api: Api, quantity: object, code: str) -> None:
    shop_id = api.add_shop("porsche-accessories")
    wheels = api.add_product(shop_id, "Jantes", 25000)
    response = api.client.post(
        "/api/orders",
        headers=api.customer_headers(),
        json={
            "shop": "porsche-accessories",
            "lines": [{"product_id": wheels, "quantity": quantity}],
            "payment_method": "online",
            "delivery_address": ADDRESS,
        },
    )
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_placing_an_order_needs_a_token(api: Api) -> None:
    response = api.client.post(
        "/api/orders", json={"shop": "x", "lines": [{"product_id": 1, "quantity": 1}], "payment_method": "online"}
    )
    assert (response.status_code, response.json()["code"]) == (401, "token_missing")

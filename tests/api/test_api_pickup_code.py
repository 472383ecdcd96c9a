"""The pickup code over HTTP: its customer reads it on their order, nobody else does, and the
merchant's hand-over routes check the code the customer gives (right, wrong, absent, malformed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import Api


def _butcher(api: Api) -> tuple[dict[str, str], int]:
    shop_id = api.add_shop("boucherie", accepts_on_pickup=True, offers_delivery=True, offers_pickup=True)
    product = api.add_product(shop_id, "Merguez", 250)
    return api.add_merchant("boucher@example.com", "boucherie"), product


def _order(api: Api, customer: dict[str, str], product: int, *, pickup: bool = True) -> dict[str, Any]:
    fulfilment: dict[str, Any] = (
        {"pickup": {"note": "samedi"}}
        if pickup
        else {
            "delivery_address": {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
        }
    )
    response = api.client.post(
        "/api/orders",
        headers=customer,
        json={
            "shop": "boucherie",
            "lines": [{"product_id": product, "quantity": 2}],
            "payment_method": "on_pickup" if pickup else "online",
            **fulfilment,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


def test_the_customer_reads_the_code_of_their_pickup_order_and_a_delivery_order_has_none(api_both: Api) -> None:
    # given a customer's pickup order and delivery order
    _, product = _butcher(api_both)
    customer = api_both.customer_headers()
    placed = _order(api_both, customer, product)
    delivered = _order(api_both, customer, product, pickup=False)
    # then the pickup order carries four digits, when placed, read and listed; the delivery order none
    code = placed["pickup_code"]
    assert isinstance(code, str) and len(code) == 4 and code.isdigit()
    assert api_both.client.get(f"/api/orders/{placed['id']}", headers=customer).json()["pickup_code"] == code
    listed = {
        order["id"]: order["pickup_code"] for order in api_both.client.get("/api/orders", headers=customer).json()
    }
    assert listed == {placed["id"]: code, delivered["id"]: None}


def test_the_merchant_never_reads_the_code(api: Api) -> None:
    # given a customer's pickup order
    merchant, product = _butcher(api)
    order = _order(api, api.customer_headers(), product)
    # when the shop reads its orders, one by one or as a list
    one = api.client.get(f"/api/merchant/orders/{order['id']}", headers=merchant).json()
    many = api.client.get("/api/merchant/orders", headers=merchant).json()
    # then the code is in neither, nor anywhere in their text
    assert "pickup_code" not in one and all("pickup_code" not in o for o in many)
    assert order["pickup_code"] not in str(one).replace(order["number"], "").replace(order["id"], "")


def test_another_customer_cannot_read_the_order_nor_its_code(api: Api) -> None:
    _, product = _butcher(api)
    order = _order(api, api.customer_headers(), product)
    other = api.customer_headers("someone-else@example.com")
    response = api.client.get(f"/api/orders/{order['id']}", headers=other)
    assert response.status_code == 404 and order["pickup_code"] not in response.text


def test_collect_with_the_right_code_hands_over_and_with_a_wrong_one_records_nothing(api_both: Api) -> None:
    # given a pay-at-pickup order
    merchant, product = _butcher(api_both)
    order = _order(api_both, api_both.customer_headers(), product)
    url = f"/api/merchant/orders/{order['id']}/collect"
    # when the merchant types a wrong code
    wrong = api_both.client.post(
        url,
        headers=merchant,
        json={"method": "cash", "amount": order["total"], "pickup_code": _wrong(order["pickup_code"])},
    )
    # then it is refused and nothing was recorded
    assert (wrong.status_code, wrong.json()["code"]) == (409, "pickup_code_mismatch")
    unchanged = api_both.client.get(f"/api/merchant/orders/{order['id']}", headers=merchant).json()
    assert (unchanged["status"], unchanged["payment_status"], unchanged["paid"]) == ("confirmed", "unpaid", 0)
    # when they type the right one, then the order is paid and handed over
    right = api_both.client.post(
        url, headers=merchant, json={"method": "cash", "amount": order["total"], "pickup_code": order["pickup_code"]}
    )
    assert right.status_code == 200, right.text
    assert (right.json()["status"], right.json()["payment_status"]) == ("completed", "paid")


def test_complete_checks_the_code_when_one_is_given_and_takes_no_body_as_before(api_both: Api) -> None:
    # given two pay-at-pickup orders, ready but not paid yet
    merchant, product = _butcher(api_both)
    customer = api_both.customer_headers()
    first, second = _order(api_both, customer, product), _order(api_both, customer, product)
    for order in (first, second):
        api_both.client.post(f"/api/merchant/orders/{order['id']}/ready", headers=merchant, json={}).raise_for_status()
    # when an unpaid order is completed with a wrong code, the code is checked first: 409 mismatch
    wrong = api_both.client.post(
        f"/api/merchant/orders/{first['id']}/complete",
        headers=merchant,
        json={"pickup_code": _wrong(first["pickup_code"])},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "pickup_code_mismatch")
    # and with the right code, or no body at all, the usual rule answers (nothing paid yet)
    right = api_both.client.post(
        f"/api/merchant/orders/{first['id']}/complete", headers=merchant, json={"pickup_code": first["pickup_code"]}
    )
    bare = api_both.client.post(f"/api/merchant/orders/{second['id']}/complete", headers=merchant)
    assert (right.status_code, right.json()["code"]) == (409, "payment_not_collected")
    assert (bare.status_code, bare.json()["code"]) == (409, "payment_not_collected")


@pytest.mark.parametrize("code", ["123", "12345", "12a4", "١٢٣٤", "12 34", 1234, ""])
def test_a_code_that_is_not_four_digits_is_refused_by_its_shape(api: Api, code: Any) -> None:
    merchant, product = _butcher(api)
    order = _order(api, api.customer_headers(), product)
    for url, body in (
        (f"/api/merchant/orders/{order['id']}/complete", {"pickup_code": code}),
        (
            f"/api/merchant/orders/{order['id']}/collect",
            {"method": "cash", "amount": order["total"], "pickup_code": code},
        ),
    ):
        response = api.client.post(url, headers=merchant, json=body)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_pickup_code"), url
    assert api.client.get(f"/api/merchant/orders/{order['id']}", headers=merchant).json()["status"] == "confirmed"

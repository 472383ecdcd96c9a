"""`Idempotency-Key` on `POST /api/orders`: a retried request answers the first order; a key of the
wrong shape is a 422, one reused for another request a 409 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import Api, bearer


def _shop(api: Api) -> int:
    shop_id = api.add_shop("boucherie", accepts_on_pickup=True, offers_delivery=False, offers_pickup=True)
    return api.add_product(shop_id, "Merguez", 250)


def _body(product: int, quantity: int = 2) -> dict[str, Any]:
    return {
        "shop": "boucherie",
        "lines": [{"product_id": product, "quantity": quantity}],
        "payment_method": "on_pickup",
        "pickup": {"note": "samedi"},
    }


def test_a_retried_order_answers_the_first_one(api_both: Api) -> None:
    # given a customer of the butcher's
    product = _shop(api_both)
    customer = bearer(api_both.register("jeanne@example.com")["access_token"])
    headers = {**customer, "Idempotency-Key": "6f1c2a9e-order-1"}
    # when the same order is sent twice with the same key
    first = api_both.client.post("/api/orders", headers=headers, json=_body(product))
    again = api_both.client.post("/api/orders", headers=headers, json=_body(product))
    # then both answers are the same order, pickup code included
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["pickup_code"] == first.json()["pickup_code"]
    assert len(api_both.client.get("/api/orders", headers=customer).json()) == 1


def test_a_key_reused_for_another_order_is_refused(api: Api) -> None:
    product = _shop(api)
    customer = bearer(api.register("jeanne@example.com")["access_token"])
    headers = {**customer, "Idempotency-Key": "k1"}
    assert api.client.post("/api/orders", headers=headers, json=_body(product)).status_code == 201
    # when the key comes back with 3 pieces
    reused = api.client.post("/api/orders", headers=headers, json=_body(product, 3))
    # then it is a 409 naming the key's reuse
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("key", ["", "x" * 65, "with space", "a/b", "key;drop"])
def test_a_key_of_the_wrong_shape_is_a_422(api: Api, key: str) -> None:
    product = _shop(api)
    customer = bearer(api.register("jeanne@example.com")["access_token"])
    answer = api.client.post("/api/orders", headers={**customer, "Idempotency-Key": key}, json=_body(product))
    assert answer.status_code == 422, answer.text
    assert api.client.get("/api/orders", headers=customer).json() == []

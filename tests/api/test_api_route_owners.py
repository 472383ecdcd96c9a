"""Each method and path has one owner: a compat route never shadows a native one by registration order."""

from __future__ import annotations

import re
from collections import Counter

from fastapi.routing import iter_route_contexts

from tests.api.support import Api

_PARAMETER = re.compile(r"\{[^}]*\}")


def test_no_two_routes_share_a_method_and_path(api: Api) -> None:
    # given every route the app registered (API, compat, pages, through included routers), parameters named alike
    owners = Counter(
        (method, _PARAMETER.sub("{}", route.path))
        for route in iter_route_contexts(api.client.app.routes)  # type: ignore[attr-defined]
        if route.path is not None
        for method in route.methods or ()
    )
    assert ("POST", "/api/orders") in owners
    # then each method + path is served by exactly one route
    assert [route for route, count in owners.items() if count > 1] == []


def test_the_native_order_route_answers_in_the_native_shape_and_the_seed_002_route_in_its_own(api: Api) -> None:
    # given a butcher's shop and a customer
    shop_id = api.add_shop("klikandgo", accepts_on_pickup=True, offers_delivery=False, offers_pickup=True)
    entrecote = api.add_product(shop_id, "Entrecôte", 3290, unit="kg")
    headers = api.customer_headers()
    lines = [{"product_id": entrecote, "quantity": "0.750"}]
    native = {"shop": "klikandgo", "lines": lines, "payment_method": "online"}
    seed = {"items": [{"productId": entrecote, "quantity": "0.750"}], "paymentMethod": "ONLINE"}
    # when the native route receives a native order, then it answers with the native order
    placed = api.client.post("/api/orders", headers=headers, json=native)
    assert placed.status_code == 201, placed.text
    assert {"payment_status", "payment_method", "lines", "total", "history"} <= placed.json().keys()
    # when the native route receives the seed's body, then it refuses it as the native route does
    refused = api.client.post("/api/orders", headers=headers, json=seed)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request")
    assert "error" not in refused.json()
    # and the seed's body has its own route, which answers in the seed's shape
    commande = api.client.post("/api/klikandgo/orders", headers=headers, json=seed)
    assert commande.status_code == 201, commande.text
    assert (commande.json()["paymentMethod"], commande.json()["totalCents"]) == ("ONLINE", 2468)

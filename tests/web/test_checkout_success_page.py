"""The checkout success page shows a pickup order's customer the code to give at the counter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comptoir.app import create_app
from tests.api.support import FAST_HASHER, Api, TestClient, make_settings
from tests.fakes import FakeGateway


@pytest.fixture
def shop(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Api, FakeGateway]]:
    gateway = FakeGateway()
    settings = make_settings(sqlite_url, tmp_path)
    app = create_app(settings, hasher=FAST_HASHER, gateway=gateway)
    with TestClient(app) as client:
        yield Api(client=client, uow=app.state.uow_factory, settings=settings), gateway


def _paid_on_the_hosted_page(api: Api, gateway: FakeGateway, *, pickup: bool) -> tuple[dict[str, Any], str]:
    """A customer's order paid online on the hosted page; the order and its success page's address."""
    shop_id = api.add_shop("traiteur", offers_pickup=True)
    product = api.add_product(shop_id, "Terrine", 1250)
    customer = api.customer_headers()
    fulfilment: dict[str, Any] = (
        {"pickup": {"note": "vendredi"}}
        if pickup
        else {
            "delivery_address": {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
        }
    )
    order = api.client.post(
        "/api/orders",
        headers=customer,
        json={
            "shop": "traiteur",
            "lines": [{"product_id": product, "quantity": 1}],
            "payment_method": "online",
            **fulfilment,
        },
    ).json()
    session = api.client.post(f"/api/orders/{order['id']}/checkout-session", headers=customer).json()
    gateway.pay(session["id"])
    return order, f"/checkout/success?session_id={session['id']}"


def test_a_paid_pickup_orders_success_page_gives_the_code_in_the_customers_language(
    shop: tuple[Api, FakeGateway],
) -> None:
    # given a pickup order paid on the hosted page
    api, gateway = shop
    order, success = _paid_on_the_hosted_page(api, gateway, pickup=True)
    # when the customer's browser comes back to the success page, in French
    page = api.client.get(success, headers={"Accept-Language": "fr"})
    # then the page says, in French, which code to give at the counter
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.text)
    assert f"Au retrait de votre commande, donnez ce code au comptoir : {order['pickup_code']}" in text
    # and in English for an English browser
    english = re.sub(r"<[^>]+>", "", api.client.get(success, headers={"Accept-Language": "en"}).text)
    assert f"When you collect your order, give this code at the counter: {order['pickup_code']}" in english


def test_a_delivery_orders_success_page_has_no_code(shop: tuple[Api, FakeGateway]) -> None:
    api, gateway = shop
    order, success = _paid_on_the_hosted_page(api, gateway, pickup=False)
    page = api.client.get(success, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and order["number"] in page.text
    assert order["pickup_code"] is None and 'data-testid="pickup-code"' not in page.text

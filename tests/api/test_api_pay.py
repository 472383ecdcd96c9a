"""`POST /api/orders/{id}/pay` over HTTP with the fake gateway: the request and answer shapes. The
provider side runs against the real sandbox in tests/e2e/cards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from comptoir.app import create_app
from tests.api.support import FAST_HASHER, Api, TestClient, make_settings
from tests.fakes import FakeGateway

ADDRESS = {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def api(sqlite_url: str, tmp_path: Path, fixed_now: datetime, gateway: FakeGateway) -> Iterator[Api]:
    settings = make_settings(sqlite_url, tmp_path)
    app = create_app(settings, hasher=FAST_HASHER, clock=lambda: fixed_now, gateway=gateway)
    with TestClient(app) as client:
        yield Api(client=client, uow=app.state.uow_factory, settings=settings)


@pytest.fixture
def order(api: Api) -> tuple[dict[str, str], str]:
    product = api.add_product(api.add_shop("cards"), "Casquette", 2500)
    headers = api.customer_headers()
    answer = api.client.post(
        "/api/orders",
        headers=headers,
        json={
            "shop": "cards",
            "lines": [{"product_id": product, "quantity": 2}],
            "payment_method": "online",
            "delivery_address": ADDRESS,
        },
    )
    assert answer.status_code == 201, answer.text
    return headers, answer.json()["id"]


def test_a_good_card_answers_succeeded_with_the_order(api: Api, order: tuple[dict[str, str], str]) -> None:
    headers, order_id = order
    answer = api.client.post(f"/api/orders/{order_id}/pay", headers=headers, json={"payment_method_id": "pm_card_visa"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "succeeded" and body["payment_intent_id"].startswith("pi_")
    assert body["order"]["id"] == order_id and body["order"]["payment_status"] == "paid"
    assert body["client_secret"] is None


def test_3ds_answers_requires_action_with_the_client_secret(api: Api, order: tuple[dict[str, str], str]) -> None:
    headers, order_id = order
    answer = api.client.post(
        f"/api/orders/{order_id}/pay", headers=headers, json={"payment_method_id": "pm_card_threeDSecure2Required"}
    )
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "requires_action"
    assert body["client_secret"] and body["payment_intent_id"] and body["order"]["payment_status"] == "unpaid"


def test_a_decline_is_problem_json_402_with_code_decline_code_and_message(
    api: Api, order: tuple[dict[str, str], str]
) -> None:
    headers, order_id = order
    answer = api.client.post(
        f"/api/orders/{order_id}/pay", headers=headers, json={"payment_method_id": "pm_card_visa_chargeDeclined"}
    )
    assert answer.status_code == 402 and answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (body["code"], body["decline_code"], body["message"]) == (
        "card_declined",
        "generic_decline",
        "Your card was declined.",
    )


@pytest.mark.parametrize("body", [{}, {"payment_method_id": "pm_card_visa", "payment_intent_id": "pi_1"}])
def test_exactly_one_of_the_two_ids_is_required(api: Api, order: tuple[dict[str, str], str], body: dict) -> None:
    headers, order_id = order
    answer = api.client.post(f"/api/orders/{order_id}/pay", headers=headers, json=body)
    assert answer.status_code == 422 and answer.json()["code"] == "pay_body_invalid"


def test_only_the_owner_can_pay(api: Api, order: tuple[dict[str, str], str], gateway: FakeGateway) -> None:
    _, order_id = order
    stranger = api.customer_headers("someone@example.com")
    card = {"payment_method_id": "pm_card_visa"}
    answer = api.client.post(f"/api/orders/{order_id}/pay", headers=stranger, json=card)
    assert answer.status_code == 404 and answer.json()["code"] == "order_not_found"
    assert api.client.post(f"/api/orders/{order_id}/pay", json=card).status_code == 401
    assert gateway.intents == {}

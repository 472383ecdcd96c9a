"""Seed 003, Stripe's "Accepter les paiements par carte sans webhooks", step by step.

The guide's steps in order, with the browser's part done as Stripe.js does it over HTTP:
collect the card (`createPaymentMethod`, the publishable key straight to the sandbox), send its
id to `POST /pay`, handle `requires_action` with the 3-D Secure page (`handleCardAction`), then
`POST /pay {payment_intent_id}` again. Then the guide's test cards: success, authentication
required (4000 0025 0000 3155), insufficient funds (4000 0000 0000 9995), and the generic
decline (4000 0000 0000 0002); and its "risque de double paiement", a repeated `/pay`.

No webhook is needed for any answer: each `/pay` answer is final when it returns.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from tests.e2e.checkout.stack import Stack
from tests.servers import Buyer
from tests.walkthroughs.conftest import CUSTOMER, bearer, product_id

SHOP = "porsche-accessories"
SUCCESS = "4242 4242 4242 4242"
AUTHENTICATION = "4000 0025 0000 3155"
INSUFFICIENT = "4000 0000 0000 9995"
DECLINED = "4000 0000 0000 0002"


class Page:
    """The guide's payment page: Stripe.js calls to the sandbox, and fetch('/pay') to the shop."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.headers = bearer(stack.http.post("/api/auth/login", json=CUSTOMER).json()["access_token"])
        self.porte_cles = product_id(stack, SHOP, "Porte-clés écusson")  # 29.00 EUR

    def order(self) -> dict[str, Any]:
        answer = self.stack.http.post(
            "/api/orders",
            headers=self.headers,
            json={
                "shop": SHOP,
                "lines": [{"product_id": self.porte_cles, "quantity": 1}],
                "payment_method": "online",
                "delivery_address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001"},
            },
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def create_payment_method(self, number: str) -> str:
        """`stripe.createPaymentMethod({type: 'card', card})`: the card goes to Stripe, never to the shop."""
        answer = httpx.post(
            f"{self.stack.running.url}/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": number.replace(" ", ""),
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
            auth=(self.stack.running.publishable_key, ""),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        pm: str = answer.json()["id"]
        return pm

    def pay(self, body: dict[str, str]) -> httpx.Response:
        """`fetch('/pay', {method: 'POST', body: JSON.stringify(...)})`."""
        return self.stack.http.post("/pay", headers=self.headers, json=body)

    def payment_status(self, order_id: str) -> str:
        status: str = self.stack.http.get(f"/api/orders/{order_id}", headers=self.headers).json()["payment_status"]
        return status


def _handle_card_action(stack: Stack, buyer: Buyer, client_secret: str, outcome: str) -> str:
    """`stripe.handleCardAction(client_secret)`: the 3-D Secure page, completed (or failed) by the holder."""
    intent_id = client_secret.split("_secret_")[0]
    buyer.choose_3ds(f"{stack.running.url}/3ds/{intent_id}?{urlencode({'client_secret': client_secret})}", outcome)
    return intent_id


def test_seed_003_pay_on_the_server_with_3ds_and_declines_without_webhooks(demo: Stack, buyer: Buyer) -> None:
    stack = demo
    page = Page(stack)

    # --- Collect the card, send the PaymentMethod to the server, which creates and confirms the intent ---
    order = page.order()
    pm = page.create_payment_method(SUCCESS)
    answer = page.pay({"payment_method_id": pm, "order_id": order["id"]})
    # then "un paiement est créé et l'état PaymentIntent est défini sur succeeded": {success: true}
    assert answer.status_code == 200 and answer.json() == {"success": True}
    # and the order is paid when /pay returns, no webhook awaited
    assert page.payment_status(order["id"]) == "paid"

    # --- "Risque de double paiement": the same click sent again ---
    again = page.pay({"payment_method_id": pm, "order_id": order["id"]})
    assert again.status_code == 200 and again.json() == {"success": True}
    intents = [
        i
        for i in stack.stripe.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
        if i.metadata and i.metadata.to_dict().get("order_id") == order["id"]
    ]
    assert [(i.status, i.amount) for i in intents] == [("succeeded", 2900)]
    stack.settle()
    assert len(stack.order(order["id"]).entries("payment")) == 1

    # --- "Gérer les actions suivantes": a card that needs authentication (4000 0025 0000 3155) ---
    order = page.order()
    answer = page.pay({"payment_method_id": page.create_payment_method(AUTHENTICATION), "order_id": order["id"]})
    # then {requires_action: true, payment_intent_client_secret}
    assert answer.status_code == 200 and set(answer.json()) == {"requires_action", "payment_intent_client_secret"}
    assert answer.json()["requires_action"] is True
    assert page.payment_status(order["id"]) == "unpaid"
    # when handleCardAction succeeds and the page posts the intent back ("Reconfirmer le PaymentIntent")
    intent_id = _handle_card_action(stack, buyer, answer.json()["payment_intent_client_secret"], "complete")
    finished = page.pay({"payment_intent_id": intent_id})
    # then {success: true}, and the order is paid
    assert finished.status_code == 200 and finished.json() == {"success": True}
    assert page.payment_status(order["id"]) == "paid"

    # --- "Échec systématique avec le code de refus insufficient_funds" (4000 0000 0000 9995) ---
    order = page.order()
    refused = page.pay({"payment_method_id": page.create_payment_method(INSUFFICIENT), "order_id": order["id"]})
    # then {error} with the message to show on the form
    assert refused.status_code == 402 and refused.json()["error"] == "Your card has insufficient funds."
    assert refused.json()["decline_code"] == "insufficient_funds"
    # and the generic decline
    declined = page.pay({"payment_method_id": page.create_payment_method(DECLINED), "order_id": order["id"]})
    assert declined.status_code == 402 and declined.json()["error"] == "Your card was declined."
    # when the customer tries a good card: the same order is paid, once
    good = page.pay({"payment_method_id": page.create_payment_method(SUCCESS), "order_id": order["id"]})
    assert good.json() == {"success": True} and page.payment_status(order["id"]) == "paid"
    stack.settle()
    assert len(stack.order(order["id"]).entries("payment")) == 1

    # --- what the guide's sample trusted: the page decides what is paid ---
    # without an order the server will not guess an amount
    orphan = page.pay({"payment_method_id": page.create_payment_method(SUCCESS)})
    assert orphan.status_code == 422 and orphan.json()["code"] == "order_id_required" and orphan.json()["error"]
    # nor can someone else's intent be finished from this account
    stranger = stack.http.post("/api/auth/register", json={"email": "autre@example.com", "password": "motdepasse456"})
    stranger_headers = bearer(stranger.json()["access_token"])
    other = stack.http.post("/pay", headers=stranger_headers, json={"payment_intent_id": intent_id})
    assert other.status_code == 404 and other.json()["code"] == "payment_intent_not_found"

"""Seed 002, the Klik&Go "stripe-payment" skill (click and collect at a butcher), step by step.

Its two modes in its order: "Flux paiement en ligne" (ONLINE: order, `POST /api/checkout`, pay on
Stripe Checkout, back to `/commande/[id]/confirmation?session_id=…` while the webhook sets
`paidAt` and the butcher is alerted), with its test cards (4242, 3-D Secure 3155, refused 0002);
"Flux paiement sur place" (ON_PICKUP: the butcher is alerted at once, the customer pays at the
counter); then "Remboursement" (the butcher refuses a paid order: refunded, `refundedAt`); then its
"Sécurité ABSOLUE" list, each rule checked against the API: no amount from the client, the
webhook signature always verified, the seed's own error messages.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.checkout.stack import Stack, sign
from tests.servers import Buyer
from tests.support import wait_until
from tests.walkthroughs.conftest import CUSTOMER, bearer, product_id

SHOP = "klikandgo"
BUTCHER = {"email": "boucher@example.com", "password": "merchant123"}
CARD = "4242 4242 4242 4242"
SECURE_3D = "4000 0025 0000 3155"
REFUSED = "4000 0000 0000 0002"


class Client:
    """A logged-in user of the Klik&Go API."""

    def __init__(self, stack: Stack, login: dict[str, str]) -> None:
        self.stack = stack
        answer = stack.http.post("/api/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        self.headers = bearer(answer.json()["access_token"])

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.stack.http.post(path, headers=self.headers, json=body)

    def order(self, order_id: str) -> dict[str, Any]:
        answer = self.stack.http.get(f"/api/klikandgo/orders/{order_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def commander(self, items: list[dict[str, Any]], method: str) -> dict[str, Any]:
        answer = self.post("/api/klikandgo/orders", {"items": items, "paymentMethod": method})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body


def _alerts(stack: Stack, order_id: str) -> list[str]:
    """Messages queued for the butcher's shop about this order."""
    return [topic for topic, recipient, _ in stack.messages(order_id) if recipient == BUTCHER["email"]]


def test_seed_002_online_and_pickup_payments_refund_and_the_security_rules(demo: Stack, buyer: Buyer) -> None:
    stack = demo
    client = Client(stack, CUSTOMER)
    butcher = Client(stack, BUTCHER)
    entrecote = product_id(stack, SHOP, "Entrecôte")  # 32.90 EUR / kg
    terrine = product_id(stack, SHOP, "Terrine de campagne")  # 6.90 EUR the piece

    # --- Flux paiement en ligne: "Client clique Commander (paymentMethod: ONLINE)" ---
    commande = client.commander([{"productId": entrecote, "quantity": "0.750"}], "ONLINE")
    # then the order is PENDING, not paid, priced by the server (0.750 kg x 32.90 = 24.68)
    assert (commande["status"], commande["paymentMethod"], commande["paidAt"]) == ("PENDING", "ONLINE", None)
    assert commande["items"] == [
        {
            "id": commande["items"][0]["id"],
            "productId": entrecote,
            "name": "Entrecôte",
            "quantity": "0.750",
            "unit": "kg",
            "unitPriceCents": 3290,
            "priceCents": 2468,
        }
    ]
    assert commande["totalCents"] == 2468 and commande["stripeSessionId"] is None
    # when POST /api/checkout {orderId}
    checkout = client.post("/api/checkout", {"orderId": commande["id"]})
    # then {url}, a session of one line "Entrecôte, 0.750 kg" at the server's price, quantity 1
    assert checkout.status_code == 200 and list(checkout.json()) == ["url"]
    url = checkout.json()["url"]
    session_id = url.rsplit("/", 1)[1]
    provider = stack.stripe.v1.checkout.sessions.retrieve(session_id, {"expand": ["line_items"]})
    assert [(i.description, i.amount_total, i.quantity) for i in provider.line_items.data] == [("Entrecôte", 2468, 1)]
    assert provider.metadata["order_id"] == commande["id"]
    # when the card is refused (4000 0000 0000 0002), then 3-D Secure (4000 0025 0000 3155) succeeds
    assert buyer.pay_card(url, REFUSED).alert() == "Your card was declined."
    challenge = buyer.pay_card(url, SECURE_3D)
    assert challenge.status == 303 and "/3ds/pi_" in challenge.location
    back = buyer.open(buyer.choose_3ds(challenge.location, "complete").location)
    # then Stripe sends the browser to /commande/[id]/confirmation?session_id=…
    assert back.status == 303
    assert back.location == f"{stack.shop_url}/commande/{commande['id']}/confirmation?session_id={session_id}"
    # "EN PARALLÈLE": the webhook sets paidAt, stripeSessionId, stripePaymentIntentId
    paid = wait_until(lambda: (lambda o: o if o["paidAt"] else None)(client.order(commande["id"])), "paidAt")
    intent = stack.stripe.v1.checkout.sessions.retrieve(session_id).payment_intent
    assert (paid["stripeSessionId"], paid["stripePaymentIntentId"]) == (session_id, intent)
    assert (paid["status"], paid["paymentStatus"], paid["refundedAt"]) == ("CONFIRMED", "paid", None)
    # and the confirmation page says paid
    assert buyer.follow(back).payment_status() == "paid"
    # and "Le boucher reçoit l'alerte commande"
    stack.settle()
    assert _alerts(stack, commande["id"]) == ["merchant_alert"]

    # --- Flux paiement sur place: "Client clique Commander (paymentMethod: ON_PICKUP)" ---
    sur_place = client.commander(
        [{"productId": entrecote, "quantity": "1.250"}, {"productId": terrine, "quantity": 2}], "ON_PICKUP"
    )
    # then no Stripe: the order waits for the counter, and the butcher is alerted at once
    assert (sur_place["paymentMethod"], sur_place["paidAt"], sur_place["stripeSessionId"]) == ("ON_PICKUP", None, None)
    assert sur_place["status"] == "CONFIRMED" and sur_place["totalCents"] == 4113 + 1380
    assert _alerts(stack, sur_place["id"]) == ["merchant_alert"]
    online = client.post("/api/checkout", {"orderId": sur_place["id"]})
    assert online.status_code == 409 and online.json()["code"] == "order_pays_on_pickup"
    # when "le client paie au retrait" (the butcher records it at the counter)
    collected = butcher.post(
        f"/api/merchant/orders/{sur_place['id']}/collect", {"method": "cash", "amount": sur_place["totalCents"]}
    )
    assert collected.status_code == 200, collected.text
    # then the order is picked up and paid, still without any Stripe id
    after = client.order(sur_place["id"])
    assert (after["status"], after["paymentStatus"], after["stripePaymentIntentId"]) == ("PICKED_UP", "paid", None)
    assert after["paidAt"] is not None

    # --- Remboursement: "le boucher refuse/annule une commande déjà payée" ---
    refused = butcher.post(f"/api/merchant/orders/{commande['id']}/refuse", {"reason": "plus d'entrecôte"})
    assert refused.status_code == 200, refused.text
    stack.settle()
    # then the payment is refunded at Stripe, and the order says when
    refunds = stack.stripe.v1.refunds.list({"payment_intent": intent}).data
    assert [(r.amount, r.status) for r in refunds] == [(2468, "succeeded")]
    rembourse = client.order(commande["id"])
    assert (rembourse["status"], rembourse["paymentStatus"]) == ("CANCELLED", "refunded")
    assert rembourse["refundedAt"] is not None and rembourse["paidAt"] == paid["paidAt"]

    # --- Sécurité ABSOLUE ---
    # "JAMAIS envoyer le montant depuis le client": an item with priceCents is refused
    cheap = client.post(
        "/api/klikandgo/orders",
        {"items": [{"productId": entrecote, "quantity": 1, "priceCents": 1}], "paymentMethod": "ONLINE"},
    )
    assert cheap.status_code == 422 and cheap.json()["error"].endswith("jamais de montant")
    # the seed's own messages: not authenticated, order not found
    anonymous = stack.http.post("/api/checkout", json={"orderId": commande["id"]})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "Non authentifié"
    missing = client.post("/api/checkout", {"orderId": "ord_inconnue"})
    assert missing.status_code == 404 and missing.json()["error"] == "Commande non trouvée"
    # "JAMAIS skip la vérification de signature webhook": the seed's webhook route, with and without it
    events = stack.stripe.v1.events.list({"type": "checkout.session.completed", "limit": 100}).auto_paging_iter()
    event_id = next(e.id for e in events if e.data.object["id"] == session_id)
    raw = httpx.get(f"{stack.running.url}/v1/events/{event_id}", auth=(stack.running.secret_key, ""), timeout=10)
    unsigned = stack.http.post("/api/webhooks/stripe", content=raw.content)
    assert unsigned.status_code == 400 and unsigned.json()["error"] == "Signature invalide"
    forged = stack.http.post(
        "/api/webhooks/stripe", content=raw.content, headers={"Stripe-Signature": sign(raw.content, "whsec_faux")}
    )
    assert forged.status_code == 400 and forged.json()["error"] == "Signature invalide"
    # and `stripe listen --forward-to localhost:3000/api/webhooks/stripe`: a genuine delivery is received, once
    genuine = stack.http.post(
        "/api/webhooks/stripe",
        content=raw.content,
        headers={"Stripe-Signature": sign(raw.content, stack.running.webhook_secret)},
    )
    assert genuine.status_code == 200 and genuine.json() == {"received": True, "status": "duplicate"}
    assert client.order(commande["id"])["paymentStatus"] == "refunded"
    # the cancel_url /panier: the customer who goes back before paying finds the still-open session
    panier_order = client.commander([{"productId": terrine, "quantity": 1}], "ONLINE")
    panier_url = client.post("/api/checkout", {"orderId": panier_order["id"]}).json()["url"]
    panier = buyer.open(f"{stack.shop_url}/panier?order_id={panier_order['id']}")
    assert panier.status == 200 and panier.resume_url() == panier_url

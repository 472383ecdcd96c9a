"""Seed 000, "Guide de Paiement avec Stripe" (the Porsche accessories API), step by step.

The document's Postman session, in its order and with its bodies: log in, order 2 x 250.00 + 1 x
750.00 with a delivery address, get the payment link, pay with 4242 4242 4242 4242, read the
order back "après webhook Stripe". Then its table of test cards, then its troubleshooting cases,
each answered as the document says they should be diagnosed. The one thing the document's API
got wrong is checked too: a `prix_unitaire` the server does not charge is refused, in French.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from comptoir.web import pages
from tests.e2e.checkout.stack import Stack, sign
from tests.servers import Buyer
from tests.support import wait_until
from tests.walkthroughs.conftest import CUSTOMER, bearer, product_id

SHOP = "porsche-accessories"
SUCCES = "4242 4242 4242 4242"
REFUSEE = "4000 0000 0000 0002"
INSUFFISANT = "4000 0000 0000 9995"
SECURE_3D = "4000 0025 0000 3155"
ADRESSE = {"rue": "123 Avenue des Champs", "ville": "Paris", "code_postal": "75008", "pays": "France"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _commande_body(jantes: int, becquet: int, prix_jantes: float = 250.00) -> dict[str, Any]:
    """Step 2's body, with the demo's accessory ids filled in (the document's are placeholders)."""
    return {
        "lignes_commande": [
            {"accessoire": str(jantes), "quantite": 2, "prix_unitaire": prix_jantes},
            {"accessoire": str(becquet), "quantite": 1, "prix_unitaire": 750.00},
        ],
        "adresse_livraison": ADRESSE,
    }


def _commande(stack: Stack, token: str, commande_id: str) -> dict[str, Any]:
    answer = stack.http.get(f"/commande/{commande_id}", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _raw_event(stack: Stack, session_id: str) -> bytes:
    """The checkout.session.completed event of a session, as Stripe's servers send its bytes."""
    events = stack.stripe.v1.events.list({"type": "checkout.session.completed", "limit": 100})
    event_id = next(e.id for e in events.auto_paging_iter() if e.data.object["id"] == session_id)
    raw = httpx.get(f"{stack.running.url}/v1/events/{event_id}", auth=(stack.running.secret_key, ""), timeout=10)
    assert raw.status_code == 200, raw.text
    return raw.content


def test_seed_000_the_postman_walkthrough_then_test_cards_then_troubleshooting(demo: Stack, buyer: Buyer) -> None:
    stack = demo
    jantes = product_id(stack, SHOP, "Jantes 911 Turbo")
    becquet = product_id(stack, SHOP, "Becquet carbone")

    # --- Étape 1 : Se connecter (obtenir le token) ---
    # when the customer logs in with the document's body
    login = stack.http.post("/user/login", json=CUSTOMER)
    # then the answer is the document's: a message, a token, the user
    assert login.status_code == 200, login.text
    connexion = login.json()
    assert connexion["message"] == "client@example.com est connecté"
    assert connexion["token"].startswith("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.")
    assert connexion["user"]["email"] == "client@example.com" and connexion["user"]["id"]
    token = connexion["token"]

    # --- Étape 2 : Créer une commande avec accessoires ---
    # when the customer orders 2 x 250.00 and 1 x 750.00 with a delivery address
    created = stack.http.post("/commande/new", headers=bearer(token), json=_commande_body(jantes, becquet))
    # then the order is created, 1250.00 in total, waiting on both axes
    assert created.status_code == 201, created.text
    commande = created.json()
    assert set(commande) >= {
        "_id",
        "user",
        "lignes_commande",
        "montant_total",
        "statut_commande",
        "statut_paiement",
        "createdAt",
    }
    assert commande["user"] == connexion["user"]["id"]
    assert len(commande["lignes_commande"]) == 2 and all(isinstance(i, str) for i in commande["lignes_commande"])
    assert commande["montant_total"] == 1250.0
    assert (commande["statut_commande"], commande["statut_paiement"]) == ("en_attente", "en_attente")
    assert ISO_Z.match(commande["createdAt"]), commande["createdAt"]
    commande_id = commande["_id"]

    # --- Étape 3 : Créer une session de paiement Stripe ---
    session = stack.http.post(
        "/api/payment/create-checkout-session", headers=bearer(token), json={"commandeId": commande_id}
    )
    # then the answer is only the payment link, on the (sandbox's) hosted page
    assert session.status_code == 200, session.text
    assert list(session.json()) == ["url"]
    url = session.json()["url"]
    assert url.startswith(f"{stack.running.url}/c/pay/cs_test_")
    session_id = url.rsplit("/", 1)[1]
    # and "(ou /cancel si annulé)": the page Stripe's Back link leads to offers the same session again
    cancel_url = stack.stripe.v1.checkout.sessions.retrieve(session_id).cancel_url
    assert cancel_url == f"{stack.shop_url}/cancel?order_id={commande_id}"
    cancelled = buyer.open(cancel_url)
    assert cancelled.status == 200 and cancelled.resume_url() == url

    # --- Étape 4 : Payer (simulation en mode test) ---
    # when the card 4242 4242 4242 4242 pays on that page
    paid = buyer.pay_card(url, SUCCES)
    # then the browser is sent back to the shop's /success
    assert paid.status == 303 and paid.location == f"{stack.shop_url}/success?session_id={session_id}"

    # --- Étape 5 : Vérifier que le paiement est validé (après webhook Stripe) ---
    # before the browser even loads /success, the webhook alone confirms the order
    after = wait_until(
        lambda: (lambda c: c if c["statut_paiement"] == "payé" else None)(_commande(stack, token, commande_id)),
        "the webhook to mark the order payé",
    )
    assert after["_id"] == commande_id
    assert (after["statut_commande"], after["statut_paiement"]) == ("confirmée", "payé")
    assert after["stripe_session_id"] == session_id and after["montant_total"] == 1250.00
    # and /success (what the browser shows) agrees, and the money was booked exactly once
    landing = buyer.follow(paid)
    assert landing.status == 200 and landing.payment_status() == "paid"
    stack.settle()
    assert [entry[1] for entry in stack.order(commande_id).entries("payment")] == [125000]

    # --- Tester le paiement : cartes de test (Refusé, Insuffisant, 3D Secure) on a new order ---
    second = stack.http.post("/commande/new", headers=bearer(token), json=_commande_body(jantes, becquet)).json()
    url = stack.http.post(
        "/api/payment/create-checkout-session", headers=bearer(token), json={"commandeId": second["_id"]}
    ).json()["url"]
    # when 4000 0000 0000 0002 is used: refused, and the order is still waiting
    refused = buyer.pay_card(url, REFUSEE)
    assert refused.status == 200 and refused.alert() == "Your card was declined."
    # when 4000 0000 0000 9995 is used: insufficient funds, still waiting
    short = buyer.pay_card(url, INSUFFISANT)
    assert short.status == 200 and short.alert() == "Your card has insufficient funds."
    stack.settle()
    assert _commande(stack, token, second["_id"])["statut_paiement"] == "en_attente"
    # when 4000 0025 0000 3155 is used: authentication is required, then completed
    challenge = buyer.pay_card(url, SECURE_3D)
    assert challenge.status == 303 and "/3ds/pi_" in challenge.location
    assert _commande(stack, token, second["_id"])["statut_paiement"] == "en_attente"
    back = buyer.follow(buyer.choose_3ds(challenge.location, "complete"))
    # then the same order is paid, once
    assert back.payment_status() == "paid"
    stack.settle()
    assert (
        _commande(stack, token, second["_id"])["statut_commande"],
        _commande(stack, token, second["_id"])["statut_paiement"],
    ) == ("confirmée", "payé")
    assert len(stack.order(second["_id"]).entries("payment")) == 1

    # --- Troubleshooting ---
    # "Erreur 401 Non autorisé": the word Bearer forgotten, then no header at all
    no_bearer = stack.http.get(f"/commande/{commande_id}", headers={"Authorization": token})
    assert no_bearer.status_code == 401 and no_bearer.json()["code"] == "bearer_missing"
    assert "N'oublie pas le mot « Bearer » avant le token" in no_bearer.json()["detail"]
    no_token = stack.http.get(f"/commande/{commande_id}")
    assert no_token.status_code == 401 and no_token.json()["title"] == "Non autorisé"
    # "Webhook signature verification failed": a delivery to /webhook signed with another secret
    event = _raw_event(stack, session_id)
    forged = stack.http.post("/webhook", content=event, headers={"Stripe-Signature": sign(event, "whsec_autre")})
    assert forged.status_code == 400
    assert forged.json()["title"] == "Webhook signature verification failed"
    assert "STRIPE_WEBHOOK_SECRET" in forged.json()["detail"]
    # and the same event, properly signed, is accepted on /webhook and applied once (already applied)
    genuine = stack.http.post(
        "/webhook", content=event, headers={"Stripe-Signature": sign(event, stack.running.webhook_secret)}
    )
    assert genuine.status_code == 200 and genuine.json() == {"received": True, "status": "duplicate"}
    assert json.loads(event)["type"] == "checkout.session.completed"
    assert len(stack.order(commande_id).entries("payment")) == 1
    # "No such checkout session": a session id Stripe does not know, on the success page, in the customer's words
    unknown = buyer.open(f"{stack.shop_url}/success?session_id=cs_test_inconnue")
    assert unknown.status == 404 and pages.UNKNOWN_PAYMENT in unknown.html and "No such" not in unknown.html
    assert _commande(stack, token, commande_id)["statut_paiement"] == "payé"

    # --- What the document's API trusted: the client's prix_unitaire ---
    # when a client sends 1.00 for a 250.00 accessory
    cheap = stack.http.post("/commande/new", headers=bearer(token), json=_commande_body(jantes, becquet, 1.00))
    # then nothing is ordered: 409, in French, naming the accessory, the price sent and the real one
    assert cheap.status_code == 409, cheap.text
    assert cheap.json()["code"] == "price_changed"
    assert cheap.json()["detail"].startswith("Le prix_unitaire envoyé ne correspond pas au prix actuel")
    assert cheap.json()["lines"] == [{"accessoire": str(jantes), "prix_envoye": 1.0, "prix_actuel": 250.0}]

"""Seed 001, the course "Stripe Checkout - Intégration côté serveur avec Express.js", step by step.

Its eight steps: the front end asks the back end (authenticated, `authController.protect`) for a
session for one resource, `POST /create-checkout-session/:id`; the back end answers
`{status: 'success', session}`; the browser goes to Stripe Checkout; the customer pays; Stripe
sends the browser back; the back end books.

The course books on its success URL (`/?tour=…&user=…&price=…`, "not secure: everyone can make
booking without paying"). Here the booking is the order, made paid by fulfilment only: that URL
books nothing, and a success URL carrying the id of an unpaid session does not mark it paid.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.checkout.stack import Stack
from tests.servers import Buyer
from tests.support import wait_until
from tests.walkthroughs.conftest import CUSTOMER, bearer, product_id

SHOP = "klikandgo"
RESSOURCE = "Poulet fermier"  # one piece, 14.90 EUR, nothing to deliver
CARD = "4242 4242 4242 4242"


def _order(stack: Stack, token: str, order_id: str) -> dict[str, Any]:
    answer = stack.http.get(f"/api/orders/{order_id}", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_seed_001_one_resource_through_checkout_booked_by_fulfilment_only(demo: Stack, buyer: Buyer) -> None:
    stack = demo
    ressource = product_id(stack, SHOP, RESSOURCE)
    token = stack.http.post("/api/auth/login", json=CUSTOMER).json()["access_token"]

    # --- the route is protected (authController.protect) ---
    anonymous = stack.http.post(f"/create-checkout-session/{ressource}")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "token_missing"
    # and an unknown resource is refused ("No ressource found")
    missing = stack.http.post("/create-checkout-session/999999", headers=bearer(token))
    assert missing.status_code == 422 and missing.json()["code"] == "unknown_product"

    # --- Steps 1-4: the front end asks the back end for a Checkout Session for resource :id ---
    answer = stack.http.post(f"/create-checkout-session/{ressource}", headers=bearer(token))
    # then the back end answers as the course's: {status: 'success', session}
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "success"
    session = answer.json()["session"]
    assert session["object"] == "checkout.session" and session["id"].startswith("cs_test_")
    assert session["url"].startswith(f"{stack.running.url}/c/pay/{session['id']}")
    order_id = session["metadata"]["order_id"]
    # and Stripe holds what the server priced: one resource at its catalog price
    provider = stack.stripe.v1.checkout.sessions.retrieve(session["id"], {"expand": ["line_items"]})
    assert provider.amount_total == 1490 and provider.currency == "eur"
    assert [(item.quantity, item.description) for item in provider.line_items.data] == [(1, RESSOURCE)]
    booking = _order(stack, token, order_id)
    assert (booking["status"], booking["payment_status"], booking["total"]) == ("pending", "unpaid", 1490)

    # --- the course's insecure booking URL, before paying: nothing is booked ---
    forged = buyer.open(f"{stack.shop_url}/?tour={ressource}&user=1&price=14.90")
    assert forged.status == 400 and "booking_needs_payment" in forged.html
    # nor does the real success URL with this (unpaid) session's id mark anything paid
    early = buyer.open(f"{stack.shop_url}/checkout/success?session_id={session['id']}")
    assert early.status == 200 and early.payment_status() == "unpaid"
    assert _order(stack, token, order_id)["payment_status"] == "unpaid"

    # --- Steps 5-7: the customer pays on Stripe Checkout and is sent back ---
    paid = buyer.pay_card(session["url"], CARD)
    assert paid.status == 303
    assert paid.location == f"{stack.shop_url}/checkout/success?session_id={session['id']}"

    # --- Step 8: post-payment, the back end books: fulfilment (webhook), not the URL ---
    booked = wait_until(
        lambda: (lambda o: o if o["payment_status"] == "paid" else None)(_order(stack, token, order_id)),
        "fulfilment to book the resource",
    )
    assert booked["status"] == "confirmed"
    landing = buyer.follow(paid)
    assert landing.status == 200 and landing.payment_status() == "paid"
    stack.settle()
    state = stack.order(order_id)
    intent = stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    assert state.entries("payment") == [("payment", 1490, intent)]
    assert state.outbox.count("receipt") == 1

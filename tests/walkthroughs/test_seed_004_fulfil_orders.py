"""Seed 004, Stripe's "Traiter les commandes" (fulfil orders with Checkout Sessions), as a walkthrough.

The guide's checklist for `fulfill_checkout`, each point run against the shop and the sandbox:
fulfilment from the webhook alone (the customer never comes back: "Les webhooks sont
indispensables"); from the landing page while the webhook is late, then the webhook arriving
after; both firing at once, several times, with the same session id ("appelée plusieurs fois
avec le même identifiant"); the guide's `stripe listen --forward-to localhost:4242/webhook`
(our `/webhook`); and delayed payment methods, `checkout.session.async_payment_succeeded` and
`_failed`. Whatever the order of arrival, one payment is booked once and one receipt is queued.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from comptoir.adapters.db.payment_models import LedgerEntry
from comptoir.sandbox.delivery import FORWARD_TARGET
from tests.e2e.checkout.stack import SEPA_SETTLE_WAIT, Stack, sign
from tests.servers import Buyer
from tests.support import wait_until
from tests.walkthroughs.conftest import CUSTOMER, bearer, product_id

SHOP = "klikandgo"
PRODUCT = "Terrine de campagne"  # 6.90 EUR the piece
CARD = "4242 4242 4242 4242"
IBAN_SETTLES = "DE89 3704 0044 0532 0130 00"
IBAN_FAILS = "DE62 3704 0044 0532 0130 01"


class Shopper:
    """The demo customer on the native API: an order of one terrine, and its Checkout Session."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.product = product_id(stack, SHOP, PRODUCT)
        self.headers = bearer(stack.http.post("/api/auth/login", json=CUSTOMER).json()["access_token"])

    def checkout(self) -> tuple[str, dict[str, Any]]:
        placed = self.stack.http.post(
            "/api/orders",
            headers=self.headers,
            json={"shop": SHOP, "lines": [{"product_id": self.product, "quantity": 1}], "payment_method": "online"},
        )
        assert placed.status_code == 201, placed.text
        order_id: str = placed.json()["id"]
        session = self.stack.http.post(f"/api/orders/{order_id}/checkout-session", headers=self.headers)
        assert session.status_code == 200, session.text
        return order_id, session.json()


def _sources(stack: Stack, order_id: str) -> list[str]:
    """Who booked each payment of the order (webhook | success_page | reconciler)."""
    with stack.uows() as uow:
        rows = uow.session.scalars(select(LedgerEntry).filter_by(order_id=order_id, kind="payment"))
        return [row.source for row in rows]


def _control(stack: Stack, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The sandbox's control API (like the Dashboard: faults, resending a delivery)."""
    answer = httpx.request(
        method, f"{stack.running.url}/_sandbox/{path}", json=body, auth=(stack.running.secret_key, ""), timeout=10
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _completed_event(stack: Stack, session_id: str) -> str:
    events = stack.stripe.v1.events.list({"type": "checkout.session.completed", "limit": 100}).auto_paging_iter()
    return next(e.id for e in events if e.data.object["id"] == session_id)


def _success_url(stack: Stack, session_id: str) -> str:
    return f"{stack.shop_url}/checkout/success?session_id={session_id}"


def _booked_once(stack: Stack, order_id: str) -> None:
    state = stack.order(order_id)
    assert (state.status, state.payment_status) == ("confirmed", "paid"), state
    assert len(state.entries("payment")) == 1 and state.entries("payment")[0][1] == 690
    assert state.outbox.count("receipt") == 1 and state.outbox.count("merchant_alert") == 1, state.outbox


def test_seed_004_fulfilment_runs_once_whoever_calls_it_and_waits_for_delayed_payments(
    demo: Stack, buyer: Buyer
) -> None:
    stack = demo
    shopper = Shopper(stack)

    # --- "Les webhooks sont indispensables": the customer pays and never comes back ---
    order_id, session = shopper.checkout()
    paid = buyer.pay_card(session["url"], CARD)
    assert paid.status == 303 and paid.location == _success_url(stack, session["id"])
    # then the webhook alone fulfils the order (the landing page was never opened)
    stack.wait_order(order_id, "the webhook to fulfil", lambda s: s.payment_status == "paid")
    stack.settle()
    assert _sources(stack, order_id) == ["webhook"]
    _booked_once(stack, order_id)
    assert stack.event_status(_completed_event(stack, session["id"])) == "processed"

    # --- "Déclencher la réalisation sur votre page d'accueil": the webhook is late ---
    _control(stack, "PUT", "faults", {"drop": 1.0})
    order_id, session = shopper.checkout()
    landing = buyer.follow(buyer.pay_card(session["url"], CARD))
    # then the landing page re-reads the session from Stripe and fulfils it at once
    assert landing.status == 200 and landing.payment_status() == "paid" and not landing.refreshes()
    assert _sources(stack, order_id) == ["success_page"]
    # when the webhook finally arrives (the dropped delivery is resent, as from the Dashboard)
    _control(stack, "PUT", "faults", {})
    event_id = _completed_event(stack, session["id"])
    _control(stack, "POST", "deliveries/resend", {"event_id": event_id, "endpoint_id": FORWARD_TARGET})
    wait_until(lambda: stack.event_status(event_id) == "processed", "the late webhook to be processed")
    # then nothing more happens: still one payment, one receipt
    _booked_once(stack, order_id)

    # --- "Gérer correctement le fait d'être appelée plusieurs fois avec le même identifiant" ---
    # when the landing page is reloaded 4 times at once while the event is delivered again to /webhook
    raw = httpx.get(f"{stack.running.url}/v1/events/{event_id}", auth=(stack.running.secret_key, ""), timeout=10)
    signature = {"Stripe-Signature": sign(raw.content, stack.running.webhook_secret)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = [pool.submit(buyer.http.get, _success_url(stack, session["id"])) for _ in range(4)]
        hooks = [pool.submit(stack.http.post, "/webhook", content=raw.content, headers=signature) for _ in range(2)]
        page_answers = [future.result() for future in pages]
        hook_answers = [future.result() for future in hooks]
    # then every page says paid, every delivery is acknowledged as a duplicate, and it is still booked once
    assert all(
        page.status_code == 200 and 'data-testid="payment-status" data-status="paid">Paid<' in page.text
        for page in page_answers
    )
    assert [(hook.status_code, hook.json()["status"]) for hook in hook_answers] == [(200, "duplicate")] * 2
    _booked_once(stack, order_id)

    # --- "Immediate versus delayed payment methods": a SEPA debit that succeeds later ---
    order_id, session = shopper.checkout()
    landing = buyer.follow(buyer.pay_sepa(session["url"], IBAN_SETTLES))
    # then checkout.session.completed arrives unpaid: processing, nothing booked, the page keeps refreshing
    assert landing.payment_status() == "processing" and landing.refreshes()
    stack.settle()
    assert (stack.order(order_id).payment_status, stack.order(order_id).ledger) == ("processing", ())
    # when the bank settles (checkout.session.async_payment_succeeded)
    stack.advance(SEPA_SETTLE_WAIT)
    stack.wait_order(order_id, "async_payment_succeeded to fulfil", lambda s: s.payment_status == "paid")
    stack.settle()
    # then the order is fulfilled once, by the webhook
    _booked_once(stack, order_id)
    assert buyer.open(_success_url(stack, session["id"])).payment_status() == "paid"

    # --- and one that fails later (checkout.session.async_payment_failed: "envoyer un e-mail") ---
    order_id, session = shopper.checkout()
    assert buyer.follow(buyer.pay_sepa(session["url"], IBAN_FAILS)).payment_status() == "processing"
    stack.advance(SEPA_SETTLE_WAIT)
    state = stack.wait_order(order_id, "async_payment_failed to be applied", lambda s: s.payment_status == "failed")
    stack.settle()
    # then nothing is fulfilled and the customer is told once
    assert state.status == "pending" and state.ledger == ()
    assert [m[0] for m in stack.messages(order_id)].count("payment_failed") == 1
    assert "receipt" not in stack.order(order_id).outbox

"""The merchant's side end to end: the shop and the sandbox as real HTTP servers, the official SDK
inside the shop, webhooks signed over sockets, and the merchant and customer as HTTP clients.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.e2e.merchant.conftest import PRICE, STOCK, Butcher
from tests.servers import Buyer
from tests.support import DEADLINE, wait_until

REFUND_PENDING_THEN_SUCCEEDS = "4000 0000 0000 7726"
REFUND_SUCCEEDS_THEN_FAILS = "4000 0000 0000 5126"
REFUND_SETTLE_WAIT = 61
"""Sandbox seconds after which a delayed refund settles (its ``async_delay`` is 60 s)."""


def _refunds_on_stripe(butcher: Butcher, order_id: str) -> list[tuple[int, str]]:
    ledger = butcher.stack.order(order_id).entries("payment")
    intent = ledger[0][2]
    refunds = butcher.stack.stripe.v1.refunds.list({"payment_intent": intent}).data
    return sorted((refund.amount, refund.status) for refund in refunds)


def test_a_pickup_order_from_placement_to_collection(butcher: Butcher) -> None:
    # given a customer ordering 2 x 25.00 to pay at pickup
    customer = butcher.customer()
    order = butcher.place(customer, method="on_pickup")
    # then it is confirmed at once, and the butcher sees it and is alerted
    assert (order["status"], order["payment_status"]) == ("confirmed", "unpaid")
    listed = butcher.http.get("/api/merchant/orders", headers=butcher.merchant, params={"status": "confirmed"})
    assert [o["id"] for o in listed.json()] == [order["id"]]
    assert "merchant_alert" in butcher.stack.order(order["id"]).outbox
    # when the butcher prepares it, the customer is told it is ready
    assert butcher.post(order["id"], "ready").json()["status"] == "ready"
    assert "ready_for_pickup" in butcher.stack.order(order["id"]).outbox
    # and a wrong amount at the counter is refused, recording nothing
    wrong = butcher.post(order["id"], "collect", {"method": "cash", "amount": 4000})
    assert (wrong.status_code, wrong.json()["code"]) == (409, "collect_amount_mismatch")
    # when the customer pays 50.00 by card terminal, clicked twice
    first = butcher.post(order["id"], "collect", {"method": "card_terminal", "amount": 2 * PRICE})
    second = butcher.post(order["id"], "collect", {"method": "card_terminal", "amount": 2 * PRICE})
    # then the order is paid once and completed
    assert first.status_code == second.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["payment_status"], body["paid"]) == ("completed", "paid", 2 * PRICE)
    assert butcher.stack.order(order["id"]).ledger == (("payment", 2 * PRICE, f"counter:{order['id']}"),)
    steps = [
        (h["from_value"], h["to_value"]) for h in butcher.get(order["id"]).json()["history"] if h["axis"] == "status"
    ]
    assert steps == [(None, "pending"), ("pending", "confirmed"), ("confirmed", "ready"), ("ready", "completed")]


def test_refusing_a_paid_order_refunds_it_releases_stock_and_tells_the_customer(butcher: Butcher, buyer: Buyer) -> None:
    # given an order paid online on the hosted page
    customer = butcher.customer()
    order = butcher.place(customer)
    butcher.pay(buyer, customer, order["id"])
    assert butcher.stock() == STOCK - 2
    # when the butcher refuses it
    refused = butcher.post(order["id"], "refuse", {"reason": "plus d'entrecôte"})
    # then it is cancelled, refunded in full on Stripe, the stock is back and the customer told
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["payment_status"]) == ("cancelled", "refunded")
    assert _refunds_on_stripe(butcher, order["id"]) == [(2 * PRICE, "succeeded")]
    assert butcher.stock() == STOCK
    assert "order_refused" in butcher.stack.order(order["id"]).outbox
    # and the refund's own webhooks (refund.created, charge.refunded) change nothing more
    butcher.stack.settle()
    state = butcher.stack.order(order["id"])
    assert (state.status, state.payment_status, len(state.entries("refund"))) == ("cancelled", "refunded", 1)


def test_partial_refunds_up_to_the_paid_amount_and_one_past_it_refused(butcher: Butcher, buyer: Buyer) -> None:
    customer = butcher.customer()
    order = butcher.place(customer)
    butcher.pay(buyer, customer, order["id"])
    line_id = order["lines"][0]["id"]
    # when the butcher refunds one of the two pieces by line, then the rest by amount
    by_line = butcher.post(order["id"], "refunds", {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "abîmé"})
    assert by_line.status_code == 200, by_line.text
    assert (by_line.json()["payment_status"], by_line.json()["refundable"]) == ("partially_refunded", PRICE)
    rest = butcher.post(order["id"], "refunds", {"amount": PRICE, "reason": "geste"})
    assert (rest.json()["payment_status"], rest.json()["refundable"]) == ("refunded", 0)
    # then one cent more is refused with a clear code
    past = butcher.post(order["id"], "refunds", {"amount": 1, "reason": "encore"})
    assert (past.status_code, past.json()["code"], past.json()["refundable"]) == (409, "refund_exceeds_refundable", 0)
    # and Stripe and the ledger agree, after every webhook landed
    butcher.stack.settle()
    assert _refunds_on_stripe(butcher, order["id"]) == [(PRICE, "succeeded"), (PRICE, "succeeded")]
    assert [e[1] for e in butcher.stack.order(order["id"]).entries("refund")] == [PRICE, PRICE]


def test_a_delayed_refund_counts_at_once_and_succeeds_when_the_bank_answers(butcher: Butcher, buyer: Buyer) -> None:
    customer = butcher.customer()
    order = butcher.place(customer)
    butcher.pay(buyer, customer, order["id"], REFUND_PENDING_THEN_SUCCEEDS)
    # when the butcher refunds it, the refund is pending on Stripe but the order is refunded
    answer = butcher.post(order["id"], "refunds", {"amount": 2 * PRICE, "reason": "retour"})
    assert answer.json()["payment_status"] == "refunded"
    assert _refunds_on_stripe(butcher, order["id"]) == [(2 * PRICE, "pending")]
    # when the bank settles it (the sandbox clock moves on), refund.updated arrives
    butcher.stack.advance(REFUND_SETTLE_WAIT)
    wait_until(lambda: _refunds_on_stripe(butcher, order["id"]) == [(2 * PRICE, "succeeded")], "the refund to succeed")
    butcher.stack.settle()
    # then the order is still refunded once
    state = butcher.stack.order(order["id"])
    assert (state.payment_status, [e[1] for e in state.entries("refund")], state.entries("refund_reversal")) == (
        "refunded",
        [2 * PRICE],
        [],
    )


def test_a_refund_that_fails_later_puts_the_money_back_on_the_order(butcher: Butcher, buyer: Buyer) -> None:
    customer = butcher.customer()
    order = butcher.place(customer)
    butcher.pay(buyer, customer, order["id"], REFUND_SUCCEEDS_THEN_FAILS)
    answer = butcher.post(order["id"], "refunds", {"amount": PRICE, "reason": "retour"})
    assert answer.json()["payment_status"] == "partially_refunded"
    # when the refund fails at the bank
    butcher.stack.advance(REFUND_SETTLE_WAIT)
    # then refund.failed reverses it: the order is paid again and the refund shows as reversed
    butcher.stack.wait_order(order["id"], "the refund reversed", lambda s: bool(s.entries("refund_reversal")))
    butcher.stack.settle()
    detail = butcher.get(order["id"]).json()
    assert (detail["payment_status"], detail["refunded"], detail["refundable"]) == ("paid", 0, 2 * PRICE)
    assert [(r["counted"], r["reversed"]) for r in detail["refunds"]] == [(True, True)]
    assert _refunds_on_stripe(butcher, order["id"]) == [(PRICE, "failed")]


def _read_events(response: httpx.Response, until: Any) -> list[dict[str, Any]]:
    """Parse the stream into events until `until(events)` holds (the client's read timeout bounds it)."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if not line:
            if current:
                events.append(current)
                current = {}
                if until(events):
                    return events
            continue
        field, _, value = line.partition(": ")
        current[field] = json.loads(value) if field == "data" else value
    return events


def test_the_merchant_screen_hears_a_paid_order_over_server_sent_events(butcher: Butcher, buyer: Buyer) -> None:
    customer = butcher.customer()
    order = butcher.place(customer)
    token = butcher.merchant["Authorization"].removeprefix("Bearer ")
    url = f"{butcher.stack.shop_url}/api/merchant/events"
    with httpx.Client(timeout=DEADLINE) as screen:
        # given the butcher's screen listening (EventSource style: the token in the query)
        with screen.stream("GET", url, params={"access_token": token}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            # when the customer pays
            butcher.pay(buyer, customer, order["id"])
            # then the screen receives the paid order, with an id to resume from
            events = _read_events(stream, lambda seen: any(e["event"] == "order.paid" for e in seen))
        paid = next(e for e in events if e["event"] == "order.paid")
        assert paid["data"]["order_id"] == order["id"] and paid["data"]["total"] == 2 * PRICE
        # and a screen reconnecting with Last-Event-ID (header auth) gets what came after it
        butcher.post(order["id"], "refuse", {"reason": "fermeture"})
        headers = butcher.merchant | {"Last-Event-ID": paid["id"]}
        with screen.stream("GET", url, headers=headers) as resumed:
            later = _read_events(resumed, lambda seen: any(e["event"] == "order.refunded" for e in seen))
    assert [e["event"] for e in later] == ["order.cancelled", "order.refunded"]
    assert all(int(e["id"]) > int(paid["id"]) for e in later)


def test_customers_and_other_shops_merchants_cannot_reach_the_merchant_routes(butcher: Butcher) -> None:
    customer = butcher.customer()
    order = butcher.place(customer, method="on_pickup")
    other = butcher.another_merchant()
    # a customer, even the order's own, gets 404 for the order and 403 for the shop-wide routes
    for who in (customer.headers, other):
        assert butcher.get(order["id"], headers=who).status_code == 404
        for action, body in (
            ("ready", None),
            ("complete", None),
            ("refuse", {"reason": "x"}),
            ("refunds", {"amount": 1, "reason": "x"}),
            ("collect", {"method": "cash", "amount": 2 * PRICE}),
        ):
            answer = butcher.post(order["id"], action, body, headers=who)
            assert (answer.status_code, answer.json()["code"]) == (404, "order_not_found"), action
    listed = butcher.http.get("/api/merchant/orders", headers=customer.headers)
    assert (listed.status_code, listed.json()["code"]) == (403, "merchant_only")
    assert butcher.http.get("/api/merchant/orders", headers=other).json() == []
    events = butcher.http.get("/api/merchant/events", headers=customer.headers)
    assert (events.status_code, events.json()["code"]) == (403, "merchant_only")
    assert butcher.http.get("/api/merchant/events").status_code == 401
    # and nothing changed
    state = butcher.stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("confirmed", "unpaid", ())

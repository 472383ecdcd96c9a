"""``POST /webhooks/stripe`` over real HTTP, on SQLite and PostgreSQL: what it refuses, what it
accepts during a secret rotation, and what it does with events it does not handle or already has."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.checkout.stack import Stack, running_stack, sign
from tests.servers import Buyer
from tests.support import wait_until

RETIRING_SECRET = "whsec_retiring_0123456789abcdef"


def _event(event_id: str, event_type: str = "customer.created") -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": {"id": "cus_e2e", "object": "customer"}},
    }
    return json.dumps(body).encode()


def _post(stack: Stack, payload: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return stack.http.post("/webhooks/stripe", content=payload, headers=headers)


def test_deliveries_that_do_not_verify_are_refused_with_a_problem_naming_the_likely_cause(exact_stack: Stack) -> None:
    stack = exact_stack
    # when an event signed with a secret that is not this endpoint's arrives
    forged = _event("evt_e2e_forged")
    answer = _post(stack, forged, sign(forged, "whsec_not_this_endpoint"))
    # then it is a 400 problem whose detail points at the configured secret and the raw body
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "webhook_signature_invalid"
    assert "STRIPE_WEBHOOK_SECRET" in answer.json()["detail"] and "raw body" in answer.json()["detail"]
    # when a correctly signed event arrives with a signature made 10 minutes ago
    stale = _event("evt_e2e_stale")
    answer = _post(stack, stale, sign(stale, stack.running.webhook_secret, int(time.time()) - 600))
    # then it is refused as a possible replay
    assert answer.status_code == 400 and "older than 5 minutes" in answer.json()["detail"]
    # when an event arrives with no Stripe-Signature header at all
    answer = _post(stack, _event("evt_e2e_unsigned"), None)
    # then the problem says the header is missing
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "webhook_signature_missing" and "Stripe-Signature" in answer.json()["detail"]
    # and none of them was recorded
    assert [stack.event_status(e) for e in ("evt_e2e_forged", "evt_e2e_stale", "evt_e2e_unsigned")] == [None] * 3


def test_during_a_secret_rotation_deliveries_signed_with_the_second_secret_are_accepted(
    db_url: str, tmp_path: Path
) -> None:
    # given a shop configured with two secrets, the sandbox signing with the second one only
    with running_stack(db_url, tmp_path / "shop", extra_webhook_secrets=(RETIRING_SECRET,)) as stack:
        # when the sandbox emits an event (a customer is created)
        customer = stack.stripe.v1.customers.create({"email": "rotation@example.com"})
        event_id = wait_until(lambda: next((e["id"] for e in stack.events("customer.created")), None), "the event")
        # then its signed delivery is answered 200 and recorded (as ignored: comptoir has no use for it)
        wait_until(stack.deliveries_done, "the delivery")
        (row,) = stack.sandbox.bus.list_deliveries(event_id=event_id)
        assert (row["status"], row["last_http_status"]) == ("succeeded", 200)
        assert stack.event_status(event_id) == "ignored"
        assert stack.sandbox.get(event_id)["data"]["object"]["id"] == customer.id
        # and a delivery signed with the first (retiring) secret is accepted too
        payload = _event("evt_e2e_retiring")
        assert _post(stack, payload, sign(payload, RETIRING_SECRET)).status_code == 200


def test_an_unknown_type_is_ignored_and_any_event_delivered_again_is_a_duplicate(
    exact_stack: Stack, buyer: Buyer
) -> None:
    stack = exact_stack
    secret = stack.running.webhook_secret
    # given an event type comptoir does not handle
    payload = _event("evt_e2e_unknown", "customer.subscription.created")
    # when it is delivered twice
    first = _post(stack, payload, sign(payload, secret))
    second = _post(stack, payload, sign(payload, secret))
    # then both are 200: the first recorded as ignored, the second a duplicate
    assert (first.status_code, first.json()["status"]) == (200, "ignored")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert stack.event_status("evt_e2e_unknown") == "ignored"
    # given an order paid on the hosted page, its checkout.session.completed processed
    shop, product = stack.shop()
    customer = stack.customer()
    order = stack.place_order(customer, shop, product)
    session = stack.start_checkout(customer, order["id"])
    buyer.follow(buyer.pay_card(session["url"], "4242424242424242"))
    stack.settle()
    (completed,) = stack.events("checkout.session.completed")
    assert stack.event_status(completed["id"]) == "processed"
    # when the very same event is delivered again, freshly signed
    payload = json.dumps(completed).encode()
    answer = _post(stack, payload, sign(payload, stack.running.webhook_secret))
    # then it is acknowledged as a duplicate and the order still has one payment and one receipt
    assert (answer.status_code, answer.json()["status"]) == (200, "duplicate")
    state = stack.order(order["id"])
    assert len(state.entries("payment")) == 1 and state.outbox.count("receipt") == 1


@pytest.mark.parametrize("route", ["/webhooks/stripe", "/webhook", "/api/webhooks/stripe"])
def test_a_body_that_is_not_utf8_is_a_400_on_every_webhook_route(exact_stack: Stack, route: str) -> None:
    # given bytes that are no text at all, whatever signature comes with them
    payload = b"\xff\xfe"
    for signature in ("t=1,v1=abc", sign(payload, exact_stack.running.webhook_secret)):
        # when
        answer = exact_stack.http.post(route, content=payload, headers={"Stripe-Signature": signature})
        # then it is refused as a payload that is not an event, not a server error
        assert (answer.status_code, answer.json()["code"]) == (400, "webhook_payload_invalid")


def test_a_signed_event_with_nothing_to_apply_is_recorded_and_acknowledged_not_retried(exact_stack: Stack) -> None:
    stack = exact_stack
    # given a correctly signed checkout.session.completed whose data.object is null
    body = json.loads(_event("evt_e2e_null_object", "checkout.session.completed"))
    body["data"]["object"] = None
    payload = json.dumps(body).encode()
    # when it is delivered, then delivered again
    first = _post(stack, payload, sign(payload, stack.running.webhook_secret))
    second = _post(stack, payload, sign(payload, stack.running.webhook_secret))
    # then it is answered 2xx with the reason (a 5xx would have Stripe retry it for days), recorded once
    assert (first.status_code, first.json()["status"]) == (200, "ignored")
    assert "data.object" in first.json()["reason"]
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert stack.event_status("evt_e2e_null_object") == "ignored"


def test_the_signature_is_checked_over_the_raw_bytes_stripe_sent_not_a_reserialised_body(exact_stack: Stack) -> None:
    stack = exact_stack
    secret = stack.running.webhook_secret
    # given an event formatted as Stripe sends it (two-space indentation, Stripe's key order), signed
    event = json.loads(_event("evt_e2e_pretty"))
    pretty = json.dumps(event, indent=2).encode()
    signature = sign(pretty, secret)
    # when the same event arrives with that signature but re-serialised (compact), as a proxy that parses
    # and re-encodes JSON would pass it on
    compact = json.dumps(event, separators=(",", ":")).encode()
    refused = _post(stack, compact, signature)
    # then it is refused, and the bytes that were signed are accepted
    assert (refused.status_code, refused.json()["code"]) == (400, "webhook_signature_invalid")
    accepted = _post(stack, pretty, signature)
    assert (accepted.status_code, accepted.json()["status"]) == (200, "ignored")

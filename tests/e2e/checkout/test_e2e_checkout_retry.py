"""A Checkout Session retried under its key after a crash, from a process configured differently.

The session is created at the sandbox but its id never reaches the database (the process that
asked was killed in between); the buyer's retry lands on another process whose public URL is not
the same. The retry must send the very parameters of the first request — built from the attempt
row, not from the retrying process — so the sandbox answers with the same session.
"""

from __future__ import annotations

import logging

import pytest

from comptoir.api.routers.payments import checkout_urls
from comptoir.services.payments import checkout
from tests.e2e.checkout.stack import Stack
from tests.servers import Buyer

OTHER_PUBLIC_URL = "https://shop-b.example"


def test_a_retry_from_a_process_with_another_public_url_gets_the_same_session_and_it_can_be_paid(
    exact_stack: Stack, buyer: Buyer
) -> None:
    stack = exact_stack
    # given an order whose session was created at the sandbox by one process (public URL shop_url) ...
    shop, product = stack.shop()
    customer = stack.customer()
    order = stack.place_order(customer, shop, product)
    first = stack.start_checkout(customer, order["id"])
    # ... which was killed before it stored the session's id
    stack.forget_session(order["id"])

    # when the buyer's retry reaches another process, whose public URL differs
    urls = checkout_urls(OTHER_PUBLIC_URL)
    retry = checkout.start_checkout(
        stack.uows(), stack.app.state.gateway, customer.actor, order["id"], urls=urls, now=stack.now()
    )

    # then the sandbox answers with the same session, now stored on the attempt
    assert retry.id == first["id"] and retry.url == first["url"]
    with stack.uows() as uow:
        (attempt,) = uow.payments.attempts(order["id"])
        assert (attempt.provider_id, attempt.state) == (first["id"], "open")
    # and the customer can pay it, and comes back to the URL the session was created with
    paid = buyer.pay_card(retry.url)
    assert paid.status == 303 and paid.location == f"{stack.shop_url}/checkout/success?session_id={first['id']}"
    assert buyer.follow(paid).payment_status() == "paid"
    stack.settle()
    assert stack.order(order["id"]).payment_status == "paid"


def test_parameters_that_differ_anyway_answer_409_idempotency_key_reused_and_log_the_bug(
    exact_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = exact_stack
    # given an order whose session was created, then lost in a crash ...
    shop, product = stack.shop()
    customer = stack.customer()
    order = stack.place_order(customer, shop, product)
    stack.start_checkout(customer, order["id"])
    stack.forget_session(order["id"])
    # ... and whose stored parameters no longer match what was sent (what a bug would do)
    with stack.uows() as uow:
        (attempt,) = uow.payments.attempts(order["id"])
        attempt.success_url = f"{OTHER_PUBLIC_URL}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}"
        uow.commit()

    # when the customer asks for the checkout session again
    with caplog.at_level(logging.ERROR, logger="comptoir.adapters.stripe_gateway"):
        answer = stack.checkout_session(customer, order["id"])

    # then Stripe's refusal is our own clear conflict, not "Stripe is unavailable"
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "idempotency_key_reused"
    # and it is logged as the bug it is, naming the key
    bugs = [r for r in caplog.records if r.levelno == logging.ERROR and "idempotency key" in r.getMessage()]
    assert len(bugs) == 1 and f"order:{order['id']}:checkout:1" in bugs[0].getMessage()

"""Checkout Sessions through the SDK, completed through the engine API the hosted page uses."""

from __future__ import annotations

import pytest
import stripe

from comptoir.sandbox import StripeError


def price(client, amount=1250, currency="eur"):
    product = client.v1.products.create({"name": "Baguette"})
    return client.v1.prices.create({"product": product.id, "unit_amount": amount, "currency": currency})


def session(client, **extra):
    params = {
        "mode": "payment",
        "success_url": "https://shop.example/ok?s={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cancel",
        "line_items": [
            {
                "price_data": {"currency": "eur", "unit_amount": 700, "product_data": {"name": "Croissant"}},
                "quantity": 3,
            }
        ],
    }
    params.update(extra)
    return client.v1.checkout.sessions.create(params)


def test_create_by_price_id(client, running):
    # given a catalogue price
    p = price(client)
    # when a session is created with it
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": p.id, "quantity": 2}],
            "success_url": "https://shop.example/ok",
            "client_reference_id": "order-42",
            "customer_email": "buyer@example.com",
            "metadata": {"order_id": "42"},
        }
    )
    # then it is open, unpaid, priced from the catalogue, and points at the sandbox's page
    assert cs.status == "open" and cs.payment_status == "unpaid"
    assert cs.amount_total == 2500 and cs.currency == "eur"
    assert cs.url == f"{running.base_url}/c/pay/{cs.id}"
    assert cs.id.startswith("cs_test_")
    assert cs.payment_intent is None
    assert cs.client_reference_id == "order-42" and cs.metadata["order_id"] == "42"
    assert cs.customer_email == "buyer@example.com"
    assert cs.expires_at - cs.created == 24 * 60 * 60
    items = client.v1.checkout.sessions.line_items.list(cs.id)
    assert [(i.price.id, i.quantity, i.amount_total) for i in items.data] == [(p.id, 2, 2500)]


def test_create_by_price_data(client):
    cs = session(client)
    assert cs.amount_total == 2100
    item = client.v1.checkout.sessions.line_items.list(cs.id).data[0]
    assert item.description == "Croissant" and item.price.unit_amount == 700


def test_unknown_price_is_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create({"mode": "payment", "line_items": [{"price": "price_nope", "quantity": 1}]})
    assert raised.value.code == "resource_missing"
    assert raised.value.error.param == "line_items[0][price]"


@pytest.mark.parametrize("offset", [29 * 60, 24 * 60 * 60 + 60])
def test_expires_at_outside_30_minutes_to_24_hours_is_refused(client, sandbox, offset):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        session(client, expires_at=sandbox.clock.now() + offset)
    assert raised.value.error.param == "expires_at"


def test_expires_at_inside_the_range_is_kept(client, sandbox):
    at = sandbox.clock.now() + 3600
    assert session(client, expires_at=at).expires_at == at


def test_line_items_paginate_in_both_directions(client):
    items = [
        {"price_data": {"currency": "eur", "unit_amount": 100 + i, "product_data": {"name": f"P{i}"}}, "quantity": 1}
        for i in range(5)
    ]
    cs = session(client, line_items=items)
    first = client.v1.checkout.sessions.line_items.list(cs.id, {"limit": 2})
    assert [i.description for i in first.data] == ["P0", "P1"] and first.has_more
    second = client.v1.checkout.sessions.line_items.list(cs.id, {"limit": 2, "starting_after": first.data[-1].id})
    assert [i.description for i in second.data] == ["P2", "P3"]
    back = client.v1.checkout.sessions.line_items.list(cs.id, {"limit": 2, "ending_before": second.data[0].id})
    assert [i.description for i in back.data] == ["P0", "P1"]


def test_pay_with_a_card_completes_the_session(client, sandbox):
    cs = session(client)
    # when the buyer pays on the hosted page
    result = sandbox.complete_checkout_with_card(
        cs.id, number="4242424242424242", exp_month=12, exp_year=2034, cvc="123", email="buyer@example.com", name="Ada"
    )
    # then the session is complete and paid, with a PaymentIntent, and the success URL is filled in
    assert result.status == "complete"
    assert result.redirect_url == f"https://shop.example/ok?s={cs.id}"
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["payment_intent"]})
    assert done.status == "complete" and done.payment_status == "paid"
    assert done.payment_intent.status == "succeeded" and done.payment_intent.amount == 2100
    assert done.customer_details.email == "buyer@example.com"
    assert done.success_url == "https://shop.example/ok?s={CHECKOUT_SESSION_ID}"
    completed = client.v1.events.list({"type": "checkout.session.completed", "limit": 10}).data
    assert any(e.data.object.id == cs.id and e.data.object.payment_status == "paid" for e in completed)


def test_a_declined_card_leaves_the_session_open_and_a_good_card_pays(client, sandbox):
    cs = session(client)
    with pytest.raises(StripeError) as raised:
        sandbox.complete_checkout_with_card(cs.id, number="4000000000009995", exp_month=12, exp_year=2034)
    assert raised.value.http_status == 402 and raised.value.decline_code == "insufficient_funds"
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    result = sandbox.complete_checkout_with_payment_method(cs.id, "pm_card_visa")
    assert result.status == "complete"
    assert result.payment_intent["id"] == client.v1.checkout.sessions.retrieve(cs.id).payment_intent


def test_3ds_in_checkout_completes_after_the_challenge(client, sandbox):
    cs = session(client)
    result = sandbox.complete_checkout_with_card(cs.id, number="4000002760003184", exp_month=12, exp_year=2034)
    assert result.status == "requires_action" and "/3ds/" in result.redirect_url
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    sandbox.complete_3ds(result.payment_intent["id"])
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "complete"
    assert sandbox.three_ds_return_url(result.payment_intent["id"]).endswith(f"/c/pay/{cs.id}")


def test_manual_capture_session_completes_with_an_authorization(client, sandbox):
    cs = session(client, payment_intent_data={"capture_method": "manual"})
    sandbox.complete_checkout_with_payment_method(cs.id, "pm_card_visa")
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["payment_intent"]})
    assert done.status == "complete"
    assert done.payment_intent.status == "requires_capture"
    assert done.payment_intent.capture_method == "manual"


def _types_about(client, object_id, limit=100):
    return [e.type for e in client.v1.events.list({"limit": limit}).data if e.data.object.id == object_id]


def test_manual_capture_session_is_paid_once_authorised_and_capture_changes_no_session(client, sandbox):
    # given a manual-capture session
    cs = session(client, payment_intent_data={"capture_method": "manual"})
    # when the buyer pays with a card
    result = sandbox.complete_checkout_with_payment_method(cs.id, "pm_card_visa")
    pi_id = result.payment_intent["id"]
    # then Checkout reports it paid (the card is authorised) and says so in checkout.session.completed
    assert client.v1.checkout.sessions.retrieve(cs.id).payment_status == "paid"
    completed = [
        e
        for e in client.v1.events.list({"type": "checkout.session.completed", "limit": 50}).data
        if e.data.object.id == cs.id
    ]
    assert len(completed) == 1 and completed[0].data.object.payment_status == "paid"
    pi = client.v1.payment_intents.retrieve(pi_id)
    assert _types_about(client, pi_id) == ["payment_intent.amount_capturable_updated", "payment_intent.created"]
    assert _types_about(client, pi.latest_charge) == ["charge.succeeded"]
    # when the merchant captures
    client.v1.payment_intents.capture(pi_id)
    # then the intent succeeds and the charge is captured; the session neither changes nor emits
    assert _types_about(client, pi_id)[0] == "payment_intent.succeeded"
    assert _types_about(client, pi.latest_charge)[0] == "charge.captured"
    assert _types_about(client, cs.id) == ["checkout.session.completed"]
    assert client.v1.checkout.sessions.retrieve(cs.id).payment_status == "paid"


@pytest.mark.parametrize("iban,succeeds", [("DE89370400440532013000", True), ("DE62370400440532013001", False)])
def test_sepa_completes_unpaid_then_settles(client, sandbox, iban, succeeds):
    cs = session(client, payment_method_types=["card", "sepa_debit"])
    result = sandbox.complete_checkout_with_sepa(cs.id, iban=iban, email="buyer@example.com")
    assert result.status == "complete"
    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert done.status == "complete" and done.payment_status == "unpaid"
    sandbox.advance_clock(sandbox.config.async_delay)
    after = client.v1.checkout.sessions.retrieve(cs.id)
    wanted = "checkout.session.async_payment_succeeded" if succeeds else "checkout.session.async_payment_failed"
    assert after.payment_status == ("paid" if succeeds else "unpaid")
    assert any(e.data.object.id == cs.id for e in client.v1.events.list({"type": wanted, "limit": 10}).data)


def test_expire_emits_checkout_session_expired(client):
    cs = session(client)
    expired = client.v1.checkout.sessions.expire(cs.id)
    assert expired.status == "expired" and expired.url is None
    events = client.v1.events.list({"type": "checkout.session.expired", "limit": 5}).data
    assert events[0].data.object.id == cs.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(cs.id)


def test_sessions_expire_when_the_clock_passes_expires_at(client, sandbox):
    cs = session(client, expires_at=sandbox.clock.now() + 1800)
    sandbox.advance_clock(1801)
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "expired"


def test_a_complete_session_cannot_be_paid_again(client, sandbox):
    cs = session(client)
    sandbox.complete_checkout_with_payment_method(cs.id, "pm_card_visa")
    with pytest.raises(StripeError) as raised:
        sandbox.complete_checkout_with_payment_method(cs.id, "pm_card_visa")
    assert raised.value.http_status == 400

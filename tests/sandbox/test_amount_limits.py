"""Amounts above Stripe's maximum (99,999,999 minor units) are refused with ``amount_too_large``."""

from __future__ import annotations

import pytest
import stripe

TOO_LARGE = 100_000_000
LARGEST = 99_999_999


def test_a_payment_intent_above_the_maximum_is_refused(client):
    # given an amount one minor unit above Stripe's maximum
    # when a PaymentIntent is created with it, or updated to it
    with pytest.raises(stripe.InvalidRequestError) as created:
        client.v1.payment_intents.create({"amount": TOO_LARGE, "currency": "eur"})
    pi = client.v1.payment_intents.create({"amount": LARGEST, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as updated:
        client.v1.payment_intents.update(pi.id, {"amount": TOO_LARGE})
    # then both are refused on `amount`, and the maximum itself is accepted
    for raised in (created, updated):
        assert raised.value.http_status == 400
        assert raised.value.code == "amount_too_large" and raised.value.param == "amount"
    assert pi.amount == LARGEST


def test_a_checkout_session_whose_total_is_above_the_maximum_is_refused(client):
    # given line items that add up to more than the maximum
    line_items = [
        {"price_data": {"currency": "eur", "unit_amount": 50_000_000, "product_data": {"name": "Lot"}}, "quantity": 2}
    ]
    # when a Checkout Session is created with them
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create({"mode": "payment", "line_items": line_items})
    # then it is refused as too large
    assert raised.value.http_status == 400 and raised.value.code == "amount_too_large"


def test_a_refund_above_the_maximum_is_refused_as_too_large(client):
    # given a succeeded payment
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    # when a refund above the maximum is asked for
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": TOO_LARGE})
    # then it is refused as too large, and nothing was refunded
    assert raised.value.code == "amount_too_large" and raised.value.param == "amount"
    assert client.v1.charges.retrieve(pi.latest_charge).amount_refunded == 0

"""Refund rules (facts §6.1) and the asynchronous refund cards."""

from __future__ import annotations

import pytest
import stripe


def paid(client, payment_method="pm_card_visa", amount=5000, **extra):
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": "eur", "payment_method": payment_method, "confirm": True, **extra}
    )


def test_partial_refunds_add_up_to_a_refunded_charge(client):
    pi = paid(client)
    first = client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 2000, "reason": "requested_by_customer", "metadata": {"line": "1"}}
    )
    assert first.status == "succeeded" and first.reason == "requested_by_customer"
    assert first.metadata["line"] == "1"
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 2000 and charge.refunded is False
    client.v1.refunds.create({"charge": pi.latest_charge, "amount": 3000})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 5000 and charge.refunded is True
    assert len(client.v1.refunds.list({"payment_intent": pi.id}).data) == 2


def test_refunding_more_than_what_remains_is_refused_on_amount(client):
    pi = paid(client)
    client.v1.refunds.create({"payment_intent": pi.id, "amount": 4000})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 1001})
    assert raised.value.http_status == 400
    assert raised.value.error.param == "amount"
    assert raised.value.code is None


def test_a_second_full_refund_is_charge_already_refunded(client):
    pi = paid(client)
    client.v1.refunds.create({"payment_intent": pi.id})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": pi.id})
    assert raised.value.code == "charge_already_refunded"


def test_an_uncaptured_authorization_cannot_be_refunded(client):
    pi = paid(client, capture_method="manual")
    assert pi.status == "requires_capture"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": pi.id})
    assert raised.value.http_status == 400
    assert raised.value.code is None and raised.value.error.param is None
    # cancel instead
    canceled = client.v1.payment_intents.cancel(pi.id)
    assert canceled.status == "canceled"


def test_delayed_refund_card_starts_pending_then_succeeds(client, sandbox):
    pi = paid(client, "pm_card_pendingRefund")
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    assert refund.status == "pending"
    sandbox.advance_clock(sandbox.config.async_delay)
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    types = [
        e.type
        for e in client.v1.events.list({"type": "refund.updated", "limit": 20}).data
        if e.data.object.id == refund.id
    ]
    assert types == ["refund.updated"]


def test_failing_refund_card_starts_succeeded_then_fails(client, sandbox):
    pi = paid(client, "pm_card_refundFail")
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    assert refund.status == "succeeded"
    sandbox.settle()
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    sandbox.advance_clock(sandbox.config.async_delay)
    failed = client.v1.refunds.retrieve(refund.id)
    assert failed.status == "failed"
    assert client.v1.charges.retrieve(pi.latest_charge).amount_refunded == 0
    events = client.v1.events.list({"type": "refund.failed", "limit": 20}).data
    assert any(e.data.object.id == refund.id for e in events)


def test_refund_emits_refund_created_and_charge_refunded(client):
    pi = paid(client)
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 100})
    created = client.v1.events.list({"type": "refund.created", "limit": 5}).data
    assert created[0].data.object.id == refund.id
    charge_refunded = client.v1.events.list({"type": "charge.refunded", "limit": 5}).data
    assert charge_refunded[0].data.object.id == pi.latest_charge


def test_manual_capture_with_amount_to_capture(client):
    pi = paid(client, capture_method="manual")
    assert pi.amount_capturable == 5000
    captured = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 3000})
    assert captured.status == "succeeded" and captured.amount_received == 3000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured and charge.amount_captured == 3000
    # the released 2000 is no refund (API 2025-03-31 and later)
    assert charge.amount_refunded == 0 and charge.refunded is False
    assert client.v1.refunds.list({"payment_intent": pi.id}).data == []
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 3001})
    assert raised.value.error.param == "amount"
    assert client.v1.refunds.create({"payment_intent": pi.id}).amount == 3000
    # refunding all that was captured refunds the charge
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 3000 and charge.refunded is True


def test_canceling_an_authorization_releases_it_without_a_refund(client):
    # given an authorised (manual-capture) payment
    pi = paid(client, capture_method="manual")
    # when the merchant cancels it
    canceled = client.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "requested_by_customer"})
    # then the intent is canceled with nothing left to capture
    assert canceled.status == "canceled" and canceled.amount_capturable == 0 and canceled.amount_received == 0
    # and the charge is released, not refunded: no Refund, no charge.refunded (API 2025-03-31 and later)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured is False and charge.amount_captured == 0
    assert charge.amount_refunded == 0 and charge.refunded is False
    assert client.v1.refunds.list({"payment_intent": pi.id}).data == []
    refunded_events = client.v1.events.list({"type": "charge.refunded", "limit": 100}).data
    assert pi.latest_charge not in [e.data.object.id for e in refunded_events]
    canceled_events = client.v1.events.list({"type": "payment_intent.canceled", "limit": 100}).data
    assert pi.id in [e.data.object.id for e in canceled_events]


def test_capture_more_than_capturable_is_refused(client):
    pi = paid(client, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 9999})
    assert raised.value.error.param == "amount_to_capture"

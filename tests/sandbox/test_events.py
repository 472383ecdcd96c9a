"""Events: emitted for every state change through one bus, listed newest first, filterable."""

from __future__ import annotations

import uuid

import pytest
import stripe

from tests.support import wait_until


def events_for(client, object_id, limit=30):
    return [e for e in client.v1.events.list({"limit": limit}).data if e.data.object.id == object_id]


def test_a_card_payment_emits_the_stripe_sequence(client):
    key = str(uuid.uuid4())
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}, {"idempotency_key": key}
    )
    types = [e.type for e in events_for(client, pi.id)] + [e.type for e in events_for(client, pi.latest_charge)]
    assert types == ["payment_intent.succeeded", "payment_intent.created", "charge.succeeded"]
    event = events_for(client, pi.id)[0]
    assert event.id.startswith("evt_") and event.object == "event" and event.livemode is False
    assert event.api_version and event.request.idempotency_key == key
    assert event.request.id == pi.last_response.headers["Request-Id"]
    assert event.data.object.status == "succeeded"


def test_decline_3ds_cancel_and_manual_capture_events(client, sandbox):
    declined = client.v1.payment_intents.create({"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(declined.id, {"payment_method": "pm_card_visa_chargeDeclined"})
    assert [e.type for e in events_for(client, declined.id)] == [
        "payment_intent.payment_failed",
        "payment_intent.created",
    ]
    assert (
        client.v1.events.list({"type": "charge.failed", "limit": 1}).data[0].data.object.payment_intent == declined.id
    )
    action = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "confirm": True, "payment_method": "pm_card_authenticationRequired"}
    )
    client.v1.payment_intents.cancel(action.id)
    assert [e.type for e in events_for(client, action.id)] == [
        "payment_intent.canceled",
        "payment_intent.requires_action",
        "payment_intent.created",
    ]
    manual = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
        }
    )
    client.v1.payment_intents.capture(manual.id)
    assert [e.type for e in events_for(client, manual.id)] == [
        "payment_intent.succeeded",
        "payment_intent.amount_capturable_updated",
        "payment_intent.created",
    ]
    assert "charge.captured" in [e.type for e in events_for(client, manual.latest_charge)]


def _authorised(client, amount=1000):
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
        }
    )


def test_an_authorisation_left_uncaptured_is_canceled_seven_days_after_its_creation(client, sandbox):
    # given an authorised PaymentIntent, and another one captured in time
    held, captured = _authorised(client), _authorised(client)
    client.v1.payment_intents.capture(captured.id)
    # when the sandbox clock passes six days, nothing happens yet
    sandbox.advance_clock(6 * 24 * 60 * 60)
    assert client.v1.payment_intents.retrieve(held.id).status == "requires_capture"
    # when it passes seven days after the creation
    sandbox.advance_clock(24 * 60 * 60)
    # then Stripe's automatic cancellation: released, charge.expired then payment_intent.canceled
    expired = client.v1.payment_intents.retrieve(held.id)
    assert (expired.status, expired.amount_capturable, expired.cancellation_reason) == ("canceled", 0, "automatic")
    assert next(e.type for e in events_for(client, held.id)) == "payment_intent.canceled"
    assert "charge.expired" in [e.type for e in events_for(client, held.latest_charge)]
    # and the captured one is left as it was
    assert client.v1.payment_intents.retrieve(captured.id).status == "succeeded"


def test_events_filter_by_type_with_wildcard(client):
    client.v1.customers.create({"email": "evt@example.com"})
    listed = client.v1.events.list({"type": "customer.*", "limit": 5}).data
    assert listed and all(e.type.startswith("customer.") for e in listed)
    one = client.v1.events.retrieve(listed[0].id)
    assert one.id == listed[0].id


def test_delivery_rows_and_delivery_success_filter(client, sandbox):
    # given an endpoint listening to everything and a listener (the delivery seam)
    endpoint = client.v1.webhook_endpoints.create({"url": "https://shop.example/hook", "enabled_events": ["*"]})
    announced = []
    sandbox.bus.add_listener(lambda event, deliveries: announced.append((event["id"], deliveries)))
    try:
        # when an object changes
        customer = client.v1.customers.create({"email": "hook@example.com"})
        event = events_for(client, customer.id)[0]
        # then the event waits for delivery and the listener heard of it after commit
        assert event.pending_webhooks == 1
        wait_until(lambda: any(eid == event.id for eid, _ in announced), "the event to be announced")
        undelivered = [e.id for e in client.v1.events.list({"delivery_success": False, "limit": 100}).data]
        assert event.id in undelivered
        # when the deliverer records success
        sandbox.bus.record_attempt(event.id, endpoint.id, succeeded=True, http_status=200)
        # then the event counts as delivered
        assert client.v1.events.retrieve(event.id).pending_webhooks == 0
        delivered = [e.id for e in client.v1.events.list({"delivery_success": True, "limit": 100}).data]
        assert event.id in delivered
    finally:
        sandbox.bus._listeners.clear()
        client.v1.webhook_endpoints.delete(endpoint.id)

"""Idempotency keys as facts §8 describes them, through the SDK."""

from __future__ import annotations

import uuid

import httpx
import pytest
import stripe

from tests.support.sandbox import API_KEY


def key() -> str:
    return str(uuid.uuid4())


def test_same_key_same_params_replays_the_first_response(client):
    # given a PaymentIntent created with a key
    k = key()
    first = client.v1.payment_intents.create({"amount": 1500, "currency": "eur"}, {"idempotency_key": k})
    # when the same request is sent again
    again = client.v1.payment_intents.create({"amount": 1500, "currency": "eur"}, {"idempotency_key": k})
    # then the same object comes back, marked as replayed, naming the original request
    assert again.id == first.id
    headers = again.last_response.headers
    assert headers["Idempotent-Replayed"] == "true"
    assert headers["Original-Request"] == first.last_response.headers["Request-Id"]
    assert headers["Request-Id"] != first.last_response.headers["Request-Id"]
    assert "Idempotent-Replayed" not in first.last_response.headers


def test_an_error_is_replayed_too(client):
    # given a declined payment made with a key
    k = key()
    params = {"amount": 1500, "currency": "eur", "payment_method": "pm_card_visa_chargeDeclined", "confirm": True}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params, {"idempotency_key": k})
    # when the same request is retried
    with pytest.raises(stripe.CardError) as replay:
        client.v1.payment_intents.create(params, {"idempotency_key": k})
    # then the very same decline (same intent, same charge) is replayed, not a second attempt
    assert replay.value.error.payment_intent.id == first.value.error.payment_intent.id
    assert replay.value.error.charge == first.value.error.charge
    assert replay.value.headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.charges.list({"payment_intent": first.value.error.payment_intent.id}).data) == 1


def test_same_key_with_different_params_is_an_idempotency_error(client):
    k = key()
    client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": k})
    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.customers.create({"email": "b@example.com"}, {"idempotency_key": k})
    assert raised.value.http_status == 400
    assert raised.value.error.type == "idempotency_error"


def test_same_key_on_another_endpoint_is_an_idempotency_error(client):
    k = key()
    client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": k})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.products.create({"name": "Pain"}, {"idempotency_key": k})


def test_validation_failures_are_not_saved(client):
    # given a request that fails validation
    k = key()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create({"currency": "eur"}, {"idempotency_key": k})
    assert raised.value.error.param == "amount"
    # when it is corrected and retried with the same key
    pi = client.v1.payment_intents.create({"amount": 900, "currency": "eur"}, {"idempotency_key": k})
    # then it executes
    assert pi.amount == 900


def test_keys_are_pruned_after_24_hours_of_sandbox_time(client, sandbox):
    k = key()
    first = client.v1.customers.create({"email": "old@example.com"}, {"idempotency_key": k})
    sandbox.advance_clock(24 * 60 * 60 + 1)
    second = client.v1.customers.create({"email": "old@example.com"}, {"idempotency_key": k})
    assert second.id != first.id


def test_in_flight_duplicate_gets_409_that_the_sdk_retries(running, sandbox):
    # given a key whose first request is still executing
    k = key()
    assert sandbox.idempotency.check(k, "POST", "/v1/customers", "{}") is None
    try:
        # when a duplicate arrives
        response = httpx.post(
            f"{running.base_url}/v1/customers", headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": k}
        )
        # then it is refused with a retryable 409 and nothing is saved
        assert response.status_code == 409
        assert response.headers["Stripe-Should-Retry"] == "true"
        assert response.json()["error"]["type"] == "idempotency_error"
    finally:
        sandbox.idempotency.release(k)
    assert k not in sandbox.store.idempotency


def test_a_server_error_is_saved_and_replayed(client, monkeypatch):
    # given an endpoint that fails inside its execution
    import comptoir.sandbox.payments as payments

    def broken(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(payments, "build_payment_intent", broken)
    k = key()
    with pytest.raises(stripe.APIError) as first:
        client.v1.payment_intents.create({"amount": 1500, "currency": "eur"}, {"idempotency_key": k})
    assert first.value.http_status == 500
    # when the crash is gone and the same request is retried with the same key
    monkeypatch.undo()
    with pytest.raises(stripe.APIError) as replay:
        client.v1.payment_intents.create({"amount": 1500, "currency": "eur"}, {"idempotency_key": k})
    # then the 500 is replayed, as Stripe does ("including 500 errors")
    assert replay.value.http_status == 500
    assert replay.value.headers["Idempotent-Replayed"] == "true"
    assert client.v1.payment_intents.create({"amount": 1500, "currency": "eur"}, {"idempotency_key": key()})

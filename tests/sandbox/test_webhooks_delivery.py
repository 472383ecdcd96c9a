"""Signed webhook deliveries from a real sandbox server to a real receiver.

Every state change goes through the official SDK; every delivery is checked the way a shop
checks it, with ``stripe.Webhook.construct_event`` over the raw body.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest
import stripe

from tests.sandbox.webhook_harness import Delivery, Receiver, RunningSandbox, running_receiver, running_sandbox


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as sb:
        yield sb


def _customer(sb: RunningSandbox, email: str = "ada@example.com") -> str:
    return sb.stripe.v1.customers.create(params={"email": email}).id


def _event_id_of(sb: RunningSandbox, customer_id: str) -> str:
    events = sb.stripe.v1.events.list(params={"type": "customer.created", "limit": 100})
    return next(e.id for e in events.data if e.data.object["id"] == customer_id)


def test_a_delivery_verifies_with_the_sdk_and_carries_stripes_headers(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given an endpoint listening to everything
    endpoint = sandbox.endpoint(receiver.url)
    # when a customer is created
    customer_id = _customer(sandbox)
    # then the receiver gets customer.created, formatted as Stripe sends it, signed with the endpoint's secret
    [delivery] = receiver.wait_count(1)
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, endpoint.secret)
    assert event.type == "customer.created" and event.data.object["id"] == customer_id
    assert delivery.headers["content-type"] == "application/json; charset=utf-8"
    assert delivery.headers["user-agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    assert delivery.body.startswith(b'{\n  "id": "evt_') and b'\n  "object": "event",\n' in delivery.body
    assert abs(int(delivery.signature.split(",")[0].removeprefix("t=")) - time.time()) < 60
    assert event.request["id"].startswith("req_") and event.api_version


def test_the_body_keeps_stripes_key_order_and_a_reserialised_body_fails_verification(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given an endpoint and one delivered event
    endpoint = sandbox.endpoint(receiver.url)
    _customer(sandbox)
    [delivery] = receiver.wait_count(1)
    # when an integration verifies the body it parsed and serialised again (compact, or sorted)
    parsed = json.loads(delivery.body)
    compact = json.dumps(parsed, separators=(",", ":")).encode()
    # then Stripe's key order and two-space indentation are what was signed, and the copy fails
    assert list(parsed) == [
        "id",
        "object",
        "api_version",
        "created",
        "data",
        "livemode",
        "pending_webhooks",
        "request",
        "type",
    ]
    assert delivery.body == json.dumps(parsed, indent=2, ensure_ascii=False).encode()
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(compact, delivery.signature, endpoint.secret)


def test_a_wrong_secret_fails_verification(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given two endpoints with their own secrets
    first = sandbox.endpoint(receiver.url)
    second = sandbox.endpoint(receiver.url + "?second")
    # when one event is delivered to both
    _customer(sandbox)
    deliveries = receiver.wait_count(2)
    to_first = next(d for d in deliveries if d.path == "/webhook")
    # then the other endpoint's secret does not verify the first endpoint's delivery
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(to_first.body, to_first.signature, second.secret)
    assert stripe.Webhook.construct_event(to_first.body, to_first.signature, first.secret)


def test_a_secret_roll_signs_with_both_secrets_until_the_old_one_expires(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given an endpoint whose secret was rolled with one hour of overlap
    endpoint = sandbox.endpoint(receiver.url)
    rolled = sandbox.control("POST", f"/webhook_endpoints/{endpoint.id}/roll_secret", {"expires_in": 3600})
    assert rolled["secret"] != endpoint.secret
    # when an event is delivered during the overlap
    _customer(sandbox)
    [during] = receiver.wait_count(1)
    # then it carries two v1 signatures and each secret verifies it
    assert during.signature.count("v1=") == 2
    for secret in (endpoint.secret, rolled["secret"]):
        stripe.Webhook.construct_event(during.body, during.signature, secret)
    # when the overlap is over (sandbox clock) and another event is delivered
    sandbox.control("POST", "/clock/advance", {"seconds": 3601})
    _customer(sandbox, "grace@example.com")
    after = receiver.wait_count(2)[1]
    # then only the new secret signs it
    assert after.signature.count("v1=") == 1
    stripe.Webhook.construct_event(after.body, after.signature, rolled["secret"])
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(after.body, after.signature, endpoint.secret)


def test_retries_after_500_get_a_new_timestamp_and_flip_delivery_success(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given a receiver that fails twice, then holds the third attempt until told, then succeeds
    receiver.respond = lambda delivery, index: [500, 500, 0][index] if index < 3 else 200
    sandbox.running.webhooks.wall = itertools.count(int(time.time())).__next__
    endpoint = sandbox.endpoint(receiver.url)
    # when an event is emitted
    event_id = _event_id_of(sandbox, _customer(sandbox))
    attempts = receiver.wait_count(3)
    # then while the third attempt is in flight the event counts as undelivered
    undelivered = sandbox.stripe.v1.events.list(params={"delivery_success": False})
    assert event_id in [e.id for e in undelivered.data]
    assert sandbox.stripe.v1.events.retrieve(event_id).pending_webhooks == 1
    [row] = sandbox.deliveries(event_id=event_id)
    assert row["status"] == "pending" and row["attempts"] == 2 and row["last_http_status"] == 500
    # when the receiver answers 200
    receiver.release.set()
    [row] = sandbox.wait_deliveries(lambda rows: rows[0]["status"] == "succeeded", event_id=event_id)
    # then the delivery succeeded on the third attempt, each attempt signed with its own t
    assert row["attempts"] == 3 and [a["http_status"] for a in row["attempt_log"]] == [500, 500, 200]
    timestamps = [a.signature.split(",")[0] for a in attempts]
    assert len(set(timestamps)) == 3
    for attempt in attempts:
        assert stripe.Webhook.construct_event(attempt.body, attempt.signature, endpoint.secret).id == event_id
    assert event_id not in [e.id for e in sandbox.stripe.v1.events.list(params={"delivery_success": False}).data]
    assert event_id in [e.id for e in sandbox.stripe.v1.events.list(params={"delivery_success": True}).data]
    assert sandbox.stripe.v1.events.retrieve(event_id).pending_webhooks == 0


def test_a_delivery_is_given_up_after_the_schedule(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a receiver that always fails with 503 for the first customer
    receiver.respond = lambda delivery, index: 503 if delivery.event["type"] == "customer.created" else 200
    sandbox.endpoint(receiver.url)
    # when an event is emitted
    event_id = _event_id_of(sandbox, _customer(sandbox))
    # then it is tried once and retried three times, then marked failed
    [row] = sandbox.wait_deliveries(lambda rows: rows[0]["status"] == "failed", event_id=event_id)
    assert row["attempts"] == 4 and row["next_attempt_at"] is None and row["last_error"] == "HTTP 503"
    # and nothing more is sent for it, while later events still flow
    product = sandbox.stripe.v1.products.create(params={"name": "Mug"})
    receiver.wait_for(lambda got: any(d.event["data"]["object"]["id"] == product.id for d in got))
    assert len(receiver.of_event(event_id)) == 4
    assert event_id in [e.id for e in sandbox.stripe.v1.events.list(params={"delivery_success": False}).data]


def test_a_timeout_counts_as_a_failure_and_is_retried(receiver: Receiver) -> None:
    # given a receiver that never answers the first attempt and a short delivery timeout
    receiver.respond = lambda delivery, index: 0 if index == 0 else 200
    with running_sandbox(delivery_timeout=0.3) as sandbox:
        sandbox.endpoint(receiver.url)
        # when an event is emitted
        event_id = _event_id_of(sandbox, _customer(sandbox))
        # then the first attempt times out and the retry succeeds
        [row] = sandbox.wait_deliveries(lambda rows: rows[0]["status"] == "succeeded", event_id=event_id)
        assert row["attempts"] == 2
        assert row["attempt_log"][0]["error"] == "timed out after 0.3s"


def test_a_hanging_receiver_never_blocks_the_api(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a receiver that holds every request for as long as the sandbox waits (10 s)
    receiver.respond = lambda delivery, index: 0
    sandbox.endpoint(receiver.url)
    # when the API is used while the first delivery hangs
    _customer(sandbox)
    receiver.wait_count(1)
    started = time.monotonic()
    created = [_customer(sandbox, f"c{i}@example.com") for i in range(5)]
    # then every call answers long before the delivery could time out
    assert len(created) == 5 and time.monotonic() - started < 5.0
    assert len(receiver.deliveries) == 1


def test_only_matching_enabled_endpoints_get_an_event(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given one endpoint for customers, one for products, one disabled
    sandbox.endpoint(receiver.url + "?customers", ["customer.created"])
    sandbox.endpoint(receiver.url + "?products", ["product.created"])
    disabled = sandbox.endpoint(receiver.url + "?disabled")
    sandbox.stripe.v1.webhook_endpoints.update(disabled.id, params={"disabled": True})
    # when a customer and then a product are created
    _customer(sandbox)
    sandbox.stripe.v1.products.create(params={"name": "Mug"})
    got = receiver.wait_count(2)
    # then each endpoint got its own type only (the disabled one got nothing)
    by_path: dict[str, list[Delivery]] = {}
    for delivery in got:
        by_path.setdefault(delivery.path, []).append(delivery)
    assert {path: [d.event["type"] for d in ds] for path, ds in by_path.items()} == {
        "/webhook?customers": ["customer.created"],
        "/webhook?products": ["product.created"],
    }

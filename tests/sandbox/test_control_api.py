"""The ``/_sandbox/`` control API: clock, settle, deliveries, faults, reset, authentication."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.sandbox.webhook_harness import Receiver, RunningSandbox, http, running_receiver, running_sandbox


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as sb:
        yield sb


def _session(sb: RunningSandbox) -> stripe.checkout.Session:
    return sb.stripe.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok?cs={CHECKOUT_SESSION_ID}",
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 1500, "product_data": {"name": "Mug"}}}
            ],
        }
    )


def test_advancing_the_clock_expires_a_session_and_delivers_the_event(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given an endpoint for expiries and an open session expiring in 24 h
    endpoint = sandbox.endpoint(receiver.url, ["checkout.session.expired"])
    session = _session(sandbox)
    before = sandbox.control("GET", "/clock")
    assert session.status == "open" and session.expires_at > before["now"]
    # when the clock moves past the expiry
    after = sandbox.control("POST", "/clock/advance", {"seconds": 24 * 3600 + 1})
    # then the new time is returned, the session is expired and its event is delivered, signed
    assert after["now"] >= before["now"] + 24 * 3600 + 1 and after["offset"] == before["offset"] + 24 * 3600 + 1
    assert sandbox.stripe.v1.checkout.sessions.retrieve(session.id).status == "expired"
    [delivery] = receiver.wait_count(1)
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, endpoint.secret)
    assert event.type == "checkout.session.expired" and event.data.object["id"] == session.id


def test_settle_runs_what_is_due_and_returns_the_time(sandbox: RunningSandbox) -> None:
    # given an open session
    session = _session(sandbox)
    # when settle runs at the current time
    clock = sandbox.control("POST", "/settle")
    # then nothing that is not due changes
    assert clock["now"] >= session.created
    assert sandbox.stripe.v1.checkout.sessions.retrieve(session.id).status == "open"


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "60"}, {"seconds": 1.5}, {}])
def test_the_clock_refuses_bad_seconds(sandbox: RunningSandbox, body: dict) -> None:
    error = sandbox.control("POST", "/clock/advance", body, expect=400)
    assert "seconds" in error["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(sandbox: RunningSandbox) -> None:
    response = http().post(
        f"{sandbox.url}/_sandbox/clock/advance",
        content=b"seconds=5",
        headers={"Authorization": f"Bearer {sandbox.running.secret_key}"},
    )
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]


def test_deliveries_can_be_filtered_by_event_endpoint_and_status(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given one endpoint that accepts and one that always fails
    receiver.respond = lambda delivery, index: 500 if delivery.path.endswith("?failing") else 200
    good = sandbox.endpoint(receiver.url)
    bad = sandbox.endpoint(receiver.url + "?failing")
    # when two events are emitted and every delivery is finished
    sandbox.stripe.v1.customers.create(params={"email": "ada@example.com"})
    sandbox.stripe.v1.products.create(params={"name": "Mug"})
    rows = sandbox.wait_deliveries(lambda rows: len(rows) == 4 and all(r["status"] != "pending" for r in rows))
    # then filters narrow the list, and each row has its attempts and outcomes
    assert {r["endpoint_id"] for r in sandbox.deliveries(status="failed")} == {bad.id}
    assert {r["endpoint_id"] for r in sandbox.deliveries(status="succeeded")} == {good.id}
    assert len(sandbox.deliveries(endpoint_id=bad.id)) == 2
    event_id = rows[0]["event_id"]
    assert {r["endpoint_id"] for r in sandbox.deliveries(event_id=event_id)} == {good.id, bad.id}
    [failed] = sandbox.deliveries(event_id=event_id, endpoint_id=bad.id)
    assert failed["attempts"] == 4 and [a["http_status"] for a in failed["attempt_log"]] == [500] * 4
    assert failed["event_type"] in {"customer.created", "product.created"}
    assert sandbox.control("GET", "/deliveries?status=lost", expect=400)["error"]["message"]


def test_a_failed_delivery_can_be_resent_once_the_receiver_is_fixed(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given a delivery that was given up after every attempt failed
    receiver.respond = lambda delivery, index: 500 if index < 4 else 200
    endpoint = sandbox.endpoint(receiver.url)
    sandbox.stripe.v1.customers.create(params={"email": "ada@example.com"})
    [row] = sandbox.wait_deliveries(lambda rows: len(rows) == 1 and rows[0]["status"] == "failed")
    event_id = row["event_id"]
    # when it is resent
    resent = sandbox.control("POST", "/deliveries/resend", {"event_id": event_id, "endpoint_id": endpoint.id})
    # then it is delivered again, signed, and the event now counts as delivered
    assert resent["status"] == "pending" and resent["attempts"] == 0
    [row] = sandbox.wait_deliveries(lambda rows: rows[0]["status"] == "succeeded", event_id=event_id)
    assert row["attempts"] == 1
    last = receiver.wait_count(5)[-1]
    assert stripe.Webhook.construct_event(last.body, last.signature, endpoint.secret).id == event_id
    assert sandbox.stripe.v1.events.list(params={"delivery_success": False}).data == []
    # and unknown events or endpoints are refused
    sandbox.control("POST", "/deliveries/resend", {"event_id": "evt_nope", "endpoint_id": endpoint.id}, expect=404)
    sandbox.control("POST", "/deliveries/resend", {"event_id": event_id, "endpoint_id": "we_nope"}, expect=404)
    sandbox.control("POST", "/deliveries/resend", {"event_id": event_id, "endpoint_id": "forward_to"}, expect=400)


def test_a_delivery_still_in_flight_cannot_be_resent(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a delivery the receiver is holding
    receiver.respond = lambda delivery, index: 0
    endpoint = sandbox.endpoint(receiver.url)
    sandbox.stripe.v1.customers.create(params={"email": "ada@example.com"})
    [held] = receiver.wait_count(1)
    # when it is resent, then the sandbox says it is still busy with it
    error = sandbox.control(
        "POST", "/deliveries/resend", {"event_id": held.event["id"], "endpoint_id": endpoint.id}, expect=409
    )
    assert "retrying" in error["error"]["message"]


def test_faults_are_read_and_replaced_and_bad_ones_refused(sandbox: RunningSandbox) -> None:
    assert sandbox.control("GET", "/faults") == {
        "duplicate": 0.0,
        "drop": 0.0,
        "delay": [0.0, 0.0],
        "reorder_window": 0,
        "reorder_hold": 2.0,
        "seed": None,
    }
    updated = sandbox.control("PUT", "/faults", {"duplicate": 0.5, "delay": "1-2", "seed": 7})
    assert updated["duplicate"] == 0.5 and updated["delay"] == [1.0, 2.0] and updated["seed"] == 7
    assert sandbox.control("GET", "/faults") == updated
    assert "drop" in sandbox.control("PUT", "/faults", {"drop": 2}, expect=400)["error"]["message"]
    assert "dupe" in sandbox.control("PUT", "/faults", {"dupe": 1}, expect=400)["error"]["message"]
    assert sandbox.control("GET", "/faults") == updated


def test_reset_wipes_state_but_keeps_keys_the_forwarding_secret_and_the_clock(
    tmp_path: Path, receiver: Receiver
) -> None:
    with running_sandbox(tmp_path, forward_to=receiver.url) as sandbox:
        # given objects, events, deliveries and an advanced clock
        customer = sandbox.stripe.v1.customers.create(params={"email": "ada@example.com"})
        sandbox.wait_deliveries(lambda rows: len(rows) == 1 and rows[0]["status"] == "succeeded")
        secret = sandbox.running.webhook_secret
        offset = sandbox.control("POST", "/clock/advance", {"seconds": 3600})["offset"]
        # when the sandbox is reset
        assert sandbox.control("POST", "/reset")["reset"] is True
        # then objects, events and deliveries are gone
        with pytest.raises(stripe.InvalidRequestError):
            sandbox.stripe.v1.customers.retrieve(customer.id)
        assert sandbox.stripe.v1.events.list().data == []
        assert sandbox.deliveries() == []
        # and forwarding still works with the same secret
        assert sandbox.control("GET", "/webhooks")["forward_secret"] == secret
        sandbox.stripe.v1.products.create(params={"name": "Mug"})
        last = receiver.wait_count(2)[-1]
        assert stripe.Webhook.construct_event(last.body, last.signature, secret).type == "product.created"
    with running_sandbox(tmp_path, forward_to=receiver.url) as restarted:
        assert restarted.running.secret_key == sandbox.running.secret_key
        assert restarted.running.webhook_secret == secret
        assert restarted.control("GET", "/clock")["offset"] == offset


def test_rolling_an_unknown_endpoint_is_a_404(sandbox: RunningSandbox) -> None:
    error = sandbox.control("POST", "/webhook_endpoints/we_missing/roll_secret", {}, expect=404)
    assert "we_missing" in error["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer pk_test_abc", "Bearer nope", "Token sk_test_abc"])
def test_the_control_api_needs_the_secret_key(sandbox: RunningSandbox, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = http().get(f"{sandbox.url}/_sandbox/clock", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["message"]


def test_a_pinned_key_is_the_only_one_accepted() -> None:
    # given a sandbox started with --api-key
    with running_sandbox(secret_key="sk_test_pinned") as sandbox:
        # then that key works and any other test key is refused, on /v1 and on /_sandbox
        assert sandbox.running.secret_key == "sk_test_pinned"
        assert sandbox.control("GET", "/clock")["now"] > 0
        sandbox.control("GET", "/clock", key="sk_test_other", expect=401)
        with pytest.raises(stripe.AuthenticationError):
            stripe.StripeClient("sk_test_other", base_addresses={"api": sandbox.url}).v1.customers.list()


def test_only_the_sandboxs_own_and_registered_keys_are_accepted(sandbox: RunningSandbox) -> None:
    # given a sandbox started with no key named: it accepts the key it printed
    stranger = "sk_test_someone_elses_key_abcd"
    own = stripe.StripeClient(sandbox.running.secret_key, base_addresses={"api": sandbox.url})
    assert own.v1.customers.list().object == "list"
    # when another well-formed test key calls, then Stripe's 401 naming the key by its last four characters
    with pytest.raises(stripe.AuthenticationError) as raised:
        stripe.StripeClient(stranger, base_addresses={"api": sandbox.url}).v1.customers.list()
    assert raised.value.http_status == 401
    assert raised.value.error.message == "Invalid API Key provided: sk_test_****abcd"
    # when that key is registered through the control API, then it is accepted from then on, also after a reset
    assert stranger in sandbox.control("POST", "/keys", {"secret_key": stranger})["registered"]
    sandbox.control("POST", "/reset")
    assert stripe.StripeClient(stranger, base_addresses={"api": sandbox.url}).v1.customers.list().data == []
    # and what is not a test secret key cannot be registered
    sandbox.control("POST", "/keys", {"secret_key": "pk_test_abc"}, expect=400)


def test_control_paths_never_shadow_stripe_paths(sandbox: RunningSandbox) -> None:
    # given the control API mounted next to /v1
    response = http().get(
        f"{sandbox.url}/v1/_sandbox/clock", headers={"Authorization": f"Bearer {sandbox.running.secret_key}"}
    )
    # then a Stripe-looking path is answered by the API (Stripe's 404), not by the control API
    assert response.status_code == 404 and response.json()["error"]["type"] == "invalid_request_error"

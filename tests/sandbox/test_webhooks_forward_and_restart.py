"""``--forward-to`` (like ``stripe listen``) and deliveries that survive a sandbox restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.sandbox.webhook_harness import Receiver, running_receiver, running_sandbox


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


def test_forward_to_receives_every_event_signed_with_a_stable_secret(tmp_path: Path, receiver: Receiver) -> None:
    # given a sandbox forwarding to the receiver, without any webhook endpoint
    with running_sandbox(tmp_path, forward_to=receiver.url) as sandbox:
        secret = sandbox.running.webhook_secret
        info = sandbox.control("GET", "/webhooks")
        assert info["forward_to"] == receiver.url and info["forward_secret"] == secret
        # when a customer and a product are created
        sandbox.stripe.v1.customers.create(params={"email": "ada@example.com"})
        sandbox.stripe.v1.products.create(params={"name": "Mug"})
        got = receiver.wait_count(2)
        # then both events arrive, verified by the forwarding secret, and count as delivered
        assert [stripe.Webhook.construct_event(d.body, d.signature, secret).type for d in got] == [
            "customer.created",
            "product.created",
        ]
        rows = sandbox.wait_deliveries(lambda rows: len(rows) == 2 and all(r["status"] == "succeeded" for r in rows))
        assert {row["endpoint_id"] for row in rows} == {"forward_to"}
    # when the sandbox restarts on the same data folder
    with running_sandbox(tmp_path, forward_to=receiver.url) as restarted:
        # then the forwarding secret is the same
        assert restarted.running.webhook_secret == secret


def test_pending_deliveries_resume_after_a_restart(tmp_path: Path, receiver: Receiver) -> None:
    # given a receiver that fails the first attempt and never answers the second
    receiver.respond = lambda delivery, index: {0: 500, 1: 0}.get(index, 200)
    with running_sandbox(tmp_path) as sandbox:
        endpoint = sandbox.endpoint(receiver.url)
        customer = sandbox.stripe.v1.customers.create(params={"email": "ada@example.com"})
        receiver.wait_count(2)
        # and another event held by a reorder window when the sandbox stops
        sandbox.control("PUT", "/faults", {"reorder_window": 10, "reorder_hold": 60})
        product = sandbox.stripe.v1.products.create(params={"name": "Mug"})
        sandbox.wait_deliveries(lambda rows: len(rows) == 2)
        event_ids = {row["event_id"]: row for row in sandbox.deliveries()}
    # when the sandbox is started again on the same data folder
    with running_sandbox(tmp_path) as restarted:
        # then both deliveries are finished, the customer event on its third attempt
        rows = restarted.wait_deliveries(lambda rows: all(r["status"] == "succeeded" for r in rows))
        by_type = {row["event_type"]: row for row in rows}
        assert set(event_ids) == {row["event_id"] for row in rows}
        assert by_type["customer.created"]["attempts"] == 2
        assert by_type["product.created"]["attempts"] == 1
        assert len(receiver.of_event(by_type["customer.created"]["event_id"])) == 3
        delivered = {d.event["data"]["object"]["id"]: d for d in receiver.deliveries if d.path == "/webhook"}
        for object_id in (customer.id, product.id):
            stripe.Webhook.construct_event(delivered[object_id].body, delivered[object_id].signature, endpoint.secret)
        assert restarted.stripe.v1.events.list(params={"delivery_success": False}).data == []

"""A restarted sandbox on the same data folder knows every object, event and idempotency key."""

from __future__ import annotations

import uuid

from comptoir.sandbox import Sandbox, SandboxConfig
from tests.support.sandbox import start_sandbox


def test_state_survives_a_restart(running, client):
    # given objects, events and an idempotency key in the first sandbox
    key = str(uuid.uuid4())
    running.sandbox.advance_clock(5)
    customer = client.v1.customers.create({"email": "persist@example.com"})
    pi = client.v1.payment_intents.create(
        {"amount": 4200, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, "customer": customer.id},
        {"idempotency_key": key},
    )
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {"price_data": {"currency": "eur", "unit_amount": 300, "product_data": {"name": "Pain"}}, "quantity": 2}
            ],
        }
    )
    # when a new app is started on the same data folder
    second = start_sandbox(running.data_dir)
    try:
        again = second.client()
        # then it knows them all
        assert again.v1.customers.retrieve(customer.id).email == "persist@example.com"
        assert second.sandbox.clock.offset == running.sandbox.clock.offset
        assert again.v1.payment_intents.retrieve(pi.id).status == "succeeded"
        assert again.v1.charges.retrieve(pi.latest_charge).amount == 4200
        assert again.v1.checkout.sessions.line_items.list(cs.id).data[0].quantity == 2
        assert pi.id in [e.data.object.id for e in again.v1.events.list({"type": "payment_intent.succeeded"}).data]
        replay = again.v1.payment_intents.create(
            {
                "amount": 4200,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "customer": customer.id,
            },
            {"idempotency_key": key},
        )
        assert replay.id == pi.id and replay.last_response.headers["Idempotent-Replayed"] == "true"
    finally:
        second.stop()


def test_a_restart_after_a_reset_keeps_the_clock(tmp_path):
    # given a sandbox on a data folder whose clock was moved forward an hour
    config = SandboxConfig(data_dir=tmp_path, settle_interval=None)
    first = Sandbox(config)
    first.advance_clock(3600)
    # when the engine is reset (no control API involved) and the sandbox restarts on the folder
    first.reset()
    first.close()
    second = Sandbox(config)
    try:
        # then the clock has not run backwards, and the reset did forget the objects
        assert second.clock.offset == 3600
        assert second.store.count("event") == 0
    finally:
        second.close()

"""Fault injection: duplicates, reordering within a window, delay, drops, all seeded."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import stripe

from comptoir.sandbox.faults import Faults
from tests.sandbox.webhook_harness import Receiver, RunningSandbox, running_receiver, running_sandbox

REORDER_SEED = 4


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as sb:
        yield sb


def _customers(sb: RunningSandbox, count: int) -> list[str]:
    return [sb.stripe.v1.customers.create(params={"email": f"n{i}@example.com"}).id for i in range(count)]


def _order(deliveries: list, customer_ids: list[str]) -> list[int]:
    return [customer_ids.index(d.event["data"]["object"]["id"]) for d in deliveries]


def test_duplicate_sends_the_same_event_twice_each_freshly_signed(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given every delivery duplicated
    sandbox.control("PUT", "/faults", {"duplicate": 1.0, "seed": 1})
    endpoint = sandbox.endpoint(receiver.url)
    # when one event is emitted
    sandbox.stripe.v1.customers.create(params={"email": "twice@example.com"})
    first, second = receiver.wait_count(2)
    # then the same event id arrives twice, and both copies verify
    assert first.event["id"] == second.event["id"]
    for copy in (first, second):
        stripe.Webhook.construct_event(copy.body, copy.signature, endpoint.secret)
    [row] = sandbox.wait_deliveries(lambda rows: len(rows[0]["attempt_log"]) == 2, event_id=first.event["id"])
    assert row["status"] == "succeeded" and [a["duplicate"] for a in row["attempt_log"]] == [False, True]


def test_reorder_shuffles_within_the_window_and_the_seed_repeats_the_order(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    orders = []
    for run in range(2):
        # given a fresh sandbox state and a reorder window of 5 events with a fixed seed
        sandbox.control("POST", "/reset")
        sandbox.control("PUT", "/faults", {"reorder_window": 5, "reorder_hold": 30, "seed": REORDER_SEED})
        sandbox.endpoint(receiver.url, ["customer.created"])
        # when five events are emitted (the fifth fills the window)
        customer_ids = _customers(sandbox, 5)
        got = receiver.wait_count(5 * (run + 1))[5 * run :]
        # then the same five events arrive, not in emission order
        assert sorted(_order(got, customer_ids)) == [0, 1, 2, 3, 4]
        orders.append(_order(got, customer_ids))
    assert orders[0] != [0, 1, 2, 3, 4]
    assert orders[0] == orders[1]


def test_a_partial_window_is_released_after_the_hold_time(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a window larger than the traffic and a short hold
    sandbox.control("PUT", "/faults", {"reorder_window": 100, "reorder_hold": 0.2, "seed": 1})
    sandbox.endpoint(receiver.url, ["customer.created"])
    # when two events are emitted
    customer_ids = _customers(sandbox, 2)
    # then both still arrive, once the hold time is over
    got = receiver.wait_count(2)
    assert sorted(_order(got, customer_ids)) == [0, 1]


def test_flush_sends_what_a_window_holds(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a window that would hold events for a minute
    sandbox.control("PUT", "/faults", {"reorder_window": 100, "reorder_hold": 60, "seed": 1})
    sandbox.endpoint(receiver.url, ["customer.created"])
    customer_ids = _customers(sandbox, 3)
    rows = sandbox.wait_deliveries(lambda rows: len(rows) == 3)
    assert all(row["status"] == "pending" and row["attempts"] == 0 for row in rows)
    assert receiver.deliveries == []
    # when the window is flushed
    released = sandbox.control("POST", "/deliveries/flush")
    # then the three events are delivered at once
    assert released == {"released": 3}
    assert sorted(_order(receiver.wait_count(3), customer_ids)) == [0, 1, 2]


def test_delay_holds_the_first_attempt(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a fixed delay of 0.3 s before every first attempt
    sandbox.control("PUT", "/faults", {"delay": 0.3})
    sandbox.endpoint(receiver.url)
    # when an event is emitted
    emitted_at = time.time()
    sandbox.stripe.v1.customers.create(params={"email": "late@example.com"})
    # then it arrives, but not before the delay
    [delivery] = receiver.wait_count(1)
    assert delivery.received_at - emitted_at >= 0.3


def test_a_long_delay_can_be_flushed(sandbox: RunningSandbox, receiver: Receiver) -> None:
    # given a delay range far longer than the test
    sandbox.control("PUT", "/faults", {"delay": "60-120", "seed": 2})
    sandbox.endpoint(receiver.url)
    sandbox.stripe.v1.customers.create(params={"email": "late@example.com"})
    sandbox.wait_deliveries(lambda rows: len(rows) == 1)
    # when the delayed deliveries are flushed
    assert sandbox.control("POST", "/deliveries/flush") == {"released": 1}
    # then the event arrives now
    assert receiver.wait_count(1)[0].event["type"] == "customer.created"


def test_drop_never_delivers_and_only_shows_in_delivery_success_false(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    # given every delivery dropped
    sandbox.control("PUT", "/faults", {"drop": 1.0, "seed": 3})
    sandbox.endpoint(receiver.url)
    dropped_customer = sandbox.stripe.v1.customers.create(params={"email": "lost@example.com"})
    [row] = sandbox.wait_deliveries(lambda rows: len(rows) == 1 and rows[0]["status"] == "failed")
    # when faults are switched off and another event is emitted
    sandbox.control("PUT", "/faults", {})
    kept = sandbox.stripe.v1.products.create(params={"name": "Mug"})
    got = receiver.wait_for(lambda got: any(d.event["data"]["object"]["id"] == kept.id for d in got))
    # then only the second event ever arrived: the dropped one is never sent nor retried
    assert [d.event["type"] for d in got] == ["product.created"]
    assert row["attempts"] == 1 and row["last_error"] == "dropped by fault injection"
    assert row["next_attempt_at"] is None
    sandbox.wait_deliveries(lambda rows: len(rows) == 2 and all(r["status"] != "pending" for r in rows))
    undelivered = sandbox.stripe.v1.events.list(params={"delivery_success": False}).data
    assert [e.data.object["id"] for e in undelivered] == [dropped_customer.id]


def test_faults_from_the_runner_settings_apply_from_the_start(receiver: Receiver) -> None:
    # given a sandbox started with duplicates on (as `comptoir sandbox --duplicate 1`)
    with running_sandbox(faults=Faults(duplicate=1.0, seed=9)) as sandbox:
        assert sandbox.control("GET", "/faults")["duplicate"] == 1.0
        sandbox.endpoint(receiver.url)
        # when an event is emitted
        sandbox.stripe.v1.customers.create(params={"email": "twice@example.com"})
        # then it arrives twice
        first, second = receiver.wait_count(2)
        assert first.event["id"] == second.event["id"]

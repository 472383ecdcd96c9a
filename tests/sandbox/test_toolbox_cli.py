"""`comptoir sandbox trigger | events list | events resend | logs` against a running sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.sandbox.cli import sandbox_group
from comptoir.sandbox.triggers import FIXTURES
from tests.sandbox.webhook_harness import Receiver, RunningSandbox, running_receiver, running_sandbox

HANDLED_BY_COMPTOIR = {
    "checkout.session.completed",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("toolbox"), forward_to=receiver.url) as running:
        yield running


def _run(box: RunningSandbox, *args: str, key: bool = True) -> str:
    options = ["--url", box.url, *(["--api-key", box.running.secret_key] if key else [])]
    result = CliRunner().invoke(sandbox_group(), [*args, *options], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [["trigger"], ["events", "list"], ["events", "resend"], ["logs"]])
def test_each_command_explains_itself(command: list[str]) -> None:
    result = CliRunner().invoke(sandbox_group(), [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0 and "--url" in result.output and "--api-key" in result.output


def test_every_event_type_comptoir_handles_can_be_triggered() -> None:
    assert set(FIXTURES) >= HANDLED_BY_COMPTOIR


@pytest.mark.parametrize("event_type", sorted(FIXTURES))
def test_trigger_makes_the_sandbox_emit_the_event(box: RunningSandbox, event_type: str) -> None:
    # when
    output = _run(box, "trigger", event_type)
    # then: the event is among those it printed, and it exists at the sandbox
    emitted = [line.split() for line in output.splitlines() if line.startswith("  evt_")]
    assert event_type in {kind for _, kind in emitted}, output
    [event_id] = [evt for evt, kind in emitted if kind == event_type][:1]
    assert box.stripe.v1.events.retrieve(event_id).type == event_type


def test_an_unknown_event_type_lists_the_supported_ones(box: RunningSandbox) -> None:
    result = CliRunner().invoke(
        sandbox_group(), ["trigger", "invoice.paid", "--url", box.url, "--api-key", "sk_test_x"]
    )
    assert result.exit_code == 2 and "payment_intent.succeeded" in result.output


def test_events_list_shows_deliveries_and_resend_delivers_again(box: RunningSandbox, receiver: Receiver) -> None:
    # given a triggered event, delivered to the forwarding target
    output = _run(box, "trigger", "payment_intent.canceled")
    event_id = next(
        line.split()[0] for line in output.splitlines() if "payment_intent.canceled" in line and "evt_" in line
    )
    receiver.wait_for(lambda rows: any(row.event["id"] == event_id for row in rows))
    box.wait_deliveries(lambda rows: rows and rows[0]["status"] == "succeeded", event_id=event_id)
    # when
    listed = _run(box, "events", "list", "--type", "payment_intent.canceled", "--limit", "1")
    resent = _run(box, "events", "resend", event_id)
    # then
    assert event_id in listed and "-> forward_to: succeeded, 1 attempt(s)" in listed, listed
    assert f"{event_id} -> forward_to: resent" in resent, resent
    assert len(receiver.wait_for(lambda rows: len([r for r in rows if r.event["id"] == event_id]) >= 2)) >= 2


def test_logs_show_status_and_idempotency_key_and_follow_sees_new_requests(box: RunningSandbox) -> None:
    # given
    box.stripe.v1.customers.create({"email": "ada@example.com"}, {"idempotency_key": "toolbox-key-1"})
    # when
    output = _run(box, "logs", "--limit", "1000")
    followed = _run(box, "logs", "--follow", "--interval", "0.05", "--stop-after", "0.2", "--limit", "5")
    # then
    [line] = [line for line in output.splitlines() if "key=toolbox-key-1" in line]
    assert " 200 " in line and "POST" in line and "/v1/customers" in line
    assert "/v1/" in followed


def test_the_key_is_read_from_the_data_folder(box: RunningSandbox) -> None:
    data: Path = box.running.data_dir
    result = CliRunner().invoke(sandbox_group(), ["logs", "--url", box.url, "--data", str(data)], env={})
    assert result.exit_code == 0, result.output


def test_an_unreachable_sandbox_is_one_clear_error() -> None:
    result = CliRunner().invoke(sandbox_group(), ["logs", "--url", "http://127.0.0.1:9", "--api-key", "sk_test_x"])
    assert result.exit_code == 2 and "no sandbox answers" in result.output

"""``comptoir sandbox`` / ``python -m comptoir.sandbox``: options, the banner, and a real run."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import stripe
import typer
from typer.testing import CliRunner

from comptoir.sandbox import cli as cli_module
from comptoir.sandbox.cli import banner, sandbox
from comptoir.sandbox.faults import Faults
from comptoir.sandbox.server import build_server
from tests.sandbox.webhook_harness import DEADLINE, Receiver, free_port, http, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


def _app() -> typer.Typer:
    """Registered the way the main CLI does it."""
    app = typer.Typer()
    app.command("sandbox")(sandbox)
    app.command("other")(lambda: None)
    return app


def test_help_lists_every_option() -> None:
    result = CliRunner().invoke(_app(), ["sandbox", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in (
        "--port",
        "--host",
        "--forward-to",
        "--data",
        "--duplicate",
        "--reorder-window",
        "--delay",
        "--drop",
        "--seed",
        "--retry-schedule",
        "--timeout",
        "--api-key",
        "--public-url",
        "--api-error",
        "--api-rate-limit",
        "--api-lock-timeout",
        "--api-lost",
        "--api-slow",
        "--api-delay",
        "--api-path",
    ):
        assert option in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--drop", "2"], "drop"),
        (["--delay", "5-1"], "delay"),
        (["--retry-schedule", "1,x"], "comma"),
        (["--api-key", "pk_test_x"], "sk_test_"),
        (["--api-error", "2"], "error"),
        (["--api-lost", "0.6", "--api-error", "0.6"], "cannot exceed 1"),
    ],
)
def test_unusable_options_are_refused_before_serving(args: list[str], message: str) -> None:
    result = CliRunner().invoke(_app(), ["sandbox", "--port", str(free_port()), *args], terminal_width=200)
    assert result.exit_code == 2 and message in result.output


def test_python_m_runs_it_prints_the_keys_and_forwards_signed_events(tmp_path: Path, receiver: Receiver) -> None:
    # given `python -m comptoir.sandbox` forwarding to the receiver
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "comptoir.sandbox",
            "--port",
            str(port),
            "--data",
            str(tmp_path),
            "--forward-to",
            receiver.url,
            "--retry-schedule",
            "0.05",
            "--faults",
            "none",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = _read_until(process, "Your webhook signing secret is")
        secret_key = re.search(r"Secret key\s+(sk_test_\S+)", banner).group(1)
        assert re.search(r"Publishable key\s+pk_test_\S+", banner)
        whsec = re.search(r"signing secret is (whsec_\S+)", banner).group(1)
        assert f"http://127.0.0.1:{port}/_sandbox/" in banner and str(tmp_path) in banner
        _wait_until_up(f"http://127.0.0.1:{port}", secret_key)
        # when a customer is created through the SDK
        client = stripe.StripeClient(secret_key, base_addresses={"api": f"http://127.0.0.1:{port}"})
        client.v1.customers.create(params={"email": "ada@example.com"})
        # then the receiver gets the event, verified with the printed secret
        [delivery] = receiver.wait_count(1)
        assert stripe.Webhook.construct_event(delivery.body, delivery.signature, whsec).type == "customer.created"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    # uvicorn re-raises the Ctrl-C it handled, so a clean stop exits 130 (128 + SIGINT)
    assert process.returncode in (0, 130) and "Traceback" not in output, output


def test_a_taken_port_is_reported_instead_of_hanging() -> None:
    # given a port another socket listens on
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        running = build_server(port=taken.getsockname()[1], settle_interval=None, log_level="critical")
        # when the sandbox is started on it, then the caller hears why
        with pytest.raises(RuntimeError, match="port"):
            running.start_in_thread(DEADLINE)
        running.sandbox.close()


def _read_until(process: subprocess.Popen, marker: str) -> str:
    """Read the banner on a thread so a silent process fails the test at the deadline."""
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                done.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(DEADLINE), "".join(lines)
    return "".join(lines)


def _wait_until_up(url: str, key: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            if http().get(f"{url}/_sandbox/clock", headers={"Authorization": f"Bearer {key}"}).status_code == 200:
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        threading.Event().wait(0.05)


def test_by_default_delivery_has_stripes_habits_seeded_and_printed() -> None:
    # given a sandbox built the way `comptoir sandbox` builds it with no fault option
    running = build_server(port=free_port(), settle_interval=None, log_level="critical")
    try:
        faults = running.webhooks.faults
        # then some deliveries are sent twice and some reordered, from a seed the banner names with the rates
        assert faults.duplicate > 0 and faults.reorder_window > 1 and faults.seed is not None
        line = next(line for line in banner(running).splitlines() if "Webhook faults" in line)
        assert f"seed {faults.seed}" in line and f"duplicate {faults.duplicate:g}" in line
    finally:
        running.sandbox.close()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--faults", "none"], Faults()),
        (["--faults", "none", "--seed", "3", "--duplicate", "0.5"], Faults(duplicate=0.5, seed=3)),
        (["--seed", "4"], Faults.stripe_like(4)),
        (["--seed", "4", "--reorder-window", "0"], replace(Faults.stripe_like(4), reorder_window=0)),
    ],
)
def test_the_faults_option_picks_a_preset_and_single_options_change_it(
    args: list[str], expected: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the command line, with the server build intercepted
    seen: dict[str, Any] = {}

    def built(**options: Any) -> Any:
        seen.update(options)
        raise ValueError("stop here")

    monkeypatch.setattr(cli_module, "build_server", built)
    # when it is parsed
    CliRunner().invoke(_app(), ["sandbox", *args], terminal_width=200)
    # then the sandbox gets the preset with the given settings replaced
    assert seen["faults"] == expected


def test_an_unknown_fault_preset_is_refused() -> None:
    result = CliRunner().invoke(_app(), ["sandbox", "--faults", "sometimes"], terminal_width=200)
    assert result.exit_code == 2 and "stripe" in result.output

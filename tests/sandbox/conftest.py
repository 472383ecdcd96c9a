"""A real sandbox served by uvicorn on 127.0.0.1 (free port), driven with the official SDK."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stripe
import uvicorn

from comptoir.sandbox import Sandbox, SandboxConfig, create_sandbox_app
from tests.servers import bound_socket

API_KEY = "sk_test_comptoir_sandbox_tests"
OTHER_API_KEY = "sk_test_comptoir_sandbox_second_key"
"""The keys the test sandbox is configured with: it refuses any other, as Stripe does."""


@dataclass
class RunningSandbox:
    base_url: str
    sandbox: Sandbox
    data_dir: Path
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, key: str = API_KEY, **kwargs) -> stripe.StripeClient:
        return stripe.StripeClient(key, base_addresses={"api": self.base_url}, max_network_retries=0, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> None:
    """Poll ``predicate`` until it holds or the deadline passes (no sleeps as synchronisation)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(interval)


def start_sandbox(data_dir: Path) -> RunningSandbox:
    sock, base_url = bound_socket()
    config = SandboxConfig(
        data_dir=data_dir,
        public_base_url=base_url,
        settle_interval=None,
        api_keys=frozenset({API_KEY, OTHER_API_KEY}),
    )
    app = create_sandbox_app(config)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=10)
    return RunningSandbox(base_url, app.state.sandbox, data_dir, server, thread)


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    instance = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def client(running: RunningSandbox) -> stripe.StripeClient:
    return running.client()


@pytest.fixture(scope="session")
def sandbox(running: RunningSandbox) -> Sandbox:
    return running.sandbox

"""A real sandbox served by uvicorn on 127.0.0.1 (free port), for tests that drive it over HTTP."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import stripe
import uvicorn

from comptoir.sandbox import Sandbox, SandboxConfig, create_sandbox_app
from tests.servers import bound_socket
from tests.support.waiting import wait_until

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

    def client(self, key: str = API_KEY, max_network_retries: int = 0, **kwargs) -> stripe.StripeClient:
        return stripe.StripeClient(
            key, base_addresses={"api": self.base_url}, max_network_retries=max_network_retries, **kwargs
        )

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_sandbox(data_dir: Path) -> RunningSandbox:
    """Serve a fresh sandbox keeping its state in ``data_dir``; returns once it accepts requests."""
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
    wait_until(lambda: server.started, "the sandbox to start")
    return RunningSandbox(base_url, app.state.sandbox, data_dir, server, thread)

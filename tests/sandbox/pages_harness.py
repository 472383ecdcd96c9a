"""A real sandbox with the pages mounted, and the fixtures the page tests share.

The sandbox runs in a thread (``tests.servers``) so a test can also reach its engine for clock moves.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import stripe

from comptoir.sandbox import SandboxConfig, create_sandbox_app
from comptoir.sandbox.pages import page_routes
from tests.servers import Buyer, bound_socket, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET_KEY = "sk_test_pages"
PUBLISHABLE_KEY = "pk_test_pages"
SHOP = "http://shop.test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Sandbox:
    url: str
    engine: Any
    client: stripe.StripeClient

    def checkout_session(self, **overrides: Any) -> Any:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "eur", "unit_amount": 1250, "product_data": {"name": "Espresso cup"}},
                    "quantity": 2,
                },
                {
                    "price_data": {"currency": "eur", "unit_amount": 900, "product_data": {"name": "Beans 250 g"}},
                    "quantity": 1,
                },
            ],
            "success_url": f"{SHOP}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{SHOP}/cart",
            "customer_email": "ann@example.com",
        }
        params.update(overrides)
        return self.client.v1.checkout.sessions.create(params)


@contextmanager
def running_sandbox(extra_routes: list[Any] | None = None) -> Iterator[Sandbox]:
    """A fresh in-memory sandbox with the pages mounted, served by a real uvicorn."""
    sock, url = bound_socket()
    config = SandboxConfig(
        in_memory=True,
        settle_interval=None,
        business_name="Café Lumière",
        public_base_url=url,
        api_keys=frozenset({SECRET_KEY}),
    )
    app = create_sandbox_app(config, extra_routes=page_routes() + (extra_routes or []))
    with serving((app, sock, "sandbox")):
        client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": url}, max_network_retries=0)
        yield Sandbox(url, app.state.sandbox, client)


def chromium_or_skip() -> str:
    """The Chromium binary; a missing one skips loudly, or fails when ``CI=true``."""
    if shutil.which(CHROMIUM) is None:
        reason = f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason + " and CI=true requires them")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def shop() -> Iterator[Sandbox]:
    """One sandbox with the pages, shared by a module's tests (each test makes its own sessions)."""
    with running_sandbox() as instance:
        yield instance


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    instance = Buyer(httpx.Client(follow_redirects=False, timeout=10))
    yield instance
    instance.close()

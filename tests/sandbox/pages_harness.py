"""Real uvicorn servers for the page tests, and the helpers those tests share.

A server listens on a socket bound *before* uvicorn starts, so a client can connect at once
(the kernel queues the connection until the loop accepts it): no polling, no sleeps. Each
server runs in a thread so a test can also reach the engine (``sandbox``) for clock moves.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
import uvicorn

from comptoir.sandbox import SandboxConfig, create_sandbox_app
from comptoir.sandbox.pages import page_routes

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


def bound_socket() -> tuple[socket.socket, str]:
    """A listening socket on a free port, and its base URL (known before the app is built)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve(app: Any, sock: socket.socket) -> Iterator[None]:
    """Serve ``app`` on ``sock`` with uvicorn in a thread until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


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
    config = SandboxConfig(in_memory=True, settle_interval=None, business_name="Café Lumière", public_base_url=url)
    app = create_sandbox_app(config, extra_routes=page_routes() + (extra_routes or []))
    with serve(app, sock):
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


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ALERT = re.compile(r'class="alert"[^>]*>([^<]+)<')


@dataclass
class Page:
    """One HTML response as the buyer's browser gets it, with the bits tests look at."""

    response: httpx.Response

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def html(self) -> str:
        return self.response.text

    @property
    def location(self) -> str | None:
        return self.response.headers.get("location")

    def token(self) -> str:
        match = _TOKEN.search(self.html)
        assert match, "the page has no anti-CSRF token"
        return match.group(1)

    def alert(self) -> str | None:
        match = _ALERT.search(self.html)
        return html.unescape(match.group(1).strip()) if match else None

    def field_error(self, name: str) -> str | None:
        match = re.search(rf'id="{name}-error"[^>]*>([^<]+)<', self.html)
        return html.unescape(match.group(1).strip()) if match else None

    def value_of(self, name: str) -> str | None:
        match = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', self.html)
        return html.unescape(match.group(1)) if match else None

    def state(self) -> str | None:
        match = re.search(r'data-state="([^"]+)"', self.html)
        return match.group(1) if match else None


class Buyer:
    """A real HTTP client posting the hosted forms the way a browser does (no redirects followed)."""

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def open(self, url: str) -> Page:
        return Page(self.http.get(url))

    def pay_card(
        self, url: str, number: str = "4242 4242 4242 4242", *, token: str | None = None, **fields: str
    ) -> Page:
        form = {
            "payment_method_type": "card",
            "email": "ann@example.com",
            "card_number": number,
            "card_expiry": "12 / 34",
            "card_cvc": "123",
            "card_name": "Ann Example",
        }
        form.update(fields)
        form["csrf_token"] = token if token is not None else self.open(url).token()
        return Page(self.http.post(url, data=form))

    def pay_sepa(self, url: str, iban: str, **fields: str) -> Page:
        form = {
            "payment_method_type": "sepa_debit",
            "email": "ann@example.com",
            "iban": iban,
            "sepa_name": "Ann Example",
            "csrf_token": self.open(url).token(),
        }
        form.update(fields)
        return Page(self.http.post(url, data=form))

    def choose_3ds(self, challenge_url: str, outcome: str) -> Page:
        page = self.open(challenge_url)
        assert page.status == 200, page.html
        client_secret = parse_qs(urlsplit(challenge_url).query)["client_secret"][0]
        return Page(
            self.http.post(
                challenge_url.split("?")[0],
                data={"csrf_token": page.token(), "client_secret": client_secret, "outcome": outcome},
            )
        )

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    instance = Buyer()
    yield instance
    instance.close()

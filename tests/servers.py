"""Real servers on 127.0.0.1 and a buyer's browser without JavaScript, shared by the tests that run them.

A server listens on a socket bound *before* its app is built, so its URL is known up front and a
client can connect at once (the kernel queues the connection until the loop accepts it): no
sleeps. Each server runs in a thread, so a test can still reach the app's objects directly.
"""

from __future__ import annotations

import html
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn

from tests.support import DEADLINE

SHARED_TLS_CONTEXT = ssl.create_default_context()
"""Every URL is plain http on 127.0.0.1; one context for all clients spares each new httpx client
from loading the CA bundle (a tenth of a second of CPU per client)."""


def free_port() -> int:
    """A port free right now, for a server started in another process (which binds it itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bound_socket() -> tuple[socket.socket, str]:
    """A listening socket on a free 127.0.0.1 port, and its base URL (known before the app is built)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving(*apps: tuple[Any, socket.socket, str]) -> Iterator[None]:
    """Serve each ``(app, socket, name)`` (lifespan on) from its own thread until the block ends;
    all are asked to stop at once, the first listed last to finish."""
    running = []
    for app, sock, name in apps:
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
        thread.start()
        running.append((server, thread, sock))
    try:
        yield
    finally:
        for server, _, _ in reversed(running):
            server.should_exit = True
        for _, thread, sock in reversed(running):
            thread.join(timeout=10)
            sock.close()


# --- the buyer's browser on the hosted pages --------------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ALERT = re.compile(r'class="alert"[^>]*>([^<]+)<')
_STATUS = re.compile(r'data-testid="payment-status" data-status="([^"]+)"')


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
    def location(self) -> str:
        return self.response.headers.get("location", "")

    def token(self) -> str:
        match = _TOKEN.search(self.html)
        assert match, f"the page has no anti-CSRF token:\n{self.html[:500]}"
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

    def payment_status(self) -> str | None:
        """The payment status the shop's landing page shows (the machine value its badge keeps; the badge's
        own text is the customer's words)."""
        match = _STATUS.search(self.html)
        return match.group(1).strip() if match else None

    def refreshes(self) -> bool:
        return '<meta http-equiv="refresh"' in self.html

    def resume_url(self) -> str | None:
        match = re.search(r'<a class="button" href="([^"]+)" data-testid="resume"', self.html)
        return html.unescape(match.group(1)) if match else None


class Buyer:
    """A browser without JavaScript: opens pages and posts their forms, following nothing by itself."""

    def __init__(self, http: httpx.Client | None = None) -> None:
        self.http = http or httpx.Client(follow_redirects=False, timeout=DEADLINE, verify=SHARED_TLS_CONTEXT)

    def open(self, url: str) -> Page:
        return Page(self.http.get(url))

    def _form_token(self, url: str) -> str:
        form = self.open(url)
        assert form.status == 200, form.html
        return form.token()

    def pay_card(
        self, url: str, number: str = "4242 4242 4242 4242", *, token: str | None = None, **fields: str
    ) -> Page:
        """Pay on the hosted Checkout page by card; ``token`` replays (or forges) an earlier form's."""
        form = {
            "payment_method_type": "card",
            "email": "ann@example.com",
            "card_number": number,
            "card_expiry": "12 / 34",
            "card_cvc": "123",
            "card_name": "Ann Example",
        }
        form.update(fields)
        form["csrf_token"] = token if token is not None else self._form_token(url)
        return Page(self.http.post(url, data=form))

    def pay_sepa(self, url: str, iban: str, **fields: str) -> Page:
        page = self.open(url)
        assert 'name="iban"' in page.html, "the hosted page offers no SEPA Direct Debit"
        form = {
            "payment_method_type": "sepa_debit",
            "email": "ann@example.com",
            "iban": iban,
            "sepa_name": "Ann Example",
            "csrf_token": page.token(),
        }
        form.update(fields)
        return Page(self.http.post(url, data=form))

    def choose_3ds(self, challenge_url: str, outcome: str) -> Page:
        """Click Complete or Fail on the 3-D Secure challenge page."""
        page = self.open(challenge_url)
        assert page.status == 200, page.html
        client_secret = parse_qs(urlsplit(challenge_url).query)["client_secret"][0]
        return Page(
            self.http.post(
                challenge_url.split("?")[0],
                data={"csrf_token": page.token(), "client_secret": client_secret, "outcome": outcome},
            )
        )

    def follow(self, page: Page, hops: int = 3) -> Page:
        """Follow redirects from ``page`` (the way back from the sandbox to the shop)."""
        while page.status in {302, 303, 307} and hops:
            page = self.open(page.location)
            hops -= 1
        return page

    def close(self) -> None:
        self.http.close()

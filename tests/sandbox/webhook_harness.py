"""A real webhook receiver and a real sandbox server for the delivery and control-API tests.

Nothing here sleeps to synchronise: tests wait on a ``threading.Condition`` (the receiver) or
poll the control API until a deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import stripe

from comptoir.sandbox.faults import Faults
from comptoir.sandbox.server import SandboxServer, build_server
from tests.servers import free_port

FAST_RETRIES = (0.05, 0.1, 0.15)
DEADLINE = 10.0
_http: list[httpx.Client] = []


def http() -> httpx.Client:
    """One client for the whole run: building one (its TLS context) costs ~150 ms."""
    if not _http:
        _http.append(httpx.Client(timeout=DEADLINE))
    return _http[0]


@dataclass
class Delivery:
    """One request the receiver got: the raw body as sent and the headers."""

    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def signature(self) -> str:
        return self.headers["stripe-signature"]


@dataclass
class Receiver:
    """A threaded HTTP server that records every POST and answers what ``respond`` says."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    respond: Callable[[Delivery, int], int] = lambda delivery, index: 200
    release: threading.Event = field(default_factory=threading.Event)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, delivery: Delivery) -> int:
        with self._changed:
            index = len(self.deliveries)
            self.deliveries.append(delivery)
            self._changed.notify_all()
        return self.respond(delivery, index)

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float = DEADLINE) -> list[Delivery]:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.deliveries), timeout):
                raise AssertionError(
                    f"receiver: condition not met within {timeout}s; got "
                    f"{[d.event.get('type') for d in self.deliveries]}"
                )
            return list(self.deliveries)

    def wait_count(self, count: int, timeout: float = DEADLINE) -> list[Delivery]:
        return self.wait_for(lambda got: len(got) >= count, timeout)

    def of_event(self, event_id: str) -> list[Delivery]:
        with self._changed:
            return [d for d in self.deliveries if d.event["id"] == event_id]


class _QuietServer(ThreadingHTTPServer):
    """A sender that gave up (timeout, shutdown) leaves a broken pipe behind; that is expected."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver_ref: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            delivery = Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            status = receiver_ref[0].record(delivery)
            if status == 0:
                receiver_ref[0].release.wait(DEADLINE)
                status = 200
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = _QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{httpd.server_address[1]}/webhook")
    receiver_ref.append(receiver)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(DEADLINE)


@dataclass
class RunningSandbox:
    running: SandboxServer

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def stripe(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.running.secret_key, base_addresses={"api": self.url}, max_network_retries=0)

    def control(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None, expect: int = 200
    ) -> Any:
        response = http().request(
            method,
            f"{self.url}/_sandbox{path}",
            json=body,
            headers={"Authorization": f"Bearer {key or self.running.secret_key}"},
        )
        assert response.status_code == expect, response.text
        return response.json()

    def deliveries(self, **query: str) -> list[dict[str, Any]]:
        path = "/deliveries" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        return self.control("GET", path)["data"]

    def wait_deliveries(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = DEADLINE, **query: str
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.deliveries(**query)
            if predicate(rows):
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"deliveries never matched: {rows}")
            threading.Event().wait(0.02)

    def endpoint(self, url: str, events: list[str] | None = None) -> Any:
        return self.stripe.v1.webhook_endpoints.create(params={"url": url, "enabled_events": events or ["*"]})


@contextmanager
def running_sandbox(data_dir: Path | None = None, **options: Any) -> Iterator[RunningSandbox]:
    """A sandbox served by uvicorn on a free port, in a thread; stopped (not killed) afterwards."""
    options.setdefault("retry_schedule", FAST_RETRIES)
    options.setdefault("settle_interval", None)
    options.setdefault("delivery_timeout", DEADLINE)
    options.setdefault("faults", Faults())
    running = build_server(port=free_port(), data_dir=data_dir, log_level="warning", **options)
    running.start_in_thread(DEADLINE)
    try:
        yield RunningSandbox(running)
    finally:
        running.stop(DEADLINE)

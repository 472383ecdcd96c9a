"""Build a ready-to-run sandbox server: the app, its webhook worker, keys and a ``uvicorn.Server``.

Used by ``comptoir sandbox`` / ``python -m comptoir.sandbox`` and by tests that want a real HTTP
sandbox. The printed keys are kept in the data folder, so a restarted sandbox gives the same
ones (see ``keys.py``); with ``secret_key`` only that key is accepted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import uvicorn

from .api_faults import ApiFaults
from .config import SandboxConfig
from .delivery import DeliveryWorker
from .delivery_config import DEFAULT_CHECKOUT_REDIRECT_WAIT, DEFAULT_RETRY_SCHEDULE, DeliverySettings
from .faults import Faults
from .keys import PUBLISHABLE_KEY_META, SECRET_KEY_META, remembered_key
from .pages import page_routes
from .webhooks import install_webhooks

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111


@dataclass
class SandboxServer:
    """What a caller needs to serve the sandbox and to point clients at it."""

    server: uvicorn.Server
    app: Any
    url: str
    secret_key: str
    publishable_key: str
    webhook_secret: str
    forward_to: str | None
    data_dir: Path | None
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def sandbox(self) -> Any:
        return self.app.state.sandbox

    @property
    def webhooks(self) -> DeliveryWorker:
        return self.app.state.webhooks

    def start_in_thread(self, timeout: float = 10.0) -> threading.Thread:
        """Serve from a daemon thread (``comptoir serve`` next to the shop, tests) and return
        once the socket is listening; raise if it could not start (e.g. the port is taken: uvicorn
        then logs why and exits, which ends only this thread)."""
        thread = threading.Thread(target=self._serve, name="comptoir-sandbox", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the sandbox could not start on {self.url} (is the port taken?)")
            if time.monotonic() > deadline:
                self.server.should_exit = True
                raise RuntimeError(f"the sandbox did not start on {self.url} within {timeout:g}s")
            threading.Event().wait(0.01)
        self._thread = thread
        return thread

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit:
            log.error("the sandbox server on %s stopped at start-up", self.url)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish (the lifespan stops deliveries and closes the store) and wait."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def build_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    data_dir: Path | str | None = None,
    forward_to: str | None = None,
    faults: Faults | None = None,
    api_faults: ApiFaults | None = None,
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE,
    delivery_timeout: float = 10.0,
    checkout_redirect_wait: float = DEFAULT_CHECKOUT_REDIRECT_WAIT,
    secret_key: str | None = None,
    publishable_key: str | None = None,
    public_base_url: str | None = None,
    settle_interval: float | None = 1.0,
    log_level: str = "info",
    config: SandboxConfig | None = None,
) -> SandboxServer:
    """A sandbox on ``host:port`` (state in ``data_dir``, or in memory when it is None).

    ``forward_to`` receives every event signed with ``webhook_secret`` (stable per data folder).
    ``faults`` of None means Stripe's delivery habits (``Faults.stripe_like``: a few duplicates,
    some reordering, a fresh seed); pass ``Faults()`` for every event once and in order.
    ``checkout_redirect_wait``: longest time the hosted Checkout page waits for the shop to
    answer ``checkout.session.completed`` before redirecting the buyer (Stripe: 10 s).
    ``api_faults``: 500s, 429s, slow and lost responses on ``/v1`` (off when None).
    ``config`` overrides the derived ``SandboxConfig`` for fields the arguments do not cover.
    """
    from . import create_sandbox_app

    base_url = public_base_url or f"http://{_url_host(host)}:{port}"
    if secret_key is not None and not secret_key.startswith("sk_test_"):
        raise ValueError("the sandbox secret key must start with sk_test_")
    if publishable_key is not None and not publishable_key.startswith("pk_test_"):
        raise ValueError("the sandbox publishable key must start with pk_test_")
    if checkout_redirect_wait < 0:
        raise ValueError("checkout_redirect_wait cannot be negative")
    settings = DeliverySettings(
        retry_schedule=tuple(retry_schedule),
        timeout=delivery_timeout,
        forward_to=forward_to,
        faults=Faults.stripe_like() if faults is None else faults,
        checkout_redirect_wait=checkout_redirect_wait,
    )
    config = replace(
        config or SandboxConfig(),
        data_dir=data_dir,
        in_memory=data_dir is None,
        public_base_url=base_url,
        settle_interval=settle_interval,
        api_keys=frozenset({secret_key}) if secret_key else None,
        publishable_keys=frozenset({publishable_key}) if publishable_key else None,
    )
    app = create_sandbox_app(config, extra_routes=page_routes())
    install_webhooks(app, settings)
    if api_faults is not None:
        app.state.api_faults.replace(api_faults)
    sandbox = app.state.sandbox
    secret_key = secret_key or remembered_key(sandbox, SECRET_KEY_META, "sk_test_")
    publishable_key = publishable_key or remembered_key(sandbox, PUBLISHABLE_KEY_META, "pk_test_")
    webhook_secret = app.state.webhooks.secrets.forward_secret()
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on", access_log=log_level == "debug")
    )
    return SandboxServer(
        server=server,
        app=app,
        url=base_url,
        secret_key=secret_key,
        publishable_key=publishable_key,
        webhook_secret=webhook_secret,
        forward_to=forward_to,
        data_dir=Path(data_dir) if data_dir is not None else None,
    )


def _url_host(host: str) -> str:
    if host in {"0.0.0.0", ""}:  # noqa: S104 (a comparison: which URL to print, nothing is bound here)
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host

"""Run one or more ASGI apps (the shop and the embedded Stripe sandbox) in one process.

uvicorn's `Server.serve()` installs its own SIGINT/SIGTERM handlers, and with several servers
only the last one would hear Ctrl+C. Here the handlers are installed once and ask every server
to stop, so `comptoir serve` shuts everything down together and exits 0.

Each server gets its own thread and event loop: the shop calls Stripe (here, the sandbox)
with the synchronous SDK, and a call made from a loop the sandbox shares would wait on itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Generator
from dataclasses import dataclass
from types import FrameType

import uvicorn
from starlette.types import ASGIApp


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """One HTTP server to run: a name for the start-up banner, the app, and where it listens."""

    name: str
    app: ASGIApp
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class _SharedSignalServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `run_servers`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def run_servers(specs: list[ServerSpec], *, log_level: str = "info") -> None:
    """Serve every spec until SIGINT/SIGTERM, then stop them all gracefully."""
    servers = [
        _SharedSignalServer(
            uvicorn.Config(
                spec.app,
                host=spec.host,
                port=spec.port,
                log_level=log_level,
                log_config=None,
                lifespan="on",
                # uvicorn would believe X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS) by default;
                # the app trusts only COMPTOIR_TRUSTED_PROXIES, so a local client cannot pose as another address
                proxy_headers=False,
            )
        )
        for spec in specs
    ]

    def stop(_sig: int, _frame: FrameType | None) -> None:
        for server in servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _serve_all(servers)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve_all(servers: list[uvicorn.Server]) -> None:
    """Serve each in its own thread; when one stops (or fails to start), stop the others."""
    one_stopped = threading.Event()
    failures: list[BaseException] = []

    def run(server: uvicorn.Server) -> None:
        try:
            asyncio.run(server.serve())
            if not server.started and not server.should_exit:
                failures.append(RuntimeError(f"server on port {server.config.port} did not start"))
        except BaseException as exc:  # re-raised in the main thread below
            failures.append(exc)
        finally:
            one_stopped.set()

    threads = [threading.Thread(target=run, args=(server,), name=f"serve-{server.config.port}") for server in servers]
    for thread in threads:
        thread.start()
    while not one_stopped.wait(0.5):
        pass
    for server in servers:
        server.should_exit = True
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]

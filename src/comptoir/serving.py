"""Run one or more ASGI apps (the shop, later the embedded Stripe sandbox) in one process.

uvicorn's `Server.serve()` installs its own SIGINT/SIGTERM handlers, and with several servers
in one loop only the last one would hear Ctrl+C. Here the handlers are installed once and
ask every server to stop, so `comptoir serve` shuts everything down together and exits 0.
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
                spec.app, host=spec.host, port=spec.port, log_level=log_level, log_config=None, lifespan="on"
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
        asyncio.run(_serve_all(servers))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks)
    for task in done:
        task.result()

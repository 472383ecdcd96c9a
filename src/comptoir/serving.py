"""Run one or more ASGI apps (the shop and the embedded Stripe sandbox) in one process.

uvicorn's `Server.serve()` installs its own SIGINT/SIGTERM handlers, and with several servers
only the last one would hear Ctrl+C. Here the handlers are installed once and ask every server
to stop, so `comptoir serve` shuts everything down together and exits 0.

Each server gets its own thread and event loop: the shop calls Stripe (here, the sandbox)
with the synchronous SDK, and a call made from a loop the sandbox shares would wait on itself.

Every port is bound by `listen()` before anything starts, so a taken port is one clear error
before the banner, and uvicorn never binds (it serves the sockets it is given): there is no
window in which a port can be lost between the check and the start. The servers start last
to first and stop first to last: the sandbox listens before the shop's worker calls it, and
the shop (its event streams, then its worker) is stopped while the sandbox still answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

GRACEFUL_SHUTDOWN_SECONDS = 3.0
"""How long a stopping server waits for open requests before cancelling them (uvicorn's default is forever)."""
_LIFECYCLE_LOGGER = "uvicorn.error"


class CannotListen(RuntimeError):
    """A port `serve` needs cannot be bound; the message names the setting that moves it."""


def listen(host: str, port: int, setting: str) -> socket.socket:
    """A socket listening on ``host:port`` (0 picks a free port), or `CannotListen` naming ``setting``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: rebind past TIME_WAIT, not LISTEN
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise CannotListen(f"port {port} on {host} {why}; choose another with {setting}") from exc
    return sock


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """One HTTP server to run: a name for the start-up banner, the app, and its listening socket.

    ``quiet`` keeps its uvicorn start/stop lines and access log out of the output (the banner
    names it already); ``on_stop`` is called when it is asked to stop, before uvicorn waits for
    open requests (the shop ends its event streams there).
    """

    name: str
    app: ASGIApp
    sock: socket.socket
    quiet: bool = False
    on_stop: Callable[[], None] | None = None

    @property
    def host(self) -> str:
        return str(self.sock.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class _SharedSignalServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `run_servers`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class _QuietThreads(logging.Filter):
    """Drops uvicorn's info lines logged from the threads of quiet servers: with two servers every
    "Started server process" / "Application startup complete" line was printed twice."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.threadName not in self.names


def run_servers(specs: list[ServerSpec], *, log_level: str = "info", stop: threading.Event | None = None) -> None:
    """Serve every spec until SIGINT/SIGTERM (or ``stop`` is set), then stop them all gracefully, the first
    one first. Signal handlers are installed only from the main thread."""
    servers = [
        _SharedSignalServer(
            uvicorn.Config(
                spec.app,
                host=spec.host,
                port=spec.port,
                log_level=log_level,
                log_config=None,
                lifespan="on",
                access_log=not spec.quiet,
                timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_SECONDS),
                # uvicorn would believe X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS) by default;
                # the app trusts only COMPTOIR_TRUSTED_PROXIES, so a local client cannot pose as another address
                proxy_headers=False,
            )
        )
        for spec in specs
    ]
    stopping = stop or threading.Event()

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        if stopping.is_set():  # a second Ctrl+C: stop waiting for anything
            for server in servers:
                server.force_exit = True
        stopping.set()

    quiet = _QuietThreads({_thread_name(spec) for spec in specs if spec.quiet})
    logging.getLogger(_LIFECYCLE_LOGGER).addFilter(quiet)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _serve_all(list(zip(specs, servers, strict=True)), stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logging.getLogger(_LIFECYCLE_LOGGER).removeFilter(quiet)


def _thread_name(spec: ServerSpec) -> str:
    return f"serve-{spec.name}"


def _serve_all(pairs: list[tuple[ServerSpec, uvicorn.Server]], stopping: threading.Event) -> None:
    """Start each server once the one after it listens; when asked to stop, or when one stops
    (or fails to start), stop them all in order."""
    failures: list[BaseException] = []
    running: list[tuple[ServerSpec, uvicorn.Server, threading.Thread]] = []

    def run(spec: ServerSpec, server: uvicorn.Server) -> None:
        try:
            asyncio.run(server.serve(sockets=[spec.sock]))
            if not server.started and not server.should_exit:
                failures.append(RuntimeError(f"the {spec.name} server on port {spec.port} did not start"))
        except BaseException as exc:  # re-raised in the main thread below
            failures.append(exc)
        finally:
            stopping.set()

    try:
        for spec, server in reversed(pairs):
            thread = threading.Thread(target=run, args=(spec, server), name=_thread_name(spec))
            thread.start()
            running.append((spec, server, thread))
            while not server.started and thread.is_alive() and not stopping.is_set():
                thread.join(0.02)
            if not server.started:
                break
        while not stopping.wait(0.5):
            pass
    finally:
        for spec, server, thread in reversed(running):
            if spec.on_stop is not None:
                spec.on_stop()
            server.should_exit = True
            thread.join()
    if failures:
        raise failures[0]

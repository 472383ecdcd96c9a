"""`run_servers`: the order in which `comptoir serve` starts and stops its servers.

Two tiny ASGI apps stand in for the shop and the embedded sandbox (the real ones are run by the
e2e tests); each records its lifespan events, so the test reads the order they happened in.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

from comptoir.serving import ServerSpec, listen, run_servers
from tests.support import wait_until

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _recording_app(name: str, events: list[str]) -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                events.append(f"{name} up")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                events.append(f"{name} down")
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app


def test_the_sandbox_starts_before_the_shop_and_stops_after_it() -> None:
    # given the shop (told first when asked to stop) and the sandbox it calls, on free ports
    events: list[str] = []
    stop = threading.Event()
    specs = [
        ServerSpec(
            "comptoir",
            _recording_app("shop", events),
            listen("127.0.0.1", 0, "--port"),
            on_stop=lambda: events.append("shop asked to stop"),
        ),
        ServerSpec("sandbox", _recording_app("sandbox", events), listen("127.0.0.1", 0, "X"), quiet=True),
    ]
    runner = threading.Thread(target=run_servers, args=(specs,), kwargs={"stop": stop, "log_level": "warning"})
    runner.start()
    try:
        # when both are up and the service is asked to stop
        wait_until(lambda: len(events) == 2, "both servers to start")
    finally:
        stop.set()
        runner.join(timeout=20)
    # then the sandbox answered before the shop (and its worker) started, and outlived it
    assert not runner.is_alive()
    assert events == ["sandbox up", "shop up", "shop asked to stop", "shop down", "sandbox down"]
    assert all(spec.sock.fileno() == -1 for spec in specs)

"""Attach webhook delivery and the ``/_sandbox/`` control API to a sandbox app.

The worker has to live on the server's event loop, so it starts and stops inside the app's
lifespan: ``install_webhooks`` wraps whatever lifespan the app already has (the engine's settle
loop) rather than replacing it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from .control import control_routes
from .delivery import DeliveryWorker
from .delivery_config import DeliverySettings


def install_webhooks(app: Any, settings: DeliverySettings | None = None) -> DeliveryWorker:
    """Create the worker for ``app.state.sandbox``, mount the control API, hook the lifespan.

    The control routes go first: ``/_sandbox/`` can never match a Stripe path, and a catch-all
    route of the API (Stripe's 404 for unknown URLs) must not shadow them."""
    worker = DeliveryWorker(app.state.sandbox, settings or DeliverySettings())
    app.state.webhooks = worker
    app.router.routes[0:0] = control_routes()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(scope_app: Any) -> AsyncIterator[Any]:
        async with inner(scope_app) as state:
            await worker.start()
            try:
                yield state
            finally:
                await worker.stop()

    app.router.lifespan_context = lifespan
    return worker

"""``create_sandbox_app``: the Starlette application serving the Stripe-compatible API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from ..api_faults import ApiFaultPlan
from ..config import SandboxConfig
from ..engine import Sandbox
from ..request_log import RequestLog
from .gate import Gate
from .routes import build_routes

log = logging.getLogger(__name__)


async def _settle_forever(sandbox: Sandbox, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            sandbox.settle()
        except Exception:
            log.exception("sandbox settle step failed")


class SandboxApp(Starlette):
    """Starlette with the ``Gate`` (API faults, request log) outside every other middleware."""

    def build_middleware_stack(self) -> ASGIApp:
        return Gate(super().build_middleware_stack(), self.state)


def create_sandbox_app(
    config: SandboxConfig, extra_routes: Sequence[BaseRoute] = (), sandbox: Sandbox | None = None
) -> Starlette:
    """Build the app. ``extra_routes`` (hosted pages, control API) are matched before ``/v1``'s
    catch-all; ``app.state.sandbox`` is the engine, ``app.state.api_faults`` the API fault plan
    (off until set) and ``app.state.request_log`` the log of ``/v1`` requests."""
    sandbox = sandbox or Sandbox(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if config.settle_interval:
            task = asyncio.create_task(_settle_forever(sandbox, config.settle_interval))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            sandbox.close()

    # Like api.stripe.com: any origin may call (Stripe.js runs on the shop's own pages).
    cors = Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["*"],
        expose_headers=["Request-Id"],
        max_age=600,
    )
    app = SandboxApp(routes=[*extra_routes, *build_routes(sandbox)], lifespan=lifespan, middleware=[cors])
    app.state.sandbox = sandbox
    app.state.api_faults = ApiFaultPlan()
    app.state.request_log = RequestLog()
    return app

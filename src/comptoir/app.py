"""The composition root: `create_app(settings)` wires adapters into services and services into routes."""

from __future__ import annotations

from fastapi import FastAPI

from comptoir import __version__, logs
from comptoir.api import health, problems
from comptoir.api.middleware import BodySizeLimit, RequestContext
from comptoir.config import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = (settings or Settings()).with_secrets_ensured()
    logs.configure()
    app = FastAPI(
        title="comptoir",
        version=__version__,
        description="Orders and payments for small shops. Errors are application/problem+json with a stable `code`.",
    )
    app.state.settings = settings
    problems.install(app)
    app.include_router(health.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext)
    return app

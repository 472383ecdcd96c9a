"""The composition root: `create_app(settings)` wires adapters into services and services into routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from comptoir import __version__, logs
from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.uow import sql_unit_of_work_factory
from comptoir.adapters.security import Argon2PasswordHasher, JwtTokens
from comptoir.api import health, problems
from comptoir.api.middleware import BodySizeLimit, RequestContext
from comptoir.api.routers import auth, catalog, orders
from comptoir.config import Settings
from comptoir.services.ports import Clock, PasswordHasher, system_clock


def create_app(
    settings: Settings | None = None, *, hasher: PasswordHasher | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the shop's ASGI app.

    `hasher` and `clock` default to argon2id and the system clock; tests pass cheaper or
    fixed ones. The database engine is disposed when the app's lifespan ends.
    """
    settings = (settings or Settings()).with_secrets_ensured()
    logs.configure()
    engine = make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="comptoir",
        version=__version__,
        description=(
            "Orders and payments for small shops. Log in with `POST /api/auth/login`, then send "
            "`Authorization: Bearer <access_token>`. Amounts are integer minor units next to an ISO "
            "currency; quantities are exact decimals. Errors are application/problem+json with a stable `code`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.uow_factory = sql_unit_of_work_factory(engine)
    app.state.hasher = hasher or Argon2PasswordHasher()
    app.state.tokens = JwtTokens(settings.jwt_secret.get_secret_value(), settings.jwt_ttl_seconds)
    app.state.clock = clock or system_clock
    problems.install(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(catalog.router)
    app.include_router(orders.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext)
    return app

"""The composition root: `create_app(settings)` wires adapters into services and services into routes."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from comptoir import __version__, logs, web
from comptoir.adapters.db.attempts import SqlAttemptCounter
from comptoir.adapters.db.engine import make_engine, make_read_engine, serialises_transactions
from comptoir.adapters.db.uow import sql_unit_of_work_factory
from comptoir.adapters.mail import ConsoleMailer, SmtpMailer
from comptoir.adapters.rate_limits import LimitsAttemptCounter
from comptoir.adapters.security import Argon2PasswordHasher, JwtTokens
from comptoir.adapters.stripe_gateway import StripeGateway, StripeNotConfigured
from comptoir.api import health, problems
from comptoir.api.compat import cards_without_webhooks, course, klikandgo, porsche
from comptoir.api.lanes import DatabaseLane
from comptoir.api.middleware import BodySizeLimit, RequestContext
from comptoir.api.routers import auth, catalog, merchant, orders, payments
from comptoir.api.security_headers import SecurityHeaders
from comptoir.config import Settings
from comptoir.services.login_guard import DoorLimits, LoginGuard
from comptoir.services.merchant import feed
from comptoir.services.messages.notifications import Mailer
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import Clock, PasswordHasher, system_clock
from comptoir.web import api_docs, seed_landings
from comptoir.worker import Worker, WorkerSchedule


def build_gateway(settings: Settings) -> PaymentGateway:
    """Stripe (or a sandbox at COMPTOIR_STRIPE_API_BASE) when a key is set; otherwise a clear refusal."""
    if settings.stripe_secret_key is None:
        return StripeNotConfigured()
    return StripeGateway(
        settings.stripe_secret_key.get_secret_value(),
        [secret.get_secret_value() for secret in settings.stripe_webhook_secrets],
        api_base=settings.stripe_api_base,
        payment_method_types=settings.stripe_payment_method_types,
    )


def build_login_guard(settings: Settings, engine: Engine) -> LoginGuard:
    """The limits on failed logins and registrations, counted where COMPTOIR_RATE_LIMIT_STORAGE says:
    `database` for the shop's own database, otherwise a `limits` storage URI (memory://, redis://...)."""
    limits = DoorLimits.of(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        login_window_seconds=settings.login_window_seconds,
        registrations=settings.registrations_per_address,
        registration_window_seconds=settings.registration_window_seconds,
    )
    storage = settings.rate_limit_storage.get_secret_value()
    counter = SqlAttemptCounter(engine) if storage == "database" else LimitsAttemptCounter(storage)
    return LoginGuard(counter, limits)


def build_mailer(settings: Settings) -> Mailer:
    return SmtpMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url else ConsoleMailer(settings.mail_from)


def create_app(
    settings: Settings | None = None,
    *,
    hasher: PasswordHasher | None = None,
    clock: Clock | None = None,
    gateway: PaymentGateway | None = None,
    mailer: Mailer | None = None,
    run_worker: bool = False,
    worker_schedule: WorkerSchedule | None = None,
) -> FastAPI:
    """Build the shop's ASGI app.

    `hasher` and `clock` default to argon2id and the system clock; tests pass cheaper or
    fixed ones. `gateway` defaults to Stripe as configured, `mailer` to SMTP or the console.
    With `run_worker` (the embedded demo), the outbox and reconciler run in a thread for the
    app's lifetime. The database engine is disposed when the app's lifespan ends.
    """
    settings = (settings or Settings()).with_secrets_ensured()
    logs.configure()
    engine = make_engine(settings.effective_database_url)
    uow_factory = sql_unit_of_work_factory(engine, default_language=settings.default_language)
    read_engine = make_read_engine(engine)
    feed_hub = feed.FeedHub(sql_unit_of_work_factory(read_engine))
    uow_factory.on_history_committed(feed_hub.wake)
    gateway = gateway or build_gateway(settings)
    mailer = mailer or build_mailer(settings)
    clock = clock or system_clock

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker = (
            Worker(uow_factory, gateway, mailer, clock, worker_schedule, zone=settings.time_zone_info)
            if run_worker
            else None
        )
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            feed_hub.close()
            if read_engine is not engine:
                read_engine.dispose()
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
        docs_url=None,  # served by api_docs, from the package rather than a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.uow_factory = uow_factory
    app.state.db_lane = DatabaseLane(serialised=serialises_transactions(engine))
    app.state.feed_hub = feed_hub
    app.state.hasher = hasher or Argon2PasswordHasher()
    app.state.tokens = JwtTokens(settings.jwt_secret.get_secret_value(), settings.jwt_ttl_seconds)
    app.state.clock = clock
    app.state.gateway = gateway
    app.state.mailer = mailer
    # Set when the server is asked to stop: open event streams end at once instead of holding the
    # shutdown until they time out (the lifespan's shutdown only comes after every response ended).
    app.state.stopping = threading.Event()
    app.state.login_guard = build_login_guard(settings, engine)
    problems.install(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(catalog.router)
    app.include_router(orders.router)
    app.include_router(payments.router)
    app.include_router(merchant.router)
    web.install(app, settings, clock)
    api_docs.install(app)
    # the seed documents' routes and pages; none shares a method and path with a native route
    for compat in (porsche.router, seed_landings.porsche, course.router, klikandgo.router, seed_landings.klikandgo):
        app.include_router(compat)
    app.include_router(cards_without_webhooks.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, uploads=web.UPLOADS)
    app.add_middleware(RequestContext)
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app

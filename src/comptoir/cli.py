"""The `comptoir` command line: migrate, seed the demo, create accounts, serve.

Like `app.py`, this is a composition root: it builds settings, the database engine and the
password hasher, and hands them to services.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from typer.core import TyperCommand, TyperGroup, TyperOption

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.config import (
    EmbeddedSandbox,
    EmbeddedSandboxUnreadable,
    InsecureSettingsError,
    Settings,
    describe_invalid,
)
from comptoir.domain.errors import ComptoirError
from comptoir.sandbox.cli import sandbox as sandbox_command
from comptoir.sandbox.cli import sandbox_group
from comptoir.serving import CannotListen, ServerSpec, listen


class _FlagsTakeNoValue:
    """typer's rich help prints every option's type, so flags read `--dev <bool>` as if they took a
    value; an empty metavar leaves a flag's type column blank (click ignores a flag's metavar)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
                param.metavar = ""
        return params


class _Command(_FlagsTakeNoValue, TyperCommand):
    pass


class _Group(_FlagsTakeNoValue, TyperGroup):
    pass


def _typer(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, cls=_Group)


app = _typer("comptoir: orders and payments for small shops.")
db_app = _typer("Database schema commands.")
app.add_typer(db_app, name="db")
events_app = _typer("Recorded Stripe webhook events.")
app.add_typer(events_app, name="events")


@functools.wraps(sandbox_command)
def sandbox(**options: Any) -> None:
    """The sandbox's own command, on a port bound first as `serve` binds its own: a taken port is one
    `error:` line and exit 2, not uvicorn's bind error."""
    try:
        sock = listen(options["host"], options["port"], "--port")
    except CannotListen as exc:
        _fail(str(exc))
    sandbox_command(**options | {"port": sock.getsockname()[1], "fd": sock.detach()})


app.add_typer(
    sandbox_group(
        sandbox,
        _Group,
        help="Run the offline Stripe-compatible sandbox alone, like `stripe listen` (no subcommand), or "
        "drive a running one: trigger, events, logs.",
    ),
    name="sandbox",
)


DataOption = Annotated[
    Path | None, typer.Option("--data", help="Data folder (SQLite file, generated secrets). Env: COMPTOIR_DATA_DIR.")
]


class RoleChoice(StrEnum):
    customer = "customer"
    merchant = "merchant"
    admin = "admin"


def _fail(message: str) -> NoReturn:
    """A configuration mistake: one line on stderr and exit code 2, never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _settings(data: Path | None = None, **overrides: object) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(describe_invalid(exc))
    updates = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        updates["data_dir"] = data
    return settings.model_copy(update=updates) if updates else settings


@db_app.command("upgrade", cls=_Command)
def db_upgrade(data: DataOption = None) -> None:
    """Apply every migration to the configured database (SQLite in the data folder by default)."""
    from sqlalchemy.exc import OperationalError

    from comptoir.adapters.db.migrate import upgrade

    settings = _settings(data)
    url = settings.effective_database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = upgrade(url)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
        _fail(f"cannot reach the database {_safe_url(url)}: {reason} (check COMPTOIR_DATABASE_URL)")
    if done.before is None:
        typer.echo(f"database created: {done.applied} migrations applied, now at {done.after}: {_safe_url(url)}")
    elif done.applied:
        typer.echo(
            f"database upgraded: {done.applied} migrations applied, {done.before} -> {done.after}: {_safe_url(url)}"
        )
    else:
        typer.echo(f"database is up to date ({done.after}): {_safe_url(url)}")


@app.command("seed-demo", cls=_Command)
def seed_demo(data: DataOption = None) -> None:
    """Create the demo shops, products and logins (idempotent: existing rows are left as they are).

    Run `comptoir db upgrade` first.
    """
    from comptoir.adapters.security import Argon2PasswordHasher
    from comptoir.services import demo

    with _database(_settings(data)) as uow_factory:
        summary = demo.seed_demo(uow_factory(), Argon2PasswordHasher())
    for label, created, existing in (
        ("shops", summary.shops_created, summary.shops_existing),
        ("products", summary.products_created, summary.products_existing),
        ("users", summary.users_created, summary.users_existing),
    ):
        typer.echo(f"{label}: {len(created)} created, {len(existing)} already there")
        for name in created:
            typer.echo(f"  + {name}")
    typer.echo("demo logins (email / password):")
    for email, password, role in demo.DEMO_LOGINS:
        typer.echo(f"  {role.value:<9} {email} / {password}")


@app.command("demo-order", cls=_Command)
def demo_order(
    note: Annotated[str, typer.Option(help="The pickup note the customer writes.")] = "demain 10h",
    data: DataOption = None,
) -> None:
    """Place a demo order at the demo butcher's (0,750 kg of entrecôte and a terrine, to pay at pickup)
    as the demo customer: the counter board rings for it. Run `comptoir seed-demo` first."""
    from comptoir.services import demo
    from comptoir.services.ports import system_clock

    settings = _settings(data)
    with _database(settings) as uow_factory:
        try:
            order = demo.place_demo_order(uow_factory(), now=system_clock(), note=note)
        except ComptoirError as exc:
            _fail(str(exc))
    typer.echo(f"order {order.number} placed at {demo.KLIKANDGO} by {demo.DEMO_CUSTOMER}, to pay at pickup")
    typer.echo(f"  the customer's pickup code: {order.pickup_code}")
    typer.echo(f"  the butcher's board rings at {settings.public_url.rstrip('/')}/merchant (boucher@example.com)")


@app.command("create-shop", cls=_Command)
def create_shop(
    slug: Annotated[str, typer.Option(help="Short name in URLs and for `create-user --shop`: a-z, 0-9, hyphens.")],
    name: Annotated[str, typer.Option(help="The shop's name, shown to customers and on the payment page.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code of the prices.")] = "EUR",
    time_zone: Annotated[
        str | None, typer.Option(help="IANA time zone of the shop's day (default: COMPTOIR_TIME_ZONE).")
    ] = None,
    address: Annotated[str, typer.Option(help="Postal address, shown for pickup.")] = "",
    opening_hours: Annotated[str, typer.Option(help="Opening hours as customers read them.")] = "",
    pickup: Annotated[bool, typer.Option("--pickup/--no-pickup", help="Customers collect at the shop.")] = True,
    delivery: Annotated[bool, typer.Option("--delivery/--no-delivery", help="The shop delivers.")] = False,
    online: Annotated[bool, typer.Option("--online/--no-online", help="Customers pay online.")] = True,
    pay_at_pickup: Annotated[
        bool, typer.Option("--pay-at-pickup/--no-pay-at-pickup", help="Customers pay at the counter.")
    ] = False,
    capture_manually: Annotated[
        bool,
        typer.Option(
            "--capture-manually",
            help="Weighed goods: online payments only authorise the total plus --capture-margin; "
            "the weighed amount is taken when the order is ready.",
        ),
    ] = False,
    capture_margin: Annotated[int, typer.Option(help="Percent authorised above the total (0 to 50).")] = 0,
    slot_minutes: Annotated[int, typer.Option(help="Length of a pickup slot in minutes (5 to 240).")] = 15,
    slot_capacity: Annotated[int, typer.Option(help="Orders per pickup slot (1 to 200).")] = 4,
    data: DataOption = None,
) -> None:
    """Create a shop; then `create-user --role merchant --shop SLUG` gives it a merchant."""
    from comptoir.domain.shop_settings import ShopSettings
    from comptoir.services import shops

    settings = _settings(data)
    wanted = ShopSettings(
        name=name,
        currency=currency,
        time_zone=time_zone if time_zone is not None else settings.time_zone,
        address=address,
        opening_hours=opening_hours,
        offers_pickup=pickup,
        offers_delivery=delivery,
        accepts_online=online,
        accepts_on_pickup=pay_at_pickup,
        capture_manually=capture_manually,
        capture_margin_percent=capture_margin,
        pickup_slot_minutes=slot_minutes,
        pickup_slot_capacity=slot_capacity,
    )
    with _database(settings) as uow_factory:
        try:
            shop = shops.create_shop(uow_factory(), slug, wanted)
        except ComptoirError as exc:
            typer.echo(f"error ({exc.code}): {exc.detail}", err=True)
            raise typer.Exit(1) from exc
    s = shop.settings
    ways = [w for w, on in (("pickup", s.offers_pickup), ("delivery", s.offers_delivery)) if on]
    pays = [w for w, on in (("online", s.accepts_online), ("at pickup", s.accepts_on_pickup)) if on]
    typer.echo(f"created shop {shop.slug} (id {shop.id}): {s.name}, {s.currency}, {s.time_zone}")
    typer.echo(
        f"  {' and '.join(ways)}; paid {' or '.join(pays)}"
        + (f"; weighed goods captured later (margin {s.capture_margin_percent}%)" if s.capture_manually else "")
    )
    typer.echo(f"  pickup slots of {s.pickup_slot_minutes} min, {s.pickup_slot_capacity} orders each")
    typer.echo(f"next: comptoir create-user --role merchant --shop {shop.slug} --email EMAIL")


@app.command("create-user", cls=_Command)
def create_user(
    email: Annotated[str, typer.Option(help="Login email (stored lower-case).")],
    role: Annotated[RoleChoice, typer.Option(help="customer, merchant (needs --shop) or admin.")],
    shop: Annotated[
        list[str] | None, typer.Option("--shop", help="Slug of a shop the merchant manages; repeat for several.")
    ] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str | None, typer.Option(help="At least 8 characters. Asked for (hidden, twice) when omitted.")
    ] = None,
    data: DataOption = None,
) -> None:
    """Create an account: the only way to make merchants (bound to their shops) and admins."""
    from comptoir.adapters.security import Argon2PasswordHasher
    from comptoir.domain.actors import Role
    from comptoir.services import accounts

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database(_settings(data)) as uow_factory:
        try:
            user = accounts.create_user(
                uow_factory(), Argon2PasswordHasher(), email, password, Role(role.value), shop or [], name=name
            )
        except ComptoirError as exc:
            typer.echo(f"error ({exc.code}): {exc.detail}", err=True)
            raise typer.Exit(1) from exc
    shops = f", shops {sorted(user.shop_ids)}" if user.shop_ids else ""
    typer.echo(f"created {user.role.value} {user.email} (id {user.id}{shops})")


@app.command(cls=_Command)
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; 0.0.0.0 to accept other machines.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the shop's HTTP API; 0 picks a free one.")] = 8000,
    data: DataOption = None,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development mode (env COMPTOIR_DEV=1): without COMPTOIR_JWT_SECRET, generate one and keep it "
            "in the data folder; without STRIPE_SECRET_KEY, run the embedded test sandbox. Without it, a missing, "
            "placeholder or short secret stops the start.",
        ),
    ] = False,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Outside --dev, allow running without STRIPE_SECRET_KEY: the embedded test sandbox takes the "
            "payments, so nobody really pays. Without it (or a key), the start stops.",
        ),
    ] = False,
) -> None:
    """Serve the shop until Ctrl+C. Without STRIPE_SECRET_KEY (with --dev or --sandbox), also the
    embedded Stripe sandbox (hosted checkout page, test cards, signed webhooks) and the background worker.

    Run `comptoir db upgrade` first; `comptoir seed-demo` for a catalog to play with.
    """
    from comptoir.serving import run_servers

    settings = _settings(data, dev=True if dev else None)
    try:
        settings = settings.with_secrets_ensured()
    except InsecureSettingsError as exc:
        _fail(str(exc))
    if settings.uses_embedded_sandbox and not (settings.dev or sandbox):
        _fail(
            "STRIPE_SECRET_KEY is not set: set it (sk_live_… or sk_test_…, with STRIPE_WEBHOOK_SECRET) to take "
            "payments, or pass --sandbox to let the embedded test sandbox take them (nobody really pays)"
        )
    demo_logins = _demo_logins_present(settings)
    try:
        shop_sock = listen(host, port, "--port")
        sandbox_sock = (
            listen("127.0.0.1", settings.sandbox_port, "COMPTOIR_SANDBOX_PORT")
            if settings.uses_embedded_sandbox
            else None
        )
    except CannotListen as exc:
        _fail(str(exc))
    if "public_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_url": _local_url(host, shop_sock.getsockname()[1])})
    specs = servers_to_run(settings, shop_sock, sandbox_sock)
    _print_banner(settings, specs, demo_logins)
    if settings.uses_embedded_sandbox and not settings.dev:
        typer.echo(
            "WARNING: no STRIPE_SECRET_KEY and --sandbox: payments go to the embedded TEST sandbox; "
            "test cards pay and nobody is charged",
            err=True,
        )
    run_servers(specs)


def servers_to_run(
    settings: Settings, shop_sock: socket.socket, sandbox_sock: socket.socket | None
) -> list[ServerSpec]:
    """Every HTTP server `comptoir serve` runs on the given listening sockets, the shop first.

    With no Stripe key, the embedded sandbox is built first (its state in `<data>/sandbox`, on
    ``sandbox_sock``), forwarding signed events to this shop's webhook route; the shop is then given the
    sandbox's API base, keys and webhook secret, and runs the worker in-process. The sandbox's
    address and keys are kept in the data folder for `reconcile`, `worker` and `events replay`. Its clock
    follows the sandbox clock, so moving the sandbox clock (to settle a SEPA debit, to expire a
    session) moves the shop's time too: one world, one time, as in the e2e harness. Otherwise a
    sandbox ahead by more than a minute refuses every new session's `expires_at`.
    """
    import time
    from datetime import UTC, datetime

    from pydantic import SecretStr

    from comptoir.app import create_app
    from comptoir.sandbox import SandboxConfig
    from comptoir.sandbox.server import build_server
    from comptoir.worker import WorkerSchedule

    specs: list[ServerSpec] = []
    clock = None
    embedded = sandbox_sock is not None
    if sandbox_sock is not None:
        shop_host, shop_port = shop_sock.getsockname()[:2]
        sandbox = build_server(
            host="127.0.0.1",
            port=sandbox_sock.getsockname()[1],
            data_dir=settings.data_dir / "sandbox",
            forward_to=f"{_local_url(shop_host, shop_port)}/webhooks/stripe",
            log_level="warning",
            config=SandboxConfig(business_name="comptoir demo"),
        )
        found = EmbeddedSandbox(sandbox.url, sandbox.secret_key, sandbox.publishable_key, sandbox.webhook_secret)
        settings.remember_embedded_sandbox(found)
        settings = settings.model_copy(
            update={
                "stripe_secret_key": SecretStr(found.secret_key),
                "stripe_publishable_key": found.publishable_key,
                "stripe_webhook_secrets": [SecretStr(found.webhook_secret)],
                "stripe_api_base": found.api_base,
            }
        )
        specs.append(ServerSpec(name="sandbox", app=sandbox.app, sock=sandbox_sock, quiet=True))
        sandbox_clock = sandbox.sandbox.clock
        clock = lambda: datetime.fromtimestamp(time.time() + sandbox_clock.offset, UTC)  # noqa: E731
    schedule = WorkerSchedule(settings.outbox_every_seconds, settings.reconcile_every_seconds)
    shop = create_app(settings, clock=clock, run_worker=embedded, worker_schedule=schedule)
    return [ServerSpec(name="comptoir", app=shop, sock=shop_sock, on_stop=shop.state.stopping.set), *specs]


@app.command(cls=_Command)
def worker(data: DataOption = None) -> None:
    """Send queued mail and reconcile payments with Stripe on a schedule, until Ctrl+C.

    Needed beside `serve` when a real STRIPE_SECRET_KEY is set (the embedded demo runs it in-process).
    Without a key, it uses the embedded sandbox of a `comptoir serve` on the same data folder.
    """
    from comptoir import logs
    from comptoir.app import build_gateway, build_mailer
    from comptoir.services.ports import system_clock
    from comptoir.worker import Worker, WorkerSchedule

    settings, provider = _payment_settings(data)
    logs.configure()  # the JSON lines `serve` writes, so one log pipeline reads both processes
    with _database(settings) as uow_factory:
        job = Worker(
            uow_factory,
            build_gateway(settings),
            build_mailer(settings),
            system_clock,
            WorkerSchedule(settings.outbox_every_seconds, settings.reconcile_every_seconds),
            zone=settings.time_zone_info,
        )
        typer.echo(
            f"worker running: outbox every {settings.outbox_every_seconds:g}s, "
            f"reconcile every {settings.reconcile_every_seconds:g}s, payments through {provider} (Ctrl+C to stop)"
        )
        with suppress(KeyboardInterrupt):  # a second Ctrl+C, while the job in progress still runs
            job.run_until_signalled()
        typer.echo("worker stopped")


@app.command(cls=_Command)
def reconcile(data: DataOption = None) -> None:
    """Repair what webhooks missed, once: paid sessions still pending, expired sessions still holding stock.

    Without STRIPE_SECRET_KEY, it uses the embedded sandbox of a `comptoir serve` on the same data folder.
    """
    from comptoir.app import build_gateway
    from comptoir.services import reconciliation
    from comptoir.services.ports import system_clock

    settings, _ = _payment_settings(data)
    with _database(settings) as uow_factory:
        report = reconciliation.reconcile(uow_factory(), build_gateway(settings), now=system_clock())
    typer.echo(f"checked {report.checked} payment attempts; {len(report.repairs)} repaired")
    for repair in report.repairs:
        typer.echo(f"  {repair.order_id}  {repair.action:<17} {repair.reference}")
    for error in report.errors:
        typer.echo(f"  error: {error}", err=True)
    if report.errors:
        raise typer.Exit(1)


@events_app.command("replay", cls=_Command)
def events_replay(
    event_id: Annotated[str | None, typer.Argument(help="The evt_… id of a recorded event.")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Replay every event whose processing failed.")] = False,
    data: DataOption = None,
) -> None:
    """Run recorded webhook events through the same handler again (safe: handlers are idempotent)."""
    from comptoir.app import build_gateway
    from comptoir.services.payments import webhooks
    from comptoir.services.ports import system_clock

    if (event_id is None) == (not failed):
        typer.echo("error: give an EVENT_ID or --failed (not both)", err=True)
        raise typer.Exit(2)
    settings, _ = _payment_settings(data)
    gateway = build_gateway(settings)
    exit_code = 0
    with _database(settings) as uow_factory:
        ids = [event_id] if event_id else webhooks.failed_event_ids(uow_factory())
        if not ids:
            typer.echo("no failed events to replay")
        for current in ids:
            try:
                result = webhooks.replay(uow_factory(), gateway, current, now=system_clock())
            except ComptoirError as exc:
                what = "not replayed" if exc.code == "event_not_found" else "failed again"
                typer.echo(f"{current}: {what} ({exc.detail})", err=True)
                exit_code = 1
                continue
            typer.echo(f"{current}  {result.type:<40} {result.status} {result.outcome}".rstrip())
    raise typer.Exit(exit_code)


def _payment_settings(data: Path | None) -> tuple[Settings, str]:
    """Settings for a command that calls Stripe, and where its calls go: a malformed key is refused,
    and without a key the embedded sandbox a `comptoir serve` left in the data folder is used."""
    settings = _settings(data)
    try:
        settings.check_stripe_key()
    except InsecureSettingsError as exc:
        _fail(str(exc))
    if not settings.uses_embedded_sandbox:
        return settings, settings.stripe_api_base or "Stripe"
    try:
        found = settings.with_embedded_sandbox()
    except EmbeddedSandboxUnreadable as exc:
        _fail(str(exc))
    if found.uses_embedded_sandbox:
        return found, "nowhere (STRIPE_SECRET_KEY is unset and no `comptoir serve` embedded a sandbox here)"
    return found, f"the embedded sandbox at {found.stripe_api_base}"


def _print_banner(settings: Settings, specs: list[ServerSpec], demo_logins: list[tuple[str, str, str]]) -> None:
    shop = specs[0]
    base = _local_url(shop.host, shop.port)
    typer.echo(f"comptoir {'(dev mode) ' if settings.dev else ''}is starting")
    typer.echo(f"  API       {base}/api/shops")
    typer.echo(f"  API docs  {base}/docs")
    typer.echo(f"  counter   {base}/merchant   (the live counter board: sign in with a merchant login)")
    typer.echo(f"  health    {base}/healthz")
    for spec in specs[1:]:
        typer.echo(f"  {spec.name:<9} {spec.base_url}")
        webhooks = getattr(getattr(spec.app, "state", None), "webhooks", None)
        if webhooks is not None:  # the embedded sandbox: say how it delivers, and the seed that replays it
            typer.echo(f"  {'':<9} webhook faults: {webhooks.faults.describe()}")
    typer.echo(f"  database  {_safe_url(settings.effective_database_url)}")
    if demo_logins:
        typer.echo("demo logins (email / password):")
        for role, email, password in demo_logins:
            typer.echo(f"  {role:<9} {email} / {password}")
    typer.echo("stop with Ctrl+C")


def _demo_logins_present(settings: Settings) -> list[tuple[str, str, str]]:
    """(role, email, password) of the demo accounts that exist; exits with a hint if the DB is not ready."""
    from comptoir.services import accounts, demo

    with _database(settings) as uow_factory:
        present = accounts.registered_emails(uow_factory(), [email for email, _, _ in demo.DEMO_LOGINS])
    return [(role.value, email, password) for email, password, role in demo.DEMO_LOGINS if email in present]


@contextmanager
def _database(settings: Settings) -> Iterator[SqlUnitOfWorkFactory]:
    """A unit-of-work factory on the configured database; a missing schema becomes a hint, not a traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from comptoir.adapters.db.engine import make_engine
    from comptoir.adapters.db.uow import sql_unit_of_work_factory

    engine = make_engine(settings.effective_database_url)
    try:
        yield sql_unit_of_work_factory(engine, default_language=settings.default_language)
    except (OperationalError, ProgrammingError) as exc:
        typer.echo(
            f"error: cannot use the database {_safe_url(settings.effective_database_url)}: {exc.orig}\n"
            "run `comptoir db upgrade` first (and check COMPTOIR_DATABASE_URL / --data)",
            err=True,
        )
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _local_url(host: str, port: int) -> str:
    """A URL a browser on this machine can open (a wildcard bind address is not one)."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - recognising a wildcard, not binding to one
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()

#!/usr/bin/env python3
"""Webhook ingest throughput: signed `checkout.session.completed` events against the same server's /healthz.

    .venv/bin/python bench/webhook_ingest.py [--events 1000] [--concurrency 8] [--db sqlite|postgresql]

One run:
  1. makes a temporary data folder and a database (SQLite there, or a fresh PostgreSQL database
     on --postgres-url, dropped at the end), migrates it, and seeds through the services one
     shop, one merchant, one customer and --events pending online orders (`place_order`), each
     with a checkout attempt whose provider_id is the session id its event will carry;
  2. starts the shop (bench/_webhook_server.py: uvicorn, the normal create_app(), the real
     StripeGateway verifying signatures with a known whsec_ secret) on a free 127.0.0.1 port;
  3. builds one `checkout.session.completed` event per order (paid, amount and currency matching
     the order) plus --duplicates of them again (default 30%: the same event id, as Stripe resends
     it), shuffled. Bodies are serialised up front; each is signed with
     stripe.WebhookSignature.generate_signature_header just before it is sent, so the 5-minute
     tolerance always holds;
  4. warms up, then measures GET /healthz (the bare HTTP stack, no database) and
     POST /webhooks/stripe, each at --concurrency connections (httpx async, keep-alive), the same
     number of requests in each phase, in --rounds rounds (default 3) that alternate which phase
     goes first, so that a drift of a shared machine's speed during the run weighs on both phases
     alike; each round's ratio is printed too, which shows how noisy the machine was (later rounds
     are faster: a copy tends to come after its original, so they hold more of the duplicates);
  5. prints requests/s, p50/p99 latency, server CPU per request, the ratio of webhook to /healthz
     throughput over all rounds (the issue's goal: >= 0.5 on SQLite) and each round's, and then
     checks in the database that every order was fulfilled exactly once: confirmed and paid, one
     payment ledger entry, its receipt and merchant alert queued once, every event recorded once,
     and every extra copy answered `duplicate`. A failed check exits 1.

Traffic goes to 127.0.0.1 only; counts are bounded and each phase stops at --time-limit seconds.
Profile the server with py-spy while it runs: --hold keeps it up and prints its pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _webhook_server import VARIANTS  # the script's own folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve().parent / "_webhook_server.py"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
MAX_EVENTS = 20_000
MAX_CONCURRENCY = 256
MAX_ROUNDS = 20
ADDRESS = {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}


@dataclass
class Seeded:
    order_id: str
    total: int
    currency: str
    session_id: str
    intent_id: str


@dataclass
class Phase:
    name: str
    requested: int
    completed: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    timed_out: bool = False
    round_rps: list[float] = field(default_factory=list)

    def absorb(self, part: Phase) -> None:
        """Add one round of this phase to the run's totals."""
        self.completed += part.completed
        self.errors += part.errors
        self.error_samples = (self.error_samples + part.error_samples)[:5]
        for answer, count in part.answers.items():
            self.answers[answer] = self.answers.get(answer, 0) + count
        self.latencies_ms += part.latencies_ms
        self.wall_s += part.wall_s
        self.server_cpu_s += part.server_cpu_s
        self.timed_out |= part.timed_out
        self.round_rps.append(part.rps)

    @property
    def rps(self) -> float:
        return self.completed / self.wall_s if self.wall_s else 0.0

    def pct(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        return values[min(len(values), max(1, math.ceil(p / 100 * len(values)))) - 1]

    @property
    def cpu_ms_per_request(self) -> float:
        done = self.completed + self.errors
        return 1000 * self.server_cpu_s / done if done else float("nan")


# --------------------------------------------------------------------------- database


def make_database(
    kind: str, data_dir: Path, postgres_url: str | None, prefix: str = "comptoir_bench"
) -> tuple[str, str | None]:
    """(url of a fresh migrated database, name to drop afterwards or None); `prefix` names whose it is."""
    from comptoir.adapters.db.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{data_dir / 'comptoir.sqlite3'}"
        upgrade(url)
        return url, None
    if not postgres_url:
        raise SystemExit("--db postgresql needs --postgres-url (or COMPTOIR_TEST_POSTGRES_URL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url, name


def drop_database(postgres_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, count: int) -> list[Seeded]:
    """A shop, a merchant, a customer, and `count` pending orders each with an open checkout attempt."""
    from comptoir.adapters.db.engine import make_engine
    from comptoir.adapters.db.uow import sql_unit_of_work_factory
    from comptoir.domain.actors import Actor, Role
    from comptoir.records.payments import PaymentAttempt
    from comptoir.records.shop import Product, Shop, User
    from comptoir.services.orders import ordering

    engine = make_engine(url)
    uows = sql_unit_of_work_factory(engine)
    now = datetime.now(UTC)
    try:
        with uows() as uow:
            shop = uow.shops.add(
                Shop(
                    slug="bench",
                    name="Bench shop",
                    currency="EUR",
                    accepts_online=True,
                    accepts_on_pickup=False,
                    offers_delivery=True,
                    offers_pickup=False,
                )
            )
            product = uow.products.add(
                Product(
                    shop_id=shop.id,
                    name="Espresso cup",
                    description="",
                    unit="piece",
                    unit_price=1250,
                    stock_milli=(2 * count + 10) * 1000,
                    active=True,
                )
            )
            customer = uow.users.add(User(email="buyer@bench.test", password_hash="-", name="", role="customer"))
            merchant = uow.users.add(User(email="owner@bench.test", password_hash="-", name="", role="merchant"))
            uow.shops.add_merchant(shop.id, merchant.id)
            actor = Actor(customer.id, customer.email, Role.CUSTOMER)
            product_id = product.id
            uow.commit()
        command = ordering.PlaceOrder(
            shop="bench",
            lines=[ordering.LineRequest(product_id, 2)],
            payment_method="online",
            delivery_address=ADDRESS,
        )
        orders = [ordering.place_order(uows(), actor, command, now) for _ in range(count)]
        seeded = [
            Seeded(o.id, o.total, o.currency, f"cs_test_bench_{i:06d}", f"pi_bench_{i:06d}")
            for i, o in enumerate(orders)
        ]
        with uows() as uow:
            for s in seeded:
                uow.payments.add_attempt(
                    PaymentAttempt(
                        order_id=s.order_id,
                        number=1,
                        kind="checkout_session",
                        idempotency_key=f"order:{s.order_id}:checkout:1",
                        provider_id=s.session_id,
                        url=f"https://checkout.bench/{s.session_id}",
                        state="open",
                        expires_at=now + timedelta(hours=1),
                        created_at=now,
                        updated_at=now,
                    )
                )
            uow.commit()
        return seeded
    finally:
        engine.dispose()


def event_body(s: Seeded, created: int) -> str:
    session = {
        "id": s.session_id,
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "mode": "payment",
        "amount_total": s.total,
        "amount_subtotal": s.total,
        "currency": s.currency.lower(),
        "metadata": {"order_id": s.order_id},
        "client_reference_id": s.order_id,
        "payment_intent": s.intent_id,
        "customer_details": {"email": "buyer@bench.test"},
        "url": None,
        "expires_at": created + 3600,
        "created": created,
        "livemode": False,
    }
    event = {
        "id": f"evt_bench_{s.session_id[-6:]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "type": "checkout.session.completed",
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": session},
    }
    return json.dumps(event, separators=(",", ":"))


def check_database(url: str, seeded: list[Seeded]) -> list[tuple[str, bool, str]]:
    """(check, passed, detail) for: each order fulfilled once, one ledger entry, messages, events."""
    from sqlalchemy import func, select

    from comptoir.adapters.db.engine import make_engine
    from comptoir.records.payments import LedgerEntry, OutboxMessage, ReceivedEvent
    from comptoir.records.shop import Order

    ids = [s.order_id for s in seeded]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            states = dict(
                conn.execute(select(Order.id, Order.status + "/" + Order.payment_status).where(Order.id.in_(ids))).all()
            )
            per_order = dict(
                conn.execute(
                    select(LedgerEntry.order_id, func.count())
                    .where(LedgerEntry.kind == "payment")
                    .group_by(LedgerEntry.order_id)
                ).all()
            )
            outbox = dict(conn.execute(select(OutboxMessage.topic, func.count()).group_by(OutboxMessage.topic)).all())
            events = dict(
                conn.execute(
                    select(ReceivedEvent.status, func.count())
                    .where(ReceivedEvent.type == "checkout.session.completed")
                    .group_by(ReceivedEvent.status)
                ).all()
            )
    finally:
        engine.dispose()
    n = len(seeded)
    paid = sum(1 for state in states.values() if state == "confirmed/paid")
    once = sum(1 for i in ids if per_order.get(i) == 1)
    return [
        ("orders confirmed and paid", paid == n, f"{paid}/{n}"),
        (
            "one payment ledger entry per order",
            once == n and sum(per_order.values()) == n,
            f"{once}/{n} orders, {sum(per_order.values())} entries",
        ),
        (
            "receipt + merchant alert queued once each",
            outbox.get("receipt") == n and outbox.get("merchant_alert") == n,
            f"receipt {outbox.get('receipt', 0)}, merchant_alert {outbox.get('merchant_alert', 0)}",
        ),
        ("every event recorded once, processed", events == {"processed": n}, f"{events}"),
    ]


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """user+system CPU of a process (Linux /proc), 0.0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def start_server(port: int, url: str, secret: str, log_path: Path, variant: str = "app") -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPTOIR_", "STRIPE_"))}
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(SERVER),
            "--port",
            str(port),
            "--database-url",
            url,
            "--webhook-secret",
            secret,
            "--variant",
            variant,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    log.close()
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)  # polling a child process that is starting up, not synchronising tests
    stop_server(proc)
    raise SystemExit(f"the server did not answer /healthz within {READY_TIMEOUT:g}s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)


# --------------------------------------------------------------------------- load


async def run_phase(
    name: str,
    base: str,
    requests: list[tuple[str, str, str | None]],
    concurrency: int,
    secret: str,
    time_limit: float,
    pid: int,
) -> Phase:
    """Send (method, path, body) requests at `concurrency` connections; webhook bodies are signed at send time."""
    import httpx
    import stripe

    phase = Phase(name, len(requests))
    cursor = iter(range(len(requests)))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    deadline = time.monotonic() + time_limit

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            for index in cursor:
                if time.monotonic() > deadline:
                    phase.timed_out = True
                    return
                method, path, body = requests[index]
                headers = {}
                if body is not None:
                    headers = {
                        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret),
                        "Content-Type": "application/json",
                    }
                started = time.perf_counter()
                try:
                    response = await client.request(method, path, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    phase.errors += 1
                    if len(phase.error_samples) < 5:
                        phase.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                phase.latencies_ms.append(1000 * (time.perf_counter() - started))
                if response.status_code != 200:
                    phase.errors += 1
                    if len(phase.error_samples) < 5:
                        phase.error_samples.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                phase.completed += 1
                if body is not None:
                    status = response.json().get("status", "?")
                    phase.answers[status] = phase.answers.get(status, 0) + 1

        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        phase.wall_s = time.perf_counter() - started
        phase.server_cpu_s = cpu_seconds(pid) - cpu_before
    return phase


# --------------------------------------------------------------------------- report


def print_report(
    args: argparse.Namespace, health: Phase, hooks: Phase, duplicates: int, checks: list[tuple[str, bool, str]]
) -> bool:
    ratio = hooks.rps / health.rps if health.rps else float("nan")
    print()
    print(
        f"webhook ingest vs /healthz: {args.db}, {args.events} events + {duplicates} duplicates, "
        f"{args.concurrency} connections, 127.0.0.1, {os.cpu_count()} CPUs"
        + ("" if args.variant == "app" else f", WHAT-IF VARIANT {args.variant} (not comptoir as it ships)")
    )
    print(
        f"{'phase':<20} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'server CPU ms/req':>18}"
    )
    for phase in (health, hooks):
        print(
            f"{phase.name:<20} {phase.completed:>8} {phase.errors:>6} {phase.rps:>8.0f} {phase.pct(50):>8.1f} "
            f"{phase.pct(99):>8.1f} {phase.cpu_ms_per_request:>18.2f}" + ("  (TIMED OUT)" if phase.timed_out else "")
        )
    goal = " (goal >= 0.5 on SQLite)" if args.db == "sqlite" else ""
    print(f"ratio webhook/healthz throughput: {ratio:.2f}{goal}")
    rounds = [h / g if g else float("nan") for h, g in zip(hooks.round_rps, health.round_rps, strict=True)]
    if len(rounds) > 1:
        print(f"ratio per round (each phase first in turn): {' '.join(f'{r:.2f}' for r in rounds)}")
    print(f"webhook answers: {dict(sorted(hooks.answers.items()))}")
    for sample in health.error_samples + hooks.error_samples:
        print(f"  error sample: {sample}")
    answers_ok = hooks.answers == {"processed": args.events, "duplicate": duplicates} and not hooks.errors
    all_checks = [
        (
            "each event processed once, each copy answered duplicate",
            answers_ok,
            f"processed {hooks.answers.get('processed', 0)}/{args.events}, "
            f"duplicate {hooks.answers.get('duplicate', 0)}/{duplicates}",
        ),
        *checks,
    ]
    if args.variant in {"no-ingest", "record-only"}:
        print(f"checks: skipped (the {args.variant} variant applies nothing)")
        return answers_ok if args.variant == "record-only" else not hooks.errors
    print("checks:")
    for name, passed, detail in all_checks:
        print(f"  [{'ok' if passed else 'FAIL'}] {name}: {detail}")
    return all(passed for _, passed, _ in all_checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Replay signed checkout.session.completed events (with duplicates) against comptoir and "
        "compare with /healthz on the same server.",
        epilog=__doc__.split("One run:")[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--events", type=int, default=1000, help=f"distinct events = orders (max {MAX_EVENTS})")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections in both phases")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COMPTOIR_TEST_POSTGRES_URL"),
        help="server for --db postgresql (default: COMPTOIR_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--duplicates", type=float, default=0.3, help="extra copies, as a fraction of --events")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured /healthz requests and ignored events")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds each measured phase may take")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the measured requests are split in this many rounds of /healthz and webhooks, each phase "
        "first in turn, so a machine that slows down or speeds up during the run weighs on both phases alike",
    )
    parser.add_argument("--seed", type=int, default=1, help="shuffle seed")
    parser.add_argument(
        "--hold", action="store_true", help="print the server pid and wait for Enter before measuring (attach py-spy)"
    )
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default="app",
        help="what-if servers to take the cost apart: no-ingest (HTTP + signature only), ingest-on-loop (no "
        "thread hop), record-only (the event row alone, as if a worker applied it later); default app, comptoir "
        "as it ships",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.events <= MAX_EVENTS or not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--events must be 1..{MAX_EVENTS} and --concurrency 1..{MAX_CONCURRENCY}")
    if not 0 <= args.duplicates <= 1:
        parser.error("--duplicates must be between 0 and 1")
    if not 1 <= args.rounds <= min(MAX_ROUNDS, args.events):
        parser.error(f"--rounds must be 1..{MAX_ROUNDS} and at most --events")

    sys.path.insert(0, str(ROOT / "src"))
    secret = f"whsec_{secrets.token_hex(24)}"
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="comptoir-webhook-bench-") as tmp:
        data_dir = Path(tmp)
        url, pg_name = make_database(args.db, data_dir, args.postgres_url)
        try:
            started = time.perf_counter()
            seeded = seed(url, args.events)
            print(f"seeded {len(seeded)} pending orders with checkout attempts in {time.perf_counter() - started:.1f}s")
            created = int(time.time())
            bodies = [event_body(s, created) for s in seeded]
            duplicates = round(args.duplicates * args.events)
            sends = bodies + [rng.choice(bodies) for _ in range(duplicates)]
            rng.shuffle(sends)
            webhook_requests: list[tuple[str, str, str | None]] = [("POST", "/webhooks/stripe", b) for b in sends]
            health_requests: list[tuple[str, str, str | None]] = [("GET", "/healthz", None)] * len(sends)
            warm_events = [
                json.dumps(
                    {
                        "id": f"evt_warm_{i}",
                        "object": "event",
                        "type": "customer.created",
                        "created": created,
                        "data": {"object": {"id": f"cus_warm_{i}", "object": "customer"}},
                    }
                )
                for i in range(args.warmup)
            ]
            port = free_port()
            proc = start_server(port, url, secret, data_dir / "server.log", args.variant)
            try:
                base = f"http://127.0.0.1:{port}"
                if args.hold:
                    input(f"server pid {proc.pid} on {base}; attach a profiler, then press Enter ")
                warm = [("GET", "/healthz", None)] * args.warmup + [
                    ("POST", "/webhooks/stripe", b) for b in warm_events
                ]
                asyncio.run(run_phase("warmup", base, warm, args.concurrency, secret, args.time_limit, proc.pid))
                health = Phase("GET /healthz", len(health_requests))
                hooks = Phase("POST /webhooks/stripe", len(webhook_requests))
                for r in range(args.rounds):
                    part = slice(r * len(sends) // args.rounds, (r + 1) * len(sends) // args.rounds)
                    phases = [(health, health_requests[part]), (hooks, webhook_requests[part])]
                    for total, requests in phases if r % 2 == 0 else reversed(phases):
                        total.absorb(
                            asyncio.run(
                                run_phase(
                                    total.name, base, requests, args.concurrency, secret, args.time_limit, proc.pid
                                )
                            )
                        )
            finally:
                stop_server(proc)
            checks = check_database(url, seeded)
            ok = print_report(args, health, hooks, duplicates, checks)
        finally:
            if pg_name and args.postgres_url:
                drop_database(args.postgres_url, pg_name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Chaos proof: several comptoir processes on one database, kill -9 among them, then an audit of the money.

    .venv/bin/python bench/chaos.py [--db postgresql|sqlite] [--checkouts 2000] [--buyers 16] [--kill-every 3]

One run:
  1. a fresh database (PostgreSQL: a new database on --pg-url, dropped at the end; SQLite: one file in
     one data folder shared by both serve processes), migrated, seeded with one shop and three products
     (one of them scarce, so buyers race for the last items);
  2. a standalone sandbox (`comptoir sandbox`, its own data folder) with fault injection on: each delivery
     duplicated with --duplicate, held and shuffled in windows of --reorder-window, dropped with --drop;
     with --api-faults, comptoir's API calls are also answered 500 / 429 rate_limit / 429 lock_timeout, slowed,
     or executed with their response lost (until the settle phase: then the outage is over);
  3. two `comptoir serve` processes and one `comptoir worker` on that database, talking to the sandbox
     with the official SDK. The sandbox has one webhook endpoint per serve process, so every event reaches
     BOTH processes, concurrently, each copy duplicated/reordered/dropped on its own draw: the two
     processes race to apply the same event (a round-robin forwarder would give each event to one process
     and test less). Buyers spread their requests over both processes as a load balancer would;
  4. --buyers concurrent buyers (httpx, doing what a browser does), --checkouts in all, each with its own
     order: pay on the hosted Checkout page (some with a 3-D Secure card, some declined first), pay with
     `/pay` (some 3-D Secure, some declined first), cancel (some after opening the hosted page; a third of
     those then pay it anyway, from a tab left open), or abandon an open Checkout Session. A buyer who hits
     a killed process retries the same step, like a browser, with a bounded backoff;
  5. meanwhile, every --kill-every seconds, `kill -9` of a random serve process or the worker, restarted at
     once on the same port;
  6. then: every process up again, the sandbox clock moved past the sessions' expiry (32 minutes: abandoned
     sessions expire at the sandbox and their `checkout.session.expired` events reach the shop), deliveries
     awaited, `comptoir reconcile` run once, the worker's duplicate refunds awaited;
  7. the audit, order by order, of the sandbox's PaymentIntents and Refunds (read through the SDK) against
     comptoir's orders, ledger and stock: it prints checkouts, paid, lost, doubled, kept on cancelled
     orders, stuck, stock leaked and ledger mismatches, each on its own line, and exits 1 if any of the last six
     is not 0.

What the figures mean:
  lost             orders with money taken at the sandbox that comptoir does not know: a succeeded
                   PaymentIntent with no payment entry in the ledger, or an order not cancelled whose
                   money at the sandbox covers its total while comptoir does not say it is paid;
  doubled          orders whose money kept at the sandbox (received minus refunded) exceeds their total;
  kept on cancelled orders
                   cancelled orders with money kept at the sandbox;
  stock leaked     units missing or extra: seeded stock minus (shelf stock + quantities of orders that are
                   not cancelled and did not release their hold), summed over products;
  stuck            orders neither terminal nor payable after the settle phase: not cancelled, not paid and
                   moved on, and not a pending order its buyer can still pay (hold running) or pays at pickup;
  ledger mismatches
                   orders whose ledger (payments - refunds + reversals) differs from the sandbox's money.

The shop's own clock is wall time (an external sandbox does not move it), so an abandoned order keeps its
hold until its 30 minutes are over in real time: its stock counts as held, not leaked.

Everything is bounded: request timeouts, retries, --time-limit for the buyers, --settle-timeout for the
deliveries; every process is started in its own session and killed on exit (Ctrl+C included).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the buyer's browser of the tests (tests/servers.py)
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
import stripe  # noqa: E402
from webhook_ingest import drop_database, make_database  # noqa: E402 - the script's own folder is on sys.path

from tests.servers import Buyer, Page, free_port  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 20.0
RETRIES = 10
MAX_BACKOFF = 2.0
EXPIRY_WAIT = 32 * 60
"""Sandbox seconds that take every session of the run (30 min hold) past its `expires_at`."""
API_KEY = "sk_test_chaos" + "0" * 20
PASSWORD = "chaos-password-1"
ADDRESS = {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}
CARD_OK, CARD_3DS, CARD_DECLINED = "4242424242424242", "4000002760003184", "4000000000000002"
PM_OK, PM_3DS, PM_DECLINED = "pm_card_visa", "pm_card_threeDSecure2Required", "pm_card_chargeDeclined"
PLAN = {
    "hosted": 6,
    "hosted-3ds": 2,
    "hosted-declined-first": 1,
    "pay": 3,
    "pay-3ds": 1,
    "pay-declined-first": 1,
    "cancel": 1,
    "cancel-after-session": 1,
    "cancel-then-pay": 1,
    "abandon": 3,
}
"""What every block of 20 buyers does (shuffled within the block), so even a small run has each story:
pay on the hosted page 45% (3-D Secure, or declined then another card, now and then), `/pay` 25%,
cancel 15% (with the hosted page open, and for one in three, paying it anyway from that tab), abandon 15%."""
FIGURES = ("lost", "doubled", "kept on cancelled orders", "stuck", "stock leaked", "ledger mismatches")
API_FAULT_PATHS = ("/v1/checkout/sessions*", "/v1/payment_intents*", "/v1/refunds*")
"""Where --api-faults strike: every call comptoir makes, none of the script's own set-up calls."""


class GaveUp(Exception):
    """A buyer's step still failed after its retries."""


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """One child process the run starts, kills and restarts."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready_url: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT, start_new_session=True
            )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Poll the process's health URL (if it has one) until it answers, or fail with its log."""
        if self.ready_url is None:
            return
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while time.monotonic() < deadline:
            if not self.alive:
                raise SystemExit(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.ready_url, timeout=2.0, headers={"Authorization": f"Bearer {API_KEY}"}).is_success:
                    return
            except httpx.TransportError:
                pass
            pause.wait(0.1)  # a child process starting up
        raise SystemExit(f"{self.name} did not answer {self.ready_url} within {timeout:g}s")

    def kill9(self) -> None:
        if self.alive and self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(STOP_TIMEOUT)


def comptoir_command() -> str:
    script = Path(sys.executable).parent / "comptoir"
    if not script.exists():
        raise SystemExit(f"no `comptoir` command next to {sys.executable}: run `make install`")
    return str(script)


@dataclass
class Stack:
    sandbox: Proc
    serves: list[Proc]
    worker: Proc
    shop_env: dict[str, str]
    sandbox_url: str

    @property
    def shop_urls(self) -> list[str]:
        return [urlsplit(p.ready_url or "")._replace(path="").geturl() for p in self.serves]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = httpx.request(
            method,
            f"{self.sandbox_url}/_sandbox/{path}",
            json=body,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=120.0,
        )
        answer.raise_for_status()
        return answer.json()


def start_stack(args: argparse.Namespace, work: Path, database_url: str | None, started: list[Proc]) -> Stack:
    """The sandbox, one webhook endpoint per serve process, the two serve processes and the worker; each
    process is added to `started` before it starts, so a failure half-way leaves none behind."""
    comptoir = comptoir_command()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPTOIR_", "STRIPE_"))}
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    sandbox = Proc(
        "sandbox",
        [
            comptoir,
            "sandbox",
            "--port",
            str(port),
            "--data",
            str(work / "sandbox"),
            "--api-key",
            API_KEY,
            "--faults",
            "none",
            "--duplicate",
            str(args.duplicate),
            "--reorder-window",
            str(args.reorder_window),
            "--drop",
            str(args.drop),
            "--seed",
            str(args.seed),
            "--retry-schedule",
            args.retry_schedule,
            *api_fault_flags(args.api_faults),
            "--log-level",
            "warning",
        ],
        clean,
        work / "sandbox.log",
        f"{sandbox_url}/_sandbox/clock",
    )
    started.append(sandbox)
    sandbox.start()
    sandbox.wait_ready()
    client = sandbox_client(sandbox_url)
    ports = [free_port(), free_port()]
    webhook_secrets = [
        client.v1.webhook_endpoints.create({"url": f"http://127.0.0.1:{p}/webhooks/stripe", "enabled_events": ["*"]})
        for p in ports
    ]
    shop_env = {
        **clean,
        "COMPTOIR_DATA_DIR": str(work / "shop"),
        "COMPTOIR_JWT_SECRET": secrets.token_urlsafe(48),
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_chaos" + "0" * 20,
        "STRIPE_WEBHOOK_SECRET": ",".join(str(endpoint.secret) for endpoint in webhook_secrets),
        "COMPTOIR_STRIPE_API_BASE": sandbox_url,
        "COMPTOIR_RECONCILE_EVERY_SECONDS": str(args.reconcile_every),
        "COMPTOIR_OUTBOX_EVERY_SECONDS": "1",
        # Every buyer comes from 127.0.0.1: the per-address limits on registrations and failed logins are for
        # one attacker's address, not for a load test's thousands of customers behind one.
        "COMPTOIR_REGISTRATIONS_PER_ADDRESS": str(max(20, 2 * args.checkouts)),
        "COMPTOIR_LOGIN_FAILURES_PER_ADDRESS": str(max(50, 2 * args.checkouts)),
    }
    if database_url:
        shop_env["COMPTOIR_DATABASE_URL"] = database_url
    serves = [
        Proc(
            f"serve-{name}",
            [comptoir, "serve", "--port", str(p)],
            # Each process with its own public address, the harder case: a Checkout retry that lands on the other
            # process must still send the parameters stored with its attempt, under the same idempotency key.
            shop_env | {"COMPTOIR_PUBLIC_URL": f"http://127.0.0.1:{p}"},
            work / f"serve-{name}.log",
            f"http://127.0.0.1:{p}/healthz",
        )
        for name, p in zip("ab", ports, strict=True)
    ]
    worker = Proc("worker", [comptoir, "worker"], shop_env, work / "worker.log")
    stack = Stack(sandbox, serves, worker, shop_env, sandbox_url)
    for proc in [*serves, worker]:
        started.append(proc)
        proc.start()
    for proc in serves:
        proc.wait_ready()
    return stack


def api_fault_flags(rate: float) -> list[str]:
    """Each of 500, 429 rate_limit, 429 lock_timeout, lost response and slow answer at ``rate``."""
    if not rate:
        return []
    flags = [f"--api-{kind}={rate:g}" for kind in ("error", "rate-limit", "lock-timeout", "lost", "slow")]
    return [*flags, "--api-delay", "0.2-1", *(f"--api-path={path}" for path in API_FAULT_PATHS)]


def sandbox_client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": url}, max_network_retries=2)


# --------------------------------------------------------------------------- seed


@dataclass(frozen=True)
class Catalog:
    product_ids: list[int]
    seeded_milli: dict[int, int]


def seed(url: str, checkouts: int) -> Catalog:
    """One shop (online, delivery, EUR), its merchant, two plentiful products and a scarce one."""
    from comptoir.adapters.db.engine import make_engine
    from comptoir.adapters.db.uow import sql_unit_of_work_factory
    from comptoir.domain.actors import Role
    from tests.factories import add_product, add_shop, add_user

    stocks = {
        "Espresso cup": 3 * checkouts + 10,
        "Teapot": 3 * checkouts + 10,
        "Last copper pan": checkouts * 3 // 4 + 2,
    }
    engine = make_engine(url)
    try:
        uows = sql_unit_of_work_factory(engine)
        shop = add_shop(uows, slug="chaos")
        add_user(uows, role=Role.MERCHANT, shops=[shop])
        products = [
            add_product(uows, shop, name=name, unit_price=price, stock=units)
            for (name, units), price in zip(stocks.items(), (1250, 3400, 8900), strict=True)
        ]
        return Catalog([p.id for p in products], {p.id: stocks[p.name] * 1000 for p in products})
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- buyers


@dataclass
class Tally:
    """What the buyers did and met, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    sold_out: int = 0
    halt: threading.Event = field(default_factory=threading.Event)
    server_errors: Counter[str] = field(default_factory=Counter)
    gave_up: list[str] = field(default_factory=list)


class Shopper:
    """One buyer's browser: its own HTTP client, the shop behind a load balancer, the sandbox's pages."""

    def __init__(self, stack: Stack, tally: Tally, rng: random.Random, accounts: Accounts) -> None:
        self.stack, self.tally, self.rng, self.accounts = stack, tally, rng, accounts
        self.http = httpx.Client(follow_redirects=False, timeout=REQUEST_TIMEOUT)
        self.browser = Buyer(self.http)

    def close(self) -> None:
        self.http.close()

    def _backoff(self, attempt: int) -> None:
        with self.tally.lock:
            self.tally.retries += 1
        threading.Event().wait(min(MAX_BACKOFF, 0.1 * 2**attempt) * self.rng.uniform(0.5, 1.0))

    def shop(
        self, method: str, path: str, account: int | None = None, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        """A request to any serve process; retried (same request, same `key` as its Idempotency-Key) while
        processes are down or answer 5xx."""
        for attempt in range(RETRIES):
            if self.tally.halt.is_set():
                raise GaveUp("the run is stopping")
            headers = {"Authorization": f"Bearer {self.accounts.token(self, account)}"} if account is not None else {}
            if key is not None:
                headers["Idempotency-Key"] = key
            base = self.rng.choice(self.stack.shop_urls)
            try:
                answer = self.http.request(method, base + path, json=body, headers=headers)
            except httpx.TransportError:
                self._backoff(attempt)
                continue
            if answer.status_code >= 500:
                with self.tally.lock:
                    self.tally.server_errors[f"{answer.status_code} {method} {path.split('/')[2]}"] += 1
                self._backoff(attempt)
                continue
            if answer.status_code == 401 and account is not None:
                self.accounts.forget(account)
                continue
            return answer
        raise GaveUp(f"{method} {path}")

    def land(self, page: Page) -> None:
        """Follow the sandbox's redirect back to the shop (success page), on any live serve process."""
        if page.status in {302, 303} and page.location.startswith("http://127.0.0.1") and "/checkout/" in page.location:
            parts = urlsplit(page.location)
            self.shop("GET", f"{parts.path}?{parts.query}")

    def pay_hosted(self, url: str, card: str) -> str:
        """Pay the hosted Checkout page by card (3-D Secure completed); the page's answer in one word."""
        try:
            page = self.browser.pay_card(url, card)
        except AssertionError:
            return "page_refused"  # the session is no longer open (paid, expired)
        if page.status == 200:
            return "declined" if page.alert() else "page_refused"
        if "/3ds/" in page.location:
            page = self.browser.choose_3ds(page.location, "complete")
        self.land(page)
        return "paid"

    def order(self, account: int) -> dict[str, Any]:
        """Two of the three products; if one is sold out (409), the same order without the scarce one.
        Each order has its own Idempotency-Key, so a request retried after a kill places it once."""
        products = self.rng.sample(self.accounts.product_ids, 2)
        for lines in (products, self.accounts.product_ids[:2]):
            answer = self.shop(
                "POST",
                "/api/orders",
                account,
                {
                    "shop": "chaos",
                    "lines": [{"product_id": p, "quantity": self.rng.randint(1, 2)} for p in lines],
                    "payment_method": "online",
                    "delivery_address": ADDRESS,
                },
                key=f"chaos-{self.rng.getrandbits(64):016x}",  # a retry after a kill finds the order it placed
            )
            if answer.status_code == 201:
                created: dict[str, Any] = answer.json()
                return created
            if answer.status_code != 409:
                break
            with self.tally.lock:
                self.tally.sold_out += 1
        raise GaveUp(f"order: {answer.status_code} {answer.text[:200]}")

    def session_url(self, account: int, order_id: str) -> str | None:
        answer = self.shop("POST", f"/api/orders/{order_id}/checkout-session", account)
        if answer.status_code != 200:
            return None
        url: str = answer.json()["url"]
        return url

    def pay_api(self, account: int, order_id: str, payment_method: str) -> str:
        answer = self.shop("POST", f"/api/orders/{order_id}/pay", account, {"payment_method_id": payment_method})
        if answer.status_code == 402:
            return "declined"
        if answer.status_code != 200:
            return f"pay_{answer.status_code}"
        paid = answer.json()
        if paid["status"] == "requires_action":
            intent = paid["payment_intent_id"]
            self.browser.choose_3ds(
                f"{self.stack.sandbox_url}/3ds/{intent}?client_secret={paid['client_secret']}", "complete"
            )
            answer = self.shop("POST", f"/api/orders/{order_id}/pay", account, {"payment_intent_id": intent})
            if answer.status_code != 200:
                return f"pay_{answer.status_code}"
            paid = answer.json()
        return "paid" if paid["status"] == "succeeded" else paid["status"]

    def run(self, plan: str, account: int) -> str:
        """One buyer's story (see PLAN); what happened, in a word."""
        order_id = self.order(account)["id"]
        if plan.startswith("hosted"):
            url = self.session_url(account, order_id)
            if url is None:
                return "no_session"
            if plan == "hosted-declined-first" and self.pay_hosted(url, CARD_DECLINED) != "declined":
                return "decline_not_declined"
            return self.pay_hosted(url, CARD_3DS if plan == "hosted-3ds" else CARD_OK)
        if plan.startswith("pay"):
            if plan == "pay-declined-first" and self.pay_api(account, order_id, PM_DECLINED) != "declined":
                return "decline_not_declined"
            return self.pay_api(account, order_id, PM_3DS if plan == "pay-3ds" else PM_OK)
        if plan == "abandon":
            return "abandoned" if self.session_url(account, order_id) else "no_session"
        url = self.session_url(account, order_id) if plan != "cancel" else None
        answer = self.shop("POST", f"/api/orders/{order_id}/cancel", account, {"reason": "changed my mind"})
        if answer.status_code != 200:
            return f"cancel_{answer.status_code}"
        if url is not None and plan == "cancel-then-pay":
            return f"cancelled, then the open page: {self.pay_hosted(url, CARD_OK)}"
        return "cancelled"


class Accounts:
    """The buyers' customer accounts, registered over HTTP; one access token each, renewed on 401."""

    def __init__(self, count: int, product_ids: list[int]) -> None:
        self.count = count
        self.product_ids = product_ids
        self._tokens: dict[int, str] = {}
        self._lock = threading.Lock()

    def forget(self, account: int) -> None:
        with self._lock:
            self._tokens.pop(account, None)

    def token(self, shopper: Shopper, account: int) -> str:
        with self._lock:
            known = self._tokens.get(account)
        if known:
            return known
        email = f"buyer{account}@chaos.test"
        credentials = {"email": email, "password": PASSWORD}
        answer = shopper.shop("POST", "/api/auth/register", None, {**credentials, "name": f"Buyer {account}"})
        if answer.status_code == 409:  # registered by an earlier try that a kill cut short
            answer = shopper.shop("POST", "/api/auth/login", None, credentials)
        if not answer.is_success:
            raise GaveUp(f"account {email}: {answer.status_code} {answer.text[:200]}")
        token: str = answer.json()["access_token"]
        with self._lock:
            self._tokens[account] = token
        return token


def buyer_plans(count: int, rng: random.Random) -> list[str]:
    block = [plan for plan, times in PLAN.items() for _ in range(times)]
    plans: list[str] = []
    while len(plans) < count:
        rng.shuffle(block)
        plans += block
    return plans[:count]


def run_buyers(args: argparse.Namespace, stack: Stack, catalog: Catalog, tally: Tally, kills: list[str]) -> bool:
    """Every buyer, --buyers at a time, progress on stderr; False when --time-limit cut the run short."""
    accounts = Accounts(min(args.checkouts, args.accounts), catalog.product_ids)
    kinds = buyer_plans(args.checkouts, random.Random(args.seed))
    deadline = time.monotonic() + args.time_limit
    local = threading.local()
    shoppers: list[Shopper] = []

    def buy(index: int) -> None:
        if time.monotonic() > deadline:
            with tally.lock:
                tally.outcomes["not_started (time limit)"] += 1
            return
        if not hasattr(local, "shopper"):
            local.shopper = Shopper(stack, tally, random.Random(), accounts)
            shoppers.append(local.shopper)
        shopper: Shopper = local.shopper
        shopper.rng.seed(args.seed * 1_000_003 + index)
        try:
            outcome = f"{kinds[index]}: {shopper.run(kinds[index], index % accounts.count)}"
        except (GaveUp, httpx.HTTPError, AssertionError) as exc:
            outcome = f"{kinds[index]}: gave up"
            with tally.lock:
                tally.gave_up.append(f"{type(exc).__name__}: {exc}"[:300])
        with tally.lock:
            tally.outcomes[outcome] += 1
            finished = sum(tally.outcomes.values())
        if finished % max(1, args.checkouts // 10) == 0:
            print(f"  {finished}/{args.checkouts} buyers done, {len(kills)} kills", file=sys.stderr, flush=True)

    pool = ThreadPoolExecutor(args.buyers, thread_name_prefix="buyer")
    try:
        list(pool.map(buy, range(args.checkouts)))
    finally:  # on Ctrl+C too: buyers not started are dropped, the running ones give up at their next request
        tally.halt.set()
        pool.shutdown(wait=False, cancel_futures=True)
    for shopper in shoppers:
        shopper.close()
    return time.monotonic() <= deadline


def kill_now_and_then(args: argparse.Namespace, stack: Stack, stop: threading.Event, log: list[str]) -> None:
    """kill -9 a random serve process or the worker every --kill-every seconds, restarting it at once."""
    rng = random.Random(args.seed + 1)
    targets = [*stack.serves, stack.worker]
    while not stop.wait(args.kill_every):
        if args.kills and len(log) >= args.kills:
            return
        victim = rng.choice(targets)
        victim.kill9()
        log.append(victim.name)
        for last_try in (False, False, True):  # a restart that fails (the port not free yet) is tried again
            victim.start()
            try:
                victim.wait_ready()
                break
            except SystemExit:
                victim.stop()
                if last_try:
                    raise


# --------------------------------------------------------------------------- settle


def wait_for(probe: Any, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if probe():
            return True
        pause.wait(every)
    return bool(probe())


def open_duplicate_flags(url: str) -> int:
    from sqlalchemy import func, select

    from comptoir.adapters.db.engine import make_engine
    from comptoir.records.payments import OrderReview

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stmt = select(func.count()).where(
                OrderReview.code == "duplicate_payment", OrderReview.resolved_at.is_(None)
            )
            return int(conn.scalar(stmt.select_from(OrderReview)) or 0)
    finally:
        engine.dispose()


def settle(args: argparse.Namespace, stack: Stack, url: str) -> tuple[bool, str]:
    """Everything up, sessions expired at the sandbox, deliveries over, one `comptoir reconcile`, duplicate
    refunds done. Returns (settled within --settle-timeout, the reconciler's summary line)."""
    for proc in [*stack.serves, stack.worker]:
        if not proc.alive:
            proc.start()
        proc.wait_ready()
    if args.api_faults:  # the outage is over: what comptoir left behind must now be repaired
        stack.control("PUT", "api_faults", {})
    stack.control("POST", "deliveries/flush")
    stack.control("POST", "clock/advance", {"seconds": EXPIRY_WAIT})

    def deliveries_done() -> bool:
        stack.control("POST", "deliveries/flush")
        return not stack.control("GET", "deliveries?status=pending&limit=1")["data"]

    delivered = wait_for(deliveries_done, args.settle_timeout)
    done = subprocess.run(
        [comptoir_command(), "reconcile"],
        env=stack.shop_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=args.settle_timeout,
        check=False,
    )
    summary = (done.stdout.splitlines() or ["(no output)"])[0] + (
        f"; exit {done.returncode}" if done.returncode else ""
    )
    if done.returncode:
        summary += "\n" + (done.stdout + done.stderr)[-2000:]
    refunded = wait_for(lambda: open_duplicate_flags(url) == 0, args.settle_timeout)
    return delivered and refunded, summary


# --------------------------------------------------------------------------- audit


@dataclass
class Audit:
    orders: int = 0
    paid: int = 0
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    examples: dict[str, list[str]] = field(default_factory=dict)
    intents: int = 0
    refunds: int = 0
    sandbox_money: int = 0

    def count(self, figure: str, example: str, amount: int = 1) -> None:
        self.figures[figure] += amount
        samples = self.examples.setdefault(figure, [])
        if len(samples) < 5:
            samples.append(example)


def audit(stack: Stack, url: str, catalog: Catalog) -> Audit:
    """Compare, order by order, the sandbox's money with comptoir's orders, ledger and stock."""
    from sqlalchemy import func, select

    from comptoir.adapters.db.engine import make_engine
    from comptoir.records.payments import LedgerEntry
    from comptoir.records.shop import Order, OrderLine, Product

    client = sandbox_client(stack.sandbox_url)
    received: dict[str, int] = Counter()  # order id -> money received at the sandbox
    taken: dict[str, list[str]] = {}  # order id -> succeeded PaymentIntents
    result = Audit()
    for intent in client.v1.payment_intents.list({"limit": 100}).auto_paging_iter():
        result.intents += 1
        order_id = intent.metadata.to_dict().get("order_id") if intent.metadata else None
        if order_id and intent.amount_received:
            received[order_id] += intent.amount_received
            taken.setdefault(order_id, []).append(intent.id)
    intent_order = {pi: order for order, pis in taken.items() for pi in pis}
    refunded: dict[str, int] = Counter()
    for refund in client.v1.refunds.list({"limit": 100}).auto_paging_iter():
        result.refunds += 1
        order_id = intent_order.get(str(refund.payment_intent))
        if order_id and refund.status in {"succeeded", "pending", "requires_action"}:
            refunded[order_id] += refund.amount
    signs = {"payment": 1, "refund": -1, "refund_reversal": 1}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            orders = conn.execute(
                select(
                    Order.id,
                    Order.status,
                    Order.payment_status,
                    Order.total,
                    Order.payment_method,
                    Order.hold_expires_at,
                )
            ).all()
            ledger_net: dict[str, int] = Counter()
            recorded: set[str] = set()
            for order_id, kind, amount, external_id in conn.execute(
                select(LedgerEntry.order_id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.external_id)
            ):
                ledger_net[order_id] += signs[kind] * amount
                if kind == "payment":
                    recorded.add(external_id)
            shelf = dict(conn.execute(select(Product.id, Product.stock_milli)).all())
            held = dict(
                conn.execute(
                    select(OrderLine.product_id, func.sum(OrderLine.quantity_milli))
                    .join(Order, Order.id == OrderLine.order_id)
                    .where(Order.status != "cancelled", Order.stock_released_at.is_(None))
                    .group_by(OrderLine.product_id)
                ).all()
            )
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    for order_id, status, payment_status, total, method, hold_expires_at in orders:
        result.orders += 1
        result.paid += payment_status == "paid"
        kept = received[order_id] - refunded[order_id]
        result.sandbox_money += kept
        unknown = [pi for pi in taken.get(order_id, []) if pi not in recorded]
        if unknown or (status != "cancelled" and kept >= total > 0 and payment_status not in {"paid"}):
            result.count("lost", f"{order_id} {status}/{payment_status} kept {kept} of {total}, unrecorded {unknown}")
        if kept > total:
            result.count("doubled", f"{order_id} {status}/{payment_status} kept {kept} for a total of {total}")
        if status == "cancelled" and kept > 0:
            result.count("kept on cancelled orders", f"{order_id} {payment_status} kept {kept}")
        if is_stuck(status, payment_status, method, hold_expires_at, now):
            result.count("stuck", f"{order_id} {status}/{payment_status}, hold until {hold_expires_at}")
        if ledger_net[order_id] != kept:
            result.count("ledger mismatches", f"{order_id} ledger {ledger_net[order_id]}, sandbox {kept}")
    for product_id, seeded in catalog.seeded_milli.items():
        missing = seeded - int(shelf.get(product_id, 0)) - int(held.get(product_id, 0) or 0)
        if missing:
            result.count("stock leaked", f"product {product_id}: {missing / 1000:+g} units", abs(missing) // 1000)
    return result


def is_stuck(status: str, payment_status: str, method: str, hold_expires_at: datetime | None, now: datetime) -> bool:
    """Neither terminal nor payable: not cancelled, not paid and moved on, and not a pending order the buyer
    can still pay (unpaid or failed, its hold still running) or pays at the counter."""
    settled = {"paid", "partially_refunded", "refunded"}
    if status == "cancelled" or (payment_status in settled and status != "pending"):
        return False
    if hold_expires_at is not None and hold_expires_at.tzinfo is None:
        hold_expires_at = hold_expires_at.replace(tzinfo=UTC)
    hold_live = hold_expires_at is None or hold_expires_at > now
    payable = status == "pending" and payment_status in {"unpaid", "failed"} and hold_live
    return not (payable or (method == "on_pickup" and payment_status not in settled))


def delivery_summary(sandbox_db: Path) -> str:
    """What the faults and the kills did to the webhooks, from the sandbox's own database (read-only).
    A copy sent by the `duplicate` fault leaves no row of its own, so duplicates are not counted here."""
    import sqlite3

    rows: Counter[str] = Counter()
    failed_per_event: Counter[str] = Counter()
    endpoints: set[str] = set()
    with closing(sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True)) as db:
        for event_id, endpoint_id, data in db.execute("SELECT event_id, endpoint_id, data FROM deliveries"):
            row = json.loads(data)
            endpoints.add(endpoint_id)
            if row["status"] == "succeeded":
                rows["delivered at the first attempt" if row["attempts"] <= 1 else "delivered after retries"] += 1
            elif row["status"] == "failed":
                failed_per_event[event_id] += 1
                dropped = "fault injection" in (row.get("last_error") or "")
                rows["dropped by fault injection" if dropped else "failed for good after retries"] += 1
            else:
                rows["still pending"] += 1
    to_neither = sum(1 for count in failed_per_event.values() if count == len(endpoints))
    return (
        f"webhook deliveries ({len(endpoints)} endpoints): "
        + ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
        + f"; events that reached no process: {to_neither}"
    )


# --------------------------------------------------------------------------- main


def print_report(args: argparse.Namespace, report: dict[str, Any], result: Audit) -> bool:
    print()
    print(
        f"chaos: {args.db}, {args.checkouts} checkouts by {args.buyers} concurrent buyers, 2 serve processes + "
        f"1 worker, kill -9 every {args.kill_every:g}s; faults duplicate {args.duplicate:g}, reorder window "
        f"{args.reorder_window}, drop {args.drop:g}, seed {args.seed}; API faults {args.api_faults:g} each; "
        f"{os.cpu_count()} CPUs"
    )
    for line in report["lines"]:
        print(line)
    print(f"orders in comptoir: {result.orders}; sandbox PaymentIntents {result.intents}, refunds {result.refunds}")
    print(f"checkouts: {args.checkouts}")
    print(f"paid: {result.paid}")
    for figure in FIGURES:
        print(f"{figure}: {result.figures[figure]}")
    for figure, samples in result.examples.items():
        for sample in samples:
            print(f"  {figure}: {sample}")
    return not any(result.figures.values())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="kill -9 among two serve processes and a worker during concurrent checkouts, then audit "
        "the sandbox's money against comptoir's.",
        epilog=__doc__.split("One run:")[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server (a fresh database is made)")
    parser.add_argument("--checkouts", type=int, default=200, help="buyers, each with one order (max 20000)")
    parser.add_argument("--buyers", type=int, default=16, help="concurrent buyers (max 128)")
    parser.add_argument("--accounts", type=int, default=50, help="customer accounts the buyers share")
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between two kill -9")
    parser.add_argument("--kills", type=int, default=0, help="stop killing after this many (0: no limit)")
    parser.add_argument("--duplicate", type=float, default=0.3)
    parser.add_argument("--reorder-window", type=int, default=5)
    parser.add_argument("--drop", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--api-faults",
        type=float,
        nargs="?",
        const=0.02,
        default=0.0,
        help="the sandbox answers this fraction of comptoir's API calls (default 0.02 each) with a 500, a 429 "
        "rate_limit, a 429 lock_timeout, a lost response (after the work), and makes as many slow",
    )
    parser.add_argument(
        "--retry-schedule", default="1,5,25", help="the sandbox's waits (s) before each retry of a failed delivery"
    )
    parser.add_argument("--reconcile-every", type=float, default=10.0, help="the worker's reconciler period (s)")
    parser.add_argument("--time-limit", type=float, default=3600.0, help="seconds the buyers may take")
    parser.add_argument("--settle-timeout", type=float, default=300.0, help="seconds for deliveries and refunds")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, sandbox data)")
    args = parser.parse_args(argv)
    if not 1 <= args.checkouts <= 20_000 or not 1 <= args.buyers <= 128 or args.accounts < 1:
        parser.error("--checkouts must be 1..20000, --buyers 1..128, --accounts >= 1")
    if args.kill_every <= 0:
        parser.error("--kill-every must be > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="comptoir-chaos-"))
    (work / "shop").mkdir()
    started: list[Proc] = []
    stop = threading.Event()
    killer: threading.Thread | None = None
    pg_name: str | None = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: no orphans
    try:
        url, pg_name = make_database(args.db, work / "shop", args.pg_url, prefix="comptoir_chaos")
        catalog = seed(url, args.checkouts)
        stack = start_stack(args, work, url if args.db == "postgresql" else None, started)
        tally, kills = Tally(), []
        killer = threading.Thread(target=kill_now_and_then, args=(args, stack, stop, kills), daemon=True)
        begun = time.monotonic()
        killer.start()
        in_time = run_buyers(args, stack, catalog, tally, kills)
        stop.set()
        killer.join(READY_TIMEOUT + STOP_TIMEOUT)
        buying = time.monotonic() - begun
        api_faults = stack.control("GET", "api_faults") if args.api_faults else None
        settled, reconciled = settle(args, stack, url)
        result = audit(stack, url, catalog)
        by_target = Counter(kills)
        lines = [
            f"buyers done in {buying:.0f}s{'' if in_time else ' (TIME LIMIT HIT)'}; "
            f"settled in {time.monotonic() - begun - buying:.0f}s{'' if settled else ' (SETTLE TIMEOUT HIT)'}",
            f"kills: {len(kills)} ({', '.join(f'{k} {v}' for k, v in sorted(by_target.items()))})",
            "buyer outcomes: " + json.dumps(dict(sorted(tally.outcomes.items()))),
            f"buyer retries: {tally.retries}; orders refused sold out (then placed without it): {tally.sold_out}; "
            f"5xx answers: {dict(tally.server_errors) or 0}",
            *(f"  gave up: {g}" for g in tally.gave_up[:5]),
            delivery_summary(work / "sandbox" / "sandbox.sqlite3"),
            *(
                [f"API faults injected: {api_faults['injected']} {json.dumps(api_faults['injected_by_kind'])}"]
                if api_faults
                else []
            ),
            f"comptoir reconcile: {reconciled}",
        ]
        ok = print_report(args, {"lines": lines}, result) and settled
    finally:  # the killer first, so that it restarts nothing once the processes are being stopped
        stop.set()
        if killer is not None:
            killer.join(READY_TIMEOUT + STOP_TIMEOUT)
        for proc in reversed(started):
            proc.stop()
        if pg_name:
            drop_database(args.pg_url, pg_name)
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Merchant alert latency: paid orders arriving by signed webhooks, seen by many SSE clients of the shop's feed.

    .venv/bin/python bench/merchant_alert.py [--clients 50] [--orders 200] [--rate 4] [--db sqlite|postgresql]

One run:
  1. makes a temporary data folder and a database (SQLite there, or a fresh PostgreSQL database on
     --postgres-url, dropped at the end), migrated and seeded by bench/webhook_ingest.py's helpers: one
     shop, one customer and --orders pending online orders, each with an open checkout attempt;
  2. creates the shop's merchant with `comptoir create-user` (the CLI, as an operator would) and starts
     one comptoir service process on a free 127.0.0.1 port (bench/_webhook_server.py: the normal
     create_app(), the real StripeGateway verifying signatures with a known whsec_ secret);
  3. logs in --clients times as the merchant over HTTP (one session per board, as phones would) and
     measures GET /healthz alone for --baseline seconds: the **idle** baseline;
  4. opens --clients streams of GET /api/merchant/events (httpx streaming, one connection each, all in
     one asyncio loop) and waits until each has its `: connected` line (its cursor is open); measures
     /healthz for --baseline seconds more with the clients connected and no order arriving;
  5. sends one signed `checkout.session.completed` per order (signed as bench/webhook_ingest.py signs
     them) at --rate per second on a fixed schedule (open loop: a slow answer does not delay the next
     send), while a probe loop sends GET /healthz every --probe-interval seconds;
  6. waits until every client has every order's `order.paid` event, or --drain seconds after the last
     webhook answer, then closes the streams and stops the server.

What "delay" is: for each order and each client, the client's receipt of that order's `order.paid`
event minus the moment the bench received the webhook's 200 answer. The service answers only after
the webhook's transaction committed, so the answer is the closest observable point after the commit
(the order-history row's timestamp is taken when the request arrives, before its group waits in the
webhook lane and commits, so it is further from the commit); both ends are read on this process's
monotonic clock. An event can reach a client a little before the answer reaches the bench: such a
delay is negative and counted as it is. The delay from the history row's own timestamp (`at` in the
event, wall clock) is printed too, as an upper bound.

The feed reads the database once per shop for all its streams, at once when the service commits a
history change and every second for other processes' commits; here every webhook is committed by the
service itself, so the delay is the read and the writes to the clients, not the poll interval. The
issue's goal is p99 <= 1 s on SQLite.

Printed: delay p50/p99/max over every (order, client) pair; events expected and received per client
with missing = 0 (exit 1 otherwise, or if a webhook was not answered `processed`); /healthz p99
idle, with the clients connected, and under load, and the ratio of under load to idle.
Traffic goes to 127.0.0.1 only; counts are bounded and every phase stops at its deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _webhook_server import VARIANTS  # the script's own folder is on sys.path
from webhook_ingest import (
    Seeded,
    drop_database,
    event_body,
    free_port,
    make_database,
    seed,
    start_server,
    stop_server,
)

ROOT = Path(__file__).resolve().parent.parent
FEED = "/api/merchant/events"
STREAMS = {"api": FEED, "board": "/merchant/board/events"}
SHOP = "bench"  # the shop webhook_ingest.seed creates
MERCHANT_EMAIL = "alert-board@bench.test"
MERCHANT_PASSWORD = "alert-board-" + secrets.token_hex(8)
MAX_CLIENTS = 500
MAX_ORDERS = 20_000
MAX_RATE = 200.0
READ_TIMEOUT = 30.0
"""Longer than the feed's 15 s keep-alive: a silent stream this long is broken."""
CONNECT_TIMEOUT = 60.0
KEEPALIVE_EXPIRY = 2.0
"""Idle connections are dropped before uvicorn's 5 s keep-alive closes them: reusing one the server is
closing at that moment fails with ReadError, which is the client's race, not the service's fault."""


@dataclass
class Client:
    """One board: its stream's events, by order."""

    number: int
    token: str
    expected: int
    received: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    """order id -> (monotonic receipt, wall-clock receipt, the event's `at`), the first copy."""
    duplicates: int = 0
    reconnects: int = 0
    last_event_id: str | None = None
    error: str | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    complete: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Probe:
    """/healthz latencies of one phase."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


# --------------------------------------------------------------------------- set-up


def create_merchant(url: str, data_dir: Path) -> None:
    """The shop's merchant, made with the CLI as an operator would (the seed's own merchant has no password)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPTOIR_", "STRIPE_"))}
    env |= {"COMPTOIR_DATABASE_URL": url, "COMPTOIR_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-c", "from comptoir.cli import main; main()", "create-user"]
    command += ["--email", MERCHANT_EMAIL, "--role", "merchant", "--shop", SHOP, "--password", MERCHANT_PASSWORD]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"comptoir create-user failed:\n{done.stdout}{done.stderr}")


async def log_in(base: str, count: int) -> list[str]:
    import httpx

    tokens = []
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as http:
        for _ in range(count):
            response = await http.post("/api/auth/login", json={"email": MERCHANT_EMAIL, "password": MERCHANT_PASSWORD})
            if response.status_code != 200:
                raise SystemExit(f"merchant login answered {response.status_code}: {response.text[:300]}")
            tokens.append(response.json()["access_token"])
    return tokens


# --------------------------------------------------------------------------- the boards


async def board(base: str, client: Client, stop: asyncio.Event, stream: str = "api") -> None:
    """Follow the feed until `stop`; reconnect with Last-Event-ID when the server ends the stream.

    `stream`: "api", the JSON API's feed with the client's Bearer token; "board", the counter board's
    own stream (`/merchant/board/events`), after signing in through the sign-in page as a browser does."""
    import httpx

    timeout = httpx.Timeout(10.0, read=READ_TIMEOUT)
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
        if stream == "board":
            await sign_in_page(http)
        while not stop.is_set():
            headers = {"Accept": "text/event-stream"}
            if stream == "api":
                headers["Authorization"] = f"Bearer {client.token}"
            if client.last_event_id is not None:
                headers["Last-Event-ID"] = client.last_event_id
            try:
                async with http.stream("GET", STREAMS[stream], headers=headers) as response:
                    if response.status_code != 200:
                        client.error = f"{response.status_code}: {(await response.aread())[:200]!r}"
                        client.connected.set()
                        return
                    await read_stream(response, client)
            except httpx.HTTPError as exc:
                if stop.is_set():
                    return
                client.error = f"{type(exc).__name__}: {exc}"
            if not stop.is_set():
                client.reconnects += 1


async def sign_in_page(http: Any) -> None:
    """Sign in through the page's form (its CSRF token read from the page): the board's session cookie."""
    page = await http.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise SystemExit("the sign-in page has no CSRF token")
    form = {"email": MERCHANT_EMAIL, "password": MERCHANT_PASSWORD, "csrf_token": token.group(1)}
    answer = await http.post("/sign-in", data=form)
    if answer.status_code != 303:
        raise SystemExit(f"the sign-in page answered {answer.status_code}: {answer.text[:200]}")


async def read_stream(response: object, client: Client) -> None:
    """Parse `text/event-stream` lines into events; note each `order.paid` the first time it comes."""
    kind, data, event_id = "message", "", None
    async for line in response.aiter_lines():  # type: ignore[attr-defined]
        if line.startswith(": connected"):
            client.connected.set()
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line == "":
            if event_id is not None:
                client.last_event_id = event_id
            payload = json.loads(data) if kind in ("order.paid", "order") else {}
            if kind == "order" and payload.get("type") == "order.paid":  # the board's stream names the event in data
                kind = "order.paid"
            if kind == "order.paid":
                seen_at, seen_wall = time.monotonic(), time.time()
                order_id = payload["order_id"]
                if order_id in client.received:
                    client.duplicates += 1
                else:
                    client.received[order_id] = (seen_at, seen_wall, payload.get("at", ""))
                    if len(client.received) >= client.expected:
                        client.complete.set()
            elif kind == "token_expired":
                client.error = "token_expired"
            kind, data, event_id = "message", "", None


# --------------------------------------------------------------------------- load and probes


async def probe_healthz(base: str, probe: Probe, stop: asyncio.Event, interval: float) -> None:
    """GET /healthz every `interval` seconds (on a schedule, one at a time) until `stop`."""
    import httpx

    limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY)
    async with httpx.AsyncClient(base_url=base, timeout=10.0, limits=limits) as http:
        next_at = time.monotonic()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = await http.get("/healthz")
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                probe.latencies_ms.append(1000 * (time.perf_counter() - started))
            else:
                probe.errors += 1
            next_at += interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))


async def measure_healthz(base: str, name: str, seconds: float, interval: float) -> Probe:
    probe, stop = Probe(name), asyncio.Event()
    task = asyncio.create_task(probe_healthz(base, probe, stop, interval))
    try:
        await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        stop.set()
        await task
    return probe


@dataclass
class Webhooks:
    answered_at: dict[str, float] = field(default_factory=dict)
    """order id -> monotonic time its webhook's 200 `processed` answer reached the bench."""
    answer_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    late_sends: int = 0


async def send_webhooks(base: str, seeded: list[Seeded], rate: float, secret: str, hooks: Webhooks) -> None:
    """One signed checkout.session.completed per order, the i-th sent at start + i / rate."""
    import httpx
    import stripe

    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32, keepalive_expiry=KEEPALIVE_EXPIRY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as http:

        async def send(order: Seeded, body: str) -> None:
            headers = {
                "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret),
                "Content-Type": "application/json",
            }
            started = time.perf_counter()
            try:
                response = await http.post("/webhooks/stripe", content=body, headers=headers)
            except httpx.HTTPError as exc:
                hooks.failures.append(f"{order.order_id}: {type(exc).__name__}: {exc}")
                return
            answered = time.monotonic()
            status = response.json().get("status") if response.status_code == 200 else None
            if status != "processed":
                hooks.failures.append(f"{order.order_id}: {response.status_code} {response.text[:200]}")
                return
            hooks.answered_at[order.order_id] = answered
            hooks.answer_ms.append(1000 * (time.perf_counter() - started))

        created = int(time.time())
        start = time.monotonic()
        sends = []
        for i, order in enumerate(seeded):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the schedule of arrivals, not a synchronisation
            elif delay < -0.05:
                hooks.late_sends += 1
            sends.append(asyncio.create_task(send(order, event_body(order, created))))
        await asyncio.gather(*sends)


def start_profiler(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes] | None:
    """py-spy recording the service during the load phase (--profile), or None."""
    if not args.profile:
        return None
    command = [args.py_spy, "record", "--pid", str(pid), "--rate", "100", "--output", args.profile]
    command += ["--format", "raw" if args.profile.endswith(".txt") else "speedscope", "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(60)


async def run(
    args: argparse.Namespace, base: str, seeded: list[Seeded], secret: str, pid: int
) -> tuple[list[Client], Webhooks, list[Probe], float]:
    tokens = await log_in(base, args.clients)
    progress(f"{len(tokens)} merchant sessions; /healthz alone for {args.baseline:g}s")
    idle = await measure_healthz(base, "idle", args.baseline, args.probe_interval)

    stop_boards = asyncio.Event()
    clients = [Client(n, token, len(seeded)) for n, token in enumerate(tokens)]
    boards = [asyncio.create_task(board(base, c, stop_boards, args.stream)) for c in clients]
    try:
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), CONNECT_TIMEOUT)
    except TimeoutError:
        raise SystemExit(f"not every client connected within {CONNECT_TIMEOUT:g}s") from None
    refused = [c.error for c in clients if c.error]
    if refused:
        raise SystemExit(f"the feed refused {len(refused)} client(s), e.g. {refused[0]}")
    progress(f"{len(clients)} clients connected; /healthz for {args.baseline:g}s")
    connected = await measure_healthz(base, "clients connected", args.baseline, args.probe_interval)

    hooks = Webhooks()
    under_load, stop_probe = Probe("under load"), asyncio.Event()
    probing = asyncio.create_task(probe_healthz(base, under_load, stop_probe, args.probe_interval))
    progress(f"sending {len(seeded)} webhooks at {args.rate:g}/s")
    profiler = start_profiler(args, pid)
    started = time.monotonic()
    await send_webhooks(base, seeded, args.rate, secret, hooks)
    load_s = time.monotonic() - started
    stop_profiler(profiler)
    stop_probe.set()
    await probing
    expected = len(hooks.answered_at)
    progress(f"{expected} webhooks processed; waiting up to {args.drain:g}s for the clients' last events")
    for client in clients:
        client.expected = expected
        if len(client.received) >= expected:
            client.complete.set()
    with contextlib.suppress(TimeoutError):  # what did not come is reported as missing
        await asyncio.wait_for(asyncio.gather(*(c.complete.wait() for c in clients)), args.drain)
    stop_boards.set()
    for task in boards:
        task.cancel()
    await asyncio.gather(*boards, return_exceptions=True)
    return clients, hooks, [idle, connected, under_load], load_s


# --------------------------------------------------------------------------- report


def _wall(at: str) -> float | None:
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def report(
    args: argparse.Namespace, clients: list[Client], hooks: Webhooks, probes: list[Probe], load_s: float
) -> bool:
    delays_ms: list[float] = []
    from_row_ms: list[float] = []
    early = 0
    for client in clients:
        for order_id, (seen_at, seen_wall, at) in client.received.items():
            answered = hooks.answered_at.get(order_id)
            if answered is None:
                continue
            delay = 1000 * (seen_at - answered)
            early += delay < 0
            delays_ms.append(delay)
            row_wall = _wall(at)
            if row_wall is not None:
                from_row_ms.append(1000 * (seen_wall - row_wall))
    expected = len(hooks.answered_at)
    per_client = [sum(1 for o in c.received if o in hooks.answered_at) for c in clients]
    missing = sum(expected - got for got in per_client)
    duplicates = sum(c.duplicates for c in clients)
    sent = len(hooks.answered_at) + len(hooks.failures)

    print()
    print(
        f"merchant alert: {args.db}, {args.clients} SSE clients on one shop's {STREAMS[args.stream]}, {sent} paid "
        f"orders by signed "
        f"webhooks at {args.rate:g}/s (sent in {load_s:.1f}s), 127.0.0.1, {os.cpu_count()} CPUs"
        + ("" if args.variant == "app" else f", WHAT-IF VARIANT {args.variant} (not comptoir as it ships)")
    )
    print(
        f"webhooks: answered processed {expected}/{len(hooks.answered_at) + len(hooks.failures)}, failed "
        f"{len(hooks.failures)}, sent late {hooks.late_sends}; answer p50 {percentile(hooks.answer_ms, 50):.1f} ms "
        f"p99 {percentile(hooks.answer_ms, 99):.1f} ms"
    )
    print(
        f"events per client: expected {expected}, received min {min(per_client, default=0)} "
        f"max {max(per_client, default=0)}; duplicates {duplicates}; reconnects {sum(c.reconnects for c in clients)}"
    )
    print(f"missing: {missing}")
    print(
        f"delay webhook commit -> client (ms, {len(delays_ms)} events x clients): "
        f"p50 {percentile(delays_ms, 50):.0f}  p99 {percentile(delays_ms, 99):.0f}  "
        f"max {max(delays_ms, default=float('nan')):.0f}  (received before the answer: {early})"
        + ("  (goal p99 <= 1000 on SQLite)" if args.db == "sqlite" else "")
    )
    if from_row_ms:  # the API feed's events carry the row's `at`; the board's do not
        print(
            f"delay history row's at -> client (ms, upper bound): p50 {percentile(from_row_ms, 50):.0f}  "
            f"p99 {percentile(from_row_ms, 99):.0f}  max {max(from_row_ms, default=float('nan')):.0f}"
        )
    idle, under_load = probes[0], probes[-1]
    for probe in probes:
        print(
            f"/healthz {probe.name:<17} p50 {percentile(probe.latencies_ms, 50):6.1f} ms  p99 {probe.p99():6.1f} ms"
            f"  ({len(probe.latencies_ms)} probes, {probe.errors} errors)"
        )
    ratio = under_load.p99() / idle.p99() if idle.p99() else float("nan")
    print(f"/healthz p99 under load / idle: {ratio:.2f}")
    for sample in hooks.failures[:5]:
        print(f"  webhook failure: {sample}")
    for client in clients:
        if client.error:
            print(f"  client {client.number}: {client.error}")
            break
    return missing == 0 and not hooks.failures and duplicates == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Paid orders by signed webhooks at a steady rate, seen by many SSE clients of the merchant feed: "
        "the delay from each webhook's commit to each client, and /healthz on the same service.",
        epilog=__doc__.split("One run:")[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=50, help=f"SSE clients on the shop's feed (1..{MAX_CLIENTS})")
    parser.add_argument("--orders", type=int, default=200, help=f"paid orders, one webhook each (1..{MAX_ORDERS})")
    parser.add_argument("--rate", type=float, default=4.0, help=f"webhooks per second (up to {MAX_RATE:g})")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--stream",
        choices=sorted(STREAMS),
        default="board",
        help="board: the counter board's stream, signed in through the page (default); api: the JSON API's feed",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("COMPTOIR_TEST_POSTGRES_URL"),
        help="server for --db postgresql (default: COMPTOIR_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds of /healthz alone, then with clients")
    parser.add_argument("--probe-interval", type=float, default=0.05, help="seconds between /healthz probes")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for the last events")
    parser.add_argument(
        "--variant",
        choices=sorted(set(VARIANTS) - {"no-ingest", "record-only"}),  # those two apply no event
        default="app",
        help="what-if servers, labelled as such in the output: feed-no-window (the pollers read only ids above "
        "the last they sent), feed-poll-0.5s (they poll twice a second), both, ingest-on-loop (see webhook_ingest.py); "
        "default app, comptoir as it ships",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record the service with py-spy while the webhooks are sent (.txt: collapsed stacks, else speedscope)",
    )
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable for --profile")
    parser.add_argument(
        "--hold", action="store_true", help="print the server pid and wait for Enter before measuring (attach py-spy)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.orders <= MAX_ORDERS:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --orders 1..{MAX_ORDERS}")
    if not 0 < args.rate <= MAX_RATE:
        parser.error(f"--rate must be above 0 and at most {MAX_RATE:g}")
    if not 0 < args.baseline <= 600 or not 0.001 <= args.probe_interval <= 10 or not 0 < args.drain <= 600:
        parser.error("--baseline and --drain must be 0..600 s, --probe-interval 0.001..10 s")

    sys.path.insert(0, str(ROOT / "src"))
    secret = f"whsec_{secrets.token_hex(24)}"
    with tempfile.TemporaryDirectory(prefix="comptoir-alert-bench-") as tmp:
        data_dir = Path(tmp)
        url, pg_name = make_database(args.db, data_dir, args.postgres_url, prefix="comptoir_alert")
        try:
            seeded = seed(url, args.orders)
            create_merchant(url, data_dir)
            progress(f"seeded {len(seeded)} pending orders and the shop's merchant")
            port = free_port()
            proc = start_server(port, url, secret, data_dir / "server.log", args.variant)
            try:
                base = f"http://127.0.0.1:{port}"
                if args.hold:
                    input(f"server pid {proc.pid} on {base}; attach a profiler, then press Enter ")
                clients, hooks, probes, load_s = asyncio.run(run(args, base, seeded, secret, proc.pid))
            finally:
                stop_server(proc)
            ok = report(args, clients, hooks, probes, load_s)
            if not ok:
                print("the service's log, last lines:\n" + (data_dir / "server.log").read_text()[-3000:])
        finally:
            if pg_name and args.postgres_url:
                drop_database(args.postgres_url, pg_name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

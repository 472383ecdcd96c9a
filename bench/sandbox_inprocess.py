#!/usr/bin/env python3
"""CPU cost of one create+confirm PaymentIntent inside the sandbox app, without HTTP or clients.

    .venv/bin/python bench/sandbox_inprocess.py [--requests 3000] [--storage sqlite|memory] [--profile FILE]
                                                [--patch NAME ...]

Companion to bench/sandbox_vs_localstripe.py for a shared, busy machine: it captures the exact
request the official `stripe` SDK sends (headers and form body, via a one-shot capture server on
127.0.0.1), then replays it straight into the ASGI app (fresh Idempotency-Key each time, as the
SDK does) in one thread, and reports CPU time per request (time.process_time, so other load on
the machine barely moves it). This is the app's share; uvicorn/h11 and the socket add the rest.

`--profile FILE` samples it with cProfile (CPU time) and prints the top functions;
`--patch NAME` swaps in a candidate optimisation (monkeypatched here, never in src/) to estimate
its gain before anyone changes the sandbox: see PATCHES below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.server
import os
import string
import sys
import tempfile
import threading
import time
import uuid

CLIENT_KEY = "sk_test_bench_inprocess"

PARAMS = {
    "amount": 2000,
    "currency": "eur",
    "payment_method": "pm_card_visa",
    "confirm": True,
    "payment_method_types": ["card"],
}


def capture_sdk_request() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of the SDK's create+confirm POST, as sent on the wire."""
    import stripe

    captured: dict[str, object] = {}

    class Capture(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            captured["headers"] = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
            captured["body"] = body
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error":{"type":"invalid_request_error","message":"captured"}}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Capture)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    client = stripe.StripeClient(
        CLIENT_KEY,
        base_addresses={"api": f"http://127.0.0.1:{server.server_port}"},
        max_network_retries=0,
    )
    with contextlib.suppress(stripe.StripeError):
        client.v1.payment_intents.create(params=PARAMS)
    thread.join(5)
    server.server_close()
    return captured["headers"], captured["body"]  # type: ignore[return-value]


# --------------------------------------------------------------------------- candidate patches

_ALPHABET = string.ascii_letters + string.digits


def _fast_random_token(length: int) -> str:
    # One os.urandom call per token instead of one per character (secrets.choice); rejection
    # sampling keeps the 62 symbols uniform (bytes >= 248 are dropped, 3% of them).
    out: list[str] = []
    while len(out) < length:
        out.extend(_ALPHABET[b % 62] for b in os.urandom(length + 8) if b < 248)
    return "".join(out[:length])


def patch_ids() -> None:
    from comptoir.sandbox import ids

    ids.random_token = _fast_random_token
    # modules that did `from .ids import new_id` keep the original new_id, which looks up
    # random_token in ids' globals at call time, so patching random_token is enough.


def patch_orjson() -> None:
    """orjson for every JSON encode/decode on the request path (needs `pip install orjson`)."""
    import types

    import orjson

    from comptoir.sandbox import events, payments, store
    from comptoir.sandbox.http import plumbing

    def dumps(obj, **_: object) -> str:
        return orjson.dumps(obj).decode()

    store._dumps = dumps
    events._dumps = dumps
    plumbing._dumps = dumps
    shim = types.SimpleNamespace(loads=orjson.loads, dumps=dumps)
    events.json = shim  # events.emit snapshots the object with json.loads(_dumps(obj))
    payments.json = shim  # payments.snapshot (error paths only)


_BATCH = 32


def patch_batch() -> None:
    """Group commit: write to SQLite once every 32 transactions instead of after each one."""
    from comptoir.sandbox.store import Store

    real_flush = Store.flush
    calls = {"n": 0}

    def flush(self) -> None:
        calls["n"] += 1
        if calls["n"] % _BATCH == 0:
            real_flush(self)

    Store.flush = flush


def patch_noflush() -> None:
    """Upper bound: never write to SQLite at all (forget the dirty sets)."""
    from comptoir.sandbox.store import Store

    def flush(self) -> None:
        self._clear_pending()

    Store.flush = flush


PATCHES = {
    "ids": (patch_ids, "ids.random_token: one os.urandom per id instead of one secrets.choice per character"),
    "orjson": (patch_orjson, "orjson instead of json for object snapshots, SQLite rows and responses"),
    "batch": (patch_batch, f"group commit: one SQLite transaction per {_BATCH} requests"),
    "noflush": (patch_noflush, "no SQLite writes at all (upper bound of what persistence costs)"),
}


# --------------------------------------------------------------------------- driver


async def replay(app, headers: list[tuple[bytes, bytes]], body: bytes, count: int) -> tuple[int, int]:
    base = [(k, v) for k, v in headers if k not in (b"idempotency-key", b"host")]
    base.append((b"host", b"127.0.0.1"))
    ok = errors = 0
    for _ in range(count):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/payment_intents",
            "raw_path": b"/v1/payment_intents",
            "query_string": b"",
            "root_path": "",
            "headers": [*base, (b"idempotency-key", str(uuid.uuid4()).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 12111),
            "state": {},
        }
        sent = False
        status = 0

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        if status == 200:
            ok += 1
        else:
            errors += 1
    return ok, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--profile", metavar="FILE", help="cProfile (CPU time) the measured requests into FILE")
    parser.add_argument(
        "--patch",
        action="append",
        default=[],
        choices=sorted(PATCHES),
        help="apply a candidate optimisation first (repeatable)",
    )
    args = parser.parse_args()

    for name in args.patch:
        PATCHES[name][0]()
    from comptoir.sandbox import SandboxConfig, create_sandbox_app

    headers, body = capture_sdk_request()
    with tempfile.TemporaryDirectory(prefix="comptoir-inproc-") as tmp:
        config = SandboxConfig(
            data_dir=None if args.storage == "memory" else tmp,
            in_memory=args.storage == "memory",
            settle_interval=None,
            api_keys=frozenset({CLIENT_KEY}),
        )
        app = create_sandbox_app(config)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(replay(app, headers, body, args.warmup))
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        ok, errors = loop.run_until_complete(replay(app, headers, body, args.requests))
        cpu1, wall1 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        app.state.sandbox.close()
        loop.close()
    per = (cpu1 - cpu0) * 1000 / args.requests
    print(f"storage={args.storage} patches={args.patch or 'none'} body={body.decode()}")
    print(
        f"{ok} ok, {errors} errors; app CPU {per:.3f} ms/request "
        f"(=> at most {1000 / per:,.0f} req/s on one core for the app alone); "
        f"wall {(wall1 - wall0) * 1000 / args.requests:.3f} ms/request"
    )
    if args.profile:
        import pstats

        stats = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Throughput of comptoir's Stripe sandbox against localstripe, the same workload on each.

    .venv/bin/python bench/sandbox_vs_localstripe.py [--clients 8] [--requests 2000] [--warmup 200]

One run:
  1. makes (or reuses) a throwaway virtualenv .bench/localstripe-venv and installs localstripe
     into it. localstripe is GPL and only a yardstick: it runs there as a separate program and
     nothing of it is imported by comptoir.
  2. for each server in turn (never both at once: the machine has 2 cores), starts it as a
     subprocess on a free 127.0.0.1 port and polls it until it answers HTTP;
  3. runs the workload: --clients concurrent clients (threads, spread over --client-procs
     processes so the load generator is not held back by one GIL), each doing create+confirm of
     a PaymentIntent through the official `stripe` SDK
         client.v1.payment_intents.create(params={"amount": 2000, "currency": "eur",
             "payment_method": "pm_card_visa", "confirm": True, "payment_method_types": ["card"]})
     first --warmup calls in all (not measured), then --requests measured calls in all. A call
     counts as an error unless it returns a PaymentIntent with status "succeeded";
  4. stops the server (SIGTERM, then SIGKILL after 15 s) and prints, for each server, requests/s,
     p50/p99 latency, errors and CPU use, the ratio sandbox/localstripe and the parameters.

Traffic goes to 127.0.0.1 only; every phase is bounded in count and in time (--time-limit).
`--profile FILE` records the sandbox server with py-spy (installed into the throwaway venv).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
VENV = ROOT / ".bench" / "localstripe-venv"
VENV_PYTHON = VENV / "bin" / "python"
LOCALSTRIPE_VERSION = "1.15.10"
API_KEY = "sk_test_bench_sandbox_vs_localstripe"
PARAMS = {
    "amount": 2000,
    "currency": "eur",
    "payment_method": "pm_card_visa",
    "confirm": True,
    # localstripe refuses automatic_payment_methods ("Unexpected ..."), both accept this:
    "payment_method_types": ["card"],
}
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    server: str
    description: str
    requested: int
    round: int = 1
    completed: int = 0
    errors: int = 0
    warmup_errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    server_cpu_s: float = 0.0
    server_cpu_cores: float = 0.0
    client_cpu_cores: float = 0.0
    machine_busy_cores: float = 0.0
    timed_out: bool = False

    @property
    def server_cpu_ms_per_request(self) -> float:
        done = self.completed + self.errors
        return 1000.0 * self.server_cpu_s / done if done else float("nan")


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --------------------------------------------------------------------------- load generator


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _describe(exc: BaseException) -> str:
    text = getattr(exc, "user_message", None) or str(exc)
    return f"{type(exc).__name__}: {text}"[:200]


def make_keepalive_client(timeout: float):
    """A lean `stripe.HTTPClient`: one persistent http.client connection per client thread.

    The SDK's default (requests) costs about twice the CPU per call here (measured 1.3 vs
    0.65 ms), and on a 2-core machine every client CPU-millisecond is taken from the server
    under test. Everything else stays the official SDK's: parameter encoding, headers
    (Stripe-Version, the automatic Idempotency-Key, telemetry), error mapping, StripeObjects.
    """
    import http.client
    import urllib.parse

    import stripe

    class KeepAliveClient(stripe.HTTPClient):
        name = "http.client keep-alive (bench)"

        def __init__(self) -> None:
            super().__init__()
            self._conn: http.client.HTTPConnection | None = None
            self._netloc = ""
            self._used = 0

        def request(self, method, url, headers, post_data=None):
            parts = urllib.parse.urlsplit(url)
            path = parts.path + ("?" + parts.query if parts.query else "")
            body = post_data.encode("utf-8") if isinstance(post_data, str) else post_data
            for attempt in (1, 2):
                if self._conn is None or self._netloc != parts.netloc:
                    self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                    self._netloc, self._used = parts.netloc, 0
                reused = self._used > 0
                try:
                    self._conn.request(method.upper(), path, body=body, headers=dict(headers))
                    response = self._conn.getresponse()
                    content = response.read()
                except (http.client.HTTPException, OSError) as exc:
                    self._conn.close()
                    self._conn = None
                    # A kept-alive connection the server closed while idle: retry once on a new
                    # one (as urllib3 does); anything else is an error.
                    if (
                        reused
                        and attempt == 1
                        and isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError))
                    ):
                        continue
                    raise stripe.APIConnectionError(f"{type(exc).__name__}: {exc}") from exc
                self._used += 1
                if response.will_close:
                    self._conn.close()
                    self._conn = None
                return content, response.status, response.headers
            raise AssertionError("unreachable")

        def request_stream(self, method, url, headers, post_data=None):
            raise NotImplementedError("not used by the benchmark")

        def close(self) -> None:
            if self._conn is not None:
                self._conn.close()

    return KeepAliveClient()


def client_process(
    base_url: str,
    http_client_name: str,
    warmups: list[int],
    counts: list[int],
    time_limit: float,
    request_timeout: float,
    go,  # multiprocessing Event
    ready_queue,
    result_queue,
) -> None:
    """One load-generating process: one thread per client, one StripeClient per thread."""
    import resource

    import stripe

    n = len(counts)
    latencies: list[list[float]] = [[] for _ in range(n)]
    errors = [0] * n
    warmup_errors = [0] * n
    samples: list[str] = []
    ends = [0.0] * n
    timed_out = [False] * n
    warm = threading.Barrier(n + 1)

    def call(client: stripe.StripeClient) -> str | None:
        try:
            intent = client.v1.payment_intents.create(params=PARAMS)
        except Exception as exc:
            return _describe(exc)
        status = getattr(intent, "status", None)
        return None if status == "succeeded" else f"unexpected status {status!r}"

    def worker(i: int) -> None:
        client = stripe.StripeClient(
            API_KEY,
            base_addresses={"api": base_url},
            max_network_retries=0,
            http_client=make_keepalive_client(request_timeout)
            if http_client_name == "http.client"
            else stripe.RequestsClient(timeout=request_timeout),
        )
        warmup_deadline = time.monotonic() + time_limit
        for _ in range(warmups[i]):
            if time.monotonic() > warmup_deadline:
                break
            if call(client) is not None:
                warmup_errors[i] += 1
        warm.wait()
        go.wait()
        deadline = time.monotonic() + time_limit
        record = latencies[i].append
        for _ in range(counts[i]):
            if time.monotonic() > deadline:
                timed_out[i] = True
                break
            start = time.perf_counter()
            error = call(client)
            record((time.perf_counter() - start) * 1000.0)
            if error is not None:
                errors[i] += 1
                if len(samples) < 5:
                    samples.append(error)
        ends[i] = time.monotonic()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    warm.wait()
    ready_queue.put(os.getpid())
    go.wait()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    for thread in threads:
        thread.join()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    result_queue.put(
        {
            "latencies": [value for chunk in latencies for value in chunk],
            "errors": sum(errors),
            "warmup_errors": sum(warmup_errors),
            "samples": samples,
            "end": max(ends),
            "cpu": cpu,
            "timed_out": any(timed_out),
        }
    )


def _proc_cpu_seconds(pid: int) -> float:
    """utime+stime of a process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _machine_busy_seconds() -> float:
    """CPU-seconds spent not idle on the whole machine since boot (all cores)."""
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _collect(queue, children: list, timeout: float, phase: str) -> list:
    """One message from each client process, failing early if one of them dies."""
    import queue as queue_module

    messages: list = []
    deadline = time.monotonic() + timeout
    while len(messages) < len(children):
        try:
            messages.append(queue.get(timeout=0.5))
        except queue_module.Empty:
            dead = [child.exitcode for child in children if child.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a client process died during the {phase} (exit codes {dead})") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {phase} did not finish within {timeout:.0f} s") from None
    return messages


def run_workload(result: Result, base_url: str, server_pid: int, args: argparse.Namespace) -> None:
    procs = max(1, min(args.client_procs, args.clients))
    threads_per_proc = _split(args.clients, procs)
    warmups = _split(args.warmup, args.clients)
    counts = _split(args.requests, args.clients)
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    ready_queue = ctx.Queue()
    result_queue = ctx.Queue()
    children = []
    offset = 0
    for n in threads_per_proc:
        child = ctx.Process(
            target=client_process,
            args=(
                base_url,
                args.http_client,
                warmups[offset : offset + n],
                counts[offset : offset + n],
                args.time_limit,
                args.request_timeout,
                go,
                ready_queue,
                result_queue,
            ),
            daemon=True,
        )
        offset += n
        child.start()
        children.append(child)
    try:
        # Warm-up: bounded by the same time limit (plus start-up slack).
        _collect(ready_queue, children, args.time_limit + 60, "warm-up")
        cpu0 = _proc_cpu_seconds(server_pid)
        busy0 = _machine_busy_seconds()
        start = time.monotonic()
        go.set()
        parts = _collect(result_queue, children, args.time_limit + args.request_timeout + 30, "measured phase")
        end = max(part["end"] for part in parts)
        cpu1 = _proc_cpu_seconds(server_pid)
        busy1 = _machine_busy_seconds()
        now = time.monotonic()
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    latencies = sorted(value for part in parts for value in part["latencies"])
    result.errors = sum(part["errors"] for part in parts)
    result.warmup_errors = sum(part["warmup_errors"] for part in parts)
    result.error_samples = [sample for part in parts for sample in part["samples"]][:5]
    result.completed = len(latencies) - result.errors
    result.timed_out = any(part["timed_out"] for part in parts)
    result.wall_s = end - start
    result.rps = result.completed / result.wall_s if result.wall_s > 0 else 0.0
    result.p50_ms = percentile(latencies, 50)
    result.p90_ms = percentile(latencies, 90)
    result.p99_ms = percentile(latencies, 99)
    result.max_ms = latencies[-1] if latencies else float("nan")
    sampled = max(now - start, 1e-9)
    result.server_cpu_s = cpu1 - cpu0
    result.server_cpu_cores = (cpu1 - cpu0) / sampled
    result.client_cpu_cores = sum(part["cpu"] for part in parts) / result.wall_s if result.wall_s else 0.0
    result.machine_busy_cores = (busy1 - busy0) / sampled


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_localstripe_venv(version: str, with_py_spy: bool) -> None:
    """Create .bench/localstripe-venv if needed and install localstripe (and py-spy) into it."""
    if not VENV_PYTHON.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run(
        [str(VENV_PYTHON), "-c", "import importlib.metadata as m; print(m.version('localstripe'))"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or probe.stdout.strip() != version:
        print(f"installing localstripe=={version} into {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run(
            [
                str(VENV_PYTHON),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"localstripe=={version}",
            ],
            check=True,
        )
    if with_py_spy and not (VENV / "bin" / "py-spy").exists():
        print(f"installing py-spy into {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run(
            [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "py-spy"],
            check=True,
        )


class Server:
    """A benchmark target running as a subprocess on 127.0.0.1."""

    def __init__(self, name: str, description: str, command: list[str], pidfile: Path, log: Path):
        self.name = name
        self.description = description
        self.command = command
        self.pidfile = pidfile
        self.log = log
        self.port = int(command[command.index("--port") + 1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.pid = 0

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if self.pidfile.exists() and self.pidfile.read_text().strip() and self._answers():
                self.pid = int(self.pidfile.read_text().strip())
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} did not answer on {self.base_url} within {READY_TIMEOUT:.0f} s:\n{self.tail()}"
        )

    def _answers(self) -> bool:
        request = urllib.request.Request(
            f"{self.base_url}/v1/payment_intents?limit=1", headers={"Authorization": f"Bearer {API_KEY}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the server is up
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        target = self.pid or self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def localstripe_server(workdir: Path, variant: str) -> Server:
    port = free_port()
    return Server(
        "localstripe",
        f"localstripe {LOCALSTRIPE_VERSION} ({variant}), aiohttp",
        [
            str(VENV_PYTHON),
            str(BENCH_DIR / "_localstripe_server.py"),
            "--port",
            str(port),
            "--variant",
            variant,
            "--pidfile",
            str(workdir / "localstripe.pid"),
        ],
        workdir / "localstripe.pid",
        workdir / "localstripe.log",
    )


def sandbox_server(workdir: Path, args: argparse.Namespace) -> Server:
    port = free_port()
    storage = ["--in-memory"] if args.sandbox_storage == "memory" else ["--data-dir", str(workdir / "sandbox-data")]
    command = [
        args.sandbox_python,
        str(BENCH_DIR / "_sandbox_server.py"),
        "--port",
        str(port),
        *storage,
        "--settle-interval",
        args.sandbox_settle,
        "--loop",
        args.sandbox_loop,
        "--http",
        args.sandbox_http,
        "--pidfile",
        str(workdir / "sandbox.pid"),
        "--api-key",
        API_KEY,
    ]
    if args.cprofile:
        command += ["--cprofile", str(Path(args.cprofile).resolve())]
    if args.profile:
        py_spy = VENV / "bin" / "py-spy"
        suffix = Path(args.profile).suffix
        fmt = {".svg": "flamegraph", ".txt": "raw"}.get(suffix, "speedscope")
        command = [
            str(py_spy),
            "record",
            "--rate",
            "250",
            "--format",
            fmt,
            "--output",
            str(Path(args.profile).resolve()),
            "--threads",
            *(["--idle"] if args.profile_idle else []),
            "--",
            *command,
        ]
    settle = "off" if args.sandbox_settle.lower() in {"off", "none", "0"} else f"every {args.sandbox_settle} s"
    loop, http = _uvicorn_choice(args.sandbox_python, args.sandbox_loop, args.sandbox_http)
    description = (
        f"comptoir sandbox ({'SQLite write-through' if args.sandbox_storage == 'sqlite' else 'in-memory'}, "
        f"settle {settle}), uvicorn {loop}+{http}"
        + (" [under py-spy]" if args.profile else "")
        + (" [under cProfile]" if args.cprofile else "")
    )
    return Server("sandbox", description, command, workdir / "sandbox.pid", workdir / "sandbox.log")


def _uvicorn_choice(python: str, loop: str, http: str) -> tuple[str, str]:
    """What uvicorn's 'auto' resolves to with the packages installed for that interpreter."""
    probe = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u; print(bool(u.find_spec('uvloop')), bool(u.find_spec('httptools')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    has_uvloop, has_httptools = (word == "True" for word in probe.stdout.split())
    if loop == "auto":
        loop = "uvloop" if has_uvloop else "asyncio"
    if http == "auto":
        http = "httptools" if has_httptools else "h11"
    return loop, http


# --------------------------------------------------------------------------- report


def median_result(results: list[Result]) -> Result:
    """The round whose throughput is the median (the lower middle one for an even count)."""
    ordered = sorted(results, key=lambda r: r.rps)
    return ordered[(len(ordered) - 1) // 2]


def print_report(results: list[Result], args: argparse.Namespace, elapsed: float) -> None:
    import stripe
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    cores = os.cpu_count() or 1
    table = Table(title="create+confirm PaymentIntent (pm_card_visa) through the official stripe SDK")
    for column in [
        "server",
        "ok",
        "errors",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "server CPU ms/req",
        "server CPU",
        "client CPU",
        "other CPU",
    ]:
        table.add_column(column, justify="left" if column == "server" else "right")

    def row(r: Result, label: str, style: str | None = None) -> None:
        table.add_row(
            label + (" (time limit hit)" if r.timed_out else ""),
            f"{r.completed}/{r.requested}",
            str(r.errors) + (f" (+{r.warmup_errors} warm-up)" if r.warmup_errors else ""),
            f"{r.rps:,.1f}",
            f"{r.p50_ms:.1f}",
            f"{r.p90_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.1f}",
            f"{r.server_cpu_ms_per_request:.2f}",
            f"{r.server_cpu_cores:.2f}",
            f"{r.client_cpu_cores:.2f}",
            f"{max(0.0, r.machine_busy_cores - r.server_cpu_cores - r.client_cpu_cores):.2f}",
            style=style,
        )

    names = list(dict.fromkeys(r.server for r in results))
    chosen: dict[str, Result] = {}
    for name in names:
        runs = [r for r in results if r.server == name]
        if args.rounds > 1:
            for r in runs:
                row(r, f"{name} round {r.round}", style="dim")
        chosen[name] = median_result(runs)
        row(chosen[name], name + (f" (median of {len(runs)} rounds)" if len(runs) > 1 else ""), style="bold")
    console.print(table)
    if "sandbox" in chosen and "localstripe" in chosen and chosen["localstripe"].rps > 0:
        ratio = chosen["sandbox"].rps / chosen["localstripe"].rps
        verdict = "[green]goal met[/green]" if ratio >= 2.0 else "[red]below the 2.0x goal[/red]"
        console.print(f"throughput ratio sandbox/localstripe: [bold]{ratio:.2f}x[/bold]  ({verdict})")
        cpu_ratio = chosen["localstripe"].server_cpu_ms_per_request / chosen["sandbox"].server_cpu_ms_per_request
        console.print(
            f"server CPU per request, localstripe/sandbox: {cpu_ratio:.2f}x "
            "(capacity ratio if each server had a core to itself)"
        )
    for r in results:
        if r.error_samples:
            console.print(f"{r.server} round {r.round} errors, first ones: {r.error_samples}")
    procs = max(1, min(args.client_procs, args.clients))
    console.print("parameters:")
    for name in names:
        console.print(f"  {name}: {chosen[name].description}")
    threads = "/".join(map(str, _split(args.clients, procs)))
    console.print(
        f"  clients {args.clients} ({procs} client processes x {threads} threads), "
        f"{args.requests} measured requests after {args.warmup} warm-up per server and round, {args.rounds} round(s) "
        f"(servers run one after the other, a fresh server each time), "
        f"time limit {args.time_limit:.0f} s, request timeout {args.request_timeout:.0f} s"
    )
    console.print(f"  request: POST /v1/payment_intents {json.dumps(PARAMS)}")
    console.print(
        f"  stripe SDK {stripe.VERSION} (one StripeClient per client thread, max_network_retries=0, "
        f"transport {args.http_client}, keep-alive), "
        f"Python {platform.python_version()}, {cores} cores, load average at the end {os.getloadavg()[0]:.2f}; "
        f"run took {elapsed:.0f} s"
    )
    console.print(
        "  CPU columns: cores used during the measured phase (CPU-seconds per wall second) by the server process, "
        f"the client processes, and everything else on the machine (of {cores}); "
        "server CPU ms/req = server CPU-seconds / requests"
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Same workload (create+confirm PaymentIntent, official stripe SDK) against comptoir's sandbox "
        "and localstripe; prints requests/s, p50/p99 and the ratio.",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per server (default 2000)")
    parser.add_argument(
        "--warmup", type=int, default=200, help="warm-up requests per server, not measured (default 200)"
    )
    parser.add_argument("--only", choices=["sandbox", "localstripe"], help="benchmark one server only")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat localstripe then sandbox this many times, fresh servers each time, and report the "
        "median round (default 1; use 3+ on a shared machine)",
    )
    parser.add_argument("--client-procs", type=int, default=2, help="load-generating processes (default 2)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=300.0,
        help="seconds allowed for the warm-up and again for the measured phase, per server (default 300)",
    )
    parser.add_argument(
        "--request-timeout", type=float, default=30.0, help="per-request timeout in seconds (default 30)"
    )
    parser.add_argument(
        "--http-client",
        choices=["http.client", "requests"],
        default="http.client",
        help="the SDK's HTTP transport in the load generator: http.client (default: a lean keep-alive "
        "stripe.HTTPClient, half the client CPU of the SDK's default) or requests (the SDK's default)",
    )
    parser.add_argument(
        "--sandbox-python",
        default=sys.executable,
        help="interpreter that runs the sandbox (default: this one); e.g. a venv with uvloop+httptools",
    )
    parser.add_argument(
        "--sandbox-storage",
        choices=["sqlite", "memory"],
        default="sqlite",
        help="sqlite: a temp data folder with write-through, as in production (default); memory: in RAM",
    )
    parser.add_argument(
        "--sandbox-settle", default="1.0", help="background settle interval in seconds, or 'off' (default 1.0)"
    )
    parser.add_argument(
        "--sandbox-loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="uvicorn event loop for the sandbox (default auto, as in production)",
    )
    parser.add_argument(
        "--sandbox-http",
        choices=["auto", "h11", "httptools"],
        default="auto",
        help="uvicorn HTTP parser for the sandbox (default auto, as in production)",
    )
    parser.add_argument(
        "--localstripe-variant",
        choices=["in-memory", "as-shipped"],
        default="in-memory",
        help="in-memory: localstripe's pickle-the-whole-store-on-every-write turned off, i.e. its "
        "fastest (default); as-shipped: left on (its cost per request grows with the store)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record the sandbox with py-spy into FILE (.svg flamegraph, .txt collapsed stacks, else speedscope JSON)",
    )
    parser.add_argument(
        "--profile-idle",
        action="store_true",
        help="with --profile: also sample threads that are waiting (locks, I/O, idle pool threads)",
    )
    parser.add_argument(
        "--cprofile",
        metavar="FILE",
        help="profile the sandbox's event-loop thread with cProfile on CPU time (pstats FILE); "
        "robust to other load on the machine, unlike a wall-clock sampler",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--clients and --requests must be >= 1, --warmup >= 0")
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    if (args.profile or args.cprofile) and args.rounds > 1:
        parser.error("--profile records one sandbox run: use --rounds 1")
    if args.profile and args.only == "localstripe":
        parser.error("--profile records the sandbox; drop --only localstripe")
    return args


def bench_one(name: str, workdir: Path, round_number: int, args: argparse.Namespace) -> Result:
    """Start one server, run the workload against it, stop it."""
    server = (
        localstripe_server(workdir, args.localstripe_variant)
        if name == "localstripe"
        else sandbox_server(workdir, args)
    )
    result = Result(server=name, description=server.description, requested=args.requests, round=round_number)
    label = name + (f" (round {round_number}/{args.rounds})" if args.rounds > 1 else "")
    print(f"{label}: starting on {server.base_url} ...", flush=True)
    try:
        server.start()
        print(
            f"{label}: ready; {args.warmup} warm-up + {args.requests} measured requests, {args.clients} clients ...",
            flush=True,
        )
        run_workload(result, server.base_url, server.pid, args)
    except Exception:
        print(f"{label}: server log tail:\n{server.tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()
    print(
        f"{label}: {result.rps:,.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"{result.errors} errors",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    targets = ["localstripe", "sandbox"] if args.only is None else [args.only]
    if "localstripe" in targets or args.profile:
        ensure_localstripe_venv(LOCALSTRIPE_VERSION, with_py_spy=bool(args.profile))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as tmp:
        for round_number in range(1, args.rounds + 1):
            workdir = Path(tmp) / f"round-{round_number}"
            workdir.mkdir()
            for name in targets:
                results.append(bench_one(name, workdir, round_number, args))
    print_report(results, args, time.monotonic() - began)
    if args.profile:
        print(f"py-spy profile of the sandbox: {args.profile}")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

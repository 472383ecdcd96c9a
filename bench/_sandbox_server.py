"""Serve comptoir's Stripe sandbox alone under uvicorn, for bench/sandbox_vs_localstripe.py.

Run with the project's interpreter (`.venv/bin/python bench/_sandbox_server.py --port N ...`).
Listens on 127.0.0.1 only. SIGTERM/SIGINT stop it gracefully (uvicorn's own handlers).

The defaults are what `comptoir sandbox` does in production: a SQLite data folder with
write-through, the background settle task every second, uvicorn with `loop="auto"` and
`http="auto"` (uvloop/httptools only if they happen to be installed). Access logging is off,
as it is for localstripe in the benchmark.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    storage = parser.add_mutually_exclusive_group(required=True)
    storage.add_argument("--data-dir", help="folder for sandbox.sqlite3 (write-through SQLite)")
    storage.add_argument("--in-memory", action="store_true", help="keep state in RAM only")
    parser.add_argument(
        "--settle-interval",
        default="1.0",
        help="seconds between background settle() runs, or 'off' (default 1.0, as in production)",
    )
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"])
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    parser.add_argument("--api-key", required=True, help="the sk_test_ key the sandbox accepts")
    parser.add_argument("--pidfile", help="write this process's pid here once the app is built")
    parser.add_argument(
        "--cprofile",
        help="profile the event-loop thread with cProfile on CPU time (time.process_time), write pstats here at exit",
    )
    args = parser.parse_args(argv)

    import uvicorn

    from comptoir.sandbox import SandboxConfig, create_sandbox_app

    settle = None if args.settle_interval.lower() in {"off", "none", "0"} else float(args.settle_interval)
    config = SandboxConfig(
        data_dir=None if args.in_memory else args.data_dir,
        in_memory=bool(args.in_memory),
        public_base_url=f"http://127.0.0.1:{args.port}",
        settle_interval=settle,
        api_keys=frozenset({args.api_key}),
    )
    app = create_sandbox_app(config)
    if args.pidfile:
        with open(args.pidfile, "w", encoding="ascii") as handle:
            handle.write(str(os.getpid()))

    uvicorn_config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        loop=args.loop,
        http=args.http,
        lifespan="on",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(uvicorn_config)
    # uvicorn re-raises the SIGTERM/SIGINT it caught once it has shut down, under the handlers
    # that were installed before it ran: with these, the process then exits normally (code 0,
    # and the cProfile statistics below get written) instead of dying by the signal.
    signal.signal(signal.SIGTERM, lambda *_: None)
    signal.signal(signal.SIGINT, lambda *_: None)
    if not args.cprofile:
        server.run()
        return 0
    import cProfile
    import time

    # CPU time, not wall time: on a shared 2-core machine a wall-clock profile mostly shows
    # where the process happened to be descheduled (typically inside socket send()).
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        server.run()
    finally:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Serve localstripe on 127.0.0.1 only, for bench/sandbox_vs_localstripe.py.

Runs ONLY with the throwaway virtualenv's interpreter (`.bench/localstripe-venv/bin/python`),
never with comptoir's: localstripe (GPL) is a yardstick that the benchmark runs as a separate
program; nothing of it is imported by, or copied into, comptoir.

Why a launcher and not the `localstripe` command: the command listens on every interface
(`::`), logs every request to stderr and reloads /tmp/localstripe.pickle unless
`--from-scratch`. Here it serves the same aiohttp application on 127.0.0.1, without the access
log (the sandbox runs without one too), from an empty store.

Variants:
  in-memory   (default) the store's dump-to-disk is turned off. localstripe as shipped pickles
              its WHOLE store to /tmp/localstripe.pickle on every stored object and after every
              POST, so its cost per request grows with the number of objects (measured: 31 ms
              per create+confirm at start, 280 ms after 1,200). Turned off, the yardstick is
              localstripe at its fastest, which is the strict comparison.
  as-shipped  that dump left on (writes /tmp/localstripe.pickle, a path localstripe hardcodes).
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1 for the benchmark")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--variant", choices=["in-memory", "as-shipped"], default="in-memory")
    parser.add_argument("--pidfile")
    args = parser.parse_args()

    from aiohttp import web
    from localstripe import resources, server

    if args.variant == "in-memory":
        resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]

    if args.pidfile:
        with open(args.pidfile, "w", encoding="ascii") as handle:
            handle.write(str(os.getpid()))
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Run one bench script against an older tree and this one, interleaved, and print both side by side.

    .venv/bin/python bench/compare_trees.py --base a75686d [--pairs 3] inprocess [-- --events 300 --db sqlite]
    .venv/bin/python bench/compare_trees.py --base a75686d ingest -- --events 1000 --concurrency 8

A refactor is judged against the code it replaced, on the same machine, in the same minutes: the base
tree's `src/` and `bench/` are extracted with `git archive` into a temporary folder, and each pair runs
the base tree's own copy of the bench (it imports the base's module paths) then this tree's, so a load
change on a shared machine hits both sides alike. Both sides use this virtualenv's libraries.

`inprocess` is bench/webhook_inprocess.py (CPU ms, statements and flushes per new and duplicate event),
`ingest` is bench/webhook_ingest.py (the webhook/healthz throughput ratio over HTTP). Figures printed are
the medians over the pairs, and head/base.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {"inprocess": "webhook_inprocess.py", "ingest": "webhook_ingest.py"}
# "  new cpu ms           0.91" under webhook_inprocess's summary line
_INPROCESS_LINE = re.compile(r"^\s{2}(\S.*?)\s{2,}(-?\d+(?:\.\d+)?)\s*$")
_INGEST_LINES = {
    "ratio webhook/healthz": re.compile(r"^ratio webhook/healthz throughput: (-?\d+(?:\.\d+)?)"),
    "healthz req/s": re.compile(r"^/healthz\s+\d+\s+\d+\s+(\d+)"),
    "webhook req/s": re.compile(r"^webhook\S*\s+\d+\s+\d+\s+(\d+)"),
}


def extract(tree: str, base: str, into: Path) -> Path:
    """Write `base`'s src/ and bench/ under `into` and return that folder."""
    archive = subprocess.run(
        ["git", "-C", tree, "archive", "--format=tar", base, "src", "bench"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def figures(kind: str, output: str) -> dict[str, float]:
    found: dict[str, float] = {}
    if kind == "inprocess":
        summary = output.split("webhooks.ingest in process:", 1)
        for line in summary[1].splitlines()[1:] if len(summary) == 2 else []:
            if match := _INPROCESS_LINE.match(line):
                found[match.group(1)] = float(match.group(2))
    else:
        for line in output.splitlines():
            for name, pattern in _INGEST_LINES.items():
                if match := pattern.match(line):
                    found[name] = float(match.group(1))
    if not found:
        raise SystemExit(f"no figures found in the bench's output:\n{output[-2000:]}")
    return found


def run(script: Path, src: Path, extra: list[str]) -> str:
    cmd = [sys.executable, str(script), *extra]
    if script.name == "webhook_inprocess.py":
        cmd += ["--src", str(src)]
    # PYTHONPATH makes the servers that the bench starts import the same side's code.
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the older commit to compare against (e.g. a75686d)")
    parser.add_argument("--pairs", type=int, default=3, help="base/head runs, interleaved")
    parser.add_argument("bench", choices=sorted(SCRIPTS))
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="arguments for the bench, after --")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.pairs > 20:
        parser.error("--pairs must be between 1 and 20")
    extra = [a for a in args.extra if a != "--"]
    if args.bench == "inprocess" and "--rounds" not in extra:
        extra += ["--rounds", "1"]
    with tempfile.TemporaryDirectory(prefix="comptoir-compare-") as tmp:
        base_dir = extract(str(ROOT), args.base, Path(tmp))
        sides = {
            "base": (base_dir / "bench" / SCRIPTS[args.bench], base_dir / "src"),
            "head": (ROOT / "bench" / SCRIPTS[args.bench], ROOT / "src"),
        }
        results: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
        for pair in range(args.pairs):
            for side in ("base", "head") if pair % 2 == 0 else ("head", "base"):
                script, src = sides[side]
                results[side].append(figures(args.bench, run(script, src, extra)))
                shown = ", ".join(f"{k} {v:.2f}" for k, v in results[side][-1].items())
                print(f"pair {pair + 1} {side}: {shown}", flush=True)
    print(f"{SCRIPTS[args.bench]} {' '.join(extra)}: base {args.base} vs head, median of {args.pairs} pairs")
    print(f"  {'figure':<24} {'base':>9} {'head':>9} {'head/base':>10}")
    for key in results["base"][0]:
        base = statistics.median(r[key] for r in results["base"])
        head = statistics.median(r.get(key, float("nan")) for r in results["head"])
        ratio = head / base if base else (1.0 if head == base else float("inf"))
        print(f"  {key:<24} {base:>9.2f} {head:>9.2f} {ratio:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
